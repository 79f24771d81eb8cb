"""The values files of the two releases installed beside the platform chart (helm/releases/) against the
charts they are for, and what Airflow's containers need to run the DAGs.

Helm silently ignores a value no template reads: a misspelt or moved key in a release's values file is a
setting that never happened. spark-operator 2.5.2 ships no values.schema.json, so every key we set is looked
up in a copy of that chart's own values.yaml (fixtures/upstream/SOURCES.md). Airflow's chart schema of 1.22.0
could not be brought here (fixtures/upstream/SOURCES.md says why); its values are checked for what the DAGs
need instead.
"""

from __future__ import annotations

import ast
import re
import sys

import pytest
import yaml

from . import chart
from .conftest import ROOT

pytestmark = pytest.mark.infra

UPSTREAM = chart.FIXTURES / "upstream"
OPERATOR_VALUES = chart.RELEASES / "spark-operator.values.yaml"
OPERATOR_CHART_VALUES = UPSTREAM / "spark-operator-2.5.2.values.yaml"
AIRFLOW_VALUES = chart.RELEASES / "airflow.values.yaml"
AIRFLOW_EKS_VALUES = chart.RELEASES / "airflow.values-eks.yaml"
AIRFLOW_DOCKERFILE = ROOT / "images" / "airflow" / "Dockerfile"
DAGS_PACKAGE = ROOT / "dags" / "hdp_dags"


def unknown_keys(ours, theirs, path: str = "") -> list[str]:
    """Paths of `ours` that the chart's values do not have, or have with another shape. A map the chart
    leaves empty ({} or null: resources, annotations, nodeSelector) takes any keys."""
    if theirs is None or theirs == {}:
        return []
    if isinstance(ours, dict):
        if not isinstance(theirs, dict):
            return [f"{path} (a map here, {type(theirs).__name__} in the chart)"]
        found = []
        for key, value in ours.items():
            where = f"{path}.{key}" if path else key
            if key not in theirs:
                found.append(f"{where} (not in the chart)")
            else:
                found += unknown_keys(value, theirs[key], where)
        return found
    if isinstance(theirs, dict) or isinstance(ours, list) != isinstance(theirs, list):
        return [f"{path} ({type(ours).__name__} here, {type(theirs).__name__} in the chart)"]
    if isinstance(theirs, bool) and not isinstance(ours, bool):
        return [f"{path} (not a boolean)"]
    return []


def _load(path):
    return yaml.safe_load(path.read_text())


def test_operator_values_are_the_charts_keys():
    assert unknown_keys(_load(OPERATOR_VALUES), _load(OPERATOR_CHART_VALUES)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda v: v["webhook"].update(enabled=True), "webhook.enabled (not in the chart)"),
        (lambda v: v["spark"].update(jobNamespace=["hdp"]), "spark.jobNamespace (not in the chart)"),
        (
            lambda v: v["controller"].update(uiService=True),
            "controller.uiService (bool here, dict in the chart)",
        ),
        (
            lambda v: v["spark"].update(jobNamespaces="hdp"),
            "spark.jobNamespaces (str here, list in the chart)",
        ),
        (lambda v: v["webhook"].update(enable="true"), "webhook.enable (not a boolean)"),
    ],
)
def test_operator_key_check_catches(change, expected):
    """The key check is not vacuous: a misspelt key, a map given as a scalar, a list as a string and a
    quoted boolean are each reported."""
    values = _load(OPERATOR_VALUES)
    change(values)
    found = unknown_keys(values, _load(OPERATOR_CHART_VALUES))
    assert any(f.startswith(expected) or expected in f for f in found), found


def test_operator_chart_copy_is_the_pinned_version():
    """The copy is of the version skaffold and the README install."""
    from .test_skaffold import PINNED_CHARTS

    version = PINNED_CHARTS["spark-operator"]
    assert OPERATOR_CHART_VALUES.name == f"spark-operator-{version}.values.yaml"
    assert (
        f"| {OPERATOR_CHART_VALUES.name} | github.com/kubeflow/spark-operator | v{version} "
        in (UPSTREAM / "SOURCES.md").read_text()
    )
    releases = [
        r
        for r in _load(ROOT / "skaffold.yaml")["deploy"]["helm"]["releases"]
        if r["name"] == "spark-operator"
    ]
    assert [r["version"] for r in releases] == [version]
    assert f"spark-operator/spark-operator --version {version}" in (ROOT / "README.md").read_text()


def _merged_airflow_values(scenario: str) -> dict:
    """The Airflow release's values as helm merges them for a scenario (maps merge, lists are replaced)."""
    values = _load(AIRFLOW_VALUES)
    if scenario == "eks":
        values = chart._merge(values, _load(AIRFLOW_EKS_VALUES))
    return values


def _dags_destination() -> str:
    """Where images/airflow puts the repository's dags/ folder."""
    [dest] = re.findall(r"^COPY\s+(?:--\S+\s+)*dags/\s+(\S+?)/?$", AIRFLOW_DOCKERFILE.read_text(), re.M)
    return dest


def _deadline_callback_module() -> str:
    """The module of the deadline callback the hourly DAG registers (AsyncCallback(<module>.<function>)),
    as the triggerer will import it: a dotted path in the hdp_dags package."""
    tree = ast.parse((DAGS_PACKAGE / "tasks.py").read_text())
    imported = {
        alias.asname or alias.name: f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    [call] = [
        n for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "AsyncCallback"
    ]  # fmt: skip
    target = call.args[0]
    assert isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name), ast.dump(target)
    module = imported[target.value.id]
    defined = ast.parse((ROOT / "dags" / (module.replace(".", "/") + ".py")).read_text())
    assert any(isinstance(n, ast.AsyncFunctionDef) and n.name == target.attr for n in defined.body), (
        f"{module}.{target.attr} is not an async function"
    )
    return module


@pytest.mark.parametrize("scenario", ["local", "eks"])
def test_triggerer_can_import_the_deadline_callback(scenario):
    """The triggerer runs the hourly DAG's deadline callback by its dotted path; outside DAG parsing the
    DAG folder is not on sys.path, so every Airflow container (the chart's `env`, triggerer included) gets
    the folder the image copies dags/ to on PYTHONPATH, in the kind values and in the EKS merge."""
    values = _merged_airflow_values(scenario)
    env = {e["name"]: e["value"] for e in values["env"]}
    assert "PYTHONPATH" in env, f"{scenario}: no PYTHONPATH in the Airflow release's env"
    for component in ("triggerer", "scheduler"):
        assert "env" not in values.get(component, {}), f"{component}.env would need PYTHONPATH too"
    dest = _dags_destination()
    assert dest in env["PYTHONPATH"].split(":"), f"{env['PYTHONPATH']} lacks {dest}"
    package = _deadline_callback_module().split(".")[0]
    assert (ROOT / "dags" / package / "__init__.py").is_file(), f"dags/{package} is not a package"


def test_deadline_callback_lookup_is_not_vacuous(tmp_path, monkeypatch):
    """Without PYTHONPATH in the values the check above fails."""
    values = _load(AIRFLOW_VALUES)
    values["env"] = [e for e in values["env"] if e["name"] != "PYTHONPATH"]
    broken = tmp_path / "airflow.values.yaml"
    broken.write_text(yaml.safe_dump(values))
    monkeypatch.setattr(sys.modules[__name__], "AIRFLOW_VALUES", broken)
    with pytest.raises(AssertionError, match="no PYTHONPATH"):
        test_triggerer_can_import_the_deadline_callback("local")
