"""`make bench`: generate a scenario, run the pipeline on it with local Spark the way `hdp demo` and the hourly
schedule do (one backfill, then hours one by one), run the DuckDB reference on the same source, and report
per stage and end to end: wall time, rows per second, peak RSS of the whole process tree (Python, the JVM
and its Python workers), lake size, warehouse size and files written; plus plain `COPY … TO STDOUT` of the
rows the extraction read and plain `COPY … FROM STDIN` of the rows the load wrote, and the KPI cross-check.

    python -m benchmarks.run hospital                 # one scenario
    python -m benchmarks.run hourly-1d --hourly-runs 1
    python -m benchmarks.run hourly-365d --beds 100   # resized: the result file says so
    python -m benchmarks.run --list

Results: benchmarks/results/<date>-<scenario>.json, and benchmarks/results/README.md regenerated from all of
them (`python -m benchmarks.report`). Nothing here asserts a time: it measures and writes figures down."""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

from benchmarks import report as R  # noqa: E402
from benchmarks.measure import TreeSampler, folder_stats, lake_stats, loadavg, machine  # noqa: E402
from benchmarks.scenarios import END, SCENARIOS, Scenario  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
MIB = 1024 * 1024
NO_FAULTS = (
    "--throttle-rate",
    "0",
    "--error-rate",
    "0",
    "--slow-rate",
    "0",
)  # pharmacy API simulator options


def _mib(n: int) -> float:
    return round(n / MIB, 1)


def _rate(rows: int, seconds: float) -> float | None:
    return round(rows / seconds, 1) if seconds > 0 else None


class CountingSink(io.RawIOBase):
    """A write-only file that keeps nothing: what `COPY … TO STDOUT` costs without any consumer work."""

    def __init__(self) -> None:
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.bytes += len(data)
        return len(data)


class RunFailed(Exception):
    """A pipeline run stopped with an error; carries the stages it measured before."""

    def __init__(self, record: dict):
        super().__init__(record["error"])
        self.record = record


class ScenarioFailed(Exception):
    """The scenario could not finish; carries what was measured up to the failure."""

    def __init__(self, result: dict):
        super().__init__(result["error"])
        self.result = result


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


# ------------------------------------------------------------------------------------------ stage timing


def stage_rows(stage: str, report: dict) -> int:
    """Rows a stage handled: extracted into bronze; taken by silver (in + retried); written to gold tables;
    loaded into the warehouse."""
    if stage == "silver":
        return sum(d["rows_in"] + d["rows_retried"] for d in report.values())
    return sum(int(d.get("rows") or 0) for d in report.values())


@contextmanager
def timed_stages(sampler: TreeSampler, lake_dir: Path, progress, record: dict):
    """Wraps the pipeline's stage runners (pipeline.RUNNERS) for the duration of one `run_stages` call, so
    each stage's wall time, peak RSS and lake growth are measured exactly around its runner. The run's
    manifests and the lease are the rest of the call's time (reported as `bookkeeping`)."""
    from hdp import pipeline

    original = dict(pipeline.RUNNERS)

    def wrap(stage: str, fn):
        def timed(*args, **kwargs):
            before = folder_stats(lake_dir)
            first_step = len(progress.steps)
            load = loadavg()
            with sampler.phase(stage) as phase:
                result = fn(*args, **kwargs)
            after = folder_stats(lake_dir)
            rows = stage_rows(stage, result)
            record[stage] = {
                "seconds": round(phase.seconds, 3),
                "rows": rows,
                "rows_per_second": _rate(rows, phase.seconds),
                "peak_rss_mib": _mib(phase.peak_rss),
                "peak_pss_mib": _mib(phase.peak_pss),
                "peak_rss_by_process": phase.breakdown_mib(),
                "files_written": after.files - before.files,
                "lake_bytes_written": after.bytes - before.bytes,
                "loadavg_at_start": load,
                "steps": [
                    {"name": s.name, "seconds": round(s.seconds, 3), "note": s.note}
                    for s in progress.steps[first_step:]
                ],
            }
            return result

        return timed

    try:
        for stage, fn in original.items():
            pipeline.RUNNERS[stage] = wrap(stage, fn)
        yield
    finally:
        pipeline.RUNNERS.update(original)


