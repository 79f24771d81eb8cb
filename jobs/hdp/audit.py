"""The audit log: an event for every stage run and every read of restricted (or gold) data through the CLI.

An operation emits `started`, then `success` or `failure`, each as one JSON line: to the lake's audit area
(`HDP_LAKE_AUDIT`, default `<control>/audit`), one new file per event under `date=YYYY-MM-DD/` that is never
rewritten (created exclusively, read-only; on S3 a new object per event), and to stdout for the cluster's
log shipping (`HDP_AUDIT_STDOUT`). An event says who (OS user, Kubernetes service account, host, pid), what
(action, command, batches, every table read or written with its zone and row count), when, and the outcome
(on failure the exception's type and exit code). It never holds a PHI value: no row, no identifier, no
filter text, no error message (messages may quote data)."""

from __future__ import annotations

import json
import os
import pwd
import socket
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hdp import catalog as C
from hdp.config import Settings, reveal

SCHEMA = "hdp.audit/1"
OUTCOMES = ("started", "success", "failure")


class AuditUnavailable(RuntimeError):
    """An audit event could not be written: the operation it records fails with it."""


def actor(settings: Settings) -> dict:
    """Who acts: the effective OS user (from the system, not from $USER), the service account, host, pid."""
    uid = os.geteuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:  # a container user without a passwd entry
        user = f"uid {uid}"
    return {
        "user": user,
        "uid": uid,
        "service_account": settings.service_account or None,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


def table(zone: str, name: str, rows: int | None = None, location: str | None = None) -> dict:
    """A table an operation reads or writes, with its zone and what that zone may hold."""
    entry = {"table": f"{zone}.{name}", "zone": zone, "holds": C.ZONES_BY_NAME[zone].holds, "rows": rows}
    if location:
        entry["location"] = location
    return entry


class Operation:
    """What one operation did; its events are built from it."""

    def __init__(
        self,
        action: str,
        command: str,
        settings: Settings,
        batches=None,
        run_id: str = "",
        reads: Sequence[dict] = (),
        writes: Sequence[dict] = (),
        details: dict | None = None,
    ):
        self.operation_id = uuid.uuid4().hex
        self.settings = settings
        self.action, self.command, self.run_id = action, command, run_id
        self.actor = actor(settings)
        self.batches = (
            {"first": batches.first, "last": batches.last, "hours": len(batches)} if batches else None
        )
        self.reads = [dict(t) for t in reads]
        self.writes = [dict(t) for t in writes]
        self.details = dict(details or {})
        self.started = time.monotonic()

    def read(self, name: str, rows: int | None) -> None:
        _count(self.reads, name, rows)

    def record_stage(self, result: dict) -> None:
        """Row counts of a pipeline stage (this operation's command) from its result."""
        record_stage(self, self.command, self.settings, result)

    def wrote(self, name: str, rows: int | None) -> None:
        _count(self.writes, name, rows)

    def event(self, outcome: str, error: BaseException | None = None) -> dict:
        now = datetime.now(timezone.utc)
        event = {
            "schema": SCHEMA,
            "event_id": uuid.uuid4().hex,
            "operation_id": self.operation_id,
            "time": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "outcome": outcome,
            "actor": self.actor,
            "action": self.action,
            "command": self.command,
            "run_id": self.run_id or None,
            "batches": self.batches,
            "reads": self.reads,
            "writes": self.writes,
            "details": self.details,
        }
        if outcome != "started":
            event["duration_seconds"] = round(time.monotonic() - self.started, 3)
        if error is not None:
            event["error"] = {"type": type(error).__name__, "exit_code": _exit_code(error)}
        return event


def _count(entries: list[dict], name: str, rows: int | None) -> None:
    for entry in entries:
        if entry["table"] == name:
            entry["rows"] = None if rows is None else int(rows) + int(entry.get("rows") or 0)
            return
    zone, _, rest = name.partition(".")
    entries.append(table(zone, rest, None if rows is None else int(rows)))


def _exit_code(error: BaseException) -> int | None:
    if isinstance(error, KeyboardInterrupt):
        return 130
    code = getattr(error, "exit_code", None)
    return code if isinstance(code, int) else 1


class AuditLog:
    """Appends events to the lake's audit area and prints them to stdout."""

    def __init__(self, spark, settings: Settings):
        self.spark, self.root, self.stdout = spark, settings.layer("audit").rstrip("/"), settings.audit_stdout

    def emit(self, event: dict) -> None:
        line = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
        stamp = event["time"]
        name = f"date={stamp[:10]}/{stamp[11:26].replace(':', '')}Z-{event['event_id']}.json"
        try:
            self._create(f"{self.root}/{name}", (line + "\n").encode("utf-8"))
        except Exception as exc:  # noqa: BLE001 - whatever the storage says, the event was not recorded
            raise AuditUnavailable(
                f"cannot write the audit event to {self.root} ({type(exc).__name__}): the operation is "
                "refused without its audit record; check the audit area's permissions and space"
            ) from None
        if self.stdout:
            print(line, flush=True)

    def _create(self, uri: str, data: bytes) -> None:
        """A new file, never an existing one replaced: exclusive create (read-only once written) on file://,
        Hadoop's FileSystem without overwrite on any other scheme (s3a://: a new object per event)."""
        if uri.startswith("file:"):
            self._create_local(Path(unquote(urlsplit(uri).path)), data)
        else:
            self._create_hadoop(uri, data)

    @staticmethod
    def _create_local(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def _create_hadoop(self, uri: str, data: bytes) -> None:
        jvm = self.spark.sparkContext._jvm
        path = jvm.org.apache.hadoop.fs.Path(uri)
        fs = path.getFileSystem(self.spark.sparkContext._jsc.hadoopConfiguration())
        out = fs.create(path, False)  # overwrite=false: an existing event is never replaced
        try:
            out.write(bytearray(data))
        finally:
            out.close()


@contextmanager
def operation(spark, settings: Settings, action: str, command: str, **what) -> Iterator[Operation]:
    """Audit an operation (`what`: Operation's batches, run_id, reads, writes, details): `started` now,
    then `success`, or `failure` with the exception (re-raised)."""
    log = AuditLog(spark, settings)
    op = Operation(action, command, settings, **what)
    log.emit(op.event("started"))
    try:
        yield op
    except BaseException as exc:
        with suppress(AuditUnavailable):  # the operation's own error is the one to report
            log.emit(op.event("failure", exc))
        raise
    log.emit(op.event("success"))


# ------------------------------------------------------------------------------------------- stages


def stage_tables(settings: Settings, stage: str, only: Sequence[str] = ()) -> tuple[list[dict], list[dict]]:
    """(reads, writes) of a pipeline stage, from the registry."""
    from hdp.extract.ehr import endpoint

    datasets = [d for d in C.DATASETS if not only or d.name in only or stage not in ("extract", "silver")]

    def lake(zone: str, name: str) -> dict:
        return table(zone, name, location=f"{settings.layer(zone)}/{name}")

    if stage == "extract":
        reads = []
        for d in datasets:
            if d.source == "ehr":
                where = (
                    f"{endpoint(reveal(settings.source_dsn))}/{d.source_ref}" if settings.source_dsn else None
                )
                reads.append(table("source", d.source_ref, location=where))
            elif d.source == "pharmacy":
                reads.append(table("source", f"pharmacy{d.source_ref.replace('/', '.')}", location=None))
            else:
                reads.append(table("landing", d.source_ref, location=f"{settings.layer('landing')}/labs"))
        return reads, [lake("bronze", d.name) for d in datasets]
    if stage == "silver":
        reads = [lake("bronze", d.name) for d in datasets] + [lake("quarantine", d.name) for d in datasets]
        return reads, [lake("silver", d.name) for d in datasets] + [
            lake("quarantine", d.name) for d in datasets
        ]
    if stage == "gold":
        return [lake("silver", d.name) for d in C.DATASETS], [lake("gold", t.name) for t in C.GOLD_TABLES]
    if stage == "warehouse":
        where = endpoint(reveal(settings.warehouse_dsn)) if settings.warehouse_dsn else None
        writes = [
            table("warehouse", f"{settings.warehouse_schema}.{t.name}", location=where) for t in C.GOLD_TABLES
        ]
        return [lake("gold", t.name) for t in C.GOLD_TABLES], writes
    raise ValueError(f"unknown stage {stage!r}")


def record_stage(op: Operation, stage: str, settings: Settings, result: dict) -> None:
    """Row counts of a finished stage from its result (the run manifest's report)."""
    for name, info in result.items():
        if not isinstance(info, dict):
            continue
        if stage == "extract":
            op.wrote(f"bronze.{name}", info.get("rows"))
            source = C.dataset(name)
            if source.source == "ehr":
                op.read(f"source.{source.source_ref}", info.get("rows"))
            elif source.source == "pharmacy":
                op.read(f"source.pharmacy{source.source_ref.replace('/', '.')}", info.get("rows"))
            else:
                op.read(f"landing.{source.source_ref}", info.get("rows"))
        elif stage == "silver":
            op.read(f"bronze.{name}", info.get("rows_in"))
            op.read(f"quarantine.{name}", info.get("rows_retried"))
            op.wrote(f"silver.{name}", info.get("rows_out"))
            held = (info.get("rows_quarantined") or 0) + (info.get("rows_parked") or 0)
            op.wrote(f"quarantine.{name}", held)
            op.details.setdefault("held_by_reason", {})[name] = dict(info.get("quarantine_reasons") or {})
        elif stage == "gold":
            op.wrote(f"gold.{name}", info.get("rows"))
        elif stage == "warehouse":
            op.read(f"gold.{name}", info.get("rows"))
            op.wrote(f"warehouse.{settings.warehouse_schema}.{name}", info.get("rows"))


def stage(spark, settings: Settings, name: str, batches, run_id: str, only: Sequence[str] = ()):
    """Audit one pipeline stage: `with audit.stage(...) as op: result = run(...); op.record_stage(result)`."""
    reads, writes = stage_tables(settings, name, only)
    return operation(
        spark, settings, "stage", name, batches=batches, run_id=run_id, reads=reads, writes=writes
    )


def read_events(settings: Settings, spark=None) -> list[dict]:
    """Every event of the audit area, oldest first (file:// directly; other schemes through Spark)."""
    root = settings.layer("audit").rstrip("/")
    if root.startswith("file:"):
        base = Path(unquote(urlsplit(root).path))
        files = sorted(base.glob("date=*/*.json"), key=lambda p: (p.parent.name, p.name))
        return [json.loads(line) for f in files for line in f.read_text().splitlines() if line.strip()]
    if spark is None:
        raise ValueError("reading an audit area on object storage needs a Spark session")
    rows = spark.read.text(f"{root}/date=*/*.json").collect()
    events = [json.loads(r["value"]) for r in rows if r["value"].strip()]
    return sorted(events, key=lambda e: e["time"])
