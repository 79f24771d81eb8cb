"""The contract with the Airflow DAGs (dags/, built separately): ConfigMap hdp-dag-config/platform.yaml,
mounted by the Airflow release at /opt/airflow/config/hdp/platform.yaml (env HDP_DAG_CONFIG). Its content
comes from the chart's values and must name things that exist in the same render: the namespace the
operator watches, service accounts, the settings ConfigMap, the secret, the history server's directory."""

from __future__ import annotations

import re

import pytest
import yaml

from . import chart
from .conftest import ROOT

pytestmark = pytest.mark.infra

CONTRACT_KEYS = {
    "mode", "namespace", "kubernetesConnId", "image", "sparkVersion", "serviceAccounts", "settings",
    "scheduling", "resources", "eventLogDir", "decommissionFallbackPath", "metricsNamespace",
    "timeToLiveSeconds", "startupTimeoutSeconds",
}  # fmt: skip
# What the DAGs' own schema (dags/hdp_dags/platform.schema.json) adds: the s3a settings Spark needs before
# the job configures the lake, the first scheduled hour, and the local-mode keys it requires in every mode.
ADDITIONS = {"hadoopConf", "startDate", "hdpExecutable", "envFile"}
DAG_SCHEMA = ROOT / "dags" / "hdp_dags" / "platform.schema.json"
MOUNT = "/opt/airflow/config/hdp"


@pytest.mark.parametrize("scenario", sorted(chart.SCENARIOS))
def test_platform_config_shape(scenario, rendered):
    docs = rendered[scenario]["docs"]
    values = chart.values_of(scenario)
    cm = chart.one(docs, "ConfigMap", values["airflow"]["dagConfigMapName"])
    assert cm["metadata"]["name"] == "hdp-dag-config"
    assert cm["metadata"]["namespace"] == values["namespaces"]["airflow"]
    p = chart.platform_config(docs)
    assert set(p) == CONTRACT_KEYS | ADDITIONS
    assert p["mode"] == "kubernetes"
    assert p["kubernetesConnId"] == "kubernetes_default"
    assert set(p["image"]) == {"repository", "tag", "pullPolicy"}
    assert all(isinstance(v, str) and v for v in p["image"].values())
    assert p["image"]["tag"] != "latest" and p["image"]["pullPolicy"] == "IfNotPresent"
    assert isinstance(p["sparkVersion"], str) and re.fullmatch(r"\d+\.\d+\.\d+", p["sparkVersion"])
    assert set(p["serviceAccounts"]) == {"extract", "transform", "load"}
    assert set(p["resources"]["driver"]) == {"cores", "memory", "memoryOverhead"}
    assert set(p["resources"]["executor"]) == {"instances", "cores", "memory", "memoryOverhead"}
    assert p["eventLogDir"].startswith("s3a://") and p["eventLogDir"].endswith("/")
    assert p["decommissionFallbackPath"].startswith("s3a://") and p["decommissionFallbackPath"].endswith("/")
    assert isinstance(p["timeToLiveSeconds"], int) and isinstance(p["startupTimeoutSeconds"], int)
    assert all(isinstance(v, str) for v in p["hadoopConf"].values()), "Hadoop conf values are strings"


@pytest.mark.parametrize("scenario", sorted(chart.SCENARIOS))
def test_platform_config_passes_the_dags_schema(scenario, rendered):
    """The DAGs refuse to parse with a platform.yaml their schema rejects: the render must pass it. (The DAG
    side is built in parallel; until its schema file exists, the shape test above is the contract.)"""
    import json

    import jsonschema

    if not DAG_SCHEMA.is_file():
        return
    schema = json.loads(DAG_SCHEMA.read_text())
    errors = list(
        jsonschema.Draft202012Validator(schema).iter_errors(chart.platform_config(rendered[scenario]["docs"]))
    )
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("scenario", sorted(chart.SCENARIOS))
def test_platform_config_names_what_exists(scenario, rendered):
    docs = rendered[scenario]["docs"]
    p = chart.platform_config(docs)
    operator = yaml.safe_load((chart.RELEASES / "spark-operator.values.yaml").read_text())
    assert p["namespace"] in operator["spark"]["jobNamespaces"], "the operator must watch the Spark namespace"
    sas = {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in chart.find(docs, "ServiceAccount")}
    for role, name in p["serviceAccounts"].items():
        assert (p["namespace"], name) in sas, f"service account of {role} not rendered"
    settings = chart.one(docs, "ConfigMap", p["settings"]["configMap"])
    assert settings["metadata"]["namespace"] == p["namespace"]
    values = chart.values_of(scenario)
    assert p["settings"]["secrets"] == [values["secrets"]["name"]]
    assert p["image"]["repository"] == values["image"]["repository"]
    assert str(values["image"]["tag"]) == p["image"]["tag"]


