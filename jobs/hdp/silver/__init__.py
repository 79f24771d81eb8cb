"""Bronze -> silver: type, standardise, validate, de-duplicate and merge each dataset of the registry into
its current-state silver table; rule violations go to quarantine with a reason code. Per dataset the run
manifest records rows in/out/quarantined/de-duplicated, and the stage fails unless they reconcile."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from hdp import manifest
from hdp.batches import BatchRange
from hdp.catalog import BRONZE_PARTITIONS, DATASETS, Dataset
from hdp.config import Settings
from hdp.extract import bronze_schema
from hdp.lake import Lake
from hdp.progress import Progress
from hdp.silver import ehr, labs, pharmacy
from hdp.silver.rules import REASON

TRANSFORMS = {
    "wards": ehr.wards,
    "beds": ehr.beds,
    "patients": ehr.patients,
    "admissions": ehr.admissions,
    "bed_assignments": ehr.bed_assignments,
    "vital_signs": ehr.vital_signs,
    "drugs": pharmacy.drugs,
    "stock_levels": pharmacy.stock_levels,
    "lab_results": labs.lab_results,
}
# The days a changed row can change in gold: (first day, last day) expressions per dataset.
AFFECTED_DAYS = {
    "admissions": ("admitted_at", "discharged_at"),
    "bed_assignments": ("start_at", "end_at"),
    "vital_signs": ("observed_at", "observed_at"),
    "stock_levels": ("recorded_at", "recorded_at"),
    "lab_results": ("collected_at", "collected_at"),
}
QUARANTINE_COLUMNS = ("dataset", "reason", "_batch_id", "record", *BRONZE_PARTITIONS)


def in_range(batches: BatchRange):
    """Partition filter on bronze/quarantine: only the batch hours of the range are listed and read."""
    batch = F.concat(F.col("ingest_date"), F.lit("T"), F.col("ingest_hour"))
    return (batch >= F.lit(batches.first)) & (batch <= F.lit(batches.last))


def latest(df: DataFrame, ds: Dataset) -> DataFrame:
    """One row per business key: the latest version wins; ties break on batch, then on content, so the
    choice never depends on arrival order or partitioning."""
    data_cols = [c for c in df.columns if not c.startswith("_")]
    order = Window.partitionBy(*ds.key).orderBy(
        F.col(ds.version).desc_nulls_last(), F.col("_batch_id").desc(), F.xxhash64(*data_cols).desc()
    )
    return df.withColumn("__n", F.row_number().over(order)).where(F.col("__n") == 1).drop("__n")


def clean(ds: Dataset, bronze: DataFrame, silver_of) -> DataFrame:
    """Typed rows with `_reject_reason`, from the bronze rows of a range (pure: no I/O)."""
    raw = F.to_json(F.struct(*ds.columns, "_source_ref", "_batch_id"))
    return TRANSFORMS[ds.name](bronze.withColumn("_raw", raw), silver_of)


def run(
    spark: SparkSession,
    settings: Settings,
    batches: BatchRange,
    progress: Progress,
    only: tuple[str, ...] = (),
) -> dict[str, dict]:
    lake = Lake(spark)
    manifest.require_committed(lake, settings, "silver", batches)
    current: dict[str, DataFrame] = {}

    def silver_of(name: str) -> DataFrame:
        if name not in current:
            df = lake.read(f"{settings.layer('silver')}/{name}")
            current[name] = df if df is not None else empty_silver(spark, name)
        return current[name]

    report = {}
    for ds in DATASETS:
        if only and ds.name not in only:
            continue
        with progress.step(f"silver {ds.name}") as step:
            counts, merged = _process(spark, lake, settings, ds, batches, silver_of)
            if merged is not None:
                current[ds.name] = merged
            report[ds.name] = counts
            step.done(
                f"in {counts['rows_in']} · out {counts['rows_out']} · quarantined "
                f"{counts['rows_quarantined']} · de-duplicated {counts['rows_deduplicated']}"
            )
    manifest.commit(lake, settings, "silver", batches, report)
    return report


def _process(spark, lake: Lake, settings: Settings, ds: Dataset, batches: BatchRange, silver_of):
    bronze = lake.read(f"{settings.layer('bronze')}/{ds.name}", bronze_schema(ds), in_range(batches))
    typed = clean(ds, bronze, silver_of).localCheckpoint()
    rows_in = bronze.count()
    rejects = typed.where(F.col(REASON).isNotNull())
    valid = typed.where(F.col(REASON).isNull()).drop(REASON, "_raw")
    n_rejected, n_valid = rejects.count(), valid.count()
    if rows_in != n_rejected + n_valid:
        raise manifest.ReconciliationError(
            f"{ds.name}: {rows_in} bronze rows became {n_valid} valid + {n_rejected} rejected rows: "
            "a silver transform dropped or multiplied rows"
        )
    if n_rejected:
        _write_quarantine(lake, settings, ds, rejects)
    deduped = latest(valid, ds)
    uri = f"{settings.layer('silver')}/{ds.name}"
    merged = None
    if ds.partition_by:
        touched = [r[0] for r in deduped.select(ds.partition_by).distinct().collect()]
        existing = lake.read(uri, where=F.col(ds.partition_by).isin(touched)) if touched else None
        combined = deduped if existing is None else existing.unionByName(deduped.select(*existing.columns))
        result = latest(combined, ds).localCheckpoint()
        if touched:
            lake.overwrite_partitions(result, uri, [ds.partition_by])
    else:
        existing = lake.read(uri)
        combined = deduped if existing is None else existing.unionByName(deduped.select(*existing.columns))
        result = merged = latest(combined, ds).localCheckpoint()
        lake.overwrite(result, uri)
    in_batches = (F.col("_batch_id") >= batches.first) & (F.col("_batch_id") <= batches.last)
    rows_out = result.where(in_batches).count()
    counts = {
        "rows_in": rows_in,
        "rows_out": rows_out,
        "rows_quarantined": n_rejected,
        "rows_deduplicated": n_valid - rows_out,  # duplicates in the batch, and versions already superseded
        "quarantine_reasons": {r[REASON]: r["count"] for r in rejects.groupBy(REASON).count().collect()},
        "affected_days": _affected_days(deduped, ds, batches),
    }
    manifest.reconcile(ds.name, counts)
    return counts, merged


def _affected_days(rows: DataFrame, ds: Dataset, batches: BatchRange) -> list[str] | None:
    cols = AFFECTED_DAYS.get(ds.name)
    if not cols:
        return None
    last_moment = F.lit(batches.end).cast("timestamp")
    first, last = cols
    row = rows.select(
        F.min(F.to_date(first)).alias("a"),
        F.max(F.to_date(F.least(F.coalesce(F.col(last), last_moment), last_moment))).alias("b"),
    ).first()
    return None if row["a"] is None else [str(row["a"]), str(row["b"])]


def _write_quarantine(lake: Lake, settings: Settings, ds: Dataset, rejects: DataFrame) -> None:
    out = rejects.select(
        F.lit(ds.name).alias("dataset"),
        F.col(REASON).alias("reason"),
        "_batch_id",
        F.col("_raw").alias("record"),
        F.substring("_batch_id", 1, 10).alias("ingest_date"),
        F.substring("_batch_id", 12, 2).alias("ingest_hour"),
    )
    lake.overwrite_partitions(out, f"{settings.layer('quarantine')}/{ds.name}", BRONZE_PARTITIONS)


def empty_silver(spark: SparkSession, name: str) -> DataFrame:
    """The (empty) silver schema of a dataset that has no rows yet: its transform applied to no rows."""
    from hdp.catalog import dataset

    ds = dataset(name)
    empty = spark.createDataFrame([], bronze_schema(ds))
    typed = clean(ds, empty, lambda n: None if n == name else empty_silver(spark, n))
    return typed.drop(REASON, "_raw")
