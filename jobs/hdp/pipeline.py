"""Runs stages over a batch range in one Spark session: the hourly schedule is a range of one hour, a
backfill is a range of many hours processed together (not one Spark job per hour)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hdp import extract, gold, silver, warehouse
from hdp.batches import BatchRange
from hdp.config import Settings
from hdp.progress import Progress

STAGES = ("extract", "silver", "gold", "warehouse")
RUNNERS = {"extract": extract.run, "silver": silver.run, "gold": gold.run, "warehouse": warehouse.run}


@dataclass
class RunReport:
    batches: BatchRange
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
    report = RunReport(batches)
    for stage in STAGES:
        if stage in stages:
            extra = {"only": only} if only and stage in ("extract", "silver") else {}
            report.stages[stage] = RUNNERS[stage](spark, settings, batches, progress, **extra)
    return report
