"""The `helm_values` output has exactly the keys of helm/hdp/values-eks.yaml.

It is built once in terraform/modules/platform/outputs.tf; every environment re-exports it unchanged.
"""

from __future__ import annotations

import pytest

from .conftest import ENVS, ROOT, TERRAFORM_DIR, parse_hcl

pytestmark = pytest.mark.infra

VALUES_EKS = ROOT / "helm" / "hdp" / "values-eks.yaml"


def _shape(value, path="$"):
    """Nested keys of a value: dicts by key, lists element-wise, leaves as None."""
    if isinstance(value, dict):
        return {k: _shape(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return None


def _literal_leaves(value, path=()):
    """(path, value) of the leaves of the HCL expression that are literals (not ${...} references)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _literal_leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _literal_leaves(v, (*path, i))
    elif not (isinstance(value, str) and "${" in value):
        yield path, value


def _get(doc, path):
    for part in path:
        doc = doc[part]
    return doc


@pytest.fixture(scope="module")
def values_eks():
    import yaml

    return yaml.safe_load(VALUES_EKS.read_text())


PLATFORM_OUTPUTS = TERRAFORM_DIR / "modules" / "platform" / "outputs.tf"


def _helm_values(tools_python, outputs_tf):
    outputs = parse_hcl(tools_python, outputs_tf)["output"]
    [block] = [o["helm_values"] for o in outputs if "helm_values" in o]
    value = block["value"]
    return value[0] if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict) else value


@pytest.mark.parametrize("env", ENVS)
def test_envs_reexport_platform_helm_values(env, tools_python):
    """`terraform -chdir=terraform/envs/<env> output -json helm_values` is the platform module's output."""
    tf = _helm_values(tools_python, TERRAFORM_DIR / "envs" / env / "outputs.tf")
    assert tf in ("${module.platform.helm_values}", ["${module.platform.helm_values}"]), (
        f"terraform/envs/{env} must re-export module.platform.helm_values"
    )


def test_keys_match(tools_python, values_eks):
    tf = _helm_values(tools_python, PLATFORM_OUTPUTS)
    assert _shape(tf) == _shape(values_eks), (
        "terraform/modules/platform output helm_values and helm/hdp/values-eks.yaml differ in keys"
    )


def test_fixed_values_agree(tools_python, values_eks):
    """Where Terraform writes a literal (node selectors, tolerations, dialect), the YAML says the same."""
    tf = _helm_values(tools_python, PLATFORM_OUTPUTS)
    for path, value in _literal_leaves(tf):
        where = ".".join(map(str, path))
        assert _get(values_eks, path) == value, (
            f"{where}: terraform {value!r} != values-eks.yaml {_get(values_eks, path)!r}"
        )
