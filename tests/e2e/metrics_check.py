"""The pipeline metrics of a real lake: `hdp metrics` after a demo, parsed with prometheus_client's parser and
compared with what the demo says it ran (helper of tests/e2e/test_demo.py)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from hdp.batches import parse_batch
from hdp.pipeline import STAGES


def check_metrics(workdir: Path, demo_output: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "hdp.cli", "--env-file", str(workdir / "hdp.env"), "-q", "metrics"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    samples = {}
    for family in text_string_to_metric_families(out.stdout):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    last_hour = re.findall(r"hourly run (\d{4}-\d\d-\d\dT\d\d)", demo_output)[-1]
    for stage in STAGES:
        batch = samples[("hdp_stage_last_batch_timestamp_seconds", (("stage", stage),))]
        assert batch == parse_batch(last_hour).timestamp(), f"{stage}: the demo's last hourly run"
        assert samples[("hdp_stage_duration_seconds", (("stage", stage),))] > 0
    silver_in = [
        v for (n, labels), v in samples.items() if n == "hdp_dataset_rows" and ("outcome", "in") in labels
    ]
    assert silver_in and sum(silver_in) > 0
    newest = samples[("hdp_gold_newest_event_timestamp_seconds", (("table", "fact_vital_sign"),))]
    # vitals of the last hourly run's hour, never from the future
    assert parse_batch(last_hour).timestamp() - 3 * 3600 <= newest <= time.time()
    return samples
