"""skaffold.yaml: valid for skaffold itself (the binary built from the Go module proxy parses it offline,
unknown fields refused), building exactly the images the chart and the Airflow release reference, with
their tags passed through values, the operator and Airflow charts pinned, and every port-forward target
rendered by the chart."""

from __future__ import annotations

import re

import pytest
import yaml

from . import chart
from .conftest import ROOT, run

pytestmark = pytest.mark.infra

SKAFFOLD = ROOT / "skaffold.yaml"
DOC = yaml.safe_load(SKAFFOLD.read_text())
PINNED_CHARTS = {"spark-operator": "2.5.2", "airflow": "1.22.0"}


def _sanitized(image: str) -> str:
    return re.sub(r"[/\-.:]", "_", image)


@pytest.mark.parametrize("profile", [None, "eks"])
def test_skaffold_parses_its_own_config(profile, skaffold_bin):
    args = [skaffold_bin, "diagnose", "--yaml-only", "-f", SKAFFOLD]
    if profile:
        args += ["-p", profile]
    res = run(args, cwd=ROOT, env={"HOME": "/tmp", "PATH": "/usr/bin:/bin", "SKAFFOLD_UPDATE_CHECK": "false"})
    assert res.returncode == 0, res.output
    effective = yaml.safe_load(res.stdout)
    assert effective["apiVersion"] == "skaffold/v4beta14"
    if profile == "eks":
        assert effective["build"]["local"]["push"] is True
        hdp = [r for r in effective["deploy"]["helm"]["releases"] if r["name"] == "hdp"][0]
        assert [p.rsplit("/", 1)[-1] for p in hdp["valuesFiles"]] == ["values-eks.yaml", "helm-values.json"]
        assert "portForward" not in effective


def test_skaffold_refuses_a_typo(skaffold_bin, tmp_path):
    """The check above is not vacuous: a misspelt field fails."""
    bad = tmp_path / "skaffold.yaml"
    bad.write_text(
        SKAFFOLD.read_text().replace("valuesFiles: [helm/hdp/values-local.yaml]", "valueFiles: [x]")
    )
    res = run(
        [skaffold_bin, "diagnose", "--yaml-only", "-f", bad],
        cwd=ROOT,
        env={"HOME": "/tmp", "PATH": "/usr/bin:/bin"},
    )
    assert res.returncode != 0 and "valueFiles" in res.output, res.output


def test_artifacts_are_the_images_referenced():
    artifacts = {a["image"]: a for a in DOC["build"]["artifacts"]}
    for image, a in artifacts.items():
        dockerfile = ROOT / a["docker"]["dockerfile"]
        assert dockerfile.is_file(), dockerfile
        # the images workflow names images/<dir> as hdp-<dir>: the same names here
        assert image == f"hdp-{dockerfile.parent.name}", image
    values = chart.values_of("local")
    airflow = yaml.safe_load((chart.RELEASES / "airflow.values.yaml").read_text())
    referenced = {
        values["image"]["repository"],
        values["local"]["sim"]["image"]["repository"],
        airflow["images"]["airflow"]["repository"],
        airflow["defaultAirflowRepository"],
    }
    assert referenced == set(artifacts)
    assert {p.parent.name for p in (ROOT / "images").glob("*/Dockerfile")} == {
        a["docker"]["dockerfile"].split("/")[1] for a in artifacts.values()
    }


def test_tags_flow_through_values():
    """skaffold never rewrites an image inside a SparkApplication or a ConfigMap: the job image (which the
    DAGs read from a ConfigMap) and every other image come in through setValueTemplates."""
    releases = {r["name"]: r for r in DOC["deploy"]["helm"]["releases"]}
    artifacts = {_sanitized(a["image"]) for a in DOC["build"]["artifacts"]}
    expected = {
        "hdp": {"image.repository": "hdp-spark-job", "image.tag": "hdp-spark-job",
                "local.sim.image.repository": "hdp-sim", "local.sim.image.tag": "hdp-sim"},
        "airflow": {"images.airflow.repository": "hdp-airflow", "images.airflow.tag": "hdp-airflow"},
    }  # fmt: skip
    for release, keys in expected.items():
        templates = releases[release]["setValueTemplates"]
        assert set(templates) == set(keys), release
        for key, image in keys.items():
            kind = "TAG" if key.endswith("tag") else "REPO"
            assert templates[key] == f"{{{{.IMAGE_{kind}_{_sanitized(image)}}}}}", key
            assert _sanitized(image) in artifacts


def test_releases_pinned_and_ordered():
    releases = DOC["deploy"]["helm"]["releases"]
    assert [r["name"] for r in releases] == ["spark-operator", "hdp", "airflow"], (
        "the operator (CRDs, webhook) first, then our chart (Airflow's accounts, secrets, DAG config), then Airflow"
    )
    for r in releases:
        if r["name"] in PINNED_CHARTS:
            assert r["version"] == PINNED_CHARTS[r["name"]], r["name"]
            assert r["repo"].startswith("https://")
        else:
            assert r["chartPath"] == "helm/hdp"
        for f in r["valuesFiles"]:
            assert (ROOT / f).is_file(), f
        assert r["namespace"] in {"spark-operator", "hdp", "airflow"}
    hdp = releases[1]
    assert hdp["valuesFiles"] == ["helm/hdp/values-local.yaml"]


def test_port_forwards_reach_rendered_services(rendered):
    forwards = {(p["namespace"], p["resourceName"]): p["port"] for p in DOC["portForward"]}
    assert set(forwards) == {
        ("airflow", "airflow-api-server"),
        ("hdp", "hdp-history-server"),
        ("hdp", "hdp-object-store"),
    }
    services = {
        (s["metadata"]["namespace"], s["metadata"]["name"]): {p["port"] for p in s["spec"]["ports"]}
        for s in chart.find(rendered["local"]["docs"], "Service")
    }
    for key, port in forwards.items():
        if key[0] == "hdp":
            assert port in services[key], f"{key} has no port {port}"


def test_before_hooks_exist():
    for hook in DOC["deploy"]["helm"]["hooks"]["before"]:
        for arg in hook["host"]["command"]:
            if arg.startswith("k8s/"):
                assert (ROOT / arg).is_file(), arg
