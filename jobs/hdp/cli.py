"""`hdp`: the one entry point, on a laptop and in the Spark images. A subcommand per stage."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hdp import __version__
from hdp.batches import HOUR, BatchRange, batch_id, floor_hour, parse_batch
from hdp.pipeline import STAGES

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")  # platformdirs, imported by faker

EPILOG = """
batches are clock hours in UTC, written YYYY-MM-DDTHH (2026-11-27T02 = changes from 02:00 to 02:59).
settings come from HDP_* environment variables (see `hdp config`), or from --env-file.

exit codes: 0 done · 64 bad command line · 65 bad data (rows not accounted for) · 66 a prerequisite batch
is missing · 75 retry later (a source, the API or the warehouse is down, or another run holds the lake's
lease) · 78 bad configuration · 1 a bug (with a traceback).

examples:
  hdp demo                                  the whole platform on this machine, KPIs at the end
  hdp run --batch 2026-11-27T02             every stage for one hour (what the hourly schedule runs)
  hdp run --from 2026-11-20T00 --to 2026-11-26T23   a backfill: the range processed together
  hdp silver --batch 2026-11-27T02          one stage by hand
  hdp inspect quarantine.vital_signs        a few held rows, identifiers masked (audited)
  hdp export --safe-harbor                  gold de-identified for data leaving the hospital (audited)
