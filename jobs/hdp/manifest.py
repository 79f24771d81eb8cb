"""Run manifests: per stage and batch, what was read, written, quarantined, parked and found duplicate. A
stage commits its manifest last (one MERGE into the `control/manifests` Delta table); the next stage reads
only batches whose previous stage committed."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from pyspark.sql import functions as F
from pyspark.sql import types as T

from hdp.batches import BatchRange
from hdp.config import Settings
from hdp.errors import BadData, NotReady
from hdp.lake import Lake

STAGES = ("extract", "silver", "gold", "warehouse")
PREVIOUS = {"silver": "extract", "gold": "silver", "warehouse": "gold"}
SCHEMA = T.StructType(
    [
        T.StructField("stage", T.StringType(), False),
        T.StructField("batch_id", T.StringType(), False),
        T.StructField("range", T.StringType(), False),
        T.StructField("run_id", T.StringType(), False),
        T.StructField("committed_at", T.TimestampType(), False),
        T.StructField("report", T.StringType(), False),
    ]
)
# Each term of a silver manifest is counted on its own; none is the remainder of the others.
TERMS_IN = ("rows_in", "rows_retried")
TERMS_OUT = ("rows_out", "rows_quarantined", "rows_parked", "rows_duplicate")


class NotCommitted(NotReady):
    pass


class ReconciliationError(BadData):
    pass


def uri(settings: Settings) -> str:
    return f"{settings.layer('control')}/manifests"


def commit(
    lake: Lake,
    settings: Settings,
    stage: str,
    batches: BatchRange,
    report: dict,
    run_id: str,
    started_at: datetime | None = None,
) -> dict:
    """`started_at` (when the stage began) gives the stage's duration to the metrics (hdp/metrics.py)."""
    now = datetime.now(timezone.utc)
    doc = {"stage": stage, "range": str(batches), "committed_at": now.isoformat(), "datasets": report}
    if started_at is not None:
        doc["started_at"] = started_at.isoformat()
    text = json.dumps(doc, sort_keys=True, default=str)
    rows = [(stage, b, str(batches), run_id, now, text) for b in batches]
    lake.merge(lake.spark.createDataFrame(rows, SCHEMA), uri(settings), ("stage", "batch_id"))
    return doc


def _rows(lake: Lake, settings: Settings, stage: str, batches: BatchRange):
    df = lake.read(uri(settings))
    if df is None:
        return []
    return (
        df.where((F.col("stage") == stage) & F.col("batch_id").between(batches.first, batches.last))
        .select("batch_id", "run_id", "report")
        .collect()
    )


def read(lake: Lake, settings: Settings, stage: str, batches: BatchRange) -> list[dict]:
    """The committed manifests of a stage covering any batch of the range, one per run."""
    docs = {}
    for row in sorted(_rows(lake, settings, stage, batches), key=lambda r: r["batch_id"]):
        docs.setdefault(row["run_id"], json.loads(row["report"]))
    return list(docs.values())


def committed(lake: Lake, settings: Settings, stage: str) -> bool:
    """Whether a stage ever committed a batch in this lake (then its tables must exist)."""
    df = lake.read(uri(settings))
    return df is not None and not df.where(F.col("stage") == stage).isEmpty()


def require_committed(lake: Lake, settings: Settings, stage: str, batches: BatchRange) -> None:
    previous = PREVIOUS.get(stage)
    if not previous:
        return
    done = {r["batch_id"] for r in _rows(lake, settings, previous, batches)}
    missing = [b for b in batches if b not in done]
    if missing:
        shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
        raise NotCommitted(
            f"{stage} needs {previous} to have committed batch(es) {shown}: "
            f"run `hdp {previous} --batch {missing[0]}` (or `hdp run`) first"
        )


def reconcile(name: str, counts: dict) -> None:
    """rows_in + rows_retried = rows_out + rows_quarantined + rows_parked + rows_duplicate, or the stage
    fails. Each term is counted separately, so a transform or merge that loses or multiplies rows shows."""
    taken = sum(counts[t] for t in TERMS_IN)
    accounted = sum(counts[t] for t in TERMS_OUT)
    if taken != accounted:
        terms = ", ".join(f"{t.removeprefix('rows_')} {counts[t]}" for t in (*TERMS_IN, *TERMS_OUT))
        raise ReconciliationError(
            f"{name}: {taken} rows taken but {accounted} accounted for ({terms}): "
            "a transform or merge dropped or multiplied rows"
        )
