"""`hdp demo`: the whole platform on one machine. Starts a throwaway PostgreSQL (source EHR + warehouse),
the pharmacy API simulator, generates a hospital, backfills its history in one go, runs the latest hours
one by one as the hourly schedule would, and prints the KPIs. `hdp down` stops what it started."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import requests
from rich.console import Console

from hdp.batches import HOUR, BatchRange, batch_id, floor_hour
from hdp.config import Settings, write_private
from hdp.pipeline import RunReport, run_stages
from hdp.progress import Progress
from hdp.report import write_report
from hdp.sources import hospital
from hdp.sources.local_postgres import LocalPostgres, free_port, wait_for
from hdp.sources.scenario import Scenario, ScenarioSpec, generate
from hdp.spark import build_session, ensure_java
from hdp.summary import durations_table, print_kpis, reconciliation_table

DEFAULT_DIR = Path(".demo")


@dataclass
class DemoOptions:
    workdir: Path = DEFAULT_DIR
    beds: int = 300
    days: int = 7
    hourly_runs: int = 3
    seed: int = 42
    defect_rate: float = 0.01
    pg_port: int = 0  # 0: a free port
    end: datetime | None = None  # default: the current hour (UTC)


class DemoStack:
    """What a demo started, found again from its work directory."""

    def __init__(self, workdir: Path):
        self.workdir = workdir.resolve()

    @property
    def state_file(self) -> Path:
        return self.workdir / "stack.json"

    def state(self) -> dict:
        return json.loads(self.state_file.read_text()) if self.state_file.exists() else {}

    def postgres(self) -> LocalPostgres | None:
        st = self.state()
        return LocalPostgres(self.workdir / "pg", st["pg_port"]) if "pg_port" in st else None

    def down(self, console: Console) -> None:
        st = self.state()
        stopped = False
        pid = st.pop("api_pid", None)
        if pid:
            try:
                os.killpg(pid, signal.SIGTERM)
                console.print(f"stopped the pharmacy API (pid {pid})")
                stopped = True
            except ProcessLookupError:
                pass
        pg = self.postgres()
        if pg and pg.running():
            pg.stop()
            console.print(f"stopped PostgreSQL on port {pg.port}")
            stopped = True
        if st:
            self.state_file.write_text(json.dumps(st))
        if not stopped:
            console.print(f"nothing running from {self.workdir}")


def start_postgres(root: Path, port: int = 0) -> LocalPostgres:
    """A throwaway PostgreSQL under `root` with the two databases a local run uses: hospital and warehouse."""
    pg = LocalPostgres(root, port or free_port())
    pg.init()
    pg.start()
    try:
        for db in ("hospital", "warehouse"):
            pg.create_database(db)
    except Exception:
        pg.stop()
        raise
    return pg


def start_api(workdir: Path, source_dsn: str, token: str, *options: str) -> tuple[subprocess.Popen, str]:
    """The pharmacy API simulator in a session of its own, logging to workdir/pharmacy-api.log; `options`
    are its command-line options (its fault rates, say). Returns the process and the API's URL."""
    port = free_port()
    env = {**os.environ, "HDP_SOURCE_DSN": source_dsn, "HDP_PHARMACY_TOKEN": token}
    log = open(workdir / "pharmacy-api.log", "ab")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(
        [sys.executable, "-m", "hdp.cli", "pharmacy-api", "--port", str(port), *options],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return requests.get(url + "/health", timeout=1).ok
        except requests.RequestException:
            return False

    if not wait_for(healthy, timeout=30):
        proc.kill()
        raise RuntimeError(f"the pharmacy API did not start: see {workdir / 'pharmacy-api.log'}")
    return proc, url


def local_settings(workdir: Path, pg: LocalPostgres, pharmacy_url: str, token: str) -> Settings:
    """Settings of a run on this machine: the lake in workdir/lake, the source and warehouse in `pg`."""
    return Settings(
        lake_root=f"file://{workdir}/lake",
        source_dsn=pg.dsn("hospital"),
        pharmacy_url=pharmacy_url,
        pharmacy_token=token,
        warehouse_dsn=pg.dsn("warehouse"),
        pseudonym_key=secrets.token_urlsafe(32),
        audit_stdout=False,  # a person (or the benchmark) watches: audit events go to the lake's audit area
    )


def labs_landing(settings: Settings) -> Path:
    return Path(settings.layer("landing").removeprefix("file://")) / "labs"


def schedule(
    settings: Settings, scenario: Scenario, start: datetime, backfill_end: datetime, hourly_runs: int
) -> Iterator[tuple[str, BatchRange]]:
    """The runs of a local history, as `hdp demo` makes them: ("backfill", the hours [start, backfill_end))
    first, then ("hourly", each later hour), each after the hospital's systems moved on to its end."""
    yield "backfill", BatchRange(batch_id(start), batch_id(backfill_end - HOUR))
    for i in range(hourly_runs):
        hour = backfill_end + i * HOUR
        hospital.advance(settings.source_dsn, labs_landing(settings), scenario, hour + HOUR)
        yield "hourly", BatchRange.single(batch_id(hour))


def run_label(kind: str, batches: BatchRange) -> str:
    if kind == "backfill":
        return f"backfill {batches} ({len(batches)} hours in one run)"
    return f"hourly run {batches}"


def _write_env(path: Path, settings: Settings) -> None:
    """Every setting of the running demo as `export HDP_...=value` lines, secrets included: mode 0600 from
    the file's creation (never readable by others, whatever the umask)."""
    lines = [f"export {name}={shlex.quote(value)}" for name, value in settings.environ().items()]
    write_private(
        path,
        "# settings of the running demo: `source` this file, then run any `hdp` stage by hand\n"
        + "\n".join(lines)
        + "\n",
    )


def run_demo(opts: DemoOptions, console: Console) -> list[RunReport]:
    progress = Progress(console)
    ensure_java()  # fail early, with the fix, before starting anything
    stack = DemoStack(opts.workdir)
    stack.down(Console(quiet=True))
    if opts.workdir.exists():
        shutil.rmtree(opts.workdir)
    opts.workdir.mkdir(parents=True)
    opts.workdir.chmod(0o755)
    workdir = opts.workdir.resolve()
    end = opts.end or floor_hour(datetime.now(timezone.utc))
    spec = ScenarioSpec(beds=opts.beds, days=opts.days, end=end, seed=opts.seed, defect_rate=opts.defect_rate)
    state: dict = {"scenario": {k: str(v) for k, v in asdict(spec).items()}}

    with progress.step("start PostgreSQL (source EHR + warehouse)") as step:
        pg = start_postgres(workdir / "pg", opts.pg_port)
        state["pg_port"] = pg.port
        stack.state_file.write_text(json.dumps(state))
        pg.log_statements("warehouse")  # the warehouse's own audit trail: every statement on gold
        step.done(f"127.0.0.1:{pg.port}")
    with progress.step(f"generate a {spec.beds}-bed hospital, {spec.days} days (seed {spec.seed})") as step:
        scenario = generate(spec)
        step.done(
            ", ".join(f"{k} {len(v)}" for k, v in scenario.tables.items()) + f", lab results "
            f"{len(scenario.lab_results)}"
        )
    token = secrets.token_urlsafe(24)
    with progress.step("start the pharmacy API simulator") as step:
        api, url = start_api(workdir, pg.dsn("hospital"), token)
        state["api_pid"] = api.pid
        stack.state_file.write_text(json.dumps(state))
        step.done(url)
    settings = local_settings(workdir, pg, url, token)
    _write_env(workdir / "hdp.env", settings)

    backfill_end = end - opts.hourly_runs * HOUR
    with progress.step("the hospital's systems fill up to the backfill point") as step:
        counts = hospital.advance(settings.source_dsn, labs_landing(settings), scenario, backfill_end)
        step.done(f"clock {backfill_end:%Y-%m-%d %H:%M} UTC, {counts['lab_files']} lab files dropped")
    with progress.step("start Spark (local)") as step:
        spark = build_session(settings, "hdp-demo")
        step.done(spark.version)
    reports = []
    for kind, batches in schedule(settings, scenario, spec.start, backfill_end, opts.hourly_runs):
        progress.info(f"[bold]{run_label(kind, batches)}[/bold]")
        reports.append(run_stages(spark, settings, batches, progress))
    spark.stop()

    console.print(reconciliation_table(reports))
    console.print(durations_table(progress))
    print_kpis(console, settings.warehouse_dsn, settings.warehouse_schema)
    report = workdir / "kpi-report.html"
    write_report(settings, report)
    console.print(
        f"\n[bold]KPI report[/bold] (charts, one self-contained HTML file): {report}\n"
        "\n[bold]Left running[/bold] (stop with `make down`):\n"
        f"  source EHR  {pg.dsn('hospital', with_password=False)}\n"
        f"  warehouse   {pg.dsn('warehouse', with_password=False)}   (schema gold)\n"
        f"  pharmacy    {url}\n"
        f"  lake        {settings.lake_root}\n"
        f"  audit log   {settings.layer('audit')} (JSON lines), warehouse statements in {pg.log}\n"
        f"  passwords and all settings: {workdir / 'hdp.env'} (mode 600) — e.g.\n"
        f"    source {workdir / 'hdp.env'} && psql \"$HDP_WAREHOUSE_DSN\" -c 'select * from gold.kpi_news2_daily'\n"
    )
    return reports
