"""Pipeline metrics for Prometheus, derived from the run manifests (control/manifests) and gold.

Why a Pushgateway: each stage is a short-lived SparkApplication whose driver is gone before a scrape
would reach it, and the pipeline is a service-level batch job (not tied to a node), which is the case the
Prometheus docs give for pushing. `hdp run` pushes at its end when HDP_METRICS_PUSHGATEWAY is set (grouping
key job=hdp, pipeline=<lake>: one group per lake, replaced on every push, so a series never outlives the
pipeline's state); `hdp metrics` prints the same text, writes it for node_exporter's textfile collector
(`--output`), or pushes it (`--push`). Everything is recomputed from the manifests, so a push after a
failed or skipped run cannot invent or lose a number.

Every value is a gauge about the latest committed run of each stage; times are Unix timestamps, so
ages are computed in PromQL (`time() - hdp_gold_newest_event_timestamp_seconds`) and stay right between
pushes. The names below are the project's exporter contract: the chart's alerts and dashboards may use
only these (tests/infra/test_monitoring.py checks it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from hdp.batches import parse_batch

PREFIX = "hdp_"
# name -> (help, label names)
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "hdp_stage_last_commit_timestamp_seconds": (
        "When the stage last committed a run manifest (Unix time)",
        ("stage",),
    ),
    "hdp_stage_last_batch_timestamp_seconds": (
        "Start of the newest batch hour the stage has committed (Unix time)",
        ("stage",),
    ),
    "hdp_stage_duration_seconds": (
        "Wall-clock seconds of the stage in its latest run (manifest committed_at - started_at)",
        ("stage",),
    ),
    "hdp_stage_batches_in_last_run": ("Batch hours the stage's latest run covered", ("stage",)),
    "hdp_dataset_rows": (
        "Rows per dataset in the stage's latest run, by outcome (extracted, in, retried, out, quarantined, "
        "parked, duplicate, written)",
        ("stage", "dataset", "outcome"),
    ),
    "hdp_dataset_quarantined_rows": (
        "Rows held in quarantine by the latest silver run, by reason code",
        ("dataset", "reason"),
    ),
    "hdp_gold_newest_event_timestamp_seconds": (
        "Newest event time in a gold fact table (Unix time); freshness = time() - this",
        ("table",),
    ),
    "hdp_metrics_generated_timestamp_seconds": ("When these metrics were computed (Unix time)", ()),
}
# silver manifest term -> outcome label
SILVER_OUTCOMES = {
    "rows_in": "in",
    "rows_retried": "retried",
    "rows_out": "out",
    "rows_quarantined": "quarantined",
    "rows_parked": "parked",
    "rows_duplicate": "duplicate",
}
# gold fact table -> its event-time column (freshness: how far behind the hospital gold is)
EVENT_TIME_COLUMNS = {
    "fact_vital_sign": "observed_at",
    "fact_lab_result": "resulted_at",
    "fact_bed_assignment": "start_at",
    "fact_pharmacy_stock": "recorded_at",
}


@dataclass
class Sample:
    name: str
    labels: dict[str, str]
    value: float


@dataclass
class Snapshot:
    """The metric samples of one moment, in a stable order."""

    samples: list[Sample] = field(default_factory=list)

    def add(self, name: str, value: float, **labels: str) -> None:
        if name not in METRICS:
            raise KeyError(f"{name} is not a declared metric (hdp.metrics.METRICS)")
        expected = set(METRICS[name][1])
        if set(labels) != expected:
            raise ValueError(f"{name} takes labels {sorted(expected)}, got {sorted(labels)}")
        self.samples.append(Sample(name, {k: str(v) for k, v in labels.items()}, float(value)))


def _epoch(moment: datetime | str | float) -> float:
    if isinstance(moment, (int, float)):
        return float(moment)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def latest_runs(rows: Iterable[dict]) -> dict[str, dict]:
    """Per stage, the manifest document of its latest run (the newest committed_at), with the run's
    batches. `rows` are manifest table rows: stage, batch_id, run_id, report (JSON)."""
    runs: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (row["stage"], row["run_id"])
        if key not in runs:
            runs[key] = {"doc": json.loads(row["report"]), "batches": []}
        runs[key]["batches"].append(row["batch_id"])
    latest: dict[str, dict] = {}
    for (stage, _), run in runs.items():
        if stage not in latest or run["doc"]["committed_at"] > latest[stage]["doc"]["committed_at"]:
            latest[stage] = run
    return latest


def snapshot(latest: dict[str, dict], newest_events: dict[str, datetime | None], now: datetime) -> Snapshot:
    """The samples for the latest run of each stage and the newest event time of each gold fact.
    Pure: the caller reads the manifests and gold."""
    snap = Snapshot()
    for stage in sorted(latest):
        doc, batches = latest[stage]["doc"], latest[stage]["batches"]
        snap.add("hdp_stage_last_commit_timestamp_seconds", _epoch(doc["committed_at"]), stage=stage)
        snap.add("hdp_stage_last_batch_timestamp_seconds", parse_batch(max(batches)).timestamp(), stage=stage)
        snap.add("hdp_stage_batches_in_last_run", len(set(batches)), stage=stage)
        if doc.get("started_at"):
            seconds = _epoch(doc["committed_at"]) - _epoch(doc["started_at"])
            snap.add("hdp_stage_duration_seconds", seconds, stage=stage)
        for dataset in sorted(doc["datasets"]):
            info = doc["datasets"][dataset] or {}
            for outcome, value in _outcomes(stage, info):
                snap.add("hdp_dataset_rows", value, stage=stage, dataset=dataset, outcome=outcome)
            if stage == "silver":
                for reason, n in sorted((info.get("quarantine_reasons") or {}).items()):
                    snap.add("hdp_dataset_quarantined_rows", n, dataset=dataset, reason=reason)
    for table in sorted(newest_events):
        moment = newest_events[table]
        if moment is not None:
            snap.add("hdp_gold_newest_event_timestamp_seconds", _epoch(moment), table=table)
    snap.add("hdp_metrics_generated_timestamp_seconds", _epoch(now))
    return snap


def _outcomes(stage: str, info: dict) -> list[tuple[str, int]]:
    if stage == "silver":
        return [(label, info[term]) for term, label in SILVER_OUTCOMES.items() if term in info]
    if stage == "extract" and "rows" in info:
        return [("extracted", info["rows"])]
    if "rows" in info:
        return [("written", info["rows"])]
    return []


def registry(snap: Snapshot):
    """A prometheus_client registry serving the snapshot (for text output and for pushing)."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.core import GaugeMetricFamily

    class _Collector:
        def collect(self):
            for name, (help_text, label_names) in METRICS.items():
                family = GaugeMetricFamily(name, help_text, labels=list(label_names))
                for s in snap.samples:
                    if s.name == name:
                        family.add_metric([s.labels[n] for n in label_names], s.value)
                yield family

    reg = CollectorRegistry(auto_describe=False)
    reg.register(_Collector())
    return reg