"""


def _batch_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("batches (default: the last complete hour)")
    g.add_argument("--batch", help="one batch id, e.g. 2026-11-27T02")
    g.add_argument("--from", dest="first", help="first batch of a range (inclusive)")
    g.add_argument("--to", dest="last", help="last batch of a range (inclusive)")


def _range(args) -> BatchRange:
    if args.batch and (args.first or args.last):
        raise ValueError("give either --batch or --from/--to, not both")
    if args.batch:
        parse_batch(args.batch)
        return BatchRange.single(args.batch)
    if args.first or args.last:
        if not (args.first and args.last):
            raise ValueError("a range needs both --from and --to")
        parse_batch(args.first)
        parse_batch(args.last)
        return BatchRange(args.first, args.last)
    return BatchRange.single(batch_id(floor_hour(datetime.now(timezone.utc)) - HOUR))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hdp",
        description="Hospital data platform: hourly pipelines from the hospital's systems to a "
        "de-identified, validated warehouse.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hdp {__version__}")
    parser.add_argument(
        "--env-file", type=Path, help="read HDP_* settings from this file (e.g. .demo/hdp.env)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    for stage, text in (
        ("extract", "sources -> bronze (PostgreSQL COPY, pharmacy API, lab CSV drops)"),
        ("silver", "bronze -> silver: typed, validated, de-duplicated; rejects to quarantine"),
        ("gold", "silver -> gold: de-identified dimensions, facts, KPIs"),
        ("warehouse", "gold -> warehouse: staged bulk load, one transaction per batch"),
    ):
        p = sub.add_parser(stage, help=text, description=text)
        _batch_args(p)
        if stage in ("extract", "silver"):
            p.add_argument("--dataset", action="append", default=[], help="only this dataset (repeatable)")
    p = sub.add_parser(
        "run",
        help="several stages (default all) over a batch or a range",
        description="Run stages over a batch or a range of batches in one Spark session.",
    )
    _batch_args(p)
    p.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated subset of {','.join(STAGES)}")

    p = sub.add_parser(
        "demo",
        help="run everything on this machine and print the KPIs",
        description="Start PostgreSQL and the pharmacy API, generate a hospital, backfill its "
        "history, run the latest hours one by one, load the warehouse and print the KPIs. "
        "Leaves the databases running; `hdp down` stops them.",
    )
    p.add_argument("--workdir", type=Path, default=Path(".demo"), help="where the demo keeps its state")
    p.add_argument("--beds", type=int, default=300, help="hospital size (default 300)")
    p.add_argument("--days", type=int, default=7, help="days of history (default 7)")
    p.add_argument("--hourly-runs", type=int, default=3, help="latest hours run one by one (default 3)")
    p.add_argument("--seed", type=int, default=42, help="scenario seed (same seed, same hospital)")
    p.add_argument("--defect-rate", type=float, default=0.01, help="share of defective source rows (0.01)")
    p.add_argument("--pg-port", type=int, default=0, help="PostgreSQL port (default: a free one)")

    p = sub.add_parser("down", help="stop what `hdp demo` started")
    p.add_argument("--workdir", type=Path, default=Path(".demo"))

    p = sub.add_parser(
        "pharmacy-api",
        help="serve the simulated pharmacy REST API",
        description="Serve drug master and stock levels from the simulated hospital's database "
        "(HDP_SOURCE_DSN), with bearer token HDP_PHARMACY_TOKEN.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8085)
    p.add_argument("--throttle-rate", type=float, default=0.05, help="share of requests answered 429")
    p.add_argument("--error-rate", type=float, default=0.02, help="share of requests answered 503")
    p.add_argument("--slow-rate", type=float, default=0.02, help="share of requests answered slowly")

    p = sub.add_parser(
        "inspect",
        help="show a few rows of a bronze, silver or quarantine table, masked (audited)",
        description="Show rows of a restricted table with direct identifiers masked by their class in the "
        "registry (docs/privacy.md). Every call is written to the audit log.",
    )
    p.add_argument("table", help="<zone>.<dataset>, zone bronze | silver | quarantine, e.g. silver.patients")
    p.add_argument("--limit", type=int, default=20, help="rows to show (default 20, at most 200)")
    p.add_argument("--batch", help="only rows of this batch id")
    p.add_argument("--reason", help="quarantine only: rows held for this reason code")
    p.add_argument(
        "--unmask", action="store_true", help="show identifiers as stored (audited as an unmasked read)"
    )

    p = sub.add_parser(
        "export",
        help="write a de-identified copy of gold for data leaving the hospital (audited)",
        description="Export gold de-identified by HIPAA's Safe Harbor method: dates reduced to the year, "
        "ages over 89 as 90+, three-digit ZIPs (000 for the restricted areas), no bed codes, new random keys. "
        "Parquet and a manifest in a new folder (default: under HDP_LAKE_EXPORT).",
    )
    p.add_argument("--safe-harbor", action="store_true", help="the Safe Harbor method (the only one)")
    p.add_argument("--out", help="destination folder URI (default: <export layer>/<export id>)")
    p.add_argument(
        "--table",
        action="append",
        default=[],
        help="only this gold table (repeatable; default all exportable)",
    )

    p = sub.add_parser(
        "metrics",
        help="pipeline metrics (Prometheus text) from the run manifests and gold",
        description="Per stage, the latest run's rows in/out/quarantined/parked, duration and batch, and "
        "gold's newest event time (freshness), in Prometheus' text format (hdp/metrics.py).",
    )
    p.add_argument("--output", type=Path, help="write for node_exporter's textfile collector (atomically)")
    p.add_argument("--push", metavar="URL", help="push to this Pushgateway (default HDP_METRICS_PUSHGATEWAY)")

    p = sub.add_parser(
        "report",
        help="the KPI report: a self-contained HTML page with charts, from the warehouse",
        description="Read the KPI tables of the warehouse (HDP_WAREHOUSE_DSN) and write one HTML file "
        "with inline SVG charts: occupancy, census, ALOS, readmissions, lab turnaround, stock, NEWS2.",
    )
    p.add_argument("--output", type=Path, default=Path("kpi-report.html"), help="HTML file to write")

    sub.add_parser("config", help="show the settings in effect (secrets hidden)")
    return parser


def _settings(args):
    from hdp.config import Settings, read_env_file

    if args.env_file:
        return Settings.from_env({**os.environ, **read_env_file(args.env_file)})
    return Settings.from_env()


def main(argv: list[str] | None = None) -> int:
    from hdp.config import RedactingFilter, redact

    args = build_parser().parse_args(argv)
    console = Console(stderr=True, highlight=False)
    out = Console(highlight=False)
    if not out.is_terminal:  # logs and pipes: wide enough for the summary tables
        out = Console(highlight=False, width=160)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    redaction = RedactingFilter()  # every log record, with the secrets of the settings once they are read
    for handler in logging.getLogger().handlers:
        handler.addFilter(redaction)
    args.redaction = redaction
    try:
        return _dispatch(args, console, out)
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
    except Exception as exc:  # every expected failure ends in one line naming the cause and the fix
        code = exit_code(exc)
        text = redact(str(exc), redaction.secrets)
        if code is None:  # a bug: the traceback says where (with every secret redacted)
            import traceback

            console.print(redact("".join(traceback.format_exception(exc)), redaction.secrets), markup=False)
            return 1
        console.print(f"[red]error:[/red] {escape(text)}")
        return code


def exit_code(exc: Exception) -> int | None:
    """The exit code of an expected failure (see hdp/errors.py), None for a bug."""
    from hdp.errors import EX_USAGE, HdpError
    from hdp.sources.local_postgres import PostgresError

    if isinstance(exc, HdpError):
        return exc.exit_code
    if isinstance(exc, PostgresError):
        return 78
    if isinstance(exc, FileNotFoundError):
        return 66
    if isinstance(exc, ValueError):
        return EX_USAGE
    return None


def _dispatch(args, console: Console, out: Console) -> int:
    if args.command == "demo":
        from hdp.demo import DemoOptions, run_demo

        run_demo(
            DemoOptions(
                workdir=args.workdir,
                beds=args.beds,
                days=args.days,
                hourly_runs=args.hourly_runs,
                seed=args.seed,
                defect_rate=args.defect_rate,
                pg_port=args.pg_port,
            ),
            out,
        )
        return 0
    if args.command == "down":
        from hdp.demo import DemoStack

        DemoStack(args.workdir).down(out)
        return 0
    settings = _settings(args)
    args.redaction.secrets = settings.secret_values()
    if args.command == "config":
        table = Table(title="settings (HDP_* environment variables)")
        for col in ("variable", "value", "meaning"):
            table.add_column(col)
        for row in settings.describe():
            table.add_row(*row)
        out.print(table)
        return 0
    if args.command == "pharmacy-api":
        from hdp.sources.pharmacy_api import Faults, serve

        settings.require("source_dsn", "pharmacy_token")
        server = serve(
            settings.source_dsn.get_secret_value(),
            settings.pharmacy_token.get_secret_value(),
            args.host,
            args.port,
            Faults(args.throttle_rate, args.error_rate, args.slow_rate),
        )
        console.print(f"pharmacy API on http://{args.host}:{args.port}")
        server.serve_forever()
        return 0
    if args.command == "inspect":
        return _inspect(args, settings, out)
    if args.command == "export":
        return _export(args, settings, console, out)
    if args.command == "metrics":
        return _metrics(args, settings, out)
    if args.command == "report":
        from hdp.report import write_report

        settings.require("warehouse_dsn")
        write_report(settings, args.output)
        out.print(f"KPI report written to {args.output}")
        return 0
    return _run_stages(args, settings, console, out)


def _inspect(args, settings, out: Console) -> int:
    from hdp.inspect import inspect, parse_table
    from hdp.spark import build_session

    parse_table(args.table)  # a bad name fails before Spark starts
    spark = build_session(settings, "hdp-inspect")
    try:
        shown = inspect(spark, settings, args.table, args.limit, args.unmask, args.batch, args.reason)
    finally:
        spark.stop()
    table = Table(
        title=f"{shown.table}: {len(shown.rows)} rows" + (", masked" if shown.masked else ", UNMASKED")
    )
    for col in shown.columns:
        table.add_column(col, overflow="fold")
    for row in shown.rows:
        table.add_row(*[escape("" if row[c] is None else str(row[c])) for c in shown.columns])
    out.print(table)
    return 0


def _export(args, settings, console: Console, out: Console) -> int:
    from hdp.errors import EX_USAGE
    from hdp.export import run as export
    from hdp.spark import build_session

    if not args.safe_harbor:
        console.print(
            "[red]error:[/red] say how to de-identify: --safe-harbor (the only export that may leave the "
            "hospital without a data use agreement)"
        )
        return EX_USAGE
    spark = build_session(settings, "hdp-export")
    try:
        manifest = export(spark, settings, tuple(args.table), args.out or "")
    finally:
        spark.stop()
    table = Table(title=f"Safe-Harbor export {manifest['export_id']} -> {manifest['destination']}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("columns")
    for name, info in manifest["tables"].items():
        table.add_row(name, str(info["rows"]), ", ".join(c["name"] for c in info["columns"]))
    out.print(table)
    return 0


def _metrics(args, settings, out: Console) -> int:
    from hdp import metrics
    from hdp.lake import Lake
    from hdp.spark import build_session, configure_storage

    spark = build_session(settings, "hdp-metrics")
    try:
        configure_storage(spark, settings)
        snap = metrics.collect(Lake(spark), settings)
    finally:
        spark.stop()
    gateway = args.push or (settings.metrics_pushgateway if not args.output else "")
    if args.output:
        metrics.write_textfile(snap, args.output)
    if gateway:
        metrics.push(snap, gateway, settings.layer("control"))
    if not (args.output or gateway):
        out.file.write(metrics.text(snap))
    return 0


def _push_metrics(spark, settings, console: Console) -> None:
    """After a run: the pipeline metrics to the Pushgateway. Best effort: a monitoring outage must not
    fail (and so retry) a run whose data is committed; the freshness alert still sees stale gold."""
    from hdp import metrics
    from hdp.lake import Lake

    try:
        metrics.push(
            metrics.collect(Lake(spark), settings), settings.metrics_pushgateway, settings.layer("control")
        )
    except OSError as exc:
        console.print(
            f"[yellow]warning:[/yellow] metrics not pushed to {settings.metrics_pushgateway}: {exc}"
        )


def _run_stages(args, settings, console: Console, out: Console) -> int:
    from hdp.pipeline import run_stages
    from hdp.progress import Progress
    from hdp.spark import build_session
    from hdp.summary import durations_table, reconciliation_table

    batches = _range(args)
    stages = tuple(s.strip() for s in args.stages.split(",")) if args.command == "run" else (args.command,)
    progress = Progress(console, quiet=args.quiet)
    spark = build_session(settings, f"hdp-{args.command}")
    try:
        progress.info(f"[bold]{' → '.join(stages)} for {batches}[/bold]")
        report = run_stages(
            spark, settings, batches, progress, stages, only=tuple(getattr(args, "dataset", []) or ())
        )
        if settings.metrics_pushgateway:
            _push_metrics(spark, settings, console)
    finally:
        spark.stop()
    if "silver" in report.stages or "extract" in report.stages:
        out.print(reconciliation_table([report]))
    out.print(durations_table(progress))
    return 0


if __name__ == "__main__":
    sys.exit(main())
