"""What one extraction reads: changes in [lower, upper), plus rows stamped in the future."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hdp.batches import BatchRange

# A change stamped this far past the extraction's own clock is from a source clock gone wrong.
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class Window:
    lower: datetime | None  # None: the initial snapshot, everything before `upper`
    batches: BatchRange
    now: datetime  # the extraction's clock

    @property
    def upper(self) -> datetime:
        return self.batches.end

    @property
    def future_from(self) -> datetime:
        """Changes at or after this are stamped in the future: taken now, so they are never lost."""
        return max(self.upper, self.now + FUTURE_TOLERANCE)
