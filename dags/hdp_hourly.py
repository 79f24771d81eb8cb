"""### hdp_hourly: the hourly medallion pipeline

One run per clock hour (UTC): **extract → silver → gold → warehouse** for the hour the run's data
interval covers; the run for 02:00–03:00 processes batch `<day>T02`. Catchup is on, one run at a time.

- **kubernetes** mode (platform.yaml from the Helm chart): each stage is a SparkApplication in the job
  image, drivers on on-demand nodes, executors on spot nodes.
- **local** mode (the default without `HDP_DAG_CONFIG`): each stage runs the `hdp` CLI with local Spark,
  e.g. under `dag.test()` against `make demo`'s stack.

Retries are Airflow's (exit 75 retries; 64, 65, 66 and 78 fail at once). A failed task logs the batch, the
stage, the SparkApplication and where its logs are; a run not finished 50 minutes after it was queued
raises a deadline alert. Reprocess a range of hours with `hdp_reprocess`. See docs/airflow.md.
"""

from __future__ import annotations

from airflow.sdk import DAG, CronDataIntervalTimetable, chain
from hdp_dags import config, jobs, tasks

platform = config.load()

with DAG(
    dag_id="hdp_hourly",
    description="extract -> silver -> gold -> warehouse for one clock hour (UTC)",
    # A data-interval timetable: data_interval_start is the hour processed. (A bare cron or "@hourly" is a
    # trigger timetable in Airflow 3, whose data interval has zero length.)
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=config.start_date(platform),
    catchup=True,
    max_active_runs=1,
    default_args=tasks.default_args(),
    user_defined_filters=jobs.TEMPLATE_FILTERS,
    deadline=tasks.run_deadline(platform),
    tags=["hdp", platform["mode"]],
    doc_md=__doc__,
) as dag:
    chain(*(tasks.job_task(job, platform) for job in jobs.hourly_jobs()))
