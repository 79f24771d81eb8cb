"""Lab result CSV drops: the files not yet ingested (a ledger in the control layer records which batch took
each file, so re-running that batch takes the same files again)."""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd

from hdp.batches import BatchRange, batch_id
from hdp.catalog import Dataset
from hdp.config import Settings

FILE_RE = re.compile(r"^labs_(\d{8}T\d{2})\.csv$")


def _ledger_uri(settings: Settings) -> str:
    return settings.layer("control") + "/ingested_files/lab_results.json"


def file_batch(name: str) -> str | None:
    m = FILE_RE.match(name)
    return batch_id(datetime.strptime(m.group(1), "%Y%m%dT%H")) if m else None


def fetch(settings: Settings, lake, ds: Dataset, lower: datetime | None, batches: BatchRange) -> pd.DataFrame:
    landing = settings.layer("landing") + "/labs"
    ledger = lake.read_json(_ledger_uri(settings), {})
    in_range = set(batches)
    rows = []
    for name in lake.list_files(landing, ".csv"):
        hour = file_batch(name)
        if hour is None or hour > batches.last:
            continue
        if name in ledger and ledger[name] not in in_range:
            continue  # taken by another batch
        lines = lake.read_text(f"{landing}/{name}").splitlines()
        rows += [
            {"raw_line": line, "line_number": str(no), "_source_ref": name, "_hour": hour}
            for no, line in enumerate(lines[1:], start=2)
            if line.strip()
        ]
    return pd.DataFrame(rows, columns=["raw_line", "line_number", "_source_ref", "_hour"])


def commit_ledger(lake, settings: Settings, rows: pd.DataFrame, batches: BatchRange) -> None:
    """Record which batch took each file (late files go to the range's first batch); called after the
    bronze write committed."""
    if rows.empty:
        return
    ledger = lake.read_json(_ledger_uri(settings), {})
    for name, hour in rows.groupby("_source_ref")["_hour"].first().items():
        ledger.setdefault(name, max(hour, batches.first))
    lake.write_json(_ledger_uri(settings), ledger)
