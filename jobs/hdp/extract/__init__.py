"""Extract -> bronze: one fetcher per source kind; this module adds ingestion metadata, writes bronze and
records the batches extracted (the watermark) in the `control/extract_log` Delta table.

Extraction misses nothing:
- each run re-reads `HDP_EXTRACT_LOOKBACK_MINUTES` behind its first batch, so a row whose transaction
  committed after the previous run read its hour (or whose clock ran behind) is still taken; re-read rows
  are recognised by silver as duplicates (same key and version);
- a row stamped in the future (a source clock off) is taken by the batch that sees it and quarantined by
  silver as FUTURE_TIMESTAMP; every run sees it again (and silver counts it as a duplicate) until its
  time comes, when it is taken as a normal row;
- a batch is refused while an earlier batch of the same dataset was never extracted (the message gives
  the command that fills the gap): a gap is never hidden.

Bronze only grows: rows are inserted by (batch, row id), so re-running a batch adds what the source now has
in its window and never drops a row read before."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from hdp.batches import HOUR, BatchRange, batch_id
from hdp.catalog import BRONZE_META, BRONZE_PARTITIONS, DATASETS, Dataset
from hdp.config import Settings
from hdp.errors import NotReady
from hdp.extract import ehr, labs, pharmacy
from hdp.extract.window import Window
from hdp.lake import Lake
from hdp.progress import Progress

FETCHERS = {"ehr": ehr.fetch, "pharmacy": pharmacy.fetch, "labs": labs.fetch}
LOG_SCHEMA = T.StructType(
    [
        T.StructField("dataset", T.StringType(), False),
        T.StructField("batch_id", T.StringType(), False),
        T.StructField("rows", T.LongType(), False),
        T.StructField("read_from", T.StringType(), True),  # NULL: the initial snapshot (everything before)
        T.StructField("extracted_at", T.StringType(), False),
    ]
)


class ExtractGap(NotReady):
    pass


def bronze_schema(ds: Dataset) -> T.StructType:
    names = (*ds.columns, *BRONZE_META, *BRONZE_PARTITIONS)
    return T.StructType([T.StructField(n, T.StringType(), True) for n in names])


def log_uri(settings: Settings) -> str:
    return settings.layer("control") + "/extract_log"


def horizon(lake: Lake, settings: Settings) -> tuple[str, str] | None:
    """(first, last) batch ever extracted in this lake, or None before the first extract."""
    df = lake.read(log_uri(settings))
    if df is None:
        return None
    row = df.agg(F.min("batch_id").alias("a"), F.max("batch_id").alias("b")).first()
    return None if row["a"] is None else (row["a"], row["b"])


def plan(extracted: set[str], batches: BatchRange, lookback: timedelta) -> datetime | None:
    """Where reading starts for a dataset: None (the initial snapshot: everything before the range) when no
    earlier batch was extracted, else the range start minus the lookback. Refuses a gap."""
    earlier = sorted(b for b in extracted if b < batches.first)
    if not earlier:
        return None
    expected = BatchRange(earlier[0], batch_id(batches.start - HOUR))
    missing = [b for b in expected if b not in extracted]
    if missing:
        raise ExtractGap(
            f"batch {missing[0]} was never extracted (nor {len(missing) - 1} more before {batches.first}): "
            f"extract the gap first with `hdp run --from {missing[0]} --to {batches.last}`"
        )
    return batches.start - lookback


def run(
    spark: SparkSession,
    settings: Settings,
    batches: BatchRange,
    progress: Progress,
    only: tuple[str, ...] = (),
    **_,
) -> dict[str, dict]:
    lake = Lake(spark)
    log = lake.read(log_uri(settings))
    done: dict[str, set[str]] = {}
    if log is not None:
        for r in log.where(F.col("batch_id") < batches.first).select("dataset", "batch_id").collect():
            done.setdefault(r["dataset"], set()).add(r["batch_id"])
    now = datetime.now(timezone.utc)
    ingested_at = now.isoformat(timespec="seconds")
    lookback = timedelta(minutes=settings.extract_lookback_minutes)
    report: dict[str, dict] = {}
    log_entries: list[tuple] = []
    for ds in DATASETS:
        if only and ds.name not in only:
            continue
        with progress.step(f"extract {ds.name}") as step:
            window = Window(plan(done.get(ds.name, set()), batches, lookback), batches, now)
            rows = FETCHERS[ds.source](settings, lake, ds, window)
            rows_by_batch = _write_bronze(spark, lake, settings, ds, rows, batches, ingested_at)
            read_from = window.lower.isoformat() if window.lower else None
            log_entries += [
                (ds.name, b, int(rows_by_batch.get(b, 0)), read_from, ingested_at) for b in batches
            ]
            if ds.source == "labs":
                labs.commit_ledger(lake, settings, rows, ingested_at)
            total = sum(rows_by_batch.values())
            step.done(f"{total} rows" + (f" from {window.lower:%Y-%m-%d %H:%M}" if window.lower else ""))
            report[ds.name] = {"rows": total, "rows_by_batch": rows_by_batch}
    # the watermark: recorded once bronze committed (a crash before it re-reads the same window, harmlessly)
    lake.merge(spark.createDataFrame(log_entries, LOG_SCHEMA), log_uri(settings), ("dataset", "batch_id"))
    return report


def row_id(values: pd.DataFrame) -> pd.Series:
    """A row's identity: a hash of its source values and where it came from (not of when it was read), so
    the same row read again has the same id."""
    text = values.astype("string").fillna("\x00").agg("\x1f".join, axis=1)
    return text.map(lambda s: hashlib.sha256(s.encode("utf-8")).hexdigest())


def _write_bronze(
    spark,
    lake: Lake,
    settings: Settings,
    ds: Dataset,
    rows: pd.DataFrame,
    batches: BatchRange,
    ingested_at: str,
) -> dict[str, int]:
    """`rows` holds the source columns as strings plus `_hour` (the batch id of the change) and `_source_ref`.
    Each row goes to the batch of its change, within the range (earlier: re-read or initial snapshot, to the
    first; later: a future stamp, to the last)."""
    if rows.empty:
        return {}
    hour = rows["_hour"].fillna(batches.first)  # no change time: silver quarantines it (MISSING_VALUE)
    batch = hour.where(hour >= batches.first, batches.first).where(hour <= batches.last, batches.last)
    cols = list(ds.columns)
    out = rows[cols].astype(object).where(rows[cols].notna(), None)
    out["_batch_id"] = batch
    out["_ingested_at"] = ingested_at
    out["_source"] = f"{ds.source}:{ds.source_ref}"
    out["_source_ref"] = rows["_source_ref"]
    out["_row_id"] = row_id(rows[[*cols, "_source_ref"]])
    out["ingest_date"] = batch.str.slice(0, 10)
    out["ingest_hour"] = batch.str.slice(11, 13)
    out = out.drop_duplicates(subset=["_batch_id", "_row_id"])  # the same row twice in one read
    batch = out["_batch_id"]
    df = spark.createDataFrame(out, schema=bronze_schema(ds))
    first_day, last_day = batches.first[:10], batches.last[:10]
    lake.merge(
        df,
        f"{settings.layer('bronze')}/{ds.name}",
        ("_batch_id", "_row_id"),
        update=False,
        partition_by=BRONZE_PARTITIONS,
        prune=f"t.ingest_date BETWEEN '{first_day}' AND '{last_day}'",
    )
    return {k: int(v) for k, v in batch.value_counts().sort_index().items()}
