"""The pipeline metrics: manifests in, Prometheus text out, read back with prometheus_client's own parser."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hdp import metrics

NOW = datetime(2026, 11, 27, 5, 10, tzinfo=timezone.utc)


def _row(stage, batch, run_id, committed, datasets, started=None):
    doc = {"stage": stage, "range": batch, "committed_at": committed, "datasets": datasets}
    if started:
        doc["started_at"] = started
    return {"stage": stage, "batch_id": batch, "run_id": run_id, "report": json.dumps(doc)}


SILVER = {
    "vital_signs": {
        "rows_in": 100,
        "rows_retried": 4,
        "rows_out": 90,
        "rows_quarantined": 6,
        "rows_parked": 3,
        "rows_duplicate": 5,
        "quarantine_reasons": {"IMPLAUSIBLE_VALUE": 4, "FUTURE_TIMESTAMP": 2},
    }
}
ROWS = [
    # an older silver run (two batches), then the latest one: only the latest is reported
    _row(
        "silver",
        "2026-11-27T02",
        "old",
        "2026-11-27T03:20:00+00:00",
        {"vital_signs": {**SILVER["vital_signs"], "rows_in": 1}},
    ),
    _row(
        "silver",
        "2026-11-27T03",
        "old",
        "2026-11-27T03:20:00+00:00",
        {"vital_signs": {**SILVER["vital_signs"], "rows_in": 1}},
    ),
    _row("silver", "2026-11-27T04", "new", "2026-11-27T05:02:05+00:00", SILVER, "2026-11-27T05:00:30+00:00"),
    _row("extract", "2026-11-27T04", "new", "2026-11-27T05:00:29+00:00", {"vital_signs": {"rows": 104}}),
    _row(
        "gold",
        "2026-11-27T04",
        "new",
        "2026-11-27T05:03:00+00:00",
        {"kpi_news2_daily": {"rows": 7, "window": None}},
    ),
]


def _parsed(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.fixture
def samples():
    newest = {"fact_vital_sign": datetime(2026, 11, 27, 4, 58, tzinfo=timezone.utc), "fact_lab_result": None}
    snap = metrics.snapshot(metrics.latest_runs(ROWS), newest, NOW)
    return _parsed(metrics.text(snap))


def test_rows_per_outcome_are_the_latest_runs(samples):
    def rows(stage, outcome):
        return samples[
            ("hdp_dataset_rows", (("dataset", "vital_signs"), ("outcome", outcome), ("stage", stage)))
        ]

    assert rows("silver", "in") == 100  # the latest run's, not the older run's 1
    assert rows("silver", "quarantined") == 6
    assert rows("silver", "parked") == 3
    assert rows("silver", "duplicate") == 5
    assert rows("silver", "out") == 90
    assert rows("extract", "extracted") == 104
    reasons = {dict(k[1])["reason"]: v for k, v in samples.items() if k[0] == "hdp_dataset_quarantined_rows"}
    assert reasons == {"IMPLAUSIBLE_VALUE": 4, "FUTURE_TIMESTAMP": 2}


def test_times_durations_and_freshness(samples):
    assert samples[("hdp_stage_duration_seconds", (("stage", "silver"),))] == 95.0
    assert ("hdp_stage_duration_seconds", (("stage", "gold"),)) not in samples, "no started_at, no duration"
    batch_04 = datetime(2026, 11, 27, 4, tzinfo=timezone.utc).timestamp()
    assert samples[("hdp_stage_last_batch_timestamp_seconds", (("stage", "silver"),))] == batch_04
    assert samples[("hdp_stage_batches_in_last_run", (("stage", "silver"),))] == 1
    newest = samples[("hdp_gold_newest_event_timestamp_seconds", (("table", "fact_vital_sign"),))]
    assert NOW.timestamp() - newest == 12 * 60
    assert not any(
        k[0] == "hdp_gold_newest_event_timestamp_seconds" and "fact_lab_result" in str(k) for k in samples
    )
    assert samples[("hdp_metrics_generated_timestamp_seconds", ())] == NOW.timestamp()


def test_every_exported_name_is_declared(samples):
    assert {name for name, _ in samples} <= set(metrics.METRICS)


def test_undeclared_metrics_and_wrong_labels_are_refused():
    snap = metrics.Snapshot()
    with pytest.raises(KeyError):
        snap.add("hdp_rows", 1)
    with pytest.raises(ValueError, match="labels"):
        snap.add("hdp_stage_duration_seconds", 1, stage="silver", dataset="x")


def test_textfile_is_the_same_text(tmp_path):
    snap = metrics.snapshot(metrics.latest_runs(ROWS), {}, NOW)
    path = tmp_path / "hdp.prom"
    metrics.write_textfile(snap, path)
    assert _parsed(path.read_text()) == _parsed(metrics.text(snap))


def test_push_replaces_the_pipelines_group_on_the_gateway():
    """A real HTTP exchange with a stand-in Pushgateway: PUT (replace the group) to /metrics/job/hdp/pipeline/…,
    a body in the text format carrying the snapshot."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Gateway(BaseHTTPRequestHandler):
        def do_PUT(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.command, self.path, body))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        snap = metrics.snapshot(metrics.latest_runs(ROWS), {}, NOW)
        metrics.push(snap, f"http://127.0.0.1:{server.server_port}", "s3a://hdp-control")
    finally:
        server.shutdown()
    [(method, path, body)] = received
    assert method == "PUT"
    assert path.startswith("/metrics/job/hdp/pipeline")
    assert _parsed(body) == _parsed(metrics.text(snap))
