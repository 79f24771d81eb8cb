"""The platform chart renders, lints and validates: every values scenario, every object, every supported
Kubernetes version (built-in kinds strictly with kubeconform, custom resources against their CRDs)."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from . import chart
from .conftest import ROOT, run

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("scenario", sorted(chart.SCENARIOS))
def test_helm_lint_strict(scenario, helm_bin):
    args = [helm_bin, "lint", "--strict", chart.CHART]
    for v in chart.SCENARIOS[scenario]:
        args += ["-f", v]
    res = run(args, cwd=ROOT)
    assert res.returncode == 0 and "0 chart(s) failed" in res.stdout, res.output


def test_defaults_alone_name_what_is_missing(helm_bin):
    """values.yaml alone is production's shape without the account's buckets: it refuses to render (no
    silently empty lake URI) and says which value is missing."""
    code, _, stderr = chart.helm_template([])
    assert code != 0
    assert "bucket is required" in stderr, stderr


@pytest.mark.parametrize("scenario", sorted(chart.SCENARIOS))
def test_every_kind_is_known(scenario, rendered):
    builtin = {
        "ConfigMap", "Service", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy", "Deployment",
        "StatefulSet", "Job", "PodDisruptionBudget", "Ingress",
    }  # fmt: skip
    kinds = {d["kind"] for d in rendered[scenario]["docs"]}
    assert kinds <= builtin | chart.CUSTOM_KINDS, f"unexpected kinds {kinds - builtin - chart.CUSTOM_KINDS}"
    assert not {"ClusterRole", "ClusterRoleBinding", "Secret", "Namespace"} & kinds


@pytest.mark.parametrize("k8s_version", chart.K8S_VERSIONS)
def test_kubeconform_strict(k8s_version, rendered, kubeconform_bin):
    """Every built-in object of every scenario against Kubernetes' own schema, unknown fields refused."""
    files = [rendered[s]["path"] for s in sorted(rendered)]
    expected = sum(1 for s in rendered.values() for d in s["docs"] if d["kind"] not in chart.CUSTOM_KINDS)
    # the SparkApplications' pod templates too (their CRD leaves them unchecked), as v1 PodTemplates
    templates = [t for s in rendered.values() for t in chart.pod_templates(s["docs"])]
    assert templates, "the smoke test's driver and executor use pod templates"
    files.append(rendered["local"]["path"].with_name("pod-templates.yaml"))
    files[-1].write_text(yaml.safe_dump_all(templates))
    expected += len(templates)
    res = run(
        [
            kubeconform_bin,
            "-strict",
            "-summary",
            "-kubernetes-version",
            k8s_version,
            "-schema-location",
            f"{chart.K8S_SCHEMAS}/{{{{ .NormalizedKubernetesVersion }}}}-standalone{{{{ .StrictSuffix }}}}/"
            "{{ .ResourceKind }}{{ .KindSuffix }}.json",
            "-skip",
            ",".join(sorted(chart.CUSTOM_KINDS)),
            *files,
        ],
        cwd=ROOT,
    )
    assert res.returncode == 0, res.output
    summary = re.search(r"Valid: (\d+), Invalid: (\d+), Errors: (\d+)", res.stdout)
    assert summary, res.output
    valid, invalid, errors = map(int, summary.groups())
    assert (invalid, errors) == (0, 0), res.output
    assert valid == expected, f"kubeconform validated {valid} of {expected} built-in objects:\n{res.output}"


