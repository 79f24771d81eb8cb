"""The hourly DAG end to end in local mode: `dag.test()` of the run for 02:00-03:00 against a real local stack
(PostgreSQL source and warehouse, the pharmacy API, lab CSV drops; tests/dags/local_stack.py builds it from
the project's own code), each stage the `hdp` CLI with local Spark. Then the warehouse is checked against
values computed here from the source, independently of the pipeline, and a second `dag.test()` of the same
interval must leave every warehouse table as it was.

The run is the lake's first batch, so it also takes the hospital's history as its initial snapshot; the
windowed gold tables cover the day of the batch up to its end (2026-11-20 00:00-03:00)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import psycopg2
import pytest

from tests.dags.conftest import DAGS, ROOT

pytestmark = pytest.mark.e2e
BATCH = "2026-11-20T02"
HOUR = datetime(2026, 11, 20, 2, tzinfo=timezone.utc)
DAY_START = datetime(2026, 11, 20, tzinfo=timezone.utc)
BATCH_END = datetime(2026, 11, 20, 3, tzinfo=timezone.utc)
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
SPARK_STAGES = ("extract", "silver", "gold", "warehouse")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not (ROOT / ".venv" / "bin" / "hdp").exists():
        pytest.fail("the project's virtualenv has no hdp CLI: run `make install` first")
    workdir = tmp_path_factory.mktemp("stack")
    log = (workdir / "stack.log").open("w")
    process = subprocess.Popen(
        [PROJECT_PYTHON, Path(__file__).with_name("local_stack.py"), "--workdir", workdir, "--hour", BATCH],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        cwd=ROOT,
    )
    line = process.stdout.readline()
    if not line:
        process.wait(timeout=60)
        pytest.fail(f"the local stack did not start:\n{(workdir / 'stack.log').read_text()[-3000:]}")
    yield json.loads(line) | {"workdir": workdir}
    process.stdin.close()  # the helper stops the API and PostgreSQL
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.terminate()  # its SIGTERM handler still stops PostgreSQL
        process.wait(timeout=60)
    log.close()


def run_hourly_dag(stack: dict, name: str) -> str:
    """`dag.test()` of the hourly DAG for BATCH (hdp_dags.local_runs, as `make airflow-demo` runs it)."""
    output = stack["workdir"] / f"{name}.log"
    with output.open("w") as out:
        result = subprocess.run(
            [ROOT / ".venv-airflow" / "bin" / "python", "-m", "hdp_dags.local_runs"]
            + ["--env-file", stack["env_file"], "--hdp", ROOT / ".venv" / "bin" / "hdp"]
            + ["--from", BATCH, "--to", BATCH, "--airflow-home", stack["workdir"] / "airflow"]
            + ["--retries", "0"],  # the first failure, at once, rather than after three retry delays
            stdout=out,
            stderr=subprocess.STDOUT,
            env=os.environ | {"PYTHONPATH": str(DAGS), "SPARK_LOCAL_IP": "127.0.0.1"},
            timeout=1800,
            check=False,
        )
    text = output.read_text()
    assert result.returncode == 0, f"dag.test() of {BATCH} failed; the end of its log:\n{text[-6000:]}"
    return text


def query(dsn: str, sql: str, *params) -> list[tuple]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


# The warehouse's own bookkeeping (jobs/hdp/warehouse): per gold table, the Delta version it mirrors. A rerun
# may commit the same gold rows as a new Delta version, so of this table only its rows' tables are compared.
BOOKKEEPING = {"gold.load_state": "gold_table"}


def warehouse_checksums(dsn: str) -> dict[str, tuple[int, str]]:
    """(rows, md5 of the sorted row hashes) of every table of the warehouse."""
    tables = query(
        dsn,
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
    )
    checksums = {}
    for schema, table in tables:
        row = BOOKKEEPING.get(f"{schema}.{table}", "t")
        checksums[f"{schema}.{table}"] = query(
            dsn,
            f"SELECT count(*), md5(coalesce(string_agg(md5({row}::text), ',' ORDER BY md5({row}::text)), '')) "
            f'FROM "{schema}"."{table}" t',
        )[0]
    return checksums


@pytest.fixture(scope="module")
def first_run(stack):
    return {
        "log": run_hourly_dag(stack, "first-run"),
        "checksums": warehouse_checksums(stack["warehouse_dsn"]),
    }


def test_the_run_processes_each_stage_for_the_hour_of_its_data_interval(first_run):
    for stage in SPARK_STAGES:
        assert f"{stage} --batch {BATCH}" in first_run["log"], f"no `hdp {stage} --batch {BATCH}` in the run"
    assert f"batch {BATCH}: success" in first_run["log"]


def test_bronze_holds_exactly_the_batch_of_the_run(stack, first_run):
    bronze = Path(stack["env_file"]).parent / "lake" / "bronze"
    datasets = sorted(p for p in bronze.iterdir() if p.is_dir())
    assert len(datasets) >= 8, datasets
    for dataset in datasets:
        partitions = sorted(str(p.relative_to(dataset)) for p in dataset.glob("ingest_date=*/ingest_hour=*"))
        assert partitions == ["ingest_date=2026-11-20/ingest_hour=02"], (dataset.name, partitions)


def test_dimensions_and_whole_facts_hold_every_source_row(stack, first_run):
    source, warehouse = stack["source_dsn"], stack["warehouse_dsn"]
    for gold, table in (
        ("dim_ward", "ehr.wards"),
        ("dim_patient", "ehr.patients"),
        ("dim_drug", "pharmacy.drugs"),
        ("fact_admission", "ehr.admissions"),
        ("fact_bed_assignment", "ehr.bed_assignments"),
    ):
        (want,) = query(source, f"SELECT count(*) FROM {table}")[0]
        (got,) = query(warehouse, f"SELECT count(*) FROM gold.{gold}")[0]
        assert (gold, got) == (gold, want) and want > 0


def test_the_day_of_the_batch_matches_the_source(stack, first_run):
    source, warehouse = stack["source_dsn"], stack["warehouse_dsn"]
    vitals = "SELECT count(DISTINCT observation_uid) FROM ehr.vital_signs WHERE observed_at >= %s AND observed_at < %s"
    for start in (DAY_START, HOUR):  # the whole day so far, and the hour of the batch alone
        (want,) = query(source, vitals, start, BATCH_END)[0]
        (got,) = query(warehouse, "SELECT count(*) FROM gold.fact_vital_sign WHERE observed_at >= %s", start)[
            0
        ]
        assert got == want > 0, f"vital signs since {start:%H:%M}: warehouse {got}, source {want}"
    (want,) = query(
        source,
        "SELECT count(*) FROM pharmacy.stock_levels WHERE recorded_at >= %s AND recorded_at < %s",
        DAY_START,
        BATCH_END,
    )[0]
    (got,) = query(warehouse, "SELECT count(*) FROM gold.fact_pharmacy_stock")[0]
    assert got == want > 0
    assert query(warehouse, "SELECT count(*) FROM gold.fact_lab_result")[0][0] == labs_collected(
        Path(stack["landing"]), DAY_START, BATCH_END
    )


def test_hourly_occupancy_matches_the_bed_assignments_in_the_source(stack, first_run):
    want = query(
        stack["source_dsn"],
        "SELECT h, b.ward_code, count(a.assignment_id) FROM generate_series(%s::timestamptz, %s, interval '1 hour') h "
        "CROSS JOIN ehr.beds b LEFT JOIN ehr.bed_assignments a ON a.bed_code = b.bed_code "
        "AND a.start_at <= h AND (a.end_at IS NULL OR a.end_at > h) GROUP BY 1, 2 ORDER BY 1, 2",
        DAY_START,
        HOUR,
    )
    got = query(
        stack["warehouse_dsn"],
        "SELECT hour_start, ward_key, occupied_beds FROM gold.kpi_ward_occupancy_hourly ORDER BY 1, 2",
    )
    assert got == want
    assert sum(n for _, _, n in got) > 0


def test_a_second_run_of_the_same_hour_changes_no_warehouse_table(stack, first_run):
    run_hourly_dag(stack, "second-run")
    assert warehouse_checksums(stack["warehouse_dsn"]) == first_run["checksums"]


def labs_collected(landing: Path, start: datetime, end: datetime) -> int:
    """Lab results in the dropped CSV files collected in [start, end), counted by accession number."""
    accessions = set()
    for path in landing.glob("*.csv"):
        with path.open(newline="") as f:
            for row in csv.DictReader(f):
                if start <= datetime.fromisoformat(row["collected_at"]) < end:
                    accessions.add(row["accession_number"])
    assert accessions, f"no lab results collected in [{start}, {end}) in {landing}"
    return len(accessions)