@pytest.mark.parametrize("scenario", sorted(chart.SCENARIOS))
def test_history_server_reads_where_the_jobs_write(scenario, rendered):
    docs = rendered[scenario]["docs"]
    p = chart.platform_config(docs)
    shs = chart.spark_defaults(docs)
    assert shs["spark.history.fs.logDirectory"] == p["eventLogDir"]
    for app in chart.find(docs, "SparkApplication"):
        assert app["spec"]["sparkConf"]["spark.eventLog.dir"] == p["eventLogDir"]
        assert app["spec"]["sparkConf"]["spark.eventLog.enabled"] == "true"
        assert app["spec"]["hadoopConf"] == p["hadoopConf"]
    # the history server reaches S3 the same way the jobs' event-log writers do
    hadoop = {k.removeprefix("spark.hadoop."): v for k, v in shs.items() if k.startswith("spark.hadoop.")}
    assert hadoop == p["hadoopConf"]


def test_eks_paths_are_terraforms(rendered):
    """On EKS the event-log directory is the bucket and prefix Terraform created and granted."""
    import json

    tf = json.loads((chart.FIXTURES / "terraform-helm-values.json").read_text())
    p = chart.platform_config(rendered["eks"]["docs"])
    assert (
        p["eventLogDir"] == f"s3a://{tf['spark']['eventLog']['bucket']}/{tf['spark']['eventLog']['prefix']}"
    )
    assert p["decommissionFallbackPath"] == (
        f"s3a://{tf['spark']['decommission']['bucket']}/{tf['spark']['decommission']['prefix']}"
    )
    lake = (ROOT / "terraform" / "modules" / "lake" / "main.tf").read_text()
    assert f'event_log_prefix    = "{tf["spark"]["eventLog"]["prefix"]}"' in lake
    assert f'decommission_prefix = "{tf["spark"]["decommission"]["prefix"]}"' in lake
    settings = chart.one(rendered["eks"]["docs"], "ConfigMap", "hdp-settings")["data"]
    buckets = tf["lake"]["buckets"]
    assert settings["HDP_LAKE_CONTROL"] == f"s3a://{buckets['control']}"
    assert settings["HDP_LAKE_QUARANTINE"] == f"s3a://{buckets['silver']}/quarantine", "quarantine is PHI"
    assert settings["HDP_S3_CREDENTIALS"] == "irsa"
    assert p["hadoopConf"]["fs.s3a.aws.credentials.provider"].endswith(
        "WebIdentityTokenFileCredentialsProvider"
    ), "s3a has no web-identity provider in its default chain: IRSA must be explicit"


def test_settings_are_what_the_jobs_read(rendered):
    """Every key of hdp-settings is a setting jobs/hdp/config.py reads (a typo would be ignored there)."""
    from hdp.config import LAYERS, Settings

    known = {f"HDP_{f.upper()}" for f in Settings.__dataclass_fields__ if f != "lake_layers"}
    known |= {f"HDP_LAKE_{layer.upper()}" for layer in LAYERS}
    secret = {"HDP_SOURCE_DSN", "HDP_WAREHOUSE_DSN", "HDP_PHARMACY_TOKEN", "HDP_PSEUDONYM_KEY"}
    for scenario in chart.SCENARIOS:
        data = chart.one(rendered[scenario]["docs"], "ConfigMap", "hdp-settings")["data"]
        assert set(data) <= known, f"{scenario}: unknown settings {set(data) - known}"
        assert not set(data) & secret, f"{scenario}: secret settings in a ConfigMap"
        Settings.from_env(data)  # the jobs accept them


def test_airflow_release_mounts_the_contract():
    values = yaml.safe_load((chart.RELEASES / "airflow.values.yaml").read_text())
    chart_values = chart.values_of("eks")
    [volume] = [v for v in values["volumes"] if v.get("configMap")]
    assert volume["configMap"]["name"] == chart_values["airflow"]["dagConfigMapName"]
    [mount] = [m for m in values["volumeMounts"] if m["name"] == volume["name"]]
    assert mount["mountPath"] == MOUNT and mount.get("readOnly") is True
    env = {e["name"]: e["value"] for e in values["env"]}
    assert env["HDP_DAG_CONFIG"] == f"{MOUNT}/platform.yaml"
    assert chart_values["airflow"]["envConfigMapName"] in values["extraEnvFrom"]
    assert values["data"]["metadataSecretName"] == chart_values["airflow"]["metadataSecret"]["name"]
    assert values["postgresql"]["enabled"] is False, "external metadata database only"
