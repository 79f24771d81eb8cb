"""What every rendered pod and permission must satisfy: the restricted Pod Security Standard, requests and
limits, pinned images, RBAC exactly as wide as the operator's calls, secrets that exist or are external,
IRSA on the right accounts, default-deny networking."""

from __future__ import annotations

import re

import pytest
import yaml

from . import chart
from .conftest import ROOT

pytestmark = pytest.mark.infra

SCENARIOS = sorted(chart.SCENARIOS)


def _pods_and_sparkapps(docs):
    """(where, pod securityContext, [container securityContext...]) for workloads and Spark pods."""
    for where, pod in chart.pod_specs(docs):
        yield (
            where,
            pod.get("securityContext", {}),
            [(c["name"], c.get("securityContext", {})) for c in chart.containers(pod)],
        )
    for where, block in chart.spark_pods(docs):
        yield where, block.get("podSecurityContext", {}), [("spark", block.get("securityContext", {}))]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_restricted_pod_security(scenario, rendered):
    docs = rendered[scenario]["docs"]
    seen = 0
    for where, pod_sc, containers in _pods_and_sparkapps(docs):
        seen += 1
        assert pod_sc.get("runAsNonRoot") is True, f"{where}: pod runAsNonRoot"
        assert isinstance(pod_sc.get("runAsUser"), int) and pod_sc["runAsUser"] > 0, f"{where}: runAsUser"
        assert pod_sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: pod seccomp"
        for name, sc in containers:
            at = f"{where}:{name}"
            assert sc.get("allowPrivilegeEscalation") is False, f"{at}: allowPrivilegeEscalation"
            assert sc.get("privileged", False) is False, f"{at}: privileged"
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], f"{at}: capabilities.drop"
            assert not sc.get("capabilities", {}).get("add"), f"{at}: capabilities.add"
            assert sc.get("readOnlyRootFilesystem") is True, f"{at}: readOnlyRootFilesystem"
            assert sc.get("runAsNonRoot", True) is True, f"{at}: runAsNonRoot"
    assert seen >= 2
    for where, pod in chart.pod_specs(docs):
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            assert not pod.get(flag), f"{where}: {flag}"
        assert not [v for v in pod.get("volumes", []) if "hostPath" in v], f"{where}: hostPath volume"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_container_has_requests_and_limits(scenario, rendered):
    for where, pod in chart.pod_specs(rendered[scenario]["docs"]):
        for c in chart.containers(pod):
            res = c.get("resources", {})
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    assert res.get(section, {}).get(resource), (
                        f"{where}:{c['name']} lacks {section}.{resource}"
                    )
    # Spark pods: the operator derives requests and limits from cores and memory (+ overhead)
    for where, block in chart.spark_pods(rendered[scenario]["docs"]):
        assert block.get("cores") and block.get("memory") and block.get("memoryOverhead"), where


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_images_are_pinned(scenario, rendered):
    found = list(chart.images(rendered[scenario]["docs"]))
    assert found
    for where, image in found:
        name, _, tag = image.rpartition(":")
        assert name and "/" not in tag and tag and tag != "latest", f"{where}: {image} is not pinned"
    platform = chart.platform_config(rendered[scenario]["docs"])
    assert platform["image"]["tag"] not in ("", "latest") and isinstance(platform["image"]["tag"], str)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_workload_mounts_the_default_service_account(scenario, rendered):
    for where, pod in chart.pod_specs(rendered[scenario]["docs"]):
        assert pod.get("serviceAccountName") or pod.get("automountServiceAccountToken") is False, where


# --- RBAC ------------------------------------------------------------------------------------------------

SUBMITTER_RULES = {
    ("sparkoperator.k8s.io", "sparkapplications"): {"create", "get", "list", "watch", "delete", "patch"},
    ("sparkoperator.k8s.io", "sparkapplications/status"): {"get"},
    ("", "pods"): {"get", "list", "watch", "patch"},
    ("", "pods/log"): {"get"},
    ("", "events"): {"list", "watch", "get"},
}
DRIVER_RESOURCES = {"pods", "services", "configmaps", "persistentvolumeclaims"}


