"""README "Deploying on Kubernetes" against what runs it: the kind workflow runs the README's commands, the
Makefile targets they name exist and call the configuration this repository checks (kind-config.yaml,
skaffold.yaml, the e2e script), and the EKS commands install what skaffold's eks profile installs."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from . import chart
from .conftest import ROOT, run

pytestmark = pytest.mark.infra

WORKFLOW = ROOT / ".github" / "workflows" / "kind-e2e.yml"


def _readme_kind_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- kind-commands:.*?-->\s*```bash\n(.*?)```", text, re.S)
    assert m, "README lacks the kind-commands block of 'Deploying on Kubernetes'"
    return [line.split("#")[0].strip() for line in m.group(1).splitlines() if line.split("#")[0].strip()]


def test_workflow_runs_the_readme_commands():
    commands = _readme_kind_commands()
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["e2e"]["steps"]
    runs = [s["run"].strip() for s in steps if "run" in s]
    make_runs = [r for r in runs if r.startswith("make ")]
    assert make_runs[: len(commands)] == commands, f"workflow {make_runs} != README {commands}"
    assert make_runs[-1] == "make kind-down"


def test_make_targets_exist():
    makefile = (ROOT / "Makefile").read_text()
    for command in [*_readme_kind_commands(), "make dev", "make kind-down"]:
        target = command.split()[1]
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"Makefile has no target {target}"
    assert "kind create cluster --config kind-config.yaml" in makefile
    assert "bash k8s/local/e2e-check.sh" in makefile
    assert re.search(r"\$\(SKAFFOLD\) run ", makefile) and re.search(r"\$\(SKAFFOLD\) dev ", makefile)


def test_e2e_script_checks_what_the_issue_asks():
    script = (ROOT / "k8s" / "local" / "e2e-check.sh").read_text()
    assert "helm test hdp" in script and "sparkapplication/hdp-smoke-test" in script
    assert "airflow dags trigger" in script
    assert re.search(r"select count\(\*\) from", script), "warehouse rows are counted"


# --- README "On EKS": the same installs as skaffold's eks profile --------------------------------------


def _readme_block_after(heading: str) -> list[str]:
    """The commands of the first bash block after a README heading, continuation lines joined."""
    text = (ROOT / "README.md").read_text()
    m = re.search(rf"^{re.escape(heading)}\n.*?```bash\n(.*?)```", text, re.S | re.M)
    assert m, f"README has no bash block under {heading!r}"
    joined = m.group(1).replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def _helm_installs(commands: list[str]) -> list[dict]:
    """`helm upgrade --install` commands as skaffold describes a release."""
    repos = {}
    for c in commands:
        if c.startswith("helm repo add "):
            _, _, _, alias, url = shlex.split(c)
            repos[alias] = url
    releases = []
    for c in commands:
        if not c.startswith("helm upgrade --install "):
            continue
        words = shlex.split(c)[3:]
        name, chart_ref, rest = words[0], words[1], words[2:]
        release = {"name": name, "valuesFiles": [], "set": [], "wait": "--wait" in rest}
        if chart_ref.startswith("helm/"):
            release["chartPath"] = chart_ref
        else:
            alias, release["remoteChart"] = chart_ref.split("/")
            release["repo"] = repos[alias]
        options = iter(w for w in rest if w != "--wait")
        for flag in options:
            value = next(options)
            key = {"-n": "namespace", "--version": "version", "-f": "valuesFiles", "--set": "set"}[flag]
            if isinstance(release.get(key), list):
                release[key].append(value)
            else:
                release[key] = value
        release["set"] = sorted(s.split("=", 1)[0] for s in release["set"])
        releases.append(release)
    return releases


def _skaffold_eks_releases(skaffold_bin) -> tuple[dict, list[dict]]:
    res = run(
        [skaffold_bin, "diagnose", "--yaml-only", "-p", "eks", "-f", ROOT / "skaffold.yaml"],
        cwd=ROOT,
        env={"HOME": "/tmp", "PATH": "/usr/bin:/bin", "SKAFFOLD_UPDATE_CHECK": "false"},
    )
    assert res.returncode == 0, res.output
    helm = yaml.safe_load(res.stdout)["deploy"]["helm"]
    releases = []
    for r in helm["releases"]:
        release = {
            k: r[k] for k in ("name", "namespace", "chartPath", "remoteChart", "repo", "version") if k in r
        }
        if "chartPath" in release:
            release["chartPath"] = str(Path(release["chartPath"]).resolve().relative_to(ROOT))
        release["valuesFiles"] = [
            str(Path(ROOT, f).resolve().relative_to(ROOT)) for f in r.get("valuesFiles", [])
        ]
        release["set"] = sorted(r.get("setValueTemplates", {}))
        release["wait"] = bool(r.get("wait"))
        releases.append(release)
    return helm["hooks"], releases


def test_readme_eks_installs_are_skaffolds(skaffold_bin):
    """Step 2 of README "On EKS" installs what `skaffold run -p eks` installs: the same releases in the same
    order, charts, pinned versions, namespaces, values files, `--set` keys and waits."""
    commands = _readme_block_after("### On EKS")
    hooks, releases = _skaffold_eks_releases(skaffold_bin)
    assert _helm_installs(commands) == releases
    hook_commands = [" ".join(h["host"]["command"]) for h in hooks["before"]]
    assert hook_commands == [c for c in commands if c.startswith("kubectl apply")]


def test_readme_eks_parser_sees_a_drift(skaffold_bin):
    """The comparison above is not vacuous: a README with another values file differs."""
    commands = [
        c.replace("airflow.values-eks.yaml", "airflow.values-prod.yaml")
        for c in _readme_block_after("### On EKS")
    ]
    _, releases = _skaffold_eks_releases(skaffold_bin)
    assert _helm_installs(commands) != releases


def test_readme_eks_secrets_are_the_charts():
    """The Secrets Manager entries step 1 creates are the ones the chart's ExternalSecrets read: the same
    names, the same JSON keys, and the ClusterSecretStore the README names."""
    commands = _readme_block_after("### On EKS")
    created = {}
    for c in commands:
        if c.startswith("aws secretsmanager create-secret"):
            words = shlex.split(c)
            created[words[words.index("--name") + 1]] = set(
                json.loads(words[words.index("--secret-string") + 1])
            )
    values = chart.values_of("eks")
    assert created == {
        values["secrets"]["externalSecret"]["remoteKey"]: set(values["secrets"]["keys"]),
        values["airflow"]["metadataSecret"]["remoteKey"]: {"connection"},
    }
    store = values["secrets"]["externalSecret"]["secretStoreRef"]
    assert f"`ClusterSecretStore` named\n`{store['name']}`" in (ROOT / "README.md").read_text()
    assert store["kind"] == "ClusterSecretStore"


def test_readme_checks_are_the_e2e_scripts():
    """Step 3's checks are those `make kind-test` runs on kind."""
    script = (ROOT / "k8s" / "local" / "e2e-check.sh").read_text()
    checks = [c for c in _readme_block_after("### On EKS") if c.startswith(("helm test", "kubectl wait"))]
    assert len(checks) == 2
    assert (
        re.search(r"^helm test hdp -n \"\$SPARK_NS\"", script, re.M) and checks[0] == "helm test hdp -n hdp"
    )
    for fragment in ("sparkapplication/hdp-smoke-test", "=COMPLETED", "--timeout=15m"):
        assert fragment in checks[1] and fragment in script


