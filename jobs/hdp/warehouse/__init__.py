"""Gold -> warehouse: per batch, stage each gold table's changed rows and replace them in the warehouse in
one transaction (bulk COPY, never row by row). Re-running a batch leaves the warehouse unchanged."""

from __future__ import annotations

import io
import json
import re

import psycopg2
import pyarrow.csv as pacsv
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from hdp import manifest
from hdp.batches import BatchRange
from hdp.catalog import GOLD_TABLES, PARTITION_COLUMN, GoldTable
from hdp.config import Settings, redshift_connect_args
from hdp.errors import RetryLater
from hdp.extract.ehr import endpoint
from hdp.lake import Lake
from hdp.progress import Progress
from hdp.warehouse.dialects import DIALECTS, Window, quote_ident

ANALYST_ROLE = "hdp_analyst"
# Per gold table, the Delta version the warehouse holds: a table whose gold version has not moved since its
# last load is skipped (re-running a batch commits nothing in gold, so it loads nothing either). It ties
# each warehouse table to the gold version it came from: `VERSION AS OF` shows what an analyst saw.
LOAD_STATE = "load_state"


class WarehouseUnavailable(RetryLater):
    pass


def load_windows(gold_docs: list[dict]) -> dict[str, Window | None]:
    """Per gold table: the days to replace (the union of the committed gold windows), or None for whole."""
    out: dict[str, Window | None] = {}
    for doc in gold_docs:
        for name, info in doc["datasets"].items():
            w = info.get("window")
            if w is None:
                out[name] = None
            elif name in out and out[name] is not None:
                out[name] = Window(min(out[name].first, w[0]), max(out[name].last, w[1]))
            else:
                out[name] = Window(w[0], w[1])
    return out


def gold_rows(lake: Lake, settings: Settings, table: GoldTable, window: Window | None) -> DataFrame:
    df = lake.read(f"{settings.layer('gold')}/{table.name}", required=True)
    if window is not None:
        df = df.where(F.col(PARTITION_COLUMN).between(F.lit(window.first), F.lit(window.last)))
    return df.drop(PARTITION_COLUMN)


def run(
    spark: SparkSession, settings: Settings, batches: BatchRange, progress: Progress, run_id: str = "", **_
) -> dict[str, dict]:
    settings.require("warehouse_dsn")
    lake = Lake(spark)
    manifest.require_committed(lake, settings, "warehouse", batches)
    windows = load_windows(manifest.read(lake, settings, "gold", batches))
    if settings.warehouse_dialect == "redshift":
        return _load_redshift(lake, settings, windows, progress, run_id or "manual")
    return _load_postgres(lake, settings, windows, progress)


def _where(settings: Settings) -> str:
    return f"the warehouse (HDP_WAREHOUSE_DSN, {endpoint(settings.warehouse_dsn)})"


def _connect(settings: Settings):
    try:
        return psycopg2.connect(settings.warehouse_dsn, connect_timeout=10, options="-c TimeZone=UTC")
    except psycopg2.OperationalError as exc:
        raise WarehouseUnavailable(f"cannot connect to {_where(settings)}: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _load_postgres(lake: Lake, settings: Settings, windows: dict, progress: Progress) -> dict[str, dict]:
    conn = _connect(settings)
    try:
        return _load_postgres_tables(conn, lake, settings, windows, progress)
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        raise WarehouseUnavailable(
            f"{_where(settings)} failed during the load (nothing of this batch was committed; re-run it): "
            f"{_first_line(exc)}"
        ) from None
    finally:
        conn.close()


def _load_postgres_tables(conn, lake: Lake, settings: Settings, windows: dict, progress) -> dict[str, dict]:
    dialect = DIALECTS["postgres"]
    schema = settings.warehouse_schema
    report = {}
    with conn, conn.cursor() as cur:  # one transaction: analysts never see half a batch
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
        loaded = _loaded_versions(cur, schema)
        for table in GOLD_TABLES:
            if table.name not in windows:
                continue
            with progress.step(f"warehouse {table.name}") as step:
                version = lake.version(f"{settings.layer('gold')}/{table.name}")
                w = windows[table.name]
                if loaded.get(table.name) == version:  # the warehouse holds this gold version already
                    report[table.name] = {"rows": 0, "window": None, "gold_version": version}
                    step.done(f"unchanged since gold version {version}")
                    continue
                df = gold_rows(lake, settings, table, w)
                columns = df.columns
                cur.execute(dialect.create_table(schema, table, df.schema))
                stage = quote_ident(f"stage_{table.name}")
                cur.execute(dialect.create_stage(schema, table, stage))
                buf = io.BytesIO()
                pacsv.write_csv(df.toArrow(), buf, pacsv.WriteOptions(include_header=False))
                buf.seek(0)
                cur.copy_expert(dialect.copy_into_stage(stage, columns), buf)
                cur.execute(f"SELECT count(*) FROM {stage}")
                rows = cur.fetchone()[0]
                for statement in dialect.replace_rows(schema, table, stage, columns, w):
                    cur.execute(statement)
                cur.execute(
                    f"INSERT INTO {quote_ident(schema)}.{LOAD_STATE} VALUES (%s, %s) ON CONFLICT (gold_table) "
                    "DO UPDATE SET gold_version = EXCLUDED.gold_version",
                    (table.name, version),
                )
                report[table.name] = {
                    "rows": rows,
                    "window": [w.first, w.last] if w else None,
                    "gold_version": version,
                }
                step.done(f"{rows} rows")
        _grant_analysts(cur, schema)
    return report


def _loaded_versions(cur, schema: str) -> dict[str, int]:
    """The gold table versions the warehouse holds (written in the same transaction as their rows)."""
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {quote_ident(schema)}.{LOAD_STATE} "
        "(gold_table text PRIMARY KEY, gold_version bigint NOT NULL)"
    )
    cur.execute(f"SELECT gold_table, gold_version FROM {quote_ident(schema)}.{LOAD_STATE}")
    return dict(cur.fetchall())