def _rules(role):
    out = {}
    for rule in role["rules"]:
        assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
        assert not rule.get("resourceNames") and not rule.get("nonResourceURLs")
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_rbac_is_exactly_what_the_operator_and_drivers_need(scenario, rendered):
    docs = rendered[scenario]["docs"]
    values = chart.values_of(scenario)
    spark_ns, airflow_ns = values["namespaces"]["spark"], values["namespaces"]["airflow"]
    roles = {r["metadata"]["name"]: r for r in chart.find(docs, "Role")}
    assert set(roles) == {"hdp-airflow-spark-submitter", "hdp-spark-driver"}
    assert all(r["metadata"]["namespace"] == spark_ns for r in roles.values())
    assert _rules(roles["hdp-airflow-spark-submitter"]) == SUBMITTER_RULES

    driver = _rules(roles["hdp-spark-driver"])
    assert set(driver) == {("", r) for r in DRIVER_RESOURCES}
    assert all(verbs <= {"create", "get", "list", "watch", "update", "patch", "delete", "deletecollection"}
               for verbs in driver.values())  # fmt: skip

    bindings = {b["metadata"]["name"]: b for b in chart.find(docs, "RoleBinding")}
    assert set(bindings) == set(roles)
    submitters = {(s["namespace"], s["name"]) for s in bindings["hdp-airflow-spark-submitter"]["subjects"]}
    assert submitters == {(airflow_ns, n) for n in values["serviceAccounts"]["airflow"]["names"]}
    drivers = {(s["namespace"], s["name"]) for s in bindings["hdp-spark-driver"]["subjects"]}
    assert drivers == {
        (spark_ns, values["serviceAccounts"][r]["name"]) for r in ("extract", "transform", "load")
    }
    for b in bindings.values():
        assert b["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": b["metadata"]["name"],
        }
        assert all(s["kind"] == "ServiceAccount" for s in b["subjects"])


def test_airflow_release_uses_the_bound_accounts():
    """The accounts bound above are the ones the Airflow release runs as (it must not create its own)."""
    values = yaml.safe_load((chart.RELEASES / "airflow.values.yaml").read_text())
    names = set(chart.values_of("eks")["serviceAccounts"]["airflow"]["names"])
    used = set()
    for component in ("scheduler", "triggerer", "workers"):
        sa = values[component]["serviceAccount"]
        assert sa["create"] is False, component
        used.add(sa["name"])
    assert used == names


@pytest.mark.parametrize("scenario", ["eks", "local"])
def test_irsa_annotations(scenario, rendered):
    values = chart.values_of(scenario)
    sas = {
        (s["metadata"]["namespace"], s["metadata"]["name"]): s
        for s in chart.find(rendered[scenario]["docs"], "ServiceAccount")
    }
    expected = {}
    for role in ("extract", "transform", "load", "historyServer"):
        expected[(values["namespaces"]["spark"], values["serviceAccounts"][role]["name"])] = values[
            "serviceAccounts"
        ][role]["roleArn"]
    for name in values["serviceAccounts"]["airflow"]["names"]:
        expected[(values["namespaces"]["airflow"], name)] = values["serviceAccounts"]["airflow"]["roleArn"]
    assert set(sas) == set(expected)
    for key, arn in expected.items():
        annotations = sas[key]["metadata"].get("annotations") or {}
        if scenario == "eks":
            assert arn.startswith("arn:aws:iam::"), key
            assert annotations.get("eks.amazonaws.com/role-arn") == arn, key
        else:
            assert "eks.amazonaws.com/role-arn" not in annotations, key


