"""Gold -> warehouse: per batch, stage each gold table's changed rows and replace them in the warehouse in
one transaction (bulk COPY, never row by row). Re-running a batch leaves the warehouse unchanged."""

from __future__ import annotations

import io

import psycopg2
import pyarrow.csv as pacsv
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from hdp import manifest
from hdp.batches import BatchRange
from hdp.catalog import GOLD_TABLES, PARTITION_COLUMN, GoldTable
from hdp.config import Settings
from hdp.lake import Lake
from hdp.progress import Progress
from hdp.warehouse.dialects import DIALECTS, Window, quote_ident

ANALYST_ROLE = "hdp_analyst"


class WarehouseUnavailable(RuntimeError):
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
    df = lake.read(f"{settings.layer('gold')}/{table.name}")
    if df is None:
        raise manifest.NotCommitted(f"gold table {table.name} is missing: run `hdp gold` first")
    if window is not None:
        df = df.where(F.col(PARTITION_COLUMN).between(F.lit(window.first), F.lit(window.last)))
    return df.drop(PARTITION_COLUMN)


def run(spark: SparkSession, settings: Settings, batches: BatchRange, progress: Progress) -> dict[str, dict]:
    settings.require("warehouse_dsn")
    lake = Lake(spark)
    manifest.require_committed(lake, settings, "warehouse", batches)
    windows = load_windows(manifest.read(lake, settings, "gold", batches))
    if settings.warehouse_dialect == "redshift":
        report = _load_redshift(lake, settings, windows, progress)
    else:
        report = _load_postgres(lake, settings, windows, progress)
    manifest.commit(lake, settings, "warehouse", batches, report)
    return report


def _connect(settings: Settings):
    try:
        return psycopg2.connect(settings.warehouse_dsn, connect_timeout=10, options="-c TimeZone=UTC")
    except psycopg2.OperationalError as exc:
        raise WarehouseUnavailable(
            f"cannot connect to the warehouse (HDP_WAREHOUSE_DSN): {str(exc).strip()}"
        ) from None


def _load_postgres(lake: Lake, settings: Settings, windows: dict, progress: Progress) -> dict[str, dict]:
    dialect = DIALECTS["postgres"]
    schema = settings.warehouse_schema
    report = {}
    conn = _connect(settings)
    try:
        with conn, conn.cursor() as cur:  # one transaction: analysts never see half a batch
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
            for table in GOLD_TABLES:
                if table.name not in windows:
                    continue
                with progress.step(f"warehouse {table.name}") as step:
                    df = gold_rows(lake, settings, table, windows[table.name])
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
                    for statement in dialect.replace_rows(schema, table, stage, columns, windows[table.name]):
                        cur.execute(statement)
                    w = windows[table.name]
                    report[table.name] = {"rows": rows, "window": [w.first, w.last] if w else None}
                    step.done(f"{rows} rows")
            _grant_analysts(cur, schema)
    finally:
        conn.close()
    return report


def _grant_analysts(cur, schema: str) -> None:
    """A read-only role for analysts and BI tools (grant it to their logins)."""
    cur.execute(f"SELECT 1 FROM pg_roles WHERE rolname = '{ANALYST_ROLE}'")
    if not cur.fetchone():
        cur.execute(f"CREATE ROLE {ANALYST_ROLE} NOLOGIN")
    cur.execute(f"GRANT USAGE ON SCHEMA {quote_ident(schema)} TO {ANALYST_ROLE}")
    cur.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {quote_ident(schema)} TO {ANALYST_ROLE}")


def redshift_statements(lake: Lake, settings: Settings, windows: dict) -> list[str]:
    """Every statement of a Redshift load, in order: DDL, then per table stage + COPY + replace."""
    dialect = DIALECTS["redshift"]
    schema = settings.warehouse_schema
    gold_root = settings.layer("gold").replace("s3a://", "s3://", 1)
    statements = [f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}"]
    for table in GOLD_TABLES:
        if table.name not in windows:
            continue
        df = gold_rows(lake, settings, table, windows[table.name])
        window = windows[table.name]
        prefix = f"{gold_root}/{table.name}"
        if window is None:
            prefixes = [prefix + "/"]
        else:
            days = [r[0] for r in df.select(F.col("day").cast("string")).distinct().orderBy("day").collect()]
            prefixes = [f"{prefix}/{PARTITION_COLUMN}={d}/" for d in days]
        statements.append(dialect.create_table(schema, table, df.schema))
        statements += dialect.load_script(
            schema, table, df.columns, prefixes, settings.redshift_iam_role, window
        )
    return statements


def _load_redshift(lake: Lake, settings: Settings, windows: dict, progress: Progress) -> dict[str, dict]:
    settings.require("redshift_iam_role")
    statements = redshift_statements(lake, settings, windows)
    try:
        import redshift_connector
    except ImportError:
        raise WarehouseUnavailable(
            "the Redshift dialect needs redshift_connector: pip install 'hospital-data-platform[redshift]'"
        ) from None
    from urllib.parse import urlsplit

    url = urlsplit(settings.warehouse_dsn)
    with progress.step("warehouse redshift load") as step:
        conn = redshift_connector.connect(
            host=url.hostname,
            port=url.port or 5439,
            database=url.path.lstrip("/"),
            user=url.username,
            password=url.password,
            ssl=True,
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
