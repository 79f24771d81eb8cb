"""What the `hdp` CLI's exit code means for Airflow's retries (the codes are in jobs/hdp/errors.py).

Retries belong to Airflow alone: the SparkApplication has `restartPolicy: Never`, and the job neither loops
nor resubmits itself. So this is the one place that decides. 75 (a source, the API or the warehouse is
down, or another run holds the lake's lease) is what retries are for. 64, 65, 66 and 78 are not: the same
command would fail the same way, so the task fails at once with what to do. Anything else (1, a bug with a
traceback; or a kill, an OOM, a lost spot node, which Spark on Kubernetes also reports as a failed driver)
is retried: every stage is idempotent, so a retry of a real bug costs minutes and changes nothing."""

from __future__ import annotations

from airflow.sdk.exceptions import AirflowException, AirflowFailException

RETRY_LATER = 75
NOT_RETRYABLE = {
    64: "bad command line (batch id or range)",
    65: "bad data: rows not accounted for, or identifiers in gold; page someone before rerunning",
    66: "a prerequisite is missing (a batch never extracted, an upstream stage not committed): "
    "run what the message above says",
    78: "bad configuration (a setting missing or wrong, no Java): fix the settings",
}


def failure(code: int | None, what: str) -> AirflowException:
    """The exception a task raises when `what` (a command, a SparkApplication) ended with `code`."""
    if code in NOT_RETRYABLE:
        return AirflowFailException(f"{what} exited {code}: {NOT_RETRYABLE[code]}. Not retried.")
    if code == RETRY_LATER:
        return AirflowException(
            f"{what} exited 75: a system it needs is down or busy, or another run holds the lake's lease. "
            "Airflow retries."
        )
    shown = "with no exit code" if code is None else f"{code}"
    return AirflowException(f"{what} exited {shown}: retried (every stage is idempotent).")