def test_irsa_accounts_are_the_ones_terraform_trusts(tools_python):
    """terraform/modules/iam trusts system:serviceaccount:<ns>:<name>: the chart's names and namespaces."""
    from .conftest import TERRAFORM_DIR, parse_hcl

    variables = parse_hcl(tools_python, TERRAFORM_DIR / "modules" / "iam" / "variables.tf")["variable"]
    spec = {k: v for block in variables for k, v in block.items()}

    def default(name):  # python-hcl2 may wrap a value in a one-element list
        value = spec[name]["default"]
        return (
            value[0]
            if isinstance(value, list) and len(value) == 1 and not isinstance(value[0], str)
            else value
        )

    trusted = default("service_accounts")
    values = chart.values_of("eks")
    sa = values["serviceAccounts"]
    assert trusted["extract"] == [sa["extract"]["name"]]
    assert trusted["transform"] == [sa["transform"]["name"]]
    assert trusted["load"] == [sa["load"]["name"]]
    assert trusted["history-server"] == [sa["historyServer"]["name"]]
    assert sorted(trusted["airflow"]) == sorted(sa["airflow"]["names"])
    assert default("namespace") in (values["namespaces"]["spark"], [values["namespaces"]["spark"]])
    assert default("airflow_namespace") in (
        values["namespaces"]["airflow"],
        [values["namespaces"]["airflow"]],
    )


# --- secrets ---------------------------------------------------------------------------------------------


def _secret_refs(docs):
    """(namespace, secret name, key or None) of every Secret a pod or SparkApplication references."""

    def from_container(ns, c):
        for e in c.get("envFrom", []):
            if "secretRef" in e:
                yield ns, e["secretRef"]["name"], None
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                yield ns, ref["name"], ref["key"]

    for d in docs:
        ns = d["metadata"]["namespace"]
        if d["kind"] in chart.WORKLOAD_KINDS:
            pod = d["spec"]["template"]["spec"]
            for c in chart.containers(pod):
                yield from from_container(ns, c)
            for v in pod.get("volumes", []):
                if "secret" in v:
                    yield ns, v["secret"]["secretName"], None
        if d["kind"] == "Ingress":
            for tls in d["spec"].get("tls", []):
                yield ns, tls["secretName"], "tls"
    for app in chart.find(docs, "SparkApplication"):
        for where, block in chart.spark_pods([app]):
            assert block["envFrom"], f"{where} reads no settings"
            yield from from_container(app["metadata"]["namespace"], block)


def _created_by_make_dev() -> dict[tuple[str, str], set[str]]:
    """Secrets (namespace, name) -> keys that k8s/local/create-secrets.sh creates."""
    script = (ROOT / "k8s" / "local" / "create-secrets.sh").read_text()
    out = {}
    for m in re.finditer(r"kubectl create secret generic (\S+) -n \"\$(\w+)\"(.*?)\n\s*echo", script, re.S):
        ns = {"SPARK_NS": "hdp", "AIRFLOW_NS": "airflow"}[m.group(2)]
        out[(ns, m.group(1))] = set(re.findall(r"--from-literal=([A-Z_a-z]+)=", m.group(3)))
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_referenced_secret_exists_or_is_external(scenario, rendered):
    docs = rendered[scenario]["docs"]
    values = chart.values_of(scenario)
    refs = set(_secret_refs(docs))
    assert refs, "the stages read their secret settings from a Secret"
    if values["secrets"]["provider"] == "externalSecret":
        provided = {
            (e["metadata"]["namespace"], e["spec"]["target"]["name"]): {
                i["secretKey"] for i in e["spec"]["data"]
            }
            for e in chart.find(docs, "ExternalSecret")
        }
    else:
        provided = _created_by_make_dev()
    # TLS secrets of an Ingress come from cert-manager or the platform team: declared in values, not here
    for ns, name, key in refs:
        if key == "tls":
            assert name == values["historyServer"]["ingress"]["tlsSecretName"]
            continue
        assert (ns, name) in provided, (
            f"{ns}/{name} is referenced but neither rendered as external nor created by make dev"
        )
        if key:
            assert key in provided[(ns, name)], f"{ns}/{name} has no key {key}"
    # Airflow's metadata secret (used by the Airflow release) is provided the same way
    airflow_ns = values["namespaces"]["airflow"]
    assert (airflow_ns, values["airflow"]["metadataSecret"]["name"]) in provided
    assert "connection" in provided[(airflow_ns, values["airflow"]["metadataSecret"]["name"])]
    # the keys the stages expect are all there
    assert (
        set(values["secrets"]["keys"]) <= provided[(values["namespaces"]["spark"], values["secrets"]["name"])]
    )


