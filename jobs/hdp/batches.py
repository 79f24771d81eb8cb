"""Batch ids: one batch is one clock hour (UTC) of source changes, written `2026-11-27T02`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

HOUR = timedelta(hours=1)
_BATCH_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}$")


def parse_batch(batch_id: str) -> datetime:
    """Start of the hour a batch id names, as an aware UTC datetime."""
    if not _BATCH_RE.match(batch_id):
        raise ValueError(
            f"bad batch id {batch_id!r}: expected YYYY-MM-DDTHH in UTC, for example 2026-11-27T02"
        )
    return datetime.strptime(batch_id, "%Y-%m-%dT%H").replace(tzinfo=timezone.utc)


def batch_id(moment: datetime) -> str:
    """The batch id of the hour that contains `moment` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")


def floor_hour(moment: datetime) -> datetime:
    return parse_batch(batch_id(moment))


@dataclass(frozen=True)
class BatchRange:
    """Hours [first, last] processed together (a backfill) or one hour (the hourly schedule)."""

    first: str
    last: str

    def __post_init__(self) -> None:
        if parse_batch(self.first) > parse_batch(self.last):
            raise ValueError(f"batch range runs backwards: {self.first} is after {self.last}")

    @classmethod
    def single(cls, batch: str) -> BatchRange:
        return cls(batch, batch)

    @property
    def start(self) -> datetime:
        """Inclusive lower bound of the source changes in this range."""
        return parse_batch(self.first)

    @property
    def end(self) -> datetime:
        """Exclusive upper bound of the source changes in this range."""
        return parse_batch(self.last) + HOUR

    def __iter__(self) -> Iterator[str]:
        moment = self.start
        while moment < self.end:
            yield batch_id(moment)
            moment += HOUR

    def __len__(self) -> int:
        return int((self.end - self.start) / HOUR)

    def __str__(self) -> str:
        return self.first if self.first == self.last else f"{self.first}..{self.last}"