def run_batches(spark, settings, batches, progress, sampler, lake_dir: Path, kind: str) -> dict:
    from hdp.pipeline import run_stages

    stages: dict[str, dict] = {}
    load = loadavg()
    try:
        with sampler.phase(kind) as phase, timed_stages(sampler, lake_dir, progress, stages):
            report = run_stages(spark, settings, batches, progress)
    except Exception as exc:
        failed = next((s for s in ("extract", "silver", "gold", "warehouse") if s not in stages), None)
        raise RunFailed(
            {
                "kind": kind,
                "batches": str(batches),
                "loadavg_at_start": load,
                "failed_stage": failed,
                "last_completed_step": progress.steps[-1].name if progress.steps else None,
                "error": _first_line(exc),
                "stages_completed": stages,
            }
        ) from exc
    lake = folder_stats(lake_dir)
    measured = sum(s["seconds"] for s in stages.values())
    extracted = stage_rows("extract", report.stages["extract"])
    return {
        "kind": kind,
        "batches": str(batches),
        "hours": len(batches),
        "loadavg_at_start": load,
        "loadavg_at_end": loadavg(),
        "seconds": round(phase.seconds, 3),
        "bookkeeping_seconds": round(phase.seconds - measured, 3),
        "rows_extracted": extracted,
        "rows_per_second": _rate(extracted, phase.seconds),
        "peak_rss_mib": _mib(phase.peak_rss),
        "peak_pss_mib": _mib(phase.peak_pss),
        "peak_rss_by_process": phase.breakdown_mib(),
        "lake_after": lake.as_dict(),
        "stages": stages,
        "datasets": {
            "extract": {k: v["rows"] for k, v in report.stages["extract"].items()},
            "silver": {
                k: {t: v[t] for t in v if t.startswith("rows_")} for k, v in report.stages["silver"].items()
            },
            "gold": {k: v["rows"] for k, v in report.stages["gold"].items()},
            "warehouse": {k: v["rows"] for k, v in report.stages["warehouse"].items()},
        },
    }


# ------------------------------------------------------------------------------------------ baselines


def _totals(tables: dict[str, dict]) -> dict:
    """Per-table COPY figures with their sums and the overall rate."""
    rows = sum(t["rows"] for t in tables.values())
    seconds = sum(t["seconds"] for t in tables.values())
    return {
        "tables": tables,
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_second": _rate(rows, seconds),
    }


def plain_copy_out(settings, batches, first_run: bool, now: datetime) -> dict:
    """`COPY (the extraction's own query) TO STDOUT` into a sink, per EHR table: the ceiling the extraction is
    compared with (same rows, same server; nothing parses or writes them)."""
    import psycopg2

    from hdp.catalog import datasets_from
    from hdp.extract.ehr import copy_query
    from hdp.extract.window import Window

    lower = None if first_run else batches.start - timedelta(minutes=settings.extract_lookback_minutes)
    out: dict[str, dict] = {}
    with psycopg2.connect(settings.source_dsn, options="-c TimeZone=UTC") as conn, conn.cursor() as cur:
        for ds in datasets_from("ehr"):
            sql, params = copy_query(ds, Window(lower, batches, now))
            sink = CountingSink()
            started = time.monotonic()
            cur.copy_expert(
                f"COPY ({cur.mogrify(sql, params).decode()}) TO STDOUT WITH (FORMAT csv, HEADER, FORCE_QUOTE *)",
                sink,
            )
            seconds = time.monotonic() - started
            out[ds.name] = {"rows": cur.rowcount, "bytes": sink.bytes, "seconds": round(seconds, 4)}
    conn.close()
    return _totals(out)


def plain_copy_in(warehouse_dsn: str, schema: str, tables: list[str]) -> dict:
    """`COPY … FROM STDIN` of each warehouse table's rows (as CSV, already in memory) into a temporary copy of
    the table, rolled back: the ceiling the load is compared with."""
    import psycopg2

    out: dict[str, dict] = {}
    conn = psycopg2.connect(warehouse_dsn, options="-c TimeZone=UTC")
    try:
        with conn.cursor() as cur:
            for table in tables:
                buf = io.BytesIO()
                cur.copy_expert(f'COPY "{schema}"."{table}" TO STDOUT WITH (FORMAT csv)', buf)
                rows = cur.rowcount
                buf.seek(0)
                cur.execute(f'CREATE TEMP TABLE bench_copy_in (LIKE "{schema}"."{table}")')
                started = time.monotonic()
                cur.copy_expert("COPY bench_copy_in FROM STDIN WITH (FORMAT csv)", buf)
                seconds = time.monotonic() - started
                conn.rollback()
                out[table] = {"rows": rows, "bytes": buf.getbuffer().nbytes, "seconds": round(seconds, 4)}
    finally:
        conn.close()
    return _totals(out)


