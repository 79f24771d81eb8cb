"""Runs the hourly DAG on this machine in local mode with `dag.test()`, one run per hour, each stage as the
`hdp` CLI with local Spark. What `make airflow-demo` does, and what the end-to-end DAG test runs.

    PYTHONPATH=dags .venv-airflow/bin/python -m hdp_dags.local_runs --demo .demo            # its last 3 hours
    PYTHONPATH=dags .venv-airflow/bin/python -m hdp_dags.local_runs --env-file .demo/hdp.env \\
        --from 2026-11-30T20 --to 2026-11-30T22

It writes a local-mode platform.yaml and an Airflow home with a SQLite metadata database into
--airflow-home (default: an `airflow` folder beside the env file), then runs the hours in order and exits
non-zero unless every run succeeded. Airflow reads its settings on first import, so this module sets them
up before importing it."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from hdp_dags import config
from hdp_dags.jobs import batch_id

DAGS = Path(__file__).resolve().parents[1]
REPO = DAGS.parent
HOUR = timedelta(hours=1)


def parse_batch(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H").replace(tzinfo=timezone.utc)
    except ValueError:
        raise SystemExit(f"bad batch id {text!r}: expected YYYY-MM-DDTHH (UTC), e.g. 2026-11-20T02") from None


def demo_hours(demo: Path, count: int) -> list[datetime]:
    """The last `count` hours `make demo` processed: the hours before the end of its simulated hospital
    (recorded in <demo>/stack.json), which the demo ran one by one as the hourly schedule would."""
    state = demo / "stack.json"
    if not state.exists():
        raise SystemExit(f"{state} not found: run `make demo` first (the DAG runs against the demo's stack)")
    end = datetime.fromisoformat(json.loads(state.read_text())["scenario"]["end"])
    return [end - (count - i) * HOUR for i in range(count)]


def prepare(airflow_home: Path, hdp: Path, env_file: Path, first_hour: datetime) -> None:
    """Local-mode DAG settings and an Airflow home with a migrated SQLite database; sets the environment."""
    airflow_home.mkdir(parents=True, exist_ok=True)
    platform = yaml.safe_load(config.DEFAULTS.read_text())
    platform.update(
        mode="local",
        hdpExecutable=str(hdp.resolve()),
        envFile=str(env_file.resolve()),
        # a run gets task instances only for tasks that had started by its logical date
        startDate=first_hour.strftime("%Y-%m-%dT%H:00:00Z"),
    )
    settings = airflow_home / "platform.yaml"
    settings.write_text(yaml.safe_dump(platform, sort_keys=False))
    os.environ.update(
        {
            "AIRFLOW_HOME": str(airflow_home.resolve()),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            config.ENV_VAR: str(settings.resolve()),
        }
    )
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    migrate = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True, check=False
    )
    if migrate.returncode != 0:
        raise SystemExit(
            f"`airflow db migrate` failed in {airflow_home}:\n{migrate.stdout}\n{migrate.stderr}"
        )


def run_hours(hours: list[datetime], retries: int | None = None) -> list[tuple[str, str, float]]:
    """One dag.test() per hour, in order: (batch, final state, seconds). `retries` overrides the tasks'
    (dag.test() waits out each retry delay: a test wants the first failure at once)."""
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=DAGS, bundle_path=DAGS, bundle_name="dags-folder")
    if bag.import_errors:
        raise SystemExit(f"the DAGs do not import: {bag.import_errors}")
    dag = bag.dags["hdp_hourly"]
    # dag.test() of Airflow 3.3.2 cannot finish a successful run of a DAG with a DeadlineAlert: it looks the
    # alerts up by id in the metadata database, but hands over the serialized alerts instead of their ids
    # ('dict' object has no attribute 'hex'). Deadlines are the scheduler's business anyway (dag.test() runs
    # none), so the local runs go without; tests/dags checks the deadline on the parsed DAG.
    dag.deadline = None
    if retries is not None:
        for task in dag.tasks:
            task.retries = retries
    results = []
    for hour in hours:
        started = time.monotonic()
        # A manual run's data interval is the last whole hour before its logical date (the timetable's
        # infer_manual_data_interval), so the run for hour H is the one at H + 1h.
        run = dag.test(logical_date=hour + HOUR)
        results.append((batch_id(hour), str(run.state), time.monotonic() - started))
        if str(run.state) != "success":
            break  # the next hour would be refused anyway: its predecessor is not complete
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hdp_dags.local_runs", description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--demo", type=Path, help="a `make demo` folder (.demo): its env file and last hours")
    source.add_argument("--env-file", type=Path, help="HDP_* settings of the stack to run against")
    parser.add_argument("--hours", type=int, default=3, help="with --demo: how many of its last hours (3)")
    parser.add_argument("--from", dest="first", help="first batch id (with --env-file)")
    parser.add_argument("--to", dest="last", help="last batch id (with --env-file)")
    parser.add_argument("--hdp", type=Path, default=REPO / ".venv" / "bin" / "hdp", help="the hdp CLI")
    parser.add_argument("--airflow-home", type=Path, help="default: <env file folder>/airflow")
    parser.add_argument(
        "--retries", type=int, help="override the tasks' retries (0: stop at the first failure)"
    )
    args = parser.parse_args(argv)

    if args.demo:
        env_file, hours = args.demo / "hdp.env", demo_hours(args.demo, args.hours)
    else:
        if not (args.first and args.last):
            parser.error("--env-file needs --from and --to")
        env_file, first, last = args.env_file, parse_batch(args.first), parse_batch(args.last)
        hours = [first + i * HOUR for i in range(int((last - first) / HOUR) + 1)]
    if not env_file.exists():
        raise SystemExit(f"{env_file} not found: is the stack running (`make demo`)?")
    if not args.hdp.exists():
        raise SystemExit(f"the hdp CLI {args.hdp} not found: run `make install` first")
    prepare(args.airflow_home or env_file.parent / "airflow", args.hdp, env_file, hours[0])
    results = run_hours(hours, args.retries)
    print("\nhdp_hourly under dag.test() (local mode):")
    for batch, state, seconds in results:
        print(f"  batch {batch}: {state} in {seconds:.0f} s")
    ok = len(results) == len(hours) and all(state == "success" for _, state, _ in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