SECRETISH = re.compile(r"(password|passwd|secret_?key|token|dsn|private_?key|access_?key)", re.I)


@pytest.mark.parametrize(
    "path",
    sorted({*(chart.CHART.glob("values*.yaml")), *(chart.RELEASES.glob("*.yaml"))}),
    ids=lambda p: p.name,
)
def test_no_literal_secret_in_values_files(path):
    def walk(node, where=""):
        if isinstance(node, dict):
            for k, v in node.items():
                if SECRETISH.search(str(k)) and isinstance(v, str) and v and not k.endswith(("Name", "Ref")):
                    pytest.fail(f"{path.name}: {where}{k} holds a literal secret")
                walk(v, f"{where}{k}.")
        elif isinstance(node, list):
            for v in node:
                walk(v, where)

    walk(yaml.safe_load(path.read_text()))


# --- network -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_default_deny_and_webhook_reachable(scenario, rendered):
    docs = rendered[scenario]["docs"]
    values = chart.values_of(scenario)
    deny = chart.one(docs, "NetworkPolicy", "hdp-default-deny")
    assert deny["metadata"]["namespace"] == values["namespaces"]["spark"]
    assert deny["spec"]["podSelector"] == {} and set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"], "default deny allows no ingress"
    assert all(p["port"] == 53 for rule in deny["spec"]["egress"] for p in rule["ports"]), "only DNS out"

    webhook = chart.one(docs, "NetworkPolicy", "hdp-spark-operator-webhook")
    operator = yaml.safe_load((chart.RELEASES / "spark-operator.values.yaml").read_text())
    assert webhook["metadata"]["namespace"] == values["namespaces"]["sparkOperator"]
    assert [p["port"] for r in webhook["spec"]["ingress"] for p in r["ports"]] == [
        operator["webhook"]["port"]
    ]
    assert webhook["spec"]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "spark-operator",
        "app.kubernetes.io/component": "webhook",
    }


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_pod_is_selected_by_an_allow_policy(scenario, rendered):
    """Under default deny, a pod no allow-policy selects could talk to nothing: each workload and the Spark
    pods are selected by a policy of their own."""
    docs = rendered[scenario]["docs"]
    policies = [p for p in chart.find(docs, "NetworkPolicy") if p["spec"]["podSelector"]]

    def selected(labels):
        for p in policies:
            sel = p["spec"]["podSelector"]
            ok = all(labels.get(k) == v for k, v in sel.get("matchLabels", {}).items())
            for e in sel.get("matchExpressions", []):
                ok = ok and e["operator"] == "In" and labels.get(e["key"]) in e["values"]
            if ok:
                return True
        return False

    for d in docs:
        if d["kind"] in chart.WORKLOAD_KINDS:
            labels = d["spec"]["template"]["metadata"]["labels"]
            assert selected(labels), f"{d['kind']}/{d['metadata']['name']} has no allow policy"
    for role in ("driver", "executor"):
        assert selected({"spark-role": role}), f"Spark {role}s have no allow policy"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pdb_only_protects_replicated_history_server(scenario, rendered):
    docs = rendered[scenario]["docs"]
    deploy = chart.one(docs, "Deployment", "hdp-history-server")
    pdbs = chart.find(docs, "PodDisruptionBudget")
    if deploy["spec"]["replicas"] > 1:
        [pdb] = pdbs
        labels = deploy["spec"]["template"]["metadata"]["labels"]
        assert all(labels.get(k) == v for k, v in pdb["spec"]["selector"]["matchLabels"].items())
        assert pdb["spec"]["minAvailable"] < deploy["spec"]["replicas"]
    else:
        assert not pdbs, "a PDB over one replica blocks every node drain"
