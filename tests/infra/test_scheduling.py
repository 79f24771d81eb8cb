"""Drivers on on-demand capacity, executors on spot: the node labels and taints that Terraform (EKS node
groups) and kind-config.yaml give the nodes, and the selectors and tolerations of the chart's values, of
values-eks.yaml, of Terraform's helm_values output, of the DAG configuration and of the rendered
SparkApplication are the same strings. A blueprint whose selectors match no node pool fails here."""

from __future__ import annotations

import re

import pytest
import yaml

from . import chart
from .conftest import ROOT, TERRAFORM_DIR, parse_hcl

pytestmark = pytest.mark.infra

EKS_EFFECTS = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}


def _unwrap(value):
    """python-hcl2 wraps blocks and some values in one-element lists, depending on its version."""
    while isinstance(value, list) and len(value) == 1 and isinstance(value[0], (dict, list)):
        value = value[0]
    return value


@pytest.fixture(scope="module")
def terraform_nodes(tools_python) -> dict[str, dict]:
    """node group -> {"labels": {...}, "taints": [k8s-style taints]} from terraform/modules/eks locals."""
    doc = parse_hcl(tools_python, TERRAFORM_DIR / "modules" / "eks" / "main.tf")
    local = {}
    for block in doc["locals"]:
        local.update(block)
    local = {k: _unwrap(v) for k, v in local.items()}

    def resolve(text):
        name = re.sub(r"^\$\{|\}$|^\(|\)$", "", str(text))
        if name.startswith("local."):
            value = local[name.removeprefix("local.")]
            return value[0] if isinstance(value, list) else value
        return text

    groups = {}
    for name, group in _unwrap(local["node_groups"]).items():
        group = _unwrap(group)
        labels = {resolve(k): v for k, v in _unwrap(group["labels"]).items()}
        taints = [
            {"key": resolve(t["key"]), "value": t["value"], "effect": EKS_EFFECTS[t["effect"]]}
            for t in (group["taints"] or [])
        ]
        groups[name] = {"labels": labels, "taints": taints}
    return groups


@pytest.fixture(scope="module")
def kind_nodes() -> dict[str, dict]:
    """kind worker nodes by their hdp.io/role label: labels and taints (from the kubeadm patches)."""
    doc = yaml.safe_load((ROOT / "kind-config.yaml").read_text())
    out = {}
    for node in doc["nodes"]:
        if node["role"] != "worker":
            continue
        taints = []
        for patch in node.get("kubeadmConfigPatches", []):
            taints += yaml.safe_load(patch)["nodeRegistration"].get("taints", [])
        out[node["labels"]["hdp.io/role"]] = {"labels": node["labels"], "taints": taints}
    return out


def _tolerates(tolerations, taint) -> bool:
    for t in tolerations:
        if t.get("effect") not in (None, "", taint["effect"]) or t.get("key") != taint["key"]:
            continue
        if t.get("operator", "Equal") == "Exists" or t.get("value") == taint["value"]:
            return True
    return False


def _schedulable(node, selector, tolerations) -> bool:
    return all(node["labels"].get(k) == v for k, v in selector.items()) and all(
        _tolerates(tolerations, taint)
        for taint in node["taints"]
        if taint["effect"] in ("NoSchedule", "NoExecute")
    )


def _placements():
    """role -> (nodeSelector, tolerations) of every place that states them, by name."""
    values = yaml.safe_load((chart.CHART / "values.yaml").read_text())
    eks = yaml.safe_load((chart.CHART / "values-eks.yaml").read_text())
    out = {}
    for role in ("driver", "executor"):
        out[role] = {
            "values.yaml": (values["spark"][role]["nodeSelector"], values["spark"][role]["tolerations"]),
            "values-eks.yaml": (
                eks["spark"][role]["nodeSelector"],
                eks["spark"][role].get("tolerations", []),
            ),
        }
    return out


@pytest.mark.parametrize("role,group", [("driver", "spark-driver"), ("executor", "spark-executor")])
def test_same_strings_everywhere(role, group, terraform_nodes, kind_nodes, rendered):
    tf, kind = terraform_nodes[group], kind_nodes[group]
    assert tf["labels"] == kind["labels"], (
        f"kind-config.yaml {group} labels differ from terraform/modules/eks"
    )
    assert tf["taints"] == kind["taints"], (
        f"kind-config.yaml {group} taints differ from terraform/modules/eks"
    )
    places = _placements()[role]
    for scenario in chart.SCENARIOS:
        platform = chart.platform_config(rendered[scenario]["docs"])
        places[f"platform.yaml ({scenario})"] = (
            platform["scheduling"][role]["nodeSelector"],
            platform["scheduling"][role]["tolerations"],
        )
        for where, block in chart.spark_pods(rendered[scenario]["docs"]):
            if where.endswith(f".{role}"):
                places[f"{where} ({scenario})"] = (block["nodeSelector"], block["tolerations"])
    for where, (selector, tolerations) in places.items():
        assert selector == tf["labels"], (
            f"{where}: {role} nodeSelector {selector} != node labels {tf['labels']}"
        )
        assert _schedulable(tf, selector, tolerations), f"{where}: {role}s cannot land on {group}"
        assert _schedulable(kind, selector, tolerations), f"{where}: {role}s cannot land on kind's {group}"


def test_drivers_never_on_spot(terraform_nodes, rendered):
    spot = terraform_nodes["spark-executor"]
    assert spot["taints"], "the spot group is tainted"
    for scenario in chart.SCENARIOS:
        platform = chart.platform_config(rendered[scenario]["docs"])
        tolerations = platform["scheduling"]["driver"]["tolerations"]
        assert not any(_tolerates(tolerations, t) for t in spot["taints"]), (
            f"{scenario}: drivers tolerate spot"
        )
        assert platform["scheduling"]["driver"]["nodeSelector"]["hdp.io/capacity"] == "on-demand"
        assert platform["scheduling"]["executor"]["nodeSelector"]["hdp.io/capacity"] == "spot"


def test_terraform_spot_group_is_spot(terraform_nodes, tools_python):
    doc = parse_hcl(tools_python, TERRAFORM_DIR / "modules" / "eks" / "main.tf")
    groups = {}
    for block in doc["locals"]:
        groups.update(_unwrap(block.get("node_groups", {})) or {})
    assert _unwrap(groups["spark-executor"])["capacity_type"] == "SPOT"
    assert _unwrap(groups["spark-driver"])["capacity_type"] == "ON_DEMAND"


def test_kind_nodes_pinned_by_digest():
    doc = yaml.safe_load((ROOT / "kind-config.yaml").read_text())
    images = {n.get("image") for n in doc["nodes"]}
    assert len(images) == 1, "all nodes run the same node image"
    [image] = images
    assert re.fullmatch(r"kindest/node:v1\.\d+\.\d+@sha256:[0-9a-f]{64}", image or ""), image
    version = re.search(r":v(1\.\d+)\.", image).group(1)
    assert any(v.startswith(version + ".") for v in chart.K8S_VERSIONS), "kind's version is validated too"
    roles = sorted(n["role"] for n in doc["nodes"])
    assert roles == ["control-plane", "worker", "worker"]
