"""The SparkApplication of a job, rendered from `spark_application.yaml.j2` and the platform settings."""

from __future__ import annotations

from pathlib import Path

import jinja2
import yaml

from hdp_dags.jobs import Job

TEMPLATE = "spark_application.yaml.j2"
# The hdp CLI inside the job image: images/spark-job/Dockerfile copies jobs/ to /opt/hdp/jobs and installs
# the package; cli.py ends in `sys.exit(main())`, so spark-submit can run it as the application file.
MAIN_APPLICATION_FILE = "local:///opt/hdp/jobs/hdp/cli.py"

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent),
    undefined=jinja2.StrictUndefined,  # a key missing from platform.yaml is an error, not an empty string
    autoescape=False,
    keep_trailing_newline=True,
)


def render(platform: dict, job: Job) -> dict:
    """The SparkApplication as a dict. Its `metadata.name` and `spec.arguments` still hold the Airflow
    expressions of the job; the operator's template rendering fills them in when the task runs."""
    text = _templates.get_template(TEMPLATE).render(
        platform=platform, job=job, main_application_file=MAIN_APPLICATION_FILE
    )
    return yaml.safe_load(text)
