"""### hdp_reprocess: a range of hours, on demand

Trigger with `start` and `end` (batch ids, inclusive, e.g. `2026-11-20T00` and `2026-11-26T23`). The range
is processed together, one Spark application per workload rather than one per hour:
**extract** (`hdp extract --from … --to …`) → **transform** (`hdp run --stages silver,gold …`) →
**warehouse** (`hdp warehouse …`). Use it to fill a gap the hourly DAG refused (exit 66 names the range), or
to rebuild after a fix; the stages are idempotent, so rerunning hours changes nothing that was right.

    airflow dags trigger hdp_reprocess --conf '{"start": "2026-11-20T00", "end": "2026-11-26T23"}'
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, chain
from hdp_dags import config, jobs, tasks

platform = config.load()
BATCH = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}$"}

with DAG(
    dag_id="hdp_reprocess",
    description="extract -> silver+gold -> warehouse over a range of hours, one Spark job per workload",
    schedule=None,
    start_date=config.start_date(platform),
    catchup=False,
    max_active_runs=1,
    params={
        "start": Param(description="first batch of the range (inclusive), e.g. 2026-11-20T00", **BATCH),
        "end": Param(description="last batch of the range (inclusive), e.g. 2026-11-26T23", **BATCH),
    },
    default_args=tasks.default_args(),
    user_defined_filters=jobs.TEMPLATE_FILTERS,
    tags=["hdp", platform["mode"]],
    doc_md=__doc__,
) as dag:
    chain(*(tasks.job_task(job, platform) for job in jobs.reprocessing_jobs()))
