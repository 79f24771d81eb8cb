"""The images and the pinned releases agree with the project: the job image is the official Spark image of
the Spark version the project runs (jobs/hdp/spark.py, pyproject.toml) and the chart declares; the Airflow
image is the official image of the version the release declares, with the provider pinned; the operator
watches the chart's namespace with its webhook on; every Dockerfile runs as a non-root user."""

from __future__ import annotations

import re

import pytest
import tomllib
import yaml

from . import chart
from .conftest import ROOT

pytestmark = pytest.mark.infra

IMAGES = ROOT / "images"


def _from(dockerfile: str) -> str:
    [base] = re.findall(r"^FROM\s+(\S+)", (IMAGES / dockerfile).read_text(), re.M)
    return base


def test_spark_versions_agree():
    from hdp import spark

    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'"pyspark[connect]=={spark.SPARK_VERSION}"' in pyproject
    base = _from("spark-job/Dockerfile")
    assert re.fullmatch(
        rf"apache/spark:{re.escape(spark.SPARK_VERSION)}-scala2\.13-java17-python3-ubuntu", base
    ), base
    values = yaml.safe_load((chart.CHART / "values.yaml").read_text())
    assert values["sparkVersion"] == spark.SPARK_VERSION
    assert f'"delta-spark=={spark.DELTA_VERSION}"' in (IMAGES / "spark-job" / "Dockerfile").read_text()


def test_job_image_leaves_the_simulator_out():
    text = (IMAGES / "spark-job" / "Dockerfile").read_text()
    assert 'pip install --no-cache-dir ".[redshift]"' in text, "the project without the sim extra"
    assert "find_spec('faker') is None" in text, "the build proves Faker is absent"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"] + project["optional-dependencies"]["redshift"]).lower()
    assert "faker" not in runtime and "faker" in " ".join(project["optional-dependencies"]["sim"]).lower()


def test_airflow_versions_agree():
    release = yaml.safe_load((chart.RELEASES / "airflow.values.yaml").read_text())
    version = release["airflowVersion"]
    assert re.fullmatch(r"3\.3\.\d+", version)
    assert _from("airflow/Dockerfile") == f"apache/airflow:{version}-python3.11"
    text = (IMAGES / "airflow" / "Dockerfile").read_text()
    assert re.search(r'"apache-airflow-providers-cncf-kubernetes==10\.25\.\d+"', text)
    assert '"apache-airflow==${AIRFLOW_VERSION}"' in text, "Airflow pinned in the same pip install"
    assert "COPY --chown=airflow:0 dags/ /opt/airflow/dags/" in text
    assert release["executor"] in ("LocalExecutor", "KubernetesExecutor", "CeleryExecutor")


def test_operator_release_values():
    operator = yaml.safe_load((chart.RELEASES / "spark-operator.values.yaml").read_text())
    values = yaml.safe_load((chart.CHART / "values.yaml").read_text())
    assert operator["spark"]["jobNamespaces"] == [values["namespaces"]["spark"]]
    assert operator["webhook"]["enable"] is True and operator["webhook"]["failurePolicy"] == "Fail"
    assert operator["webhook"]["port"] == values["networkPolicy"]["sparkOperatorWebhook"]["port"]
    assert operator["spark"]["serviceAccount"]["create"] is False, "the chart provides the driver accounts"
    assert operator["spark"]["rbac"]["create"] is False, "the chart provides the driver Role"


@pytest.mark.parametrize("dockerfile", sorted(p.parent.name for p in IMAGES.glob("*/Dockerfile")))
def test_dockerfiles_run_unprivileged(dockerfile):
    text = (IMAGES / dockerfile / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("0", "root"), f"{dockerfile} ends as root"
    assert re.fullmatch(r"\d+", users[-1]), f"{dockerfile}: numeric USER (runAsNonRoot can verify it)"
    assert not re.search(r"^(ENV|ARG)\s+\S*(PASSWORD|SECRET|TOKEN|DSN)", text, re.M | re.I), "no secrets"
    base = _from(f"{dockerfile}/Dockerfile")
    assert ":" in base and not base.endswith(":latest"), base
