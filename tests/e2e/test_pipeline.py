"""The whole pipeline on a generated hospital: a backfill, then hours one by one as the schedule runs them.

Checks warehouse KPIs against values computed independently from the generated source data, that injected
defects end in quarantine with their reason, that every row read is accounted for, that re-running batches
changes nothing, and that one backfill of all hours gives exactly the gold of processing them hour by hour."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import psycopg2
import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from hdp import manifest
from hdp.batches import HOUR, BatchRange, batch_id
from hdp.catalog import DATASETS, GOLD_TABLES, PARTITION_COLUMN
from hdp.config import Settings
from hdp.lake import Lake
from hdp.pipeline import run_stages
from hdp.progress import Progress
from hdp.sources import hospital
from hdp.sources.pharmacy_api import Faults, serve_in_thread
from hdp.sources.scenario import ScenarioSpec, generate
from tests.e2e import expected as X

pytestmark = pytest.mark.e2e
SPEC = ScenarioSpec(
    beds=40, days=3, end=datetime(2026, 11, 20, tzinfo=timezone.utc), seed=7, defect_rate=0.02
)
HOURLY_RUNS = 5
TOKEN = "e2e-token"


class Run:
    """One lake (and optionally a warehouse) fed from the shared simulated hospital; `overrides` replace
    settings (e.g. an s3a:// `lake_root`)."""

    def __init__(
        self,
        spark,
        scratch: Path,
        name: str,
        source_dsn: str,
        api_url: str,
        key: str,
        warehouse: str,
        **overrides: object,
    ):
        self.spark, self.lake_dir = spark, scratch / name
        self.settings = Settings(
            lake_root=f"file://{self.lake_dir}",
            source_dsn=source_dsn,
            pharmacy_url=api_url,
            pharmacy_token=TOKEN,
            warehouse_dsn=warehouse,
            pseudonym_key=key,
            spark_master="local[2]",
        ).with_overrides(**overrides)
        self.landing = self.lake_dir / "landing" / "labs"
        self.stages = (
            ("extract", "silver", "gold", "warehouse") if warehouse else ("extract", "silver", "gold")
        )

    def run(self, batches: BatchRange):
        return run_stages(self.spark, self.settings, batches, Progress(quiet=True), self.stages)

    def table(self, layer: str, name: str):
        return Lake(self.spark).read(f"{self.settings.layer(layer)}/{name}")

    def gold(self, table: str):
        return self.table("gold", table).drop(PARTITION_COLUMN)


@pytest.fixture(scope="module")
def world(spark, postgres, scratch, pseudonym_key):
    postgres.create_database("e2e_source")
    postgres.create_database("e2e_warehouse")
    source = postgres.dsn("e2e_source")
    scenario = generate(SPEC)
    server, url = serve_in_thread(source, TOKEN, Faults(throttle_rate=0.05, error_rate=0.03, seed=3))
    hourly = Run(spark, scratch, "lake-hourly", source, url, pseudonym_key, postgres.dsn("e2e_warehouse"))
    backfill_end = SPEC.end - HOURLY_RUNS * HOUR
    first = batch_id(SPEC.start)
    hospital.advance(source, hourly.landing, scenario, backfill_end)
    hourly.run(BatchRange(first, batch_id(backfill_end - HOUR)))
    for i in range(HOURLY_RUNS):
        hour = backfill_end + i * HOUR
        hospital.advance(source, hourly.landing, scenario, hour + HOUR)
        hourly.run(BatchRange.single(batch_id(hour)))
    # the same hours again, as one backfill into a lake of its own
    single = Run(spark, scratch, "lake-backfill", source, url, pseudonym_key, "")
    hospital.advance(source, single.landing, scenario, SPEC.end)
    single.run(BatchRange(first, batch_id(SPEC.end - HOUR)))
    yield {
        "scenario": scenario,
        "hourly": hourly,
        "backfill": single,
        "truth": X.clean_truth(scenario),
        "warehouse": postgres.dsn("e2e_warehouse"),
    }
    server.shutdown()


def query(dsn: str, sql: str) -> pd.DataFrame:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description])


def test_occupancy_matches_the_source(world):
    got = query(
        world["warehouse"], "SELECT ward_key, hour_start, occupied_beds FROM gold.kpi_ward_occupancy_hourly"
    )
    got["hour_start"] = pd.to_datetime(got["hour_start"], utc=True)
    want = X.occupancy(world["truth"], pd.Timestamp(SPEC.start), pd.Timestamp(SPEC.end))
    merged = want.merge(
        got, on=["ward_key", "hour_start"], how="outer", suffixes=("_want", "_got"), indicator=True
    )
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert len(merged) == 72 * want["ward_key"].nunique()
    assert (merged["occupied_beds_want"] == merged["occupied_beds_got"]).all(), merged[
        merged["occupied_beds_want"] != merged["occupied_beds_got"]
    ].head()
    assert merged["occupied_beds_want"].sum() > 0


