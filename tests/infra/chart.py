"""Rendering the platform chart once per values scenario, and finding things in what it renders.

A scenario is a list of values files, in the order a user passes them: `local` is kind's values, `eks` is
values-eks.yaml plus a stand-in for `terraform output -json helm_values` (fixtures/), `eks-options` turns
on what is off by default (ingress with TLS, extra settings). Renders are cached per session: helm runs
once per scenario, however many tests look at the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from .conftest import ROOT, TOOLS, run

CHART = ROOT / "helm" / "hdp"
RELEASES = ROOT / "helm" / "releases"
FIXTURES = Path(__file__).with_name("fixtures")
CRDS = ROOT / "tests" / "crds"  # copies of ../shared/crds (tests/crds/SOURCES.md): a clone anywhere has them
HELM = TOOLS / "bin" / "helm"
K8S_SCHEMAS = TOOLS / "k8s-schemas"
# The Kubernetes versions the manifests are validated for (EKS's supported range, kind's node 1.34).
K8S_VERSIONS = ("1.33.0", "1.34.0", "1.35.0", "1.36.0")

SCENARIOS: dict[str, list[Path]] = {
    "local": [CHART / "values-local.yaml"],
    "eks": [CHART / "values-eks.yaml", FIXTURES / "terraform-helm-values.json"],
    "eks-options": [
        CHART / "values-eks.yaml",
        FIXTURES / "terraform-helm-values.json",
        FIXTURES / "values-eks-options.yaml",
    ],
}

# Custom resources the chart renders, validated against CRDs rather than Kubernetes' own schemas.
CUSTOM_KINDS = {"SparkApplication", "ExternalSecret", "PodMonitor", "ServiceMonitor", "PrometheusRule"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "Job", "DaemonSet", "CronJob"}


def helm_template(values: list[Path], *extra: str) -> tuple[int, str, str]:
    args: list[str | Path] = [HELM, "template", "hdp", CHART, "--namespace", "hdp"]
    for v in values:
        args += ["-f", v]
    res = run([*args, *extra], cwd=ROOT)
    return res.returncode, res.stdout, res.stderr


def load_docs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def values_of(name: str) -> dict:
    """The merged values of a scenario (later files win, maps merge), as helm merges them."""
    merged: dict = yaml.safe_load((CHART / "values.yaml").read_text())
    for path in SCENARIOS[name]:
        merged = _merge(merged, yaml.safe_load(path.read_text()))
    return merged


def _merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base.get(k), v) if k in base else v
        return out
    return over


def find(docs: list[dict], kind: str, name: str | None = None) -> list[dict]:
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def one(docs: list[dict], kind: str, name: str) -> dict:
    found = find(docs, kind, name)
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def pod_specs(docs: list[dict]) -> Iterator[tuple[str, dict]]:
    """(where, pod spec) of every workload's pod template."""
    for d in docs:
        if d["kind"] in WORKLOAD_KINDS:
            spec = d["spec"]
            if d["kind"] == "CronJob":
                spec = spec["jobTemplate"]["spec"]
            yield f"{d['kind']}/{d['metadata']['name']}", spec["template"]["spec"]


def containers(pod: dict) -> Iterator[dict]:
    yield from pod.get("initContainers", []) or []
    yield from pod["containers"]


def spark_pods(docs: list[dict]) -> Iterator[tuple[str, dict]]:
    """(where, driver or executor) of every SparkApplication: its block with the pod template's placement,
    security contexts and settings lifted beside the sizing, as the pod ends up with them."""
    for d in find(docs, "SparkApplication"):
        for role in ("driver", "executor"):
            block = dict(d["spec"][role])
            pod = block.get("template", {}).get("spec", {})
            [container] = pod.get("containers", [{}])
            block.update(
                nodeSelector=pod.get("nodeSelector", block.get("nodeSelector")),
                tolerations=pod.get("tolerations", block.get("tolerations", [])),
                podSecurityContext=pod.get("securityContext", block.get("podSecurityContext", {})),
                securityContext=container.get("securityContext", block.get("securityContext", {})),
                envFrom=container.get("envFrom", block.get("envFrom", [])),
            )
            yield f"SparkApplication/{d['metadata']['name']}.{role}", block


def pod_templates(docs: list[dict]) -> Iterator[dict]:
    """The SparkApplications' pod templates as v1 PodTemplate objects (the CRD does not describe them:
    `x-kubernetes-preserve-unknown-fields`), so Kubernetes' own schema can check them."""
    for d in find(docs, "SparkApplication"):
        for role in ("driver", "executor"):
            if "template" in d["spec"][role]:
                yield {
                    "apiVersion": "v1",
                    "kind": "PodTemplate",
                    "metadata": {
                        "name": f"{d['metadata']['name']}-{role}",
                        "namespace": d["metadata"]["namespace"],
                    },
                    "template": d["spec"][role]["template"],
                }


def images(docs: list[dict]) -> Iterator[tuple[str, str]]:
    for where, pod in pod_specs(docs):
        for c in containers(pod):
            yield f"{where}:{c['name']}", c["image"]
    for d in find(docs, "SparkApplication"):
        yield f"SparkApplication/{d['metadata']['name']}", d["spec"]["image"]
        for role in ("driver", "executor"):
            if "image" in d["spec"][role]:
                yield f"SparkApplication/{d['metadata']['name']}.{role}", d["spec"][role]["image"]


def platform_config(docs: list[dict]) -> dict:
    """The DAGs' configuration (platform.yaml of ConfigMap hdp-dag-config), parsed as the DAG parses it."""
    cm = one(docs, "ConfigMap", "hdp-dag-config")
    return yaml.safe_load(cm["data"]["platform.yaml"])


def spark_defaults(docs: list[dict]) -> dict[str, str]:
    """The history server's spark-defaults.conf as a dict."""
    text = one(docs, "ConfigMap", "hdp-history-server")["data"]["spark-defaults.conf"]
    return dict(re.split(r"\s+", line.strip(), maxsplit=1) for line in text.splitlines() if line.strip())
