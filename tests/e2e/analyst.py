"""What an analyst gets from a demo: the KPI report rendered in a browser, and the notebook executed
top to bottom against the demo's warehouse and lake (helpers of tests/e2e/test_demo.py)."""

from __future__ import annotations

import os
from pathlib import Path

from hdp.report import CHARTS, PALETTE
from tests.browser import pixels_of, screenshot

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def check_report(workdir: Path) -> Path:
    """The demo's report has every chart with data, and a browser draws them. Returns the screenshot."""
    page = workdir / "kpi-report.html"
    assert page.is_file(), "make demo writes the KPI report"
    text = page.read_text()
    for key, *_ in CHARTS:
        assert f'data-chart="{key}"' in text, f"the demo's warehouse gave no data for chart {key}"
    png = screenshot(page, workdir / "kpi-report.png")
    assert pixels_of(png, PALETTE[0], tolerance=30) > len(CHARTS) * 100
    return png


def execute_notebooks(env_file: Path) -> list[str]:
    """Run every notebook in notebooks/ with nbclient (a fresh kernel each), reading the demo's settings."""
    import nbformat
    from nbclient import NotebookClient

    ran = []
    previous = os.environ.get("HDP_ENV_FILE")
    os.environ["HDP_ENV_FILE"] = str(env_file)  # the kernel inherits the environment
    try:
        for path in sorted(NOTEBOOKS.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            NotebookClient(
                nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
            ).execute()
            errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
            assert not errors, f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
            ran.append(path.name)
    finally:
        if previous is None:
            os.environ.pop("HDP_ENV_FILE", None)
        else:
            os.environ["HDP_ENV_FILE"] = previous
    assert ran, "no notebook in notebooks/"
    return ran
