"""Extract -> bronze: one fetcher per source kind; this module adds ingestion metadata and writes bronze
partitions (one per batch hour), then advances the source's watermark. Re-running a batch rewrites exactly
its partitions with the same rows."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql import types as T

from hdp import manifest
from hdp.batches import BatchRange
from hdp.catalog import BRONZE_META, BRONZE_PARTITIONS, DATASETS, Dataset
from hdp.config import Settings
from hdp.extract import ehr, labs, pharmacy
from hdp.lake import Lake
from hdp.progress import Progress

FETCHERS = {"ehr": ehr.fetch, "pharmacy": pharmacy.fetch, "labs": labs.fetch}


def bronze_schema(ds: Dataset) -> T.StructType:
    names = (*ds.columns, *BRONZE_META, *BRONZE_PARTITIONS)
    return T.StructType([T.StructField(n, T.StringType(), True) for n in names])


def _watermark_uri(settings: Settings) -> str:
    return settings.layer("control") + "/watermarks.json"


def lower_bound(state: dict | None, batches: BatchRange) -> datetime | None:
    """Changes since the range start; the source's first batch takes everything before it too."""
    if state is None or state["initial_batch"] >= batches.first:
        return None
    return batches.start


def run(
    spark: SparkSession,
    settings: Settings,
    batches: BatchRange,
    progress: Progress,
    only: tuple[str, ...] = (),
) -> dict[str, dict]:
    lake = Lake(spark)
    watermarks = lake.read_json(_watermark_uri(settings), {})
    ingested_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    report: dict[str, dict] = {}
    for ds in DATASETS:
        if only and ds.name not in only:
            continue
        with progress.step(f"extract {ds.name}") as step:
            state = watermarks.get(ds.name)
            rows = FETCHERS[ds.source](settings, lake, ds, lower_bound(state, batches), batches)
            rows_by_batch = _write_bronze(spark, lake, settings, ds, rows, batches, ingested_at)
            new_state = {
                "initial_batch": min(state["initial_batch"], batches.first) if state else batches.first,
                "committed_through": max(state["committed_through"], batches.last) if state else batches.last,
            }
            watermarks[ds.name] = new_state
            lake.write_json(_watermark_uri(settings), watermarks)  # only after bronze committed
            if ds.source == "labs":
                labs.commit_ledger(lake, settings, rows, batches)
            total = sum(rows_by_batch.values())
            step.done(f"{total} rows")
            report[ds.name] = {"rows": total, "rows_by_batch": rows_by_batch}
    manifest.commit(lake, settings, "extract", batches, report)
    return report


def _write_bronze(
    spark,
    lake: Lake,
    settings: Settings,
    ds: Dataset,
    rows: pd.DataFrame,
    batches: BatchRange,
    ingested_at: str,
) -> dict[str, int]:
    """`rows` holds the source columns as strings plus `_hour` (the batch id of the change) and `_source_ref`."""
    if rows.empty:
        return {}
    hour = rows["_hour"].fillna(batches.first)  # no change time: silver quarantines it (MISSING_VALUE)
    batch = hour.where(hour >= batches.first, batches.first)
    out = rows[list(ds.columns)].astype(object).where(rows[list(ds.columns)].notna(), None)
    out["_batch_id"] = batch
    out["_ingested_at"] = ingested_at
    out["_source"] = f"{ds.source}:{ds.source_ref}"
    out["_source_ref"] = rows["_source_ref"]
    out["ingest_date"] = batch.str.slice(0, 10)
    out["ingest_hour"] = batch.str.slice(11, 13)
    df = spark.createDataFrame(out, schema=bronze_schema(ds))
    lake.overwrite_partitions(df, f"{settings.layer('bronze')}/{ds.name}", BRONZE_PARTITIONS)
    return {k: int(v) for k, v in batch.value_counts().sort_index().items()}