def text(snap: Snapshot) -> str:
    """The Prometheus text exposition format (what a scrape, the textfile collector or a push carries)."""
    from prometheus_client import generate_latest

    return generate_latest(registry(snap)).decode()


def push(snap: Snapshot, gateway: str, pipeline: str) -> None:
    """Replace this pipeline's group on the Pushgateway (PUT: series of an earlier push do not linger)."""
    from prometheus_client import push_to_gateway

    push_to_gateway(gateway, job="hdp", registry=registry(snap), grouping_key={"pipeline": pipeline})


def write_textfile(snap: Snapshot, path) -> None:
    """Write atomically (node_exporter's textfile collector must never read half a file)."""
    from prometheus_client import write_to_textfile

    write_to_textfile(str(path), registry(snap))


def collect(lake, settings, now: datetime | None = None) -> Snapshot:
    """Read the manifests and gold's newest event times from the lake (I/O), then build the snapshot."""
    from pyspark.sql import functions as F

    from hdp import manifest

    df = lake.read(manifest.uri(settings))
    rows = (
        []
        if df is None
        else [r.asDict() for r in df.select("stage", "batch_id", "run_id", "report").collect()]
    )
    newest: dict[str, float | None] = {}
    for table, column in EVENT_TIME_COLUMNS.items():
        gold = lake.read(f"{settings.layer('gold')}/{table}")
        # epoch seconds computed by Spark: no dependence on the Python process's time zone
        micros = None if gold is None else gold.select(F.max(F.unix_micros(column))).first()[0]
        newest[table] = None if micros is None else micros / 1e6
    return snapshot(latest_runs(rows), newest, now or datetime.now(timezone.utc))
