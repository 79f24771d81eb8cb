"""Lab result CSV drops. A file is known by its name **and** the SHA-256 of its content, so a corrected
re-delivery under the same name is a new version and is taken again. The `control/lab_files` Delta table
records which batch took each version (re-running that batch takes the same versions again).

A file is taken only once it has been left unchanged for `HDP_LABS_SETTLE_SECONDS` (by its modification
time): a file still being written is left for a later run. Hidden and temporary names (`.x`, `_x`) are
never read. Each line keeps the file's header: silver maps fields by header name, so a reordered header
parses right and a renamed or missing column quarantines the file's lines (BAD_HEADER), never a silent
mis-parse."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone

import pandas as pd
from pyspark.sql import types as T

from hdp.batches import batch_id
from hdp.catalog import Dataset
from hdp.config import Settings
from hdp.extract.window import Window

FILE_RE = re.compile(r"^labs_(\d{8}T\d{2})\.csv$")
LEDGER_SCHEMA = T.StructType(
    [
        T.StructField("file_name", T.StringType(), False),
        T.StructField("sha256", T.StringType(), False),
        T.StructField("batch_id", T.StringType(), False),
        T.StructField("lines", T.LongType(), False),
        T.StructField("taken_at", T.StringType(), False),
    ]
)
COLUMNS = ["raw_line", "line_number", "header", "file_sha256", "delivered_at", "_source_ref", "_hour"]


def ledger_uri(settings: Settings) -> str:
    return settings.layer("control") + "/lab_files"


def file_batch(name: str) -> str | None:
    m = FILE_RE.match(name)
    return batch_id(datetime.strptime(m.group(1), "%Y%m%dT%H")) if m else None


def _taken(lake, settings: Settings) -> dict[tuple[str, str], str]:
    df = lake.read(ledger_uri(settings))
    if df is None:
        return {}
    return {(r["file_name"], r["sha256"]): r["batch_id"] for r in df.collect()}


def fetch(settings: Settings, lake, ds: Dataset, window: Window) -> pd.DataFrame:
    landing = settings.layer("landing") + "/labs"
    taken = _taken(lake, settings)
    batches = window.batches
    in_range = set(batches)
    settled_before = (window.now.timestamp() - settings.labs_settle_seconds) * 1000
    rows = []
    for f in lake.list_files(landing, ".csv"):
        hour = file_batch(f.name)
        if hour is None or hour > batches.last or f.modified_ms > settled_before:
            continue  # not a lab drop, a later batch's, or still being written
        data = lake.read_bytes(f"{landing}/{f.name}")
        digest = hashlib.sha256(data).hexdigest()
        took = taken.get((f.name, digest))
        if took is not None and took not in in_range:
            continue  # this version was taken by another batch
        lines = data.decode("utf-8", errors="replace").splitlines()
        if not lines:
            continue
        delivered = datetime.fromtimestamp(f.modified_ms / 1000, timezone.utc).isoformat(
            timespec="milliseconds"
        )
        batch = took or max(hour, batches.first)
        rows += [
            {
                "raw_line": line,
                "line_number": str(no),
                "header": lines[0],
                "file_sha256": digest,
                "delivered_at": delivered,
                "_source_ref": f.name,
                "_hour": batch,
            }
            for no, line in enumerate(lines[1:], start=2)
            if line.strip()
        ]
    return pd.DataFrame(rows, columns=COLUMNS)


def commit_ledger(lake, settings: Settings, rows: pd.DataFrame, taken_at: str) -> None:
    """Record which batch took each file version; called after the bronze write committed."""
    if rows.empty:
        return
    files = rows.groupby(["_source_ref", "file_sha256"]).agg(
        batch=("_hour", "first"), lines=("raw_line", "size")
    )
    entries = [(name, digest, r.batch, int(r.lines), taken_at) for (name, digest), r in files.iterrows()]
    df = lake.spark.createDataFrame(entries, LEDGER_SCHEMA)
    lake.merge(df, ledger_uri(settings), ("file_name", "sha256"), update=False)
