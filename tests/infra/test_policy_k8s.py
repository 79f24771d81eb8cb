"""Policy checks of the Kubernetes packaging: checkov on the chart (helm on PATH: without it checkov
silently checks nothing), on k8s/ with the rendered EKS manifests, and on the Dockerfiles; hadolint on every
image; yamllint on every YAML file we write. Accepted findings carry their reason next to the skip."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from . import chart
from .conftest import ROOT, TOOLS, run

pytestmark = pytest.mark.infra

SUMMARY = re.compile(r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)")


def _checkov(checkov_bin, *args, env=None):
    res = run([checkov_bin, *args, "--skip-download", "--compact"], cwd=ROOT, env=env)
    summaries = SUMMARY.findall(res.stdout)
    assert summaries, f"checkov printed no summary (scanned nothing):\n{res.output}"
    passed = sum(int(p) for p, _, _ in summaries)
    failed = sum(int(f) for _, f, _ in summaries)
    assert res.returncode == 0 and failed == 0, f"checkov failures:\n{res.output}"
    assert passed > 0, f"checkov scanned nothing:\n{res.output}"
    return res


def test_checkov_helm_chart(checkov_bin, helm_bin):
    env = dict(os.environ, PATH=f"{helm_bin.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    res = _checkov(
        checkov_bin,
        "-d",
        "helm/hdp",
        "--framework",
        "helm",
        "--var-file",
        "helm/hdp/values-local.yaml",
        env=env,
    )
    assert "Deployment.hdp.hdp-history-server" in res.stdout or int(SUMMARY.search(res.stdout).group(1)) > 100


def test_checkov_kubernetes_manifests(checkov_bin, rendered, tmp_path):
    """k8s/ and the EKS render (what production runs) through checkov's Kubernetes checks."""
    shutil.copytree(ROOT / "k8s", tmp_path / "k8s")
    for scenario in ("eks", "eks-options"):
        # one object per file: checkov's kubernetes runner maps findings per file
        for i, doc in enumerate(rendered[scenario]["text"].split("\n---")):
            if doc.strip():
                (tmp_path / f"{scenario}-{i:03d}.yaml").write_text(doc)
    _checkov(checkov_bin, "-d", tmp_path, "--framework", "kubernetes")


def test_checkov_dockerfiles(checkov_bin):
    _checkov(checkov_bin, "-d", "images", "--framework", "dockerfile")


def test_every_image_is_linted(hadolint_bin):
    dockerfiles = sorted((ROOT / "images").glob("*/Dockerfile"))
    assert {p.parent.name for p in dockerfiles} == {"spark-job", "airflow", "sim"}
    res = run([hadolint_bin, *dockerfiles], cwd=ROOT)
    assert res.returncode == 0, res.output


def test_skips_carry_reasons():
    """Every accepted checkov or hadolint finding is suppressed next to its reason."""
    files = [*(ROOT / "images").glob("*/Dockerfile"), *(chart.CHART / "templates").rglob("*")]
    for path in files:
        if not path.is_file():
            continue
        lines = path.read_text().splitlines()
        for n, line in enumerate(lines):
            if "checkov:skip" in line:
                assert re.search(r"#checkov:skip=CKV2?_[A-Z]+_\d+:\S.{10,}", line), f"{path}:{n + 1}"
            if re.search(r"checkov\.io/skip\d+:", line):
                assert re.search(r"checkov\.io/skip\d+: CKV2?_[A-Z0-9]+_\d+=\S.{10,}", line), (
                    f"{path}:{n + 1}"
                )
            if "hadolint ignore=" in line:
                previous = lines[n - 1] if n else ""
                assert previous.lstrip().startswith("#") and len(previous) > 20, (
                    f"{path}:{n + 1} needs a reason above"
                )


def _yaml_files():
    files = [
        ROOT / "skaffold.yaml",
        ROOT / "kind-config.yaml",
        *chart.CHART.glob("values*.yaml"),
        chart.CHART / "Chart.yaml",
        *chart.RELEASES.glob("*.yaml"),
        *(ROOT / "k8s").rglob("*.yaml"),
        *(ROOT / ".github" / "workflows").glob("*.yml"),
        *chart.FIXTURES.glob("*.yaml"),
    ]
    return sorted(set(files))


def test_yamllint(yamllint_bin):
    files = _yaml_files()
    assert len(files) >= 12
    res = run(
        [yamllint_bin, "-s", "-f", "parsable", "-c", ROOT / "tests" / "infra" / "yamllint.yaml", *files],
        cwd=ROOT,
    )
    assert res.returncode == 0, res.output


def test_tools_are_the_installed_ones():
    """The infrastructure tools come from .tools/ (scripts/install-infra-tools.sh), never from PATH."""
    for name in ("helm", "kubeconform", "skaffold", "yamllint", "checkov", "hadolint", "actionlint"):
        assert (TOOLS / "bin" / name).exists(), f".tools/bin/{name} missing: run make tools"
    stamp = (TOOLS / "k8s-schemas" / ".stamp").read_text()
    for version in chart.K8S_VERSIONS:
        assert version in stamp
        assert (chart.K8S_SCHEMAS / f"v{version}-standalone-strict" / "deployment-apps-v1.json").is_file()
