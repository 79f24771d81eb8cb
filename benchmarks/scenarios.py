"""The benchmark scenarios by name (issue 12). Every scenario ends at the same fixed hour, so that a run is
reproducible (same seed, same rows) and its data lie in the past of any machine clock running it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone

from hdp.batches import HOUR
from hdp.sources.scenario import ScenarioSpec

END = datetime(2026, 11, 27, tzinfo=timezone.utc)
SEED = 42
DEFECT_RATE = 0.01


@dataclass(frozen=True)
class Scenario:
    name: str
    beds: int
    days: int
    hourly_runs: int  # hours run one by one after the backfill (0: the whole history is one backfill)
    about: str
    seed: int = SEED

    def spec(self) -> ScenarioSpec:
        return ScenarioSpec(beds=self.beds, days=self.days, end=END, seed=self.seed, defect_rate=DEFECT_RATE)

    @property
    def backfill_end(self) -> datetime:
        """The backfill covers [start, backfill_end); the hourly runs the hours after it, up to END."""
        return END - self.hourly_runs * HOUR

    def resized(self, beds: int | None, days: int | None, hourly_runs: int | None) -> Scenario:
        return replace(
            self,
            beds=beds if beds is not None else self.beds,
            days=days if days is not None else self.days,
            hourly_runs=hourly_runs if hourly_runs is not None else self.hourly_runs,
        )

    @property
    def standard(self) -> bool:
        return SCENARIOS.get(self.name) == self

    @property
    def label(self) -> str:
        """The result file's name part: the scenario's name, and its size when resized."""
        return self.name if self.standard else f"{self.name}-{self.beds}b{self.days}d{self.hourly_runs}h"


SCENARIOS = {
    s.name: s
    for s in (
        Scenario(
            "tiny",
            24,
            1,
            1,
            "the test's scenario: 24 beds, 1 day as one backfill but its last hour, then that hour",
        ),
        Scenario("hospital", 500, 30, 0, "one 500-bed hospital, 30 days, as one backfill"),
        Scenario(
            "health-system",
            5000,
            365,
            0,
            "5,000 beds, 365 days, as one backfill (one hospital of 5,000 beds: the generator makes one "
            "hospital per scenario)",
        ),
        Scenario(
            "hourly-1d",
            500,
            1,
            3,
            "500 beds: 1 day of data, the last 3 hours run one by one on top of the rest (21 h of history)",
        ),
        Scenario(
            "hourly-365d",
            500,
            365,
            3,
            "500 beds: 365 days of data, the last 3 hours run one by one on top of the rest",
        ),
    )
}
