"""Seed the local (kind) hospital: the lake bucket, the source EHR/pharmacy tables and the lab CSV drops.

Run by the chart's `hdp-seed-sources` Job after every install/upgrade (`skaffold dev` re-seeds). The hospital
is generated the way `hdp demo` generates it (same seed, same hospital) and written as of the current hour,
so each run moves the hospital's clock forward: the hourly DAG then finds the changes of the hours between.
Settings come from the same HDP_* variables the stages read (hdp-settings ConfigMap + hdp-secrets).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import psycopg2
from botocore.config import Config
from botocore.exceptions import ClientError

from hdp.batches import floor_hour
from hdp.config import Settings
from hdp.sources import hospital
from hdp.sources.scenario import ScenarioSpec, generate

WAIT_SECONDS = 300  # PostgreSQL and the object store start with the release; the Job also retries


def wait_for(what: str, check) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            check()
            return
        except Exception as exc:  # any failure to connect: wait and try again until the deadline
            if time.monotonic() > deadline:
                sys.exit(f"{what} not reachable after {WAIT_SECONDS} s: {exc}")
            print(f"waiting for {what}: {exc}", flush=True)
            time.sleep(5)


def s3_client(settings: Settings):
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint or None,
        region_name=settings.s3_region,
        config=Config(s3={"addressing_style": "path" if settings.s3_path_style else "auto"}),
    )


def ensure_bucket(s3, bucket: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        s3.create_bucket(Bucket=bucket)
        print(f"created bucket {bucket}", flush=True)


def upload_new(s3, local_dir: Path, uri: str) -> int:
    """Upload the files of local_dir that are not yet at uri (s3a://bucket/prefix); returns how many."""
    parts = urlsplit(uri)
    bucket, prefix = parts.netloc, parts.path.strip("/")
    existing = {
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
        for o in page.get("Contents", [])
    }
    sent = 0
    for path in sorted(local_dir.glob("labs_*.csv")):
        key = f"{prefix}/{path.name}"
        if key not in existing:
            s3.upload_file(str(path), bucket, key)
            sent += 1
    return sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--beds", type=int, default=60)
    parser.add_argument("--days", type=int, default=3, help="days of history before the current hour")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--bucket", required=True, help="the lake bucket of the local object store")
    args = parser.parse_args()

    settings = Settings.from_env()
    settings.require("source_dsn")
    clock = floor_hour(datetime.now(timezone.utc))
    # the scenario runs one day past the clock, so later seeds (a later clock) add hours of activity
    spec = ScenarioSpec(beds=args.beds, days=args.days + 1, end=clock + timedelta(days=1), seed=args.seed)

    s3 = s3_client(settings)
    wait_for("the object store", lambda: s3.list_buckets())
    ensure_bucket(s3, args.bucket)
    wait_for("PostgreSQL", lambda: psycopg2.connect(settings.source_dsn).close())

    scenario = generate(spec)
    counts = hospital.write_source_state(settings.source_dsn, scenario, clock)
    print(f"source tables as of {clock:%Y-%m-%d %H:%M} UTC: {counts}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        hospital.write_lab_drops(Path(tmp), scenario, clock)
        sent = upload_new(s3, Path(tmp), settings.layer("landing") + "/labs")
    print(f"lab files uploaded: {sent}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
