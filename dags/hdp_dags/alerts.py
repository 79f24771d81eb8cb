"""What the DAGs say when something goes wrong: a failed task and an overdue run.

Both write one ERROR record that names the batch, the job, the SparkApplication and where its logs are;
that record is where a notifier (Slack, SNS, PagerDuty) plugs in. The deadline callback runs in the
triggerer, which must be able to import this package (the DAG folder on its PYTHONPATH)."""

from __future__ import annotations

import logging
import shlex
from datetime import datetime

from hdp_dags.jobs import batch_id

log = logging.getLogger(__name__)


def task_failed(context) -> None:
    """on_failure_callback of every task (after its last try, or at once for a non-retryable exit code)."""
    log.error("%s", failure_report(context))


def failure_report(context) -> str:
    ti, task = context["ti"], context["task"]
    spec = getattr(task, "template_spec", None)
    arguments = spec["spec"]["arguments"] if spec else getattr(task, "arguments", [])
    lines = [f"{ti.dag_id}: job {ti.task_id} failed for batch {batches(arguments)} (try {ti.try_number})"]
    if context.get("exception") is not None:
        lines.append(f"cause: {str(context['exception']).splitlines()[0]}")
    log_url = getattr(ti, "log_url", None) or "the Airflow UI (task log)"
    if spec:
        # after execute() the operator's `name` is the application's real name, random suffix included
        name = task.name or f"{spec['metadata']['name']}-… (never created)"
        lines += [
            f"SparkApplication: {name} in namespace {task.namespace} (command: hdp {shlex.join(arguments)})",
            f"driver log: streamed into the task log, {log_url}; while the application exists also "
            f"`kubectl -n {task.namespace} logs {name}-driver` and `kubectl -n {task.namespace} describe "
            f"sparkapplication {name}`",
            f"Spark UI of the run: the Spark history server, event log {spec['spec']['sparkConf']['spark.eventLog.dir']}",
        ]
    else:
        lines += [
            f"local mode: `{shlex.join(task.command)}` on the Airflow worker",
            f"log: the command's output is the task log, {log_url}",
        ]
    return "\n".join(lines)


def batches(arguments: list[str]) -> str:
    """The batch or range an `hdp` command line names (after Airflow rendered it)."""
    options = dict(zip(arguments, arguments[1:], strict=False))
    if "--batch" in options:
        return options["--batch"]
    if "--from" in options and "--to" in options:
        return f"{options['--from']}..{options['--to']}"
    return "(none named)"


async def run_overdue(context: dict, namespace: str = "", **_) -> None:
    """DeadlineAlert callback: the run has not finished in time. The scheduler passes the run as JSON;
    `namespace` is the SparkApplications' namespace in Kubernetes mode, empty in local mode."""
    run = context.get("dag_run") or {}
    deadline = (context.get("deadline") or {}).get("deadline_time")
    start = run.get("data_interval_start")
    batch = batch_id(datetime.fromisoformat(start)) if start else "(no data interval)"
    where = (
        f"a SparkApplication waiting for a node or an image (`kubectl -n {namespace} get sparkapplications`, "
        "Pending pods), a source or the warehouse slow or down (the running task's log)"
        if namespace
        else "the running task's log (the hdp CLI's output)"
    )
    log.error(
        "%s: run %s for batch %s is not finished by its deadline %s (state %s). Look at %s; later hours "
        "queue behind it (max_active_runs=1).",
        run.get("dag_id"),
        run.get("run_id"),
        batch,
        deadline,
        run.get("state"),
        where,
    )
