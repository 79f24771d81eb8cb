"""One writer at a time: a lease on the lake, held by a run for as long as it writes.

The lease is a row in the `control/leases` Delta table. A run takes it with one conditional MERGE (free,
lapsed, or held by a process on this host that is gone), then reads it back to check that it is the
holder; a second run fails fast naming the holder. A background thread renews it; a holder that died stops
renewing and its lease lapses after `HDP_LEASE_SECONDS`. Delta's optimistic concurrency is the second line:
two runs that MERGE at the same moment conflict, and the loser fails. (On `file://` and HDFS, Delta's log
gives that mutual exclusion across processes; on S3 it needs a multi-writer LogStore, so there the
read-back check and the scheduler's one-run-at-a-time setting carry it.)"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone

from pyspark.errors import PySparkException
from pyspark.sql import functions as F
from pyspark.sql import types as T

from hdp.config import Settings
from hdp.errors import RetryLater
from hdp.lake import Lake

PIPELINE = "hdp"
SCHEMA = T.StructType(
    [
        T.StructField("pipeline", T.StringType(), False),
        T.StructField("run_id", T.StringType(), False),
        T.StructField("host", T.StringType(), False),
        T.StructField("pid", T.LongType(), False),
        T.StructField("work", T.StringType(), False),
        T.StructField("acquired_at", T.StringType(), False),  # ISO 8601, UTC
        T.StructField("expires_at", T.LongType(), False),  # seconds since the epoch
    ]
)


class LeaseHeld(RetryLater):
    pass


def _alive_here(host: str, pid: int) -> bool:
    """Whether the holder may still run: another host's process is presumed alive until its lease lapses."""
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Lease:
    def __init__(self, lake: Lake, settings: Settings, work: str, run_id: str | None = None):
        self.lake, self.work = lake, work
        self.uri = f"{settings.layer('control')}/leases"
        self.ttl = timedelta(seconds=settings.lease_seconds)
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.host, self.pid = socket.gethostname(), os.getpid()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost: Exception | None = None

    def _row(self, now: datetime):
        expires = int((now + self.ttl).timestamp())
        acquired = now.isoformat(timespec="seconds")
        return self.lake.spark.createDataFrame(
            [(PIPELINE, self.run_id, self.host, self.pid, self.work, acquired, expires)], SCHEMA
        )

    def holders(self) -> list:
        """The lease rows of the pipeline: none when free, one when held (two only if a race slipped past
        the storage's mutual exclusion: then nobody holds it)."""
        df = self.lake.read(self.uri)
        return df.where(F.col("pipeline") == PIPELINE).collect() if df is not None else []

    def _held_message(self, h) -> str:
        return (
            f"the lake is busy: run {h['run_id']} on {h['host']} (pid {h['pid']}) holds its lease for "
            f"{h['work']} since {h['acquired_at']}. Retry when it ends; if it died, its lease lapses at "
            f"{datetime.fromtimestamp(h['expires_at'], timezone.utc):%Y-%m-%d %H:%M:%S} UTC"
        )

    def acquire(self) -> Lease:
        now = datetime.now(timezone.utc)
        free_from = [self.run_id]
        for current in self.holders():
            if current["run_id"] == self.run_id:
                continue
            if current["expires_at"] > now.timestamp() and _alive_here(current["host"], current["pid"]):
                raise LeaseHeld(self._held_message(current))
            free_from.append(current["run_id"])  # lapsed, or its process on this host is gone
        taken = " OR ".join(f"t.run_id = '{r}'" for r in free_from)
        try:
            self.lake.merge(self._row(now), self.uri, ("pipeline",), update_when=taken)
        except PySparkException as exc:
            if "Concurrent" not in type(exc).__name__ and "DELTA_CONCURRENT" not in str(exc):
                raise
            raise LeaseHeld(
                f"another run took the lake's lease at the same moment ({type(exc).__name__})"
            ) from None
        rows = self.holders()
        if [r["run_id"] for r in rows] != [self.run_id]:
            others = [r for r in rows if r["run_id"] != self.run_id]
            if not others:
                raise LeaseHeld("the lake's lease could not be taken: retry")
            raise LeaseHeld(self._held_message(others[0]))
        return self

    def renew(self) -> None:
        now = datetime.now(timezone.utc)
        done = self.lake.merge(
            self._row(now), self.uri, ("pipeline",), update_when=f"t.run_id = '{self.run_id}'", insert=False
        )
        if not done["updated"]:
            raise LeaseHeld(f"run {self.run_id} lost the lake's lease (it lapsed and another run took it)")

    def release(self) -> None:
        self.lake.merge(
            self._row(datetime.now(timezone.utc)),
            self.uri,
            ("pipeline",),
            delete_when=f"t.run_id = '{self.run_id}'",
            update=False,
            insert=False,
        )

    def _heartbeat(self) -> None:
        interval = max(self.ttl.total_seconds() / 3, 1)
        while not self._stop.wait(interval):
            try:
                self.renew()
            except Exception as exc:  # reported by check(), between steps of the run
                self.lost = exc
                return

    def check(self) -> None:
        """Fail the run if the lease was lost: another writer may be at work."""
        if self.lost is not None:
            raise LeaseHeld(str(self.lost))

    def __enter__(self) -> Lease:
        self.acquire()
        self._thread = threading.Thread(target=self._heartbeat, name="hdp-lease", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.lost is None:
            self.release()
