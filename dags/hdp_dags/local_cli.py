"""Local mode: a job runs as the `hdp` CLI on the Airflow worker itself, with local Spark.

The twin of the SparkApplication: the same command line (`hdp <stage> --batch <id>`), the same exit codes
turned into the same retry decisions, so `dag.test()` on a laptop exercises what the cluster runs."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from collections.abc import Sequence

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from hdp_dags import exit_codes


class HdpCliOperator(BaseOperator):
    """Runs `<executable> [--env-file FILE] <arguments…>` and streams its output into the task log."""

    template_fields: Sequence[str] = ("arguments",)
    ui_color = "#c9e4ca"

    def __init__(self, *, arguments: Sequence[str], executable: str, env_file: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.arguments = list(arguments)
        self.executable = executable
        self.env_file = env_file
        self._process: subprocess.Popen | None = None

    @property
    def command(self) -> list[str]:
        settings = ["--env-file", self.env_file] if self.env_file else []
        return [self.executable, *settings, *self.arguments]

    def execute(self, context) -> None:
        shown = shlex.join(self.command)
        self.log.info("running %s", shown)
        try:
            # its own session: a timeout or a kill of the task stops the CLI and the JVM it started
            self._process = subprocess.Popen(
                self.command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise AirflowFailException(
                f"the hdp CLI {self.executable!r} was not found: set hdpExecutable in the DAG settings "
                "(platform.yaml) to its path, e.g. /path/to/checkout/.venv/bin/hdp"
            ) from None
        try:
            for line in self._process.stdout:
                self.log.info("%s", line.rstrip())
            code = self._process.wait()
        finally:
            self._stop()
        if code != 0:
            raise exit_codes.failure(code, f"`{shown}`")

    def on_kill(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._process and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
