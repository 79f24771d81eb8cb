"""Silver -> gold: the de-identified dimensional model and KPIs of DESIGN.md §4.

Cost follows the data: each windowed table is recomputed only for the days the batch range can have
changed (from the silver manifests), reading only those silver partitions, and those days are replaced in
one Delta commit (`replaceWhere`). Small tables (dimensions, stays, readmissions) are replaced whole, also in
one commit: readers never see a table half written or empty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from hdp import extract, manifest
from hdp.batches import HOUR, BatchRange, parse_batch
from hdp.catalog import GOLD_TABLES, IDENTIFIERS, PARTITION_COLUMN
from hdp.config import Settings
from hdp.gold import dimensions as D
from hdp.gold import facts as X
from hdp.gold import kpis as K
from hdp.lake import Lake
from hdp.progress import Progress
from hdp.silver import empty_silver

# Which silver datasets can change a windowed table, and how many days after a change it still matters.
DRIVERS = {
    "fact_vital_sign": ("vital_signs",),
    "kpi_news2_daily": ("vital_signs",),
    "fact_lab_result": ("lab_results",),
    "kpi_lab_turnaround_daily": ("lab_results",),
    "fact_pharmacy_stock": ("stock_levels",),
    "kpi_pharmacy_stock_daily": ("stock_levels",),
    "kpi_ward_occupancy_hourly": ("admissions", "bed_assignments"),
    "kpi_ward_census_daily": ("admissions", "bed_assignments"),
}
LOOKAHEAD_DAYS = {"kpi_pharmacy_stock_daily": K.STOCK_USAGE_DAYS - 1}


@dataclass(frozen=True)
class Window:
    first: date
    last: date

    def filter(self, column: str, lookback_days: int = 0):
        return F.col(column).between(F.lit(self.first - timedelta(days=lookback_days)), F.lit(self.last))


def windows(
    silver_docs: list[dict], batches: BatchRange, history_start: date, horizon: datetime
) -> dict[str, Window]:
    """Per windowed gold table, the days to recompute: the batch range's own days, the days its changed
    rows touch, and the days after them that still depend on them; never before the lake's first batch nor
    after its horizon (the end of the latest extracted batch)."""
    range_first, range_last = batches.start.date(), (batches.end - timedelta(seconds=1)).date()
    last_day = (horizon - timedelta(seconds=1)).date()
    out = {}
    for table, drivers in DRIVERS.items():
        first, last = range_first, range_last
        for doc in silver_docs:
            for name in drivers:
                days = (doc["datasets"].get(name) or {}).get("affected_days")
                if days:
                    first = min(first, date.fromisoformat(days[0]))
                    last = max(
                        last, date.fromisoformat(days[1]) + timedelta(days=LOOKAHEAD_DAYS.get(table, 0))
                    )
        out[table] = Window(max(first, history_start), min(last, last_day))
    return out


def lake_span(lake: Lake, settings: Settings, batches: BatchRange) -> tuple[date, datetime]:
    """(first day of the lake's history, its horizon): from the extract log. Re-running an old batch must
    not cut off the hours extracted after it, so KPIs are computed up to the horizon."""
    extracted = extract.horizon(lake, settings)
    first = parse_batch(extracted[0]).date() if extracted else date.min
    latest = max(batches.last, extracted[1]) if extracted else batches.last
    return first, parse_batch(latest) + HOUR


def build(
    spark: SparkSession, silver, settings: Settings, win: dict[str, Window], as_of: datetime
) -> dict[str, DataFrame]:
    """All gold tables as frames (pure given the silver reader `silver(name, where)`)."""
    secret = settings.pseudonym_key
    patients, admissions = silver("patients"), silver("admissions")
    assignments, wards, beds, drugs = (
        silver("bed_assignments"),
        silver("wards"),
        silver("beds"),
        silver("drugs"),
    )
    dim_ward = D.dim_ward(wards, beds)
    vitals = X.fact_vital_sign(
        silver("vital_signs", win["fact_vital_sign"].filter("observed_date")), patients, secret
    )
    labs = X.fact_lab_result(silver("lab_results", win["fact_lab_result"].filter("collected_date")), secret)
    stock_window = win["kpi_pharmacy_stock_daily"]
    stock_all = X.fact_pharmacy_stock(
        silver("stock_levels", stock_window.filter("recorded_date", K.STOCK_USAGE_DAYS + 1)), drugs
    )
    stock = stock_all.where(win["fact_pharmacy_stock"].filter("day"))
    occ_win = win["kpi_ward_occupancy_hourly"]
    occupancy = K.ward_occupancy_hourly(assignments, dim_ward, occ_win.first, occ_win.last, as_of)
    census_win = win["kpi_ward_census_daily"]
    return {
        "dim_patient": D.dim_patient(patients, secret, as_of),
        "dim_ward": dim_ward,
        "dim_date": D.dim_date(spark),
        "dim_time": D.dim_time(spark),
        "dim_drug": D.dim_drug(drugs),
        "fact_admission": X.fact_admission(admissions, patients, assignments, secret),
        "fact_bed_assignment": X.fact_bed_assignment(assignments, admissions, patients, secret),
        "fact_vital_sign": vitals,
        "fact_lab_result": labs,
        "fact_pharmacy_stock": stock,
        "kpi_ward_occupancy_hourly": occupancy,
        "kpi_ward_census_daily": K.ward_census_daily(
            occupancy, admissions, assignments, dim_ward, census_win.first, census_win.last
        ),
        "kpi_readmission_monthly": K.readmission_monthly(admissions, as_of),
        "kpi_lab_turnaround_daily": K.lab_turnaround_daily(labs),
        "kpi_pharmacy_stock_daily": K.pharmacy_stock_daily(stock_all, stock_window.first, stock_window.last),
        "kpi_news2_daily": K.news2_daily(vitals),
    }


def _same_rows(df: DataFrame, current: DataFrame | None) -> bool:
    if current is None or current.schema != df.schema:
        return False
    return df.exceptAll(current).isEmpty() and current.exceptAll(df).isEmpty()


def refuse_identifiers(table: str, columns: list[str]) -> None:
    """Gold is de-identified: a column named like a registry identifier is a bug, caught before writing."""
    leaked = IDENTIFIERS & set(columns)
    if leaked:
        raise ValueError(
            f"gold.{table} would carry identifiers {sorted(leaked)}: replace them with keys (gold/keys.py)"
        )


def run(
    spark: SparkSession, settings: Settings, batches: BatchRange, progress: Progress, **_
) -> dict[str, dict]:
    settings.require("pseudonym_key")
    lake = Lake(spark)
    manifest.require_committed(lake, settings, "gold", batches)
    first_day, horizon = lake_span(lake, settings, batches)
    win = windows(manifest.read(lake, settings, "silver", batches), batches, first_day, horizon)
    silver_root = settings.layer("silver")

    def silver(name: str, where=None) -> DataFrame:
        """A silver table (partition-pruned by `where`); empty, with its schema, if it has no rows yet."""
        df = lake.read(f"{silver_root}/{name}", where=where, required=True)
        return df if df is not None else empty_silver(spark, name)

    frames = build(spark, silver, settings, win, horizon)
    report = {}
    for table in GOLD_TABLES:
        with progress.step(f"gold {table.name}") as step:
            refuse_identifiers(table.name, frames[table.name].columns)
            df = frames[table.name].localCheckpoint()
            uri = f"{settings.layer('gold')}/{table.name}"
            # a commit only for a change: the table's version then says "unchanged" to the warehouse load
            if table.windowed:
                window = [str(win[table.name].first), str(win[table.name].last)]
                days = f"{PARTITION_COLUMN} >= '{window[0]}' AND {PARTITION_COLUMN} <= '{window[1]}'"
                df = df.withColumn(PARTITION_COLUMN, F.col("day"))
                if not _same_rows(df, lake.read(uri, where=F.expr(days))):
                    lake.replace(df, uri, where=days, partition_by=[PARTITION_COLUMN])
                df = df.drop(PARTITION_COLUMN)
            else:
                window = None
                if not _same_rows(df, lake.read(uri)):
                    lake.replace(df, uri)
            rows = df.count()
            report[table.name] = {"rows": rows, "window": window}
            step.done(f"{rows} rows" + (f" for {window[0]}..{window[1]}" if window else ""))
    return report