def test_census_admissions_discharges_and_alos_match_the_source(world):
    got = query(world["warehouse"], "SELECT * FROM gold.kpi_ward_census_daily").set_index(["ward_key", "day"])
    admitted, discharged = X.census(world["truth"], SPEC.start.date(), pd.Timestamp(SPEC.end))
    occupancy = X.occupancy(world["truth"], pd.Timestamp(SPEC.start), pd.Timestamp(SPEC.end))
    midnight = occupancy[occupancy["hour_start"].dt.hour == 0]
    for row in midnight.itertuples():
        assert got.loc[(row.ward_key, row.hour_start.date()), "midnight_census"] == row.occupied_beds
    days = {d for _, d in got.index}
    assert len(days) == SPEC.days
    for (ward, day), n in admitted.items():
        if day in days:
            assert got.loc[(ward, day), "admissions"] == n, (ward, day)
    assert got["admissions"].sum() == sum(n for (_, d), n in admitted.items() if d in days)
    for (ward, day), row in discharged.iterrows():
        if day in days:
            assert got.loc[(ward, day), "discharges"] == row.discharges
            assert got.loc[(ward, day), "alos_days"] == pytest.approx(row.alos_days, rel=1e-9)
    assert got["discharges"].sum() == sum(r.discharges for (_, d), r in discharged.iterrows() if d in days)


def test_news2_daily_matches_an_independent_scoring(world):
    got = (
        query(world["warehouse"], "SELECT * FROM gold.kpi_news2_daily")
        .set_index(["ward_key", "day"])
        .sort_index()
    )
    want = X.news2_daily(world["truth"]).sort_index()
    assert list(got.index) == list(want.index)
    for col in ("observations", "incomplete_sets", "medium_risk", "high_risk", "any_parameter_three"):
        assert (got[col].to_numpy() == want[col].to_numpy()).all(), col
    assert got["mean_news2"].to_numpy() == pytest.approx(want["mean_news2"].to_numpy(), rel=1e-9)
    assert want["high_risk"].sum() > 0 and want["medium_risk"].sum() > 0 and want["incomplete_sets"].sum() > 0


def test_lab_turnaround_matches_the_source(world):
    got = query(world["warehouse"], "SELECT * FROM gold.kpi_lab_turnaround_daily").set_index(
        ["loinc_code", "day"]
    )
    want = X.lab_turnaround(world["truth"], pd.Timestamp(SPEC.end))
    got = got.sort_index()
    want = want.sort_index()
    assert list(got.index) == list(want.index)
    assert (got["results"].to_numpy() == want["results"].to_numpy()).all()
    assert (got["over_target"].to_numpy() == want["over_target"].to_numpy()).all()
    for col in ("median_minutes", "p90_minutes"):
        assert got[col].to_numpy() == pytest.approx(want[col].to_numpy(), rel=1e-9), col


def test_injected_defects_end_in_quarantine_with_their_reason(world, spark):
    run, sc = world["hourly"], world["scenario"]
    defects = sc.defects
    lab_rows = sc.lab_results
    dropped = set(
        lab_rows.loc[
            lab_rows["file_hour"] + pd.Timedelta(hours=1) <= pd.Timestamp(SPEC.end), "accession_number"
        ]
    )
    expected = {
        ("vital_signs", "IMPOSSIBLE_VALUE"): "impossible",
        ("vital_signs", "UNKNOWN_CODE"): "unknown_code",
        ("vital_signs", "UNKNOWN_ADMISSION"): "unknown_admission",
        ("admissions", "DISCHARGE_BEFORE_ADMISSION"): "discharge_before_admission",
        ("bed_assignments", "OVERLAPPING_BED_ASSIGNMENT"): "overlapping",
        ("stock_levels", "NEGATIVE_STOCK"): "negative_stock",
        ("lab_results", "MALFORMED_LINE"): "malformed",
        ("lab_results", "UNKNOWN_CODE"): "unknown_code",
        ("lab_results", "UNKNOWN_UNIT"): "unknown_unit",
    }
    quarantine = {}  # parked (may still resolve) or rejected: held with their reason either way
    for ds in DATASETS:
        df = run.table("quarantine", ds.name)
        if df is not None:
            for r in df.groupBy("reason").count().collect():
                quarantine[(ds.name, r["reason"])] = r["count"]
    for (table, reason), defect in expected.items():
        keys = defects[(defects["table"] == table) & (defects["defect"] == defect)]["key"]
        if table == "lab_results":
            keys = keys[keys.isin(dropped)]
        assert len(keys) > 0, f"the scenario injected no {defect}"
        assert quarantine.get((table, reason), 0) == len(keys), (table, reason)
    assert set(quarantine) == set(expected), set(quarantine) ^ set(expected)


