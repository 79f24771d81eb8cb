"""The clusters' truth, read from the files that define them, and DAG settings as the Helm chart makes them.

kind-config.yaml labels the kind workers; helm/hdp/values-eks.yaml carries the EKS node selectors and
taint tolerations that Terraform creates (tests/infra checks that contract). The DAG settings must use
exactly those strings."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
IRSA_PROVIDER = "software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider"


def kind_worker_labels() -> list[dict]:
    config = yaml.safe_load((ROOT / "kind-config.yaml").read_text())
    return [node.get("labels", {}) for node in config["nodes"] if node["role"] == "worker"]


def eks_values() -> dict:
    return yaml.safe_load((ROOT / "helm" / "hdp" / "values-eks.yaml").read_text())


def secret_settings() -> list[str]:
    """The HDP_* variables the job treats as secrets: its Settings fields typed `Secret` (jobs/hdp/config.py,
    read as text: the project package is not installed beside Airflow)."""
    text = (ROOT / "jobs" / "hdp" / "config.py").read_text()
    names = re.findall(r"^    (\w+): Secret\b", text, flags=re.MULTILINE)
    assert names, "no Secret fields found in jobs/hdp/config.py: has Settings changed shape?"
    return [f"HDP_{name.upper()}" for name in names]


def eks_platform(defaults: dict, bucket: str = "hdp-prod-spark-logs") -> dict:
    """DAG settings as the chart renders them on EKS: placement, event log and fallback storage from
    values-eks.yaml (with a bucket name where Terraform's output would go), IRSA for s3a."""
    spark = eks_values()["spark"]
    placement = {
        role: {"nodeSelector": spark[role]["nodeSelector"], "tolerations": spark[role].get("tolerations", [])}
        for role in ("driver", "executor")
    }
    return defaults | {
        "mode": "kubernetes",
        "image": {
            "repository": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hdp-spark-job",
            "tag": "0.1.0",
            "pullPolicy": "IfNotPresent",
        },
        "scheduling": placement,
        "eventLogDir": f"s3a://{bucket}/{spark['eventLog']['prefix']}",
        "decommissionFallbackPath": f"s3a://{bucket}/{spark['decommission']['prefix']}",
        "hadoopConf": {"fs.s3a.aws.credentials.provider": IRSA_PROVIDER},
    }
