"""Run manifests: per stage and batch, what was read, written, quarantined and de-duplicated. A stage
commits its manifest last; the next stage reads only batches whose previous stage committed."""

from __future__ import annotations

from datetime import datetime, timezone

from hdp.batches import BatchRange
from hdp.config import Settings
from hdp.lake import Lake

STAGES = ("extract", "silver", "gold", "warehouse")
PREVIOUS = {"silver": "extract", "gold": "silver", "warehouse": "gold"}


class NotCommitted(RuntimeError):
    pass


class ReconciliationError(RuntimeError):
    pass


def uri(settings: Settings, stage: str, batch: str) -> str:
    return f"{settings.layer('control')}/manifests/{stage}/{batch}.json"


def commit(lake: Lake, settings: Settings, stage: str, batches: BatchRange, report: dict) -> dict:
    doc = {
        "stage": stage,
        "range": str(batches),
        "committed_at": datetime.now(timezone.utc).isoformat(),
        "datasets": report,
    }
    for batch in batches:
        lake.write_json(uri(settings, stage, batch), doc)
    return doc


def read(lake: Lake, settings: Settings, stage: str, batches: BatchRange) -> list[dict]:
    docs, seen = [], set()
    for batch in batches:
        doc = lake.read_json(uri(settings, stage, batch))
        if doc and (doc["range"], doc["committed_at"]) not in seen:
            seen.add((doc["range"], doc["committed_at"]))
            docs.append(doc)
    return docs


def require_committed(lake: Lake, settings: Settings, stage: str, batches: BatchRange) -> None:
    previous = PREVIOUS.get(stage)
    if not previous:
        return
    missing = [b for b in batches if not lake.exists(uri(settings, previous, b))]
    if missing:
        shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
        raise NotCommitted(
            f"{stage} needs {previous} to have committed batch(es) {shown}: "
            f"run `hdp {previous} --batch {missing[0]}` (or `hdp run`) first"
        )


def reconcile(name: str, counts: dict) -> None:
    """rows_in = rows_out + rows_quarantined + rows_deduplicated, or the stage fails."""
    accounted = counts["rows_out"] + counts["rows_quarantined"] + counts["rows_deduplicated"]
    if counts["rows_in"] != accounted:
        raise ReconciliationError(
            f"{name}: {counts['rows_in']} rows read but {accounted} accounted for "
            f"(out {counts['rows_out']}, quarantined {counts['rows_quarantined']}, "
            f"de-duplicated {counts['rows_deduplicated']}): a transform dropped or multiplied rows"
        )