def test_every_row_read_is_accounted_for(world, spark):
    run = world["hourly"]
    docs = manifest.read(
        Lake(spark), run.settings, "silver", BatchRange(batch_id(SPEC.start), batch_id(SPEC.end - HOUR))
    )
    assert docs
    for ds in DATASETS:
        counts = [d["datasets"][ds.name] for d in docs]
        for c in counts:
            manifest.reconcile(ds.name, c)
        bronze = run.table("bronze", ds.name)
        assert sum(c["rows_in"] for c in counts) == bronze.count(), ds.name
        # nothing vanished: every bronze row is held in quarantine, or its key is in silver
        held = run.table("quarantine", ds.name)
        held_ids = held.select("_row_id") if held is not None else spark.createDataFrame([], "_row_id string")
        if ds.name in ("vital_signs", "admissions"):
            key = ds.key[0]
            silver_keys = run.table("silver", ds.name).select(F.col(key).cast("string").alias("__k"))
            lost = bronze.join(held_ids, on="_row_id", how="left_anti").join(
                silver_keys, F.trim(F.col(key)) == F.col("__k"), how="left_anti"
            )
            assert lost.count() == 0, lost.limit(5).collect()
    silver_vitals = run.table("silver", "vital_signs")
    assert silver_vitals.count() == len(world["truth"]["vitals"])
    assert silver_vitals.select("observation_uid").distinct().count() == silver_vitals.count()


def test_gold_and_warehouse_hold_no_direct_identifiers(world):
    patients = world["scenario"].tables["patients"]
    phi_values = (
        set(patients["mrn"]) | set(patients["phone"]) | set(patients["address"]) | set(patients["last_name"])
    )
    phi_columns = {
        "mrn",
        "first_name",
        "last_name",
        "date_of_birth",
        "address",
        "city",
        "zip",
        "phone",
        "patient_id",
        "admission_id",
        "accession_number",
        "observation_uid",
    }
    for table in GOLD_TABLES:
        df = query(world["warehouse"], f"SELECT * FROM gold.{table.name}")
        assert not phi_columns & set(df.columns), table.name
        for col in df.select_dtypes(include="object").columns:
            values = {v for v in df[col].dropna() if isinstance(v, str)}
            assert not values & phi_values, (table.name, col)


def _snapshot(world, spark) -> dict:
    run = world["hourly"]
    snap = {}
    for table in GOLD_TABLES:
        snap[f"warehouse.{table.name}"] = query(world["warehouse"], f"SELECT * FROM gold.{table.name}")
        snap[f"gold.{table.name}"] = run.gold(table.name)
    for ds in DATASETS:
        snap[f"silver.{ds.name}"] = run.table("silver", ds.name)
        qdf = run.table("quarantine", ds.name)
        if qdf is not None:
            snap[f"quarantine.{ds.name}"] = qdf
    return {k: (v.toPandas() if hasattr(v, "toPandas") else v) for k, v in snap.items()}


def _same(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    cols = sorted(a.columns)
    assert sorted(b.columns) == cols, name
    a = a[cols].sort_values(cols, ignore_index=True)
    b = b[cols].sort_values(cols, ignore_index=True)
    pd.testing.assert_frame_equal(a, b, obj=name)


def test_rerunning_batches_changes_nothing(world, spark):
    before = _snapshot(world, spark)
    run = world["hourly"]
    run.run(BatchRange.single(batch_id(SPEC.end - HOUR)))  # the latest hour, again
    run.run(BatchRange.single(batch_id(SPEC.start + 30 * HOUR)))  # an hour from the middle of the backfill
    after = _snapshot(world, spark)
    assert before.keys() == after.keys()
    for name in before:
        _same(before[name], after[name], name)


def test_one_backfill_gives_the_same_gold_as_hour_by_hour(world):
    hourly, single = world["hourly"], world["backfill"]
    for table in GOLD_TABLES:
        a, b = hourly.gold(table.name), single.gold(table.name)
        assert a.count() > 0, table.name
        assertDataFrameEqual(a, b.select(*a.columns), checkRowOrder=False, rtol=1e-12)
