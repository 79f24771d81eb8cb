"""`hdp inspect`: look at rows of a restricted table (bronze, silver or quarantine of a dataset) without
opening the lake by hand. A few rows (at most MAX_ROWS), masked by default by the registry's classes (direct
identifiers hidden, date of birth as its year, ZIP as three digits); `--unmask` shows them as stored. Every
call is an audit event naming the table, the rows shown and whether they were masked, never their values."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from hdp import audit
from hdp import catalog as C
from hdp.batches import parse_batch
from hdp.config import Settings
from hdp.lake import Lake
from hdp.privacy import mask_row

ZONES = ("bronze", "silver", "quarantine")
DEFAULT_ROWS = 20
MAX_ROWS = 200


@dataclass
class Shown:
    table: str
    columns: list[str]
    rows: list[dict]
    masked: bool


def parse_table(name: str) -> tuple[str, str]:
    """`silver.patients` -> ("silver", "patients")."""
    zone, _, dataset = name.partition(".")
    if zone not in ZONES or dataset not in C.DATASETS_BY_NAME:
        raise ValueError(
            f"inspect takes <zone>.<dataset> with zone one of {', '.join(ZONES)} and dataset one of "
            f"{', '.join(C.DATASETS_BY_NAME)}, e.g. quarantine.vital_signs (got {name!r})"
        )
    return zone, dataset


def inspect(
    spark: SparkSession,
    settings: Settings,
    name: str,
    limit: int = DEFAULT_ROWS,
    unmask: bool = False,
    batch: str | None = None,
    reason: str | None = None,
) -> Shown:
    zone, dataset = parse_table(name)
    if not 1 <= limit <= MAX_ROWS:
        raise ValueError(f"--limit must be between 1 and {MAX_ROWS}")
    if reason and zone != "quarantine":
        raise ValueError("--reason filters quarantine tables only")
    if reason and not re.fullmatch(r"[A-Z_]+", reason):
        raise ValueError(f"--reason takes a reason code such as UNKNOWN_ADMISSION, not {reason!r}")
    if batch:
        parse_batch(batch)
    uri = f"{settings.layer(zone)}/{dataset}"
    filters = {"batch": batch, "reason": reason}
    with audit.operation(
        spark,
        settings,
        "inspect",
        "inspect",
        reads=[audit.table(zone, dataset, location=uri)],
        details={
            "masked": not unmask,
            "limit": limit,
            # filters are batch ids and reason codes (never identifiers: inspect cannot filter by value)
            "filters": {k: v for k, v in filters.items() if v},
        },
    ) as event:
        df = Lake(spark).read(uri)
        if df is None:
            raise FileNotFoundError(f"{zone}.{dataset} has no table yet at {uri}")
        if batch:
            df = df.where(F.col("_batch_id") == batch)
        if reason:
            df = df.where(F.col("reason") == reason)
        rows = [r.asDict() for r in df.limit(limit).collect()]
        event.read(f"{zone}.{dataset}", len(rows))
    shown = rows if unmask else [mask_row(zone, dataset, r) for r in rows]
    return Shown(f"{zone}.{dataset}", df.columns, shown, not unmask)
