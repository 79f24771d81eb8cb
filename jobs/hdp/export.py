"""`hdp export --safe-harbor`: gold, de-identified further for data that leaves the hospital (HIPAA
45 CFR 164.514(b)(2), the Safe Harbor method).

Gold is a limited data set: exact dates of care, bed codes, keyed pseudonyms. The export applies each gold
column's rule from the registry (hdp/catalog.py COLUMNS: keep, drop, year, rekey), fails on any column without
one, and writes Parquet plus a manifest to a new folder (never over an earlier export):

- dates of care are reduced to the year (`admitted_at` -> `admitted_year`); day and hour keys are dropped;
  durations (length of stay, lab turnaround) stay;
- demographics are those of gold, already at Safe-Harbor level: sex, birth year (none for ages over 89),
  age band with 90+, three-digit ZIP with 000 for the restricted areas;
- bed codes and row-level keys are dropped;
- patient and stay keys are replaced by random keys drawn for this export alone (a code derived from an
  identifier, as gold's HMAC is, may not leave under Safe Harbor): exports cannot be linked to gold or to
  each other. The draw is never stored."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from hdp import audit
from hdp import catalog as C
from hdp.config import Settings
from hdp.lake import Lake
from hdp.privacy import restricted_zip3

KIND = "HIPAA Safe Harbor, 45 CFR 164.514(b)(2)"


def safe_harbor_columns(table: str, columns: list[str]) -> list[tuple[str, str, str]]:
    """(output column, gold column, rule) of an exported table, in gold's order (dropped columns left out).
    A column without a class is an error: nothing leaves unclassified."""
    out = []
    for name in columns:
        col = C.column(table, name)
        if col.cls == C.DIRECT:
            raise ValueError(f"gold.{table}.{name} is a direct identifier: gold must never hold it")
        if col.safe_harbor == C.DROP:
            continue
        if col.safe_harbor == C.YEAR:
            out.append((f"{name.removesuffix('_at')}_year", name, C.YEAR))
        else:
            out.append((name, name, col.safe_harbor))
    return out


def safe_harbor_frame(table: str, df: DataFrame, rekeys: dict[str, DataFrame]) -> DataFrame:
    """One gold table as exported. `rekeys[column]` maps the column's gold keys (`old`) to new ones (`new`)."""
    columns = safe_harbor_columns(table, df.columns)
    for _, name, rule in columns:
        if rule == C.REKEY:
            mapping = rekeys[name].select(F.col("old").alias(name), F.col("new").alias(f"__{name}"))
            df = df.join(F.broadcast(mapping), on=name, how="left")
    select = []
    for out, name, rule in columns:
        if rule == C.YEAR:
            select.append(F.year(name).alias(out))
        elif rule == C.REKEY:
            select.append(F.col(f"__{name}").alias(out))
        else:
            select.append(F.col(name).alias(out))
    return df.select(*select)


def draw_keys(spark: SparkSession, frames: dict[str, DataFrame]) -> dict[str, DataFrame]:
    """Per re-keyed column, a random new key for each distinct gold key of the exported tables (from the
    operating system's CSPRNG, drawn on the driver: a few per patient or stay)."""
    columns = sorted(
        {
            name
            for table, df in frames.items()
            for _, name, rule in safe_harbor_columns(table, df.columns)
            if rule == C.REKEY
        }
    )
    out = {}
    for name in columns:
        olds = None
        for df in frames.values():
            if name in df.columns:
                keys = df.select(F.col(name).alias("old")).where(F.col("old").isNotNull())
                olds = keys if olds is None else olds.unionByName(keys)
        distinct = sorted(r["old"] for r in olds.distinct().collect())
        rows = [(old, secrets.token_hex(12)) for old in distinct]
        out[name] = spark.createDataFrame(rows, "old string, new string")
    return out


def run(
    spark: SparkSession,
    settings: Settings,
    tables: tuple[str, ...] = (),
    destination: str = "",
    export_id: str = "",
) -> dict:
    """Write the Safe-Harbor export of `tables` (default: all of C.SAFE_HARBOR_TABLES); returns its manifest."""
    unknown = set(tables) - set(C.SAFE_HARBOR_TABLES)
    if unknown:
        raise ValueError(
            f"not exportable: {', '.join(sorted(unknown))} (exportable: {', '.join(C.SAFE_HARBOR_TABLES)})"
        )
    chosen = tables or C.SAFE_HARBOR_TABLES
    export_id = export_id or f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    destination = (destination or f"{settings.layer('export')}/{export_id}").rstrip("/")
    lake = Lake(spark)
    with audit.operation(
        spark,
        settings,
        "export",
        "export --safe-harbor",
        reads=[audit.table("gold", t) for t in chosen],
        writes=[audit.table("export", t, location=f"{destination}/{t}") for t in chosen],
        details={"export_id": export_id, "kind": "safe_harbor"},
    ) as event:
        gold = {
            t: lake.read(f"{settings.layer('gold')}/{t}", required=True).drop(C.PARTITION_COLUMN)
            for t in chosen
        }
        rekeys = draw_keys(spark, gold)
        manifest = {
            "export_id": export_id,
            "kind": KIND,
            "created_at": datetime.now(timezone.utc).isoformat(),
            "restricted_zip3": list(restricted_zip3()),
            "tables": {},
        }
        for name, df in gold.items():
            out = safe_harbor_frame(name, df, rekeys).localCheckpoint()
            rows = out.count()
            out.write.mode("errorifexists").parquet(f"{destination}/{name}")
            event.read(f"gold.{name}", rows)
            event.wrote(f"export.{name}", rows)
            manifest["tables"][name] = {
                "rows": rows,
                "columns": [
                    {"name": dst, "from": src, "rule": rule}
                    for dst, src, rule in safe_harbor_columns(name, df.columns)
                ],
                "dropped": [
                    c
                    for c in df.columns
                    if c not in {src for _, src, _ in safe_harbor_columns(name, df.columns)}
                ],
            }
        lake.write_bytes(f"{destination}/_export.json", json.dumps(manifest, indent=1).encode())
        manifest["destination"] = destination
    return manifest