def _grant_analysts(cur, schema: str) -> None:
    """A read-only role for analysts and BI tools (grant it to their logins)."""
    cur.execute(f"SELECT 1 FROM pg_roles WHERE rolname = '{ANALYST_ROLE}'")
    if not cur.fetchone():
        cur.execute(f"CREATE ROLE {ANALYST_ROLE} NOLOGIN")
    cur.execute(f"GRANT USAGE ON SCHEMA {quote_ident(schema)} TO {ANALYST_ROLE}")
    cur.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {quote_ident(schema)} TO {ANALYST_ROLE}")


def copy_manifest(lake: Lake, df: DataFrame, window: Window | None) -> dict:
    """A Redshift COPY manifest of exactly the Parquet files behind a gold snapshot (`df`, of the window's
    days): a Delta folder also holds files of older versions, which a COPY of the prefix would load too."""
    entries = []
    for path in sorted(df.inputFiles()):
        day = re.search(rf"{PARTITION_COLUMN}=(\d{{4}}-\d{{2}}-\d{{2}})", path)
        if window is not None and day and not (window.first <= day.group(1) <= window.last):
            continue
        entries.append(
            {
                "url": path.replace("s3a://", "s3://", 1),
                "mandatory": True,
                "meta": {"content_length": lake.file_size(path)},
            }
        )
    return {"entries": entries}


def redshift_statements(lake: Lake, settings: Settings, windows: dict, run_id: str) -> list[str]:
    """Every statement of a Redshift load, in order: DDL, then per table stage + COPY + replace. Writes the
    COPY manifests under the control layer."""
    dialect = DIALECTS["redshift"]
    schema = settings.warehouse_schema
    statements = [f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}"]
    for table in GOLD_TABLES:
        if table.name not in windows:
            continue
        window = windows[table.name]
        df = gold_rows(lake, settings, table, window)
        manifest_uri = f"{settings.layer('control')}/redshift/{run_id}/{table.name}.manifest"
        lake.write_bytes(manifest_uri, json.dumps(copy_manifest(lake, df, window), indent=1).encode())
        statements.append(dialect.create_table(schema, table, df.schema))
        statements += dialect.load_script(
            schema,
            table,
            df.columns,
            manifest_uri.replace("s3a://", "s3://", 1),
            settings.redshift_iam_role,
            window,
        )
    return statements


def _load_redshift(lake: Lake, settings: Settings, windows: dict, progress: Progress, run_id: str) -> dict:
    settings.require("redshift_iam_role")
    statements = redshift_statements(lake, settings, windows, run_id)
    try:
        import redshift_connector
    except ImportError:
        raise WarehouseUnavailable(
            "the Redshift dialect needs redshift_connector: pip install 'hospital-data-platform[redshift]'"
        ) from None
    with progress.step("warehouse redshift load") as step:
        conn = redshift_connector.connect(
            **redshift_connect_args(settings.warehouse_dsn, settings.warehouse_sslmode)
        )
        try:
            cur = conn.cursor()
            for statement in statements:
                cur.execute(statement)
            conn.commit()
        finally:
            conn.close()
        step.done(f"{len(statements)} statements")
    return {name: {"window": [w.first, w.last] if w else None} for name, w in windows.items()}
