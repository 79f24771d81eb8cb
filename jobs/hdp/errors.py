"""What a failure means to whoever runs the stage next: the exit code tells a scheduler whether to retry.

| code | class | meaning | Airflow |
| --- | --- | --- | --- |
| 0 | | done | |
| 1 | (any other exception) | a bug: the traceback is printed | fail, no retry helps |
| 64 | usage | bad command line (batch id, range) | fail |
| 65 | `BadData` | the data broke an invariant (rows not accounted for, identifiers in gold) | fail, page |
| 66 | `NotReady` | a prerequisite batch is missing (not extracted, upstream stage not committed) | fail: run it |
| 75 | `RetryLater` | a system is down or busy (source, API, warehouse, another run's lease) | retry |
| 78 | `BadConfiguration` | a setting is missing or wrong, a tool is missing | fail, fix config |

Expected failures end in one line naming the system and what to do; only bugs print a traceback."""

from __future__ import annotations

EX_USAGE = 64


class HdpError(RuntimeError):
    exit_code = 1


class BadData(HdpError):
    exit_code = 65


class NotReady(HdpError):
    exit_code = 66


class RetryLater(HdpError):
    exit_code = 75


class BadConfiguration(HdpError):
    exit_code = 78
