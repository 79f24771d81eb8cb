"""A throwaway local stack for the DAG's end-to-end test, built from the project's own pieces; run it with
the project's virtualenv (it imports `hdp`, which the Airflow virtualenv lacks):

    .venv/bin/python tests/dags/local_stack.py --workdir DIR --hour 2026-11-20T02

It starts PostgreSQL (a `hospital` source and a `warehouse` database), generates a small clean hospital
whose last hour is --hour, sets its clock to the end of that hour (the EHR and pharmacy tables in
PostgreSQL, the lab CSV files in the lake's landing folder), serves the pharmacy API and writes the HDP_*
settings to an env file. The lake is empty: a run for --hour is the lake's first batch, which takes the
hospital's history as its initial snapshot (one batch instead of a backfill plus an hour: on two cores every
Spark process costs tens of seconds). It prints one JSON line (env file, DSNs, landing folder) and keeps the
API up until its standard input closes; then it stops PostgreSQL."""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import sys
from pathlib import Path

from hdp.batches import HOUR, parse_batch
from hdp.sources import hospital
from hdp.sources.local_postgres import LocalPostgres, free_port
from hdp.sources.pharmacy_api import serve_in_thread
from hdp.sources.scenario import ScenarioSpec, generate

# 20 beds is the smallest hospital with every ward, and one day of history the shortest. No defects: every
# source row must reach the warehouse, so the test can count them.
SPEC = {"beds": 20, "days": 1, "seed": 11, "defect_rate": 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--hour", required=True, help="the batch the DAG run will process")
    args = parser.parse_args()
    hour, workdir = parse_batch(args.hour), args.workdir.resolve()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stopped from outside: still stop PostgreSQL
    workdir.mkdir(parents=True, exist_ok=True)

    pg = LocalPostgres(workdir / "pg", free_port())
    pg.init()
    pg.start()
    try:
        for database in ("hospital", "warehouse"):
            pg.create_database(database)
        source, token = pg.dsn("hospital"), secrets.token_urlsafe(16)
        scenario = generate(ScenarioSpec(end=hour + HOUR, **SPEC))
        server, url = serve_in_thread(source, token)
        lake = workdir / "lake"
        landing = lake / "landing" / "labs"
        env_file = workdir / "hdp.env"
        env_file.write_text(
            "\n".join(
                f"{name}={value}"
                for name, value in {
                    "HDP_LAKE_ROOT": f"file://{lake}",
                    "HDP_SOURCE_DSN": source,
                    "HDP_PHARMACY_URL": url,
                    "HDP_PHARMACY_TOKEN": token,
                    "HDP_WAREHOUSE_DSN": pg.dsn("warehouse"),
                    "HDP_PSEUDONYM_KEY": secrets.token_urlsafe(24),
                    "HDP_SPARK_MASTER": "local[2]",
                    "HDP_SPARK_SHUFFLE_PARTITIONS": "2",
                }.items()
            )
            + "\n"
        )
        env_file.chmod(0o600)
        hospital.advance(source, landing, scenario, hour + HOUR)
        print(
            json.dumps(
                {
                    "env_file": str(env_file),
                    "source_dsn": source,
                    "warehouse_dsn": pg.dsn("warehouse"),
                    "landing": str(landing),
                }
            ),
            flush=True,
        )
        sys.stdin.read()  # serve the API until the test is done
        server.shutdown()
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
