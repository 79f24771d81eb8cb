"""The lake on s3a:// behaves exactly as on file://: the pipeline against a local S3-compatible server
(moto's server mode, started by the test session), on a smaller hospital than test_pipeline's.

One lake runs a backfill, then hours one by one with the warehouse; a second lake (another prefix of the
same bucket) processes all hours as one backfill. Re-running batches changes nothing, one backfill gives
exactly the gold of hour by hour, and the tables really are objects in the S3 server (the lab drops stay
in a local landing folder, where the simulated hospital puts them)."""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest

from hdp.batches import HOUR, BatchRange, batch_id
from hdp.config import LAYERS
from hdp.sources import hospital
from hdp.sources.pharmacy_api import Faults, serve_in_thread
from hdp.sources.scenario import ScenarioSpec, generate
from tests.e2e import test_pipeline as on_file
from tests.e2e.test_pipeline import TOKEN, Run, _same, _snapshot

pytestmark = pytest.mark.e2e
SPEC = ScenarioSpec(
    beds=20, days=1, end=datetime(2026, 11, 12, tzinfo=timezone.utc), seed=5, defect_rate=0.02
)
HOURLY_RUNS = 3
BUCKET = "hdp-e2e-lake"
REGION = "us-east-1"
ON_S3 = ("gold/kpi_news2_daily", "silver/vital_signs", "bronze/vital_signs", "control/manifests")
COMMIT = re.compile(r"_delta_log/\d{20}\.json$")


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )


def s3_run(spark, scratch: Path, name: str, prefix: str, endpoint: str, *args) -> Run:
    """A Run whose lake is s3a://BUCKET/prefix; its landing layer stays the local folder Run drops labs in."""
    return Run(
        spark,
        scratch,
        name,
        *args,
        lake_root=f"s3a://{BUCKET}/{prefix}",
        lake_layers={"landing": f"file://{scratch / name / 'landing'}"},
        s3_endpoint=endpoint,
        s3_path_style=True,
        s3_region=REGION,
        s3_credentials="env",
    )


@pytest.fixture(scope="module")
def world(spark, postgres, scratch, pseudonym_key, s3_endpoint):
    s3 = s3_client(s3_endpoint)
    s3.create_bucket(Bucket=BUCKET)
    postgres.create_database("s3_source")
    postgres.create_database("s3_warehouse")
    source, warehouse = postgres.dsn("s3_source"), postgres.dsn("s3_warehouse")
    scenario = generate(SPEC)
    server, url = serve_in_thread(source, TOKEN, Faults(throttle_rate=0.05, error_rate=0.03, seed=3))
    hourly = s3_run(spark, scratch, "s3-hourly", "lake", s3_endpoint, source, url, pseudonym_key, warehouse)
    first, backfill_end = batch_id(SPEC.start), SPEC.end - HOURLY_RUNS * HOUR
    hospital.advance(source, hourly.landing, scenario, backfill_end)
    hourly.run(BatchRange(first, batch_id(backfill_end - HOUR)))
    for hour in (backfill_end + i * HOUR for i in range(HOURLY_RUNS)):
        hospital.advance(source, hourly.landing, scenario, hour + HOUR)
        hourly.run(BatchRange.single(batch_id(hour)))
    single = s3_run(
        spark, scratch, "s3-backfill", "lake-backfill", s3_endpoint, source, url, pseudonym_key, ""
    )
    hospital.advance(source, single.landing, scenario, SPEC.end)
    single.run(BatchRange(first, batch_id(SPEC.end - HOUR)))
    yield {"hourly": hourly, "backfill": single, "warehouse": warehouse, "s3": s3}
    server.shutdown()


def test_rerunning_batches_on_s3_changes_nothing(world, spark):
    before = _snapshot(world, spark)
    run = world["hourly"]
    run.run(BatchRange.single(batch_id(SPEC.end - HOUR)))  # the latest hour, again
    run.run(BatchRange.single(batch_id(SPEC.start + 10 * HOUR)))  # an hour from the middle of the backfill
    after = _snapshot(world, spark)
    assert before.keys() == after.keys()
    for name in before:
        _same(before[name], after[name], name)


# every gold table non-empty and equal (rtol 1e-12) between the two S3 lakes: the file:// test, reused
test_one_backfill_on_s3_gives_the_same_gold_as_hour_by_hour = (
    on_file.test_one_backfill_gives_the_same_gold_as_hour_by_hour
)


def test_the_lake_is_objects_in_the_s3_server(world):
    keys = set()
    for page in world["s3"].get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        keys |= {o["Key"] for o in page.get("Contents", [])}
    for prefix in ("lake", "lake-backfill"):
        for table in ON_S3:
            objects = [k for k in keys if k.startswith(f"{prefix}/{table}/")]
            assert any(COMMIT.search(k) for k in objects), f"no Delta commit under {prefix}/{table}/"
            assert any(k.endswith(".parquet") for k in objects), f"no data file under {prefix}/{table}/"
    assert not any(k.startswith(("lake/landing/", "lake-backfill/landing/")) for k in keys)
    for run in (world["hourly"], world["backfill"]):
        assert all(run.settings.layer(layer).startswith("s3a://") for layer in LAYERS if layer != "landing")
        # locally only the lab drops: no lake table, and no `s3a:` folder from a path taken as relative
        assert sorted(p.name for p in run.lake_dir.iterdir()) == ["landing"], run.lake_dir
        assert not list(run.lake_dir.rglob("_delta_log")), run.lake_dir
    assert not Path("s3a:").exists() and not (world["hourly"].lake_dir.parent / "s3a:").exists()
