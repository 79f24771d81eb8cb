"""Run the `hdp` command line as a user would: a subprocess of this interpreter, with a wide terminal."""

from __future__ import annotations

import os
import subprocess
import sys


def hdp(*args: str, cwd, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hdp.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=2400,  # a demo takes minutes on an idle machine, but CI machines can be loaded
        env={**os.environ, "COLUMNS": "160", **(env or {})},
    )
