"""The benchmark runner (`make bench`) on its tiny scenario, as a user runs it: the results JSON and Markdown are
written, every stage is measured, and the DuckDB reference's KPIs agree cell by cell with the warehouse the
pipeline loaded; a value changed in the warehouse afterwards is reported as a difference. No time is
asserted: benchmarks report figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from benchmarks.crosscheck import agrees, compare
from benchmarks.duckdb_reference import CHECKED
from hdp.sources.local_postgres import LocalPostgres, free_port

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
STAGES = ("extract", "silver", "gold", "warehouse")


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    results = tmp_path_factory.mktemp("bench-results")
    work = tmp_path_factory.mktemp("bench-work")
    work.chmod(0o755)  # PostgreSQL runs as an unprivileged user when we are root
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "tiny", "--results", str(results), "--quiet"]
        + ["--workdir", str(work), "--keep"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,  # a guard against a hang only: a few minutes on an idle 2-core machine
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
    )
    assert out.returncode == 0, out.stderr[-4000:] + out.stdout[-2000:]
    files = sorted(results.glob("*-tiny.json"))
    assert len(files) == 1, list(results.iterdir())
    return {
        "result": json.loads(files[0].read_text()),
        "folder": results,
        "stdout": out.stdout,
        "pg_root": work / "tiny" / "pg",
    }


@pytest.fixture(scope="module")
def warehouse(bench):
    """The benchmark's warehouse, started again from the data the run kept."""
    pg = LocalPostgres(bench["pg_root"], free_port())
    pg.start()
    yield pg.dsn("warehouse")
    pg.stop()


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
    assert [run["batches"] for run in r["runs"]] == ["2026-11-26T00..2026-11-26T22", "2026-11-26T23"]
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


def test_plain_copy_reads_the_rows_the_extraction_read(bench):
    """The COPY baseline runs the extraction's own query: same EHR rows as the extract stage took."""
    backfill = bench["result"]["runs"][0]
    for table, copied in backfill["plain_copy_out"]["tables"].items():
        assert copied["rows"] == backfill["datasets"]["extract"][table], table


def test_duckdb_reference_agrees_with_the_pipelines_warehouse(bench):
    ref = bench["result"]["reference"]
    check = ref["kpi_check"]
    assert set(check) == {t.name for t in CHECKED}
    for table, c in check.items():
        assert c["rows_matched"] > 0, table
        assert (c["only_pipeline"], c["only_reference"], c["differing"]) == (0, 0, 0), (table, c["examples"])
    assert ref["kpis_agree"]
    assert ref["steps"]["extract"]["rows"] > 0 and ref["peak_rss_mib"] > 0


def test_the_cross_check_reports_a_changed_value_and_a_missing_row(warehouse):
    assert agrees(compare(warehouse, "gold", "reference")), "the kept warehouse agrees before the change"
    with psycopg2.connect(warehouse) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ward_key, day, mean_news2 FROM gold.kpi_news2_daily WHERE mean_news2 IS NOT NULL "
            "ORDER BY ward_key, day LIMIT 1"
        )
        ward, day, mean = cur.fetchone()
        cur.execute(
            "UPDATE gold.kpi_news2_daily SET mean_news2 = mean_news2 + 0.001 WHERE ward_key = %s AND day = %s",
            (ward, day),
        )
        cur.execute(
            "DELETE FROM reference.kpi_ward_census_daily WHERE (ward_key, day) = "
            "(SELECT ward_key, day FROM reference.kpi_ward_census_daily ORDER BY ward_key, day LIMIT 1) "
            "RETURNING ward_key, day"
        )
        deleted = cur.fetchone()
    conn.close()
    check = compare(warehouse, "gold", "reference")
    assert not agrees(check)
    news2 = check["kpi_news2_daily"]
    assert (news2["differing"], news2["differing_cells"], news2["only_pipeline"]) == (1, 1, 0)
    [cell] = news2["examples"]["cells"]
    assert cell["key"] == {"ward_key": ward, "day": str(day)} and cell["column"] == "mean_news2"
    assert cell["pipeline"] == pytest.approx(mean + 0.001) and cell["reference"] == pytest.approx(mean)
    census = check["kpi_ward_census_daily"]
    assert (census["only_pipeline"], census["only_reference"], census["differing"]) == (1, 0, 0)
    assert census["examples"]["only_pipeline"] == [{"ward_key": deleted[0], "day": str(deleted[1])}]
    untouched = set(check) - {"kpi_news2_daily", "kpi_ward_census_daily"}
    assert agrees({t: check[t] for t in untouched})


def test_markdown_report_shows_the_run(bench):
    text = (bench["folder"] / "README.md").read_text()
    assert "| tiny |" in text
    assert "Hourly runs" in text and "plain COPY" in text
    assert "tiny: backfill" in bench["stdout"]
