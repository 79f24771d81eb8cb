"""The benchmark runner (`make bench`) on its tiny scenario, as a user runs it: the results JSON and Markdown are
written, every stage is measured, and the DuckDB reference's KPIs agree row by row with the warehouse the
pipeline loaded. No time is asserted: benchmarks report figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "duckdb", reason="the DuckDB reference needs `pip install -e '.[bench]'` (make bench does)"
)

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
STAGES = ("extract", "silver", "gold", "warehouse")


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    results = tmp_path_factory.mktemp("bench-results")
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "tiny", "--results", str(results), "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=2700,  # a guard only: ~18 min at load 15 on 2 cores; no time is asserted
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
    )
    assert out.returncode == 0, out.stderr[-4000:] + out.stdout[-2000:]
    files = sorted(results.glob("*-tiny.json"))
    assert len(files) == 1, list(results.iterdir())
    return {"result": json.loads(files[0].read_text()), "folder": results, "stdout": out.stdout}


def test_help_lists_the_scenarios():
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0
    for name in ("hospital", "health-system", "hourly-1d", "hourly-365d"):
        assert name in out.stdout


def test_every_stage_of_every_run_is_measured(bench):
    r = bench["result"]
    assert [run["kind"] for run in r["runs"]] == ["backfill", "hourly"]
    for run in r["runs"]:
        assert run["seconds"] > 0 and run["peak_rss_mib"] > 0
        for stage in STAGES:
            s = run["stages"][stage]
            assert s["seconds"] > 0 and s["steps"], stage
            assert s["peak_rss_mib"] > 100, "the JVM is part of the measured process tree"
        assert run["stages"]["extract"]["files_written"] > 0
    assert r["lake"]["bytes"] > 0 and r["warehouse"]["rows"] > 0
    assert r["runs"][0]["plain_copy_out"]["rows"] > 0 and r["plain_copy_in"]["rows"] > 0
    assert len(r["loadavg_at_start"]) == 3


def test_duckdb_reference_agrees_with_the_pipelines_warehouse(bench):
    ref = bench["result"]["reference"]
    check = ref["kpi_check"]
    assert set(check) == {
        "kpi_ward_occupancy_hourly",
        "kpi_ward_census_daily",
        "kpi_readmission_monthly",
        "kpi_lab_turnaround_daily",
        "kpi_pharmacy_stock_daily",
        "kpi_news2_daily",
    }
    for table, c in check.items():
        assert c["rows_matched"] > 0, table
        assert (c["only_pipeline"], c["only_reference"], c["differing"]) == (0, 0, 0), (table, c["examples"])
    assert ref["kpis_agree"]
    assert ref["steps"]["extract"]["rows"] > 0 and ref["peak_rss_mib"] > 0


def test_markdown_report_shows_the_run(bench):
    text = (bench["folder"] / "README.md").read_text()
    assert "| tiny |" in text
    assert "Hourly runs" in text and "plain COPY" in text
    assert "tiny: backfill" in bench["stdout"]