def _strict(schema):
    """A CRD's OpenAPI schema as strict JSON Schema: int-or-string and nullable mapped, and unknown fields
    refused wherever the CRD lists properties (the API server would prune them: a silent typo)."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if out.pop("x-kubernetes-int-or-string", False):
            out.pop("type", None)
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        if out.pop("nullable", False) and "type" in out:
            out["type"] = [out["type"], "null"]
        preserve = out.pop("x-kubernetes-preserve-unknown-fields", False)
        if "properties" in out and "additionalProperties" not in out and not preserve:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def _crd_validator(filename: str, version: str):
    import jsonschema

    crd = yaml.safe_load((chart.CRDS / filename).read_text())
    [v] = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema = _strict(copy.deepcopy(v["schema"]["openAPIV3Schema"]))
    return jsonschema.Draft7Validator(schema)


SPARK_APP = ("sparkoperator.k8s.io_sparkapplications.yaml", "v1beta2")


@pytest.mark.parametrize("scenario", sorted(chart.SCENARIOS))
def test_sparkapplications_match_the_crd(scenario, rendered):
    validator = _crd_validator(*SPARK_APP)
    apps = chart.find(rendered[scenario]["docs"], "SparkApplication")
    assert apps, "the smoke-test SparkApplication is rendered"
    for app in apps:
        assert app["apiVersion"] == "sparkoperator.k8s.io/v1beta2"
        errors = sorted(validator.iter_errors(app), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_crd_validation_catches_a_typo(rendered):
    """The strict CRD check is not vacuous: a misspelt driver field is refused."""
    validator = _crd_validator(*SPARK_APP)
    app = copy.deepcopy(chart.find(rendered["eks"]["docs"], "SparkApplication")[0])
    app["spec"]["driver"]["memoryOverheads"] = app["spec"]["driver"].pop("memoryOverhead")
    assert any("memoryOverheads" in e.message for e in validator.iter_errors(app))


EXTERNAL_SECRET = ("external-secrets.io_externalsecrets.yaml", "v1")


@pytest.mark.parametrize("scenario", ["eks", "eks-options"])
def test_external_secrets_match_the_crd(scenario, rendered):
    """The ExternalSecrets against the external-secrets operator's own CRD (strict), then what the CRD
    cannot say: one per target Secret, each named after its target, each key read from its own property."""
    validator = _crd_validator(*EXTERNAL_SECRET)
    found = chart.find(rendered[scenario]["docs"], "ExternalSecret")
    assert {(e["metadata"]["namespace"], e["metadata"]["name"]) for e in found} == {
        ("hdp", "hdp-secrets"),
        ("airflow", "airflow-metadata"),
    }
    for es in found:
        assert es["apiVersion"] == "external-secrets.io/v1"
        errors = sorted(validator.iter_errors(es), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
        spec = es["spec"]
        assert spec["target"]["name"] == es["metadata"]["name"]
        assert re.fullmatch(r"(\d+(ns|us|µs|ms|s|m|h))+", spec["refreshInterval"]), "a Go duration"
        for item in spec["data"]:
            assert item["remoteRef"]["key"] and item["remoteRef"]["property"] == item["secretKey"]


@pytest.mark.parametrize(
    ("field", "break_it"),
    [
        ("a misspelt field", lambda es: es["spec"].__setitem__("refreshIntervall", "1h")),
        ("an unknown store kind", lambda es: es["spec"]["secretStoreRef"].__setitem__("kind", "VaultStore")),
        ("a bad creation policy", lambda es: es["spec"]["target"].__setitem__("creationPolicy", "Always")),
        ("remoteRef without key", lambda es: es["spec"]["data"][0]["remoteRef"].pop("key")),
    ],
)
def test_external_secret_crd_check_catches(field, break_it, rendered):
    """The strict CRD check is not vacuous: each of these is refused."""
    validator = _crd_validator(*EXTERNAL_SECRET)
    es = copy.deepcopy(chart.find(rendered["eks"]["docs"], "ExternalSecret")[0])
    assert not list(validator.iter_errors(es))
    break_it(es)
    assert list(validator.iter_errors(es)), f"{field} was accepted"


def test_terraform_fixture_is_shaped_like_values_eks():
    """The stand-in for `terraform output -json helm_values` has exactly values-eks.yaml's keys (which
    test_helm_values_contract.py ties to Terraform's output), so the EKS render is Terraform's."""
    import json

    from .test_helm_values_contract import _shape

    fixture = json.loads((chart.FIXTURES / "terraform-helm-values.json").read_text())
    assert _shape(fixture) == _shape(yaml.safe_load((chart.CHART / "values-eks.yaml").read_text()))
