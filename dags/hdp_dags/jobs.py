"""The jobs the DAGs run: which `hdp` command, as which workload (service account and IAM role), and for
how long at most. One job is one task: a SparkApplication on Kubernetes, the `hdp` CLI in local mode.

Extraction is one job for the three sources, not three in parallel: every `hdp` run holds the lake's lease
for its whole duration (jobs/hdp/lease.py), so a second extract running beside the first fails with exit 75,
and the extract stage commits one manifest per batch (control/manifests, keyed by stage and batch) that a
second source's run would overwrite. `hdp extract --dataset` exists for re-running one source by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

STAGES = ("extract", "silver", "gold", "warehouse")
# Each workload has its own service account and IAM role (terraform/modules/iam): extract reads the
# sources and writes bronze, transform reads bronze and writes silver and gold, load reads gold and
# loads the warehouse.
WORKLOAD = {"extract": "extract", "silver": "transform", "gold": "transform", "warehouse": "load"}

# Airflow template expressions, rendered when the task runs. The hourly DAG's runs cover one clock hour
# (a data-interval timetable): the run for 02:00-03:00 UTC processes batch <day>T02.
HOURLY_BATCH = "{{ data_interval_start | batch_id }}"
RANGE_FIRST = "{{ params.start }}"
RANGE_LAST = "{{ params.end }}"

# Budgets of the work itself. On Kubernetes the operator's start-up timeout (node provisioning, image pull)
# is added on top (hdp_dags/kubernetes.py).
HOURLY_TIMEOUT = timedelta(minutes=30)
RANGE_TIMEOUT = timedelta(hours=6)


@dataclass(frozen=True)
class Job:
    task_id: str
    workload: str  # extract | transform | load
    arguments: tuple[str, ...]  # the hdp command line after `hdp`; may hold Airflow template expressions
    name: str  # base name of the SparkApplication (the operator adds a random suffix)
    timeout: timedelta


def batch_id(moment: datetime) -> str:
    """The batch id of the hour that holds `moment`, as jobs/hdp/batches.py writes it (YYYY-MM-DDTHH, UTC).
    A Jinja filter of both DAGs; the project's own function is not imported, to keep Spark's package and
    its dependencies out of the DAG processor."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")


TEMPLATE_FILTERS = {"batch_id": batch_id}


def hourly_jobs() -> tuple[Job, ...]:
    """extract -> silver -> gold -> warehouse for the run's hour."""
    return tuple(
        Job(
            task_id=stage,
            workload=WORKLOAD[stage],
            arguments=(stage, "--batch", HOURLY_BATCH),
            name=f"hdp-{stage}-{HOURLY_BATCH}",
            timeout=HOURLY_TIMEOUT,
        )
        for stage in STAGES
    )


def reprocessing_jobs() -> tuple[Job, ...]:
    """A range of hours processed together, one job per workload: silver and gold share one Spark
    application (`hdp run --stages silver,gold`). `hdp run` of all four stages in one application would
    need one identity allowed to do what the three roles do apart, which the IAM design rules out."""
    hours = ("--from", RANGE_FIRST, "--to", RANGE_LAST)
    span = f"{RANGE_FIRST}-{RANGE_LAST}"
    return (
        Job("extract", "extract", ("extract", *hours), f"hdp-extract-{span}", RANGE_TIMEOUT),
        Job(
            "transform",
            "transform",
            ("run", "--stages", "silver,gold", *hours),
            f"hdp-transform-{span}",
            RANGE_TIMEOUT,
        ),
        Job("warehouse", "load", ("warehouse", *hours), f"hdp-warehouse-{span}", RANGE_TIMEOUT),
    )
