"""Bronze -> silver: type, standardise, validate, de-duplicate and MERGE each dataset of the registry into
its current-state silver table (the latest version of a business key wins, across partitions: a corrected
date moves the row). Rows that break a rule are held in `quarantine/<dataset>`: *parked* when they may
become valid later (re-evaluated by each later batch for HDP_PARK_HOURS, then released or rejected), or
*rejected* for good. Per dataset the run manifest records each term counted on its own, and the stage
fails unless rows in + retried = out + rejected + parked + duplicates."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from hdp import manifest
from hdp.batches import BatchRange
from hdp.catalog import DATASETS, Dataset
from hdp.config import Settings
from hdp.extract import bronze_schema
from hdp.extract.window import FUTURE_TOLERANCE
from hdp.lake import Lake, newer
from hdp.progress import Progress
from hdp.silver import ehr, labs, pharmacy
from hdp.silver import rules as R

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
VALID, PARKED, REJECTED = "valid", "parked", "rejected"
# Columns a typed row carries through the transforms that silver itself does not keep.
WORK_COLUMNS = (R.REASON, "_raw", "_row_id", "_ingested_at")


def in_range(batches: BatchRange):
    """Partition filter on bronze: only the batch hours of the range are listed and read."""
    batch = F.concat(F.col("ingest_date"), F.lit("T"), F.col("ingest_hour"))
    return (batch >= F.lit(batches.first)) & (batch <= F.lit(batches.last))


def _order(df: DataFrame, ds: Dataset) -> list[str]:
    """Version columns, then a hash of the content: the total order "latest wins" uses, in one batch and
    against the silver table alike (never arrival order, partitioning or the batch a row came in)."""
    data_cols = ", ".join(f"{{a}}.`{c}`" for c in df.columns if not c.startswith("_"))
    return [*ds.versions, f"xxhash64({data_cols})"]


def ranked(df: DataFrame, ds: Dataset, within: str | None = None) -> DataFrame:
    """`__n` = 1 for the latest version of each business key, 2 for the one before, and so on (separately
    for each value of the column `within`, when given)."""
    order = [F.expr(c.replace("{a}.", "")) if "{a}" in c else F.col(c) for c in _order(df, ds)]
    keys = [*ds.key, within] if within else list(ds.key)
    w = Window.partitionBy(*keys).orderBy(*[c.desc_nulls_last() for c in order])
    return df.withColumn("__n", F.row_number().over(w))


def latest(df: DataFrame, ds: Dataset) -> DataFrame:
    """One row per business key: the latest version wins."""
    return ranked(df, ds).where(F.col("__n") == 1).drop("__n")


def clean(ds: Dataset, bronze: DataFrame, silver_of) -> DataFrame:
    """Typed rows with `_reject_reason`, from the bronze rows of a range (pure: no I/O)."""
    raw = F.to_json(F.struct(*ds.columns, "_source_ref", "_batch_id"))
    typed = TRANSFORMS[ds.name](bronze.withColumn("_raw", raw), silver_of)
    if "updated_at" in ds.versions:
        seen = F.to_timestamp("_ingested_at") + F.expr(
            f"INTERVAL {int(FUTURE_TOLERANCE.total_seconds())} SECONDS"
        )
        future = F.when(F.col("updated_at") > seen, F.lit(R.FUTURE_TIMESTAMP))
        typed = typed.withColumn(R.REASON, F.coalesce(F.col(R.REASON), future))
    return typed


def verdict(park_until: F.Column, lake_end: datetime) -> F.Column:
    """valid, parked (a parkable reason while its time lasts) or rejected."""
    return (
        F.when(F.col(R.REASON).isNull(), F.lit(VALID))
        .when(F.col(R.REASON).isin(*R.PARKABLE) & (park_until > F.lit(lake_end)), F.lit(PARKED))
        .otherwise(F.lit(REJECTED))
    )


def run(
    spark: SparkSession,
    settings: Settings,
    batches: BatchRange,
    progress: Progress,
    only: tuple[str, ...] = (),
    lake_end: datetime | None = None,
    **_,
) -> dict[str, dict]:
    lake = Lake(spark)
    manifest.require_committed(lake, settings, "silver", batches)
    required = manifest.committed(lake, settings, "silver")  # then every silver table exists
    current: dict[str, DataFrame] = {}

    def silver_of(name: str) -> DataFrame:
        if name not in current:
            df = lake.read(f"{settings.layer('silver')}/{name}", required=required)
            current[name] = df if df is not None else empty_silver(spark, name)
        return current[name]

    end = lake_end or batches.end
    report = {}
    for ds in DATASETS:
        if only and ds.name not in only:
            continue
        with progress.step(f"silver {ds.name}") as step:
            counts = _process(spark, lake, settings, ds, batches, silver_of, end)
            current.pop(ds.name, None)  # later datasets see this one's new version
            report[ds.name] = counts
            step.done(
                f"in {counts['rows_in']}"
                + (f" + retried {counts['rows_retried']}" if counts["rows_retried"] else "")
                + f" · out {counts['rows_out']} · rejected {counts['rows_quarantined']} · parked "
                f"{counts['rows_parked']} · duplicate {counts['rows_duplicate']}"
            )
    return report


def _retry(held: DataFrame | None, ds: Dataset, batches: BatchRange) -> DataFrame | None:
    """Parked rows of earlier batches, back in bronze's shape (those of the range come from bronze)."""
    if held is None:
        return None
    fields = T.StructType([T.StructField(c, T.StringType()) for c in (*ds.columns, "_source_ref")])
    parked = held.where(
        (F.col("status") == PARKED) & ~F.col("_batch_id").between(batches.first, batches.last)
    )
    rec = F.from_json("record", fields)
    return parked.select(
        *[rec[c].alias(c) for c in ds.columns],
        "_batch_id",
        "_ingested_at",
        F.lit(f"{ds.source}:{ds.source_ref}").alias("_source"),
        rec["_source_ref"].alias("_source_ref"),
        "_row_id",
        F.substring("_batch_id", 1, 10).alias("ingest_date"),
        F.substring("_batch_id", 12, 2).alias("ingest_hour"),
    )


