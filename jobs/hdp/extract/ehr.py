"""EHR tables from PostgreSQL by `updated_at` watermark, with one bulk `COPY ... TO STDOUT` per table."""

from __future__ import annotations

import io
from datetime import datetime

import pandas as pd
import psycopg2
import pyarrow.csv as pacsv

from hdp.batches import BatchRange
from hdp.catalog import Dataset
from hdp.config import Settings


class SourceUnavailable(RuntimeError):
    pass


def copy_query(ds: Dataset, lower: datetime | None, upper: datetime) -> tuple[str, list]:
    cols = ", ".join(f"{c}::text AS {c}" for c in ds.columns if c != "updated_at")
    where = "updated_at < %s" + (" AND updated_at >= %s" if lower else "")
    params = [upper] + ([lower] if lower else [])
    sql = (
        f'SELECT {cols}, to_char(updated_at, \'YYYY-MM-DD"T"HH24:MI:SS"Z"\') AS updated_at, '
        f"to_char(updated_at, 'YYYY-MM-DD\"T\"HH24') AS _hour FROM {ds.source_ref} WHERE {where} "
        f"ORDER BY updated_at"
    )
    return sql, params


def fetch(settings: Settings, lake, ds: Dataset, lower: datetime | None, batches: BatchRange) -> pd.DataFrame:
    settings.require("source_dsn")
    sql, params = copy_query(ds, lower, batches.end)
    buf = io.BytesIO()
    try:
        conn = psycopg2.connect(
            settings.source_dsn,
            connect_timeout=10,
            options="-c TimeZone=UTC -c default_transaction_read_only=on",
        )
    except psycopg2.OperationalError as exc:
        raise SourceUnavailable(
            f"cannot connect to the EHR database (HDP_SOURCE_DSN): {str(exc).strip()}"
        ) from None
    try:
        with conn.cursor() as cur:
            cur.copy_expert(
                f"COPY ({cur.mogrify(sql, params).decode()}) TO STDOUT WITH (FORMAT csv, HEADER, "
                "FORCE_QUOTE *)",
                buf,
            )
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
