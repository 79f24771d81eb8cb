"""EHR tables from PostgreSQL by `updated_at` watermark, with one bulk `COPY ... TO STDOUT` per table."""

from __future__ import annotations

import io

import pandas as pd
import psycopg2
import pyarrow.csv as pacsv

from hdp.catalog import Dataset
from hdp.config import Settings
from hdp.errors import RetryLater
from hdp.extract.window import Window


class SourceUnavailable(RetryLater):
    pass


def endpoint(dsn: str) -> str:
    """host:port of a PostgreSQL DSN (URL or key=value), for messages; never the password."""
    try:
        parts = psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        return "an unparsable DSN"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', '5432')}/{parts.get('dbname', '')}"


def copy_query(ds: Dataset, window: Window) -> tuple[str, list]:
    """Changes in [lower, upper), and those stamped in the future (never lost, see `Window`)."""
    cols = ", ".join(f"{c}::text AS {c}" for c in ds.columns if c != "updated_at")
    where = "(updated_at < %s OR updated_at >= %s)" + (" AND updated_at >= %s" if window.lower else "")
    params = [window.upper, window.future_from] + ([window.lower] if window.lower else [])
    sql = (
        f'SELECT {cols}, to_char(updated_at, \'YYYY-MM-DD"T"HH24:MI:SS"Z"\') AS updated_at, '
        f"to_char(updated_at, 'YYYY-MM-DD\"T\"HH24') AS _hour FROM {ds.source_ref} WHERE {where} "
        f"ORDER BY updated_at"
    )
    return sql, params


def fetch(settings: Settings, lake, ds: Dataset, window: Window) -> pd.DataFrame:
    settings.require("source_dsn")
    sql, params = copy_query(ds, window)
    buf = io.BytesIO()
    where = f"the EHR database (HDP_SOURCE_DSN, {endpoint(settings.source_dsn)})"
    try:
        conn = psycopg2.connect(
            settings.source_dsn,
            connect_timeout=10,
            options="-c TimeZone=UTC -c default_transaction_read_only=on",
        )
    except psycopg2.OperationalError as exc:
        raise SourceUnavailable(f"cannot connect to {where}: {_first_line(exc)}") from None
    try:
        with conn.cursor() as cur:
            cur.copy_expert(
                f"COPY ({cur.mogrify(sql, params).decode()}) TO STDOUT WITH (FORMAT csv, HEADER, "
                "FORCE_QUOTE *)",
                buf,
            )
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        raise SourceUnavailable(f"{where} failed while copying {ds.source_ref}: {_first_line(exc)}") from None
    finally:
        conn.close()
    buf.seek(0)
    names = [*ds.columns, "_hour"]
    table = pacsv.read_csv(
        buf,
        convert_options=pacsv.ConvertOptions(
            column_types={n: "string" for n in names},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    df = table.to_pandas()
    df["_source_ref"] = ds.source_ref
    return df


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