def _process(spark, lake: Lake, settings: Settings, ds: Dataset, batches: BatchRange, silver_of, end):
    held_uri = f"{settings.layer('quarantine')}/{ds.name}"
    silver_uri = f"{settings.layer('silver')}/{ds.name}"
    bronze = lake.read(f"{settings.layer('bronze')}/{ds.name}", where=in_range(batches))
    if bronze is None:
        bronze = spark.createDataFrame([], bronze_schema(ds))
    held = lake.read(held_uri)
    retry = _retry(held, ds, batches)
    taken = bronze.withColumn("__retried", F.lit(False))
    if retry is not None:
        taken = taken.unionByName(retry.withColumn("__retried", F.lit(True)))
    # the rows taken, counted before any transform (so a transform that drops or multiplies rows shows)
    taken_counts = {r["__retried"]: r["count"] for r in taken.groupBy("__retried").count().collect()}
    rows_in, rows_retried = taken_counts.get(False, 0), taken_counts.get(True, 0)
    if not rows_in and not rows_retried:  # nothing to do; the table exists from now on all the same
        lake.create(empty_silver(spark, ds.name), silver_uri, [ds.partition_by] if ds.partition_by else [])
        return {
            **dict.fromkeys((*manifest.TERMS_IN, *manifest.TERMS_OUT), 0),
            "quarantine_reasons": {},
            "affected_days": None,
        }

    typed = clean(ds, taken.drop("__retried"), silver_of)
    # the same source row more than once in this run (re-read by the lookback, or parked and re-read)
    copies = Window.partitionBy("_row_id").orderBy("_batch_id")
    typed = typed.withColumn("__copy", F.row_number().over(copies))
    # a row is parked for HDP_PARK_HOURS from the batch that first saw it (which a re-read does not change)
    first_seen = F.col("_batch_id")
    if held is not None:
        typed = typed.join(
            held.select("_row_id", F.col("_batch_id").alias("__held_batch")), on="_row_id", how="left"
        )
        first_seen = F.least(F.col("_batch_id"), F.col("__held_batch"))
    park_until = F.to_timestamp(first_seen, "yyyy-MM-dd'T'HH") + F.expr(
        f"INTERVAL {settings.park_hours} HOURS"
    )
    typed = typed.withColumn("_verdict", verdict(park_until, end)).withColumn("_park_until", park_until)
    # versions of one key among the valid rows of the run: the latest is `__n` = 1, older ones are duplicates
    candidate = (F.col("__copy") == 1) & (F.col("_verdict") == VALID)
    typed = ranked(typed.withColumn("__candidate", candidate), ds, within="__candidate").localCheckpoint()
    first_copy = typed.where(F.col("__copy") == 1).drop("__copy", "__candidate", "__n")
    # one pass counts the copies, the older versions, and the rows rejected and parked by reason
    tally = (
        typed.groupBy(
            (F.col("__copy") > 1).alias("copy"),
            (F.col("__candidate") & (F.col("__n") > 1)).alias("older"),
            "_verdict",
            R.REASON,
        )
        .count()
        .collect()
    )
    copies_dup = sum(r["count"] for r in tally if r["copy"])
    batch_dup = sum(r["count"] for r in tally if r["older"])
    n_rejected = sum(r["count"] for r in tally if not r["copy"] and r["_verdict"] == REJECTED)
    n_parked = sum(r["count"] for r in tally if not r["copy"] and r["_verdict"] == PARKED)
    reasons: dict[str, int] = {}
    for r in tally:
        if not r["copy"] and r["_verdict"] != VALID:
            reasons[r[R.REASON]] = reasons.get(r[R.REASON], 0) + r["count"]

    winners = typed.where(F.col("__candidate") & (F.col("__n") == 1)).drop(
        *WORK_COLUMNS, "_verdict", "_park_until", "__held_batch", "__copy", "__candidate", "__n"
    )

    # against the current silver table, in one pass: versions not newer than what it holds are duplicates,
    # and the days of the rows a change replaces are affected too (a corrected date changes the old day)
    existing = silver_of(ds.name)
    is_newer = newer(_order(winners, ds))
    same_key = " AND ".join(f"s.`{k}` <=> t.`{k}`" for k in ds.key)
    matched = winners.alias("s").join(existing.alias("t"), F.expr(same_key), "left")
    found = F.col(f"t.`{ds.key[0]}`").isNotNull()
    tally = matched.agg(
        F.count(F.lit(1)).alias("winners"),
        F.count_if(found & ~F.expr(is_newer)).alias("stale"),
        *_day_span(ds, batches, "s"),
        *_day_span(ds, batches, "t"),
    ).first()
    n_stale = tally["stale"]
    affected = _affected_days(tally)
    partition = [ds.partition_by] if ds.partition_by else []
    merged = {"inserted": 0, "updated": 0}
    if tally["winners"] > n_stale:  # a commit only when some version is newer than silver's
        merged = lake.merge(winners, silver_uri, ds.key, update_when=is_newer, partition_by=partition)
    else:
        lake.create(winners, silver_uri, partition)
    _hold(lake, held_uri, held, ds, first_copy, batches, rows_retried, n_rejected + n_parked)

    counts = {
        "rows_in": rows_in,
        "rows_retried": rows_retried,
        "rows_out": merged["inserted"] + merged["updated"],
        "rows_quarantined": n_rejected,
        "rows_parked": n_parked,
        "rows_duplicate": copies_dup + batch_dup + n_stale,
        "quarantine_reasons": reasons,
        "affected_days": affected,
    }
    manifest.reconcile(ds.name, counts)
    return counts