def warehouse_stats(dsn: str, schema: str) -> dict:
    import psycopg2

    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY 1",
            (schema,),
        )
        sizes = dict(cur.fetchall())
        rows = {}
        for table in sizes:
            cur.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
            rows[table] = cur.fetchone()[0]
    conn.close()
    return {
        "bytes": sum(sizes.values()),
        "rows": sum(rows.values()),
        "tables": {t: {"bytes": sizes[t], "rows": rows[t]} for t in sizes},
    }


def postgres_version(dsn: str) -> str:
    import psycopg2

    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
    conn.close()
    return version


def run_reference(pg, landing: Path, first_day, as_of: datetime, workdir: Path, sampler: TreeSampler) -> dict:
    """The DuckDB reference in a process of its own (its memory is its own), on the same source."""
    out_json = workdir / "reference.json"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.duckdb_reference",
        "--source-dsn",
        pg.dsn("hospital"),
        "--labs",
        str(landing),
        "--warehouse-dsn",
        pg.dsn("warehouse"),
        "--schema",
        "reference",
        "--first-day",
        str(first_day),
        "--as-of",
        as_of.replace(tzinfo=None).isoformat(),
        "--json",
        str(out_json),
    ]
    load = loadavg()
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler.exclude.add(proc.pid)
    own = TreeSampler([proc.pid], interval=0.1).start()
    stdout, stderr = proc.communicate()
    own.stop()
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(
            f"the DuckDB reference failed ({proc.returncode}): {stderr[-3000:]}{stdout[-500:]}"
        )
    result = json.loads(out_json.read_text())
    result.update(
        {
            "process_seconds": round(seconds, 3),
            "peak_rss_mib": _mib(own.peak),
            "loadavg_at_start": load,
            "loadavg_at_end": loadavg(),
        }
    )
    return result


# ------------------------------------------------------------------------------------------ the scenario


