"""How a job becomes a task in the mode the platform settings choose, and what every task shares."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import AsyncCallback, BaseOperator, DeadlineAlert, DeadlineReference

from hdp_dags import alerts
from hdp_dags.jobs import Job

# Retries are Airflow's alone (the SparkApplication has restartPolicy Never). 3 tries 5 minutes apart ride
# out a source or warehouse restart and a run holding the lake's lease (exit 75); non-retryable exit codes
# fail at once (exit_codes.py).
RETRIES = 3
RETRY_DELAY = timedelta(minutes=5)
# An hourly run should be done well before the next hour's run is due.
RUN_DEADLINE = timedelta(minutes=50)


def default_args() -> dict:
    return {
        "owner": "data-platform",
        "retries": RETRIES,
        "retry_delay": RETRY_DELAY,
        # The order of batches is kept by the job itself: a batch whose predecessor was never extracted is
        # refused (exit 66) with the command that fills the gap, so no depends_on_past here.
        "depends_on_past": False,
        "on_failure_callback": alerts.task_failed,
    }


def job_task(job: Job, platform: dict) -> BaseOperator:
    """The task that runs `job`: a SparkApplication (kubernetes) or the hdp CLI on the worker (local)."""
    if platform["mode"] == "local":
        from hdp_dags.local_cli import HdpCliOperator

        return HdpCliOperator(
            task_id=job.task_id,
            arguments=job.arguments,
            executable=platform["hdpExecutable"],
            env_file=platform["envFile"],
            execution_timeout=job.timeout,
        )
    from hdp_dags.kubernetes import spark_application_task

    return spark_application_task(job, platform)


def run_deadline(platform: dict) -> DeadlineAlert:
    """Alert (not fail) when a run is not finished RUN_DEADLINE after it was queued. Measured from queueing
    rather than from the hour it processes, so that catching up on old hours does not page once per hour."""
    hint = {"namespace": platform["namespace"]} if platform["mode"] == "kubernetes" else {}
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=RUN_DEADLINE,
        callback=AsyncCallback(alerts.run_overdue, kwargs=hint),
    )