def _hold(
    lake: Lake, uri: str, table, ds: Dataset, rows: DataFrame, batches: BatchRange, retried: int, held: int
):
    """One MERGE into the dataset's quarantine table by row id: park or reject the rows that broke a rule,
    release (delete) the ones that now pass. Skipped when it cannot change anything."""
    if not (held or retried or _holds_rows_of(table, batches)):
        return  # nothing to hold, and nothing held from these batches to release
    source = rows.select(
        F.lit(ds.name).alias("dataset"),
        F.col("_verdict").alias("status"),
        F.col(R.REASON).alias("reason"),
        "_batch_id",
        "_row_id",
        "_ingested_at",
        F.col("_raw").alias("record"),
        F.when(F.col("_verdict") == PARKED, F.col("_park_until")).alias("parked_until"),
    )
    if table is None:
        lake.create(source, uri)
    lake.merge(
        source,
        uri,
        ("_row_id",),
        delete_when=f"s.status = '{VALID}'",
        update_when="NOT (s.status <=> t.status AND s.reason <=> t.reason)",
        insert_when=f"s.status <> '{VALID}'",
    )


def _holds_rows_of(table: DataFrame | None, batches: BatchRange) -> bool:
    return (
        table is not None
        and not table.where(F.col("_batch_id").between(batches.first, batches.last)).isEmpty()
    )


def _day_span(ds: Dataset, batches: BatchRange, alias: str) -> list[F.Column]:
    """First and last day the rows (of `alias`) cover, as aggregates: what gold must recompute."""
    cols = AFFECTED_DAYS.get(ds.name)
    if not cols:
        return []
    last_moment = F.lit(batches.end).cast("timestamp")
    first, last = (F.col(f"{alias}.`{c}`") for c in cols)
    open_end = F.least(F.coalesce(last, last_moment), last_moment)  # still open: up to the batch's end
    return [
        F.min(F.to_date(first)).alias(f"{alias}_first"),
        F.max(F.when(first.isNotNull(), F.to_date(open_end))).alias(f"{alias}_last"),
    ]


def _affected_days(tally) -> list[str] | None:
    """The span of the winners' days and of the days of the rows they replace, or None."""
    row = tally.asDict()
    firsts = [row[c] for c in ("s_first", "t_first") if row.get(c) is not None]
    lasts = [row[c] for c in ("s_last", "t_last") if row.get(c) is not None]
    return [str(min(firsts)), str(max(lasts))] if firsts else None


def empty_silver(spark: SparkSession, name: str) -> DataFrame:
    """The (empty) silver schema of a dataset that has no rows yet: its transform applied to no rows."""
    from hdp.catalog import dataset

    ds = dataset(name)
    empty = spark.createDataFrame([], bronze_schema(ds))
    typed = clean(ds, empty, lambda n: None if n == name else empty_silver(spark, n))
    return typed.drop(*WORK_COLUMNS)
