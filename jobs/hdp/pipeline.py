"""Runs stages over a batch range in one Spark session: the hourly schedule is a range of one hour, a
backfill is a range of many hours processed together (not one Spark job per hour).

A run holds the lake's lease from start to end (one writer at a time), and each stage commits its run
manifest last: a stage that crashed part-way left every table at a committed version, and running the
same batches again converges to what one uninterrupted run writes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from hdp import audit, extract, gold, manifest, silver, warehouse
from hdp.batches import HOUR, BatchRange, parse_batch
from hdp.config import Settings
from hdp.lake import Lake
from hdp.lease import Lease
from hdp.progress import Progress
from hdp.spark import configure_storage

STAGES = ("extract", "silver", "gold", "warehouse")
RUNNERS = {"extract": extract.run, "silver": silver.run, "gold": gold.run, "warehouse": warehouse.run}


@dataclass
class RunReport:
    batches: BatchRange
    run_id: str = ""
    stages: dict[str, dict] = field(default_factory=dict)


def run_stages(
    spark,
    settings: Settings,
    batches: BatchRange,
    progress: Progress,
    stages: tuple[str, ...] = STAGES,
    only: tuple[str, ...] = (),
) -> RunReport:
    """`only` limits extract and silver to some datasets (for re-running one source by hand)."""
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stage(s) {sorted(unknown)}: stages are {', '.join(STAGES)}")
    configure_storage(spark, settings)
    lake = Lake(spark)
    report = RunReport(batches, uuid.uuid4().hex[:12])
    with Lease(
        lake, settings, f"{'+'.join(s for s in STAGES if s in stages)} {batches}", report.run_id
    ) as lease:
        progress.info(f"[dim]run {report.run_id} holds the lake's lease[/dim]")
        for stage in STAGES:
            if stage not in stages:
                continue
            lease.check()
            started = datetime.now(timezone.utc)
            extra: dict = {"run_id": report.run_id}
            if only and stage in ("extract", "silver"):
                extra["only"] = only
            if stage == "silver":
                extracted = extract.horizon(lake, settings)
                extra["lake_end"] = parse_batch(max(batches.last, extracted[1] if extracted else "")) + HOUR
            with audit.stage(spark, settings, stage, batches, report.run_id, extra.get("only", ())) as event:
                result = RUNNERS[stage](spark, settings, batches, progress, **extra)
                lease.check()
                manifest.commit(lake, settings, stage, batches, result, report.run_id, started)
                event.record_stage(result)
            report.stages[stage] = result
    return report