def test_readme_tool_versions(helm_bin, skaffold_bin):
    """The versions the README names are those the workflow installs and `make tools` builds."""
    readme = (ROOT / "README.md").read_text()
    workflow_env = yaml.safe_load(WORKFLOW.read_text())["env"]
    assert (
        f"v{readme.split('kind](https://kind.sigs.k8s.io) v', 1)[1].split()[0]}"
        == workflow_env["KIND_VERSION"]
    )
    helm = run([helm_bin, "version", "--template", "{{.Version}}"], cwd=ROOT)
    skaffold = run([skaffold_bin, "version"], cwd=ROOT, env={"HOME": "/tmp", "PATH": "/usr/bin:/bin"})
    assert f"helm {helm.stdout.strip()}" in readme, helm.output
    assert f"skaffold {skaffold.stdout.strip()}" in readme, skaffold.output


def test_readme_port_forwards_are_skaffolds():
    """The addresses README's table gives are the ones `skaffold dev` forwards."""
    readme = (ROOT / "README.md").read_text()
    table = set(int(p) for p in re.findall(r"\| http://localhost:(\d+) \|", readme))
    forwards = yaml.safe_load((ROOT / "skaffold.yaml").read_text())["portForward"]
    assert table == {f["localPort"] for f in forwards}


def test_workflow_sets_up_the_go_the_tools_need():
    """kind and `make tools` are built with Go: the workflow installs the version the install script asks
    for rather than whatever the runner image carries."""
    needed = re.search(r"Go >= (\d+\.\d+)", (ROOT / "scripts" / "install-infra-tools.sh").read_text()).group(
        1
    )
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["e2e"]["steps"]
    [go] = [i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/setup-go@")]
    assert workflow["env"]["GO_VERSION"] == needed
    first_go_use = min(
        i for i, s in enumerate(steps) if "go install" in s.get("run", "") or s.get("run") == "make tools"
    )
    assert go < first_go_use