def stop_api(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def code_identity() -> dict:
    """Which pipeline code ran: the `hdp` package's folder, a SHA-256 of its sources, and the repository's
    HEAD with the number of files under jobs/ that differ from it (other work in progress)."""
    import hashlib

    import hdp

    package = Path(hdp.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30)
        return out.stdout.strip() if out.returncode == 0 else ""

    return {
        "hdp_package": str(package),
        "hdp_sources_sha256": "sha256:"
        + digest.hexdigest()[:16],  # a prefix: pure hex reads as a secret to the scanner
        "repo_head": git("rev-parse", "--short", "HEAD"),
        "repo_jobs_uncommitted_files": len(git("status", "--porcelain", "jobs").splitlines()),
    }


def _postmaster_pid(pg) -> int | None:
    try:
        return int((pg.data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def run_scenario(sc: Scenario, workdir: Path, reference: bool = True, quiet: bool = False) -> dict:
    from rich.console import Console

    from hdp.demo import labs_landing, local_settings, run_label, schedule, start_api, start_postgres
    from hdp.progress import Progress
    from hdp.sources import hospital
    from hdp.sources.scenario import generate
    from hdp.spark import build_session, ensure_java

    console = Console(stderr=True, highlight=False, quiet=quiet)
    progress = Progress(console)
    spec = sc.spec()
    started_at = datetime.now(timezone.utc)
    result: dict = {
        "scenario": sc.name,
        "label": sc.label,
        "about": sc.about,
        "standard_size": sc.standard,
        "params": {
            "beds": sc.beds,
            "days": sc.days,
            "hourly_runs": sc.hourly_runs,
            "seed": sc.seed,
            "defect_rate": spec.defect_rate,
            "start": spec.start.isoformat(),
            "end": spec.end.isoformat(),
        },
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": machine(),
        "code": code_identity(),
        "loadavg_at_start": loadavg(),
    }
    ensure_java()
    sampler = TreeSampler().start()
    pg = server = spark = pg_sampler = api_sampler = None
    try:
        with progress.step("start PostgreSQL (source + warehouse)") as step:
            pg = start_postgres(workdir / "pg")
            step.done(f"127.0.0.1:{pg.port}")
        postmaster = _postmaster_pid(pg)
        pg_sampler = TreeSampler([postmaster], interval=0.5).start() if postmaster else None
        setup: dict = {}
        with (
            progress.step(f"generate {sc.beds} beds × {sc.days} days (seed {sc.seed})") as step,
            sampler.phase("generate") as phase,
        ):
            scenario = generate(spec)
            counts = {k: len(v) for k, v in scenario.tables.items()}
            counts["lab_results"] = len(scenario.lab_results)
            step.done(", ".join(f"{k} {v}" for k, v in counts.items()))
        setup["generate"] = {
            "seconds": round(phase.seconds, 3),
            "peak_rss_mib": _mib(phase.peak_rss),
            "rows": counts,
        }
        token = secrets.token_urlsafe(24)
        # the pharmacy API without its injected faults (throttling, errors, slow pages)
        server, url = start_api(workdir, pg.dsn("hospital"), token, *NO_FAULTS)
        sampler.exclude.add(server.pid)  # a source system, not the pipeline: measured on its own
        api_sampler = TreeSampler([server.pid], interval=0.5).start()
        settings = local_settings(workdir, pg, url, token)
        lake_dir = workdir / "lake"
        landing = labs_landing(settings)
        with (
            progress.step("the hospital's systems fill up to the backfill point"),
            sampler.phase("fill") as phase,
        ):
            hospital.advance(settings.source_dsn, landing, scenario, sc.backfill_end)
        setup["source_fill"] = {"seconds": round(phase.seconds, 3), "peak_rss_mib": _mib(phase.peak_rss)}
        with progress.step("start Spark (local)") as step, sampler.phase("spark") as phase:
            spark = build_session(settings, "hdp-bench")
            step.done(f"{spark.version}, master {spark.sparkContext.master}")
        setup["spark_start"] = {"seconds": round(phase.seconds, 3), "peak_rss_mib": _mib(phase.peak_rss)}
        result["setup"] = setup
        result["settings"] = {
            "spark": spark.version,
            "spark_master": spark.sparkContext.master,
            "spark_driver_memory": spark.conf.get("spark.driver.memory", ""),
            "shuffle_partitions": settings.spark_shuffle_partitions,
            "pharmacy_page_size": settings.pharmacy_page_size,
            "postgres": postgres_version(settings.source_dsn),
        }

        runs: list[dict] = []
        result["runs"] = runs
        planned = schedule(settings, scenario, spec.start, sc.backfill_end, sc.hourly_runs)
        while True:
            with sampler.phase("advance") as advance:  # the sources move on to the run's hour
                planned_run = next(planned, None)
            if planned_run is None:
                break
            kind, batches = planned_run
            progress.info(f"[bold]{run_label(kind, batches)}[/bold]")
            runs.append(run_batches(spark, settings, batches, progress, sampler, lake_dir, kind))
            runs[-1]["source_advance_seconds"] = round(advance.seconds, 3)
            runs[-1]["plain_copy_out"] = plain_copy_out(
                settings, batches, kind == "backfill", datetime.now(timezone.utc)
            )
        spark.stop()
        spark = None
        api_sampler.stop()
        result["pharmacy_api_peak_rss_mib"] = _mib(api_sampler.peak)
        stop_api(server)
        server = None

        result["lake"] = {**folder_stats(lake_dir).as_dict(), "layers": lake_stats(lake_dir)}
        result["warehouse"] = warehouse_stats(settings.warehouse_dsn, settings.warehouse_schema)
        with progress.step("plain COPY FROM STDIN of the warehouse's rows"):
            result["plain_copy_in"] = plain_copy_in(
                settings.warehouse_dsn, settings.warehouse_schema, sorted(result["warehouse"]["tables"])
            )
        if reference:
            from benchmarks.crosscheck import agrees, compare

            with progress.step("DuckDB reference (same source, own process)") as step:
                ref = run_reference(pg, landing, spec.start.date(), END, workdir, sampler)
                step.done(f"{ref['seconds']:.1f}s, peak {ref['peak_rss_mib']} MiB")
            with progress.step("KPI cross-check: warehouse gold.* vs reference.*") as step:
                ref["kpi_check"] = compare(settings.warehouse_dsn, settings.warehouse_schema, "reference")
                ref["kpis_agree"] = agrees(ref["kpi_check"])
                step.done("agree" if ref["kpis_agree"] else "DIFFER: see kpi_check in the JSON")
            ref_wh = warehouse_stats(settings.warehouse_dsn, "reference")
            ref["warehouse"] = {"bytes": ref_wh["bytes"], "rows": ref_wh["rows"]}
            result["reference"] = ref
        if pg_sampler:
            pg_sampler.stop()
            result["postgres_peak_rss_mib"] = _mib(pg_sampler.peak)
        sampler.stop()
        result["peak_rss_mib"] = _mib(sampler.peak)
        result["peak_pss_mib"] = _mib(sampler.peak_pss)
        result["peak_rss_by_process"] = sampler.breakdown_mib()
        result["loadavg_at_end"] = loadavg()
        result["seconds"] = round((datetime.now(timezone.utc) - started_at).total_seconds(), 1)
        result["summary"] = R.summarise(result)
        return result
    except Exception as exc:
        result["error"] = _first_line(exc)
        if isinstance(exc, RunFailed):
            result["error"] = exc.record["error"]
            result["failed_run"] = exc.record
        result["loadavg_at_end"] = loadavg()
        result["seconds"] = round((datetime.now(timezone.utc) - started_at).total_seconds(), 1)
        raise ScenarioFailed(result) from exc
    finally:
        # each clean-up runs even when another fails (a JVM already gone makes spark.stop() raise)
        cleanups = [
            spark.stop if spark is not None else None,
            (lambda: stop_api(server)) if server is not None else None,
            pg_sampler.stop if pg_sampler else None,
            api_sampler.stop if api_sampler else None,
            sampler.stop,
            pg.stop if pg is not None else None,
        ]
        for cleanup in filter(None, cleanups):
            try:
                cleanup()
            except Exception as exc:  # noqa: BLE001 - reported, and the next clean-up still runs
                print(f"clean-up {cleanup!r} failed: {_first_line(exc)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmark the pipeline on a generated scenario: per stage and end to end wall time, "
        "rows/s, peak RSS (process tree, JVM included), lake and warehouse size, files written; the DuckDB "
        "reference on the same source, and the KPI cross-check. Writes benchmarks/results/<date>-<scenario>"
        ".json and regenerates benchmarks/results/README.md.",
        epilog="scenarios: "
        + "; ".join(f"{s.name} ({s.about})" for s in SCENARIOS.values())
        + f". Every scenario ends at {END:%Y-%m-%d %H:%M} UTC.",
    )
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="scenario name(s), run in turn")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--beds", type=int, help="resize: beds (the result is labelled with the size)")
    parser.add_argument("--days", type=int, help="resize: days of data")
    parser.add_argument("--hourly-runs", type=int, help="resize: hours run one by one after the backfill")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"results folder ({RESULTS})")
    parser.add_argument(
        "--workdir", type=Path, help="where PostgreSQL and the lake live (default: a temporary folder)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder (lake, PostgreSQL data)")
    parser.add_argument("--no-reference", action="store_true", help="skip the DuckDB reference")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    # a plain `kill` ends the run through its `finally`: PostgreSQL, the API and Spark are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.list or not args.scenarios:
        for s in SCENARIOS.values():
            print(f"{s.name:14} {s.about}")
        return 0 if args.list else 64
    unknown = [n for n in args.scenarios if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}: known are {', '.join(SCENARIOS)}")
    args.results.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name in args.scenarios:
        sc = SCENARIOS[name].resized(args.beds, args.days, args.hourly_runs)
        sc.spec()  # validates the size
        workdir = (args.workdir / sc.label) if args.workdir else Path(tempfile.mkdtemp(prefix="hdp-bench-"))
        if workdir.exists() and args.workdir:
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        workdir.chmod(0o755)  # PostgreSQL runs as an unprivileged user when we are root
        try:
            result = run_scenario(sc, workdir.resolve(), reference=not args.no_reference, quiet=args.quiet)
        except ScenarioFailed as failure:
            result = failure.result
        finally:
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
        path = args.results / f"{result['started_at'][:10]}-{sc.label}.json"
        path.write_text(json.dumps(result, indent=1, default=str) + "\n")
        R.write_markdown(args.results)
        print(R.summary_line(result))
        print(f"wrote {path} and {args.results / 'README.md'}")
        if "error" in result:
            failed = 1
            continue
        if result.get("reference") and not result["reference"]["kpis_agree"]:
            print("the DuckDB reference's KPIs differ from the pipeline's: see kpi_check in the JSON")
            failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main())
