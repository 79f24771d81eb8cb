"""The kind workflow runs the README's commands, and the Makefile targets they name exist and call the
configuration this repository checks (kind-config.yaml, skaffold.yaml, the e2e script)."""

from __future__ import annotations

import re

import pytest
import yaml

from .conftest import ROOT

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
