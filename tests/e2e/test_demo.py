"""`hdp demo` (what `make demo` runs) on a small hospital, then `hdp down`, as a newcomer would."""

import psycopg2
import pytest

from hdp.sources.local_postgres import port_busy
from tests.e2e.analyst import check_report, execute_notebooks
from tests.e2e.cli import hdp
from tests.e2e.metrics_check import check_metrics

pytestmark = pytest.mark.e2e


def test_demo_runs_prints_kpis_leaves_a_queryable_warehouse_and_goes_down(scratch):
    workdir = scratch / "demo"
    out = hdp(
        "demo", "--workdir", str(workdir), "--beds", "24", "--days", "2", "--hourly-runs", "2", cwd=scratch
    )
    assert out.returncode == 0, out.stderr[-3000:]
    for title in (
        "Rows per dataset",
        "Stage durations",
        "Ward occupancy at the latest hour",
        "NEWS2 by ward",
        "Lab turnaround",
        "30-day readmissions",
        "postgresql://hdp@127.0.0.1",
    ):
        assert title in out.stdout, title
    assert "hourly run" in out.stdout and "backfill" in out.stdout
    env = dict(
        line.removeprefix("export ").split("=", 1)
        for line in (workdir / "hdp.env").read_text().splitlines()
        if line.startswith("export ")
    )
    assert oct((workdir / "hdp.env").stat().st_mode & 0o777) == "0o600"
    with psycopg2.connect(env["HDP_WAREHOUSE_DSN"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), max(hour_start) FROM gold.kpi_ward_occupancy_hourly")
        rows, latest = cur.fetchone()
    assert rows > 0 and latest is not None
    # the analysts' side of the demo: the KPI report in a browser, the notebook against this warehouse
    check_report(workdir)
    assert execute_notebooks(workdir / "hdp.env")
    check_metrics(workdir, out.stdout)
    port = int(env["HDP_WAREHOUSE_DSN"].rsplit(":", 1)[1].split("/")[0])
    down = hdp("down", "--workdir", str(workdir), cwd=scratch)
    assert down.returncode == 0 and "stopped PostgreSQL" in down.stdout and "pharmacy API" in down.stdout
    assert not port_busy(port)
    again = hdp("down", "--workdir", str(workdir), cwd=scratch)
    assert again.returncode == 0 and "nothing running" in again.stdout
