"""Helpers of the hdp DAGs (hdp_hourly.py, hdp_reprocess.py): the platform settings, the jobs, the
SparkApplication template, the local-mode operator and the alerts. Not DAG files themselves (.airflowignore).

Nothing here imports Spark, pandas or the project's `hdp` package: the DAG processor parses these files
often, and the Airflow image carries none of them."""
