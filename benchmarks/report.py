"""The benchmark's Markdown report, regenerated from every results/*.json (`python -m benchmarks.report`)."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

EHR = ("wards", "beds", "patients", "admissions", "bed_assignments", "vital_signs")
STAGES = ("extract", "silver", "gold", "warehouse")


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a and b else None


def _ehr_extract(run: dict) -> tuple[int, float]:
    """Rows and seconds of the extraction of the EHR tables (PostgreSQL COPY) inside the extract stage."""
    steps = {s["name"].removeprefix("extract "): s["seconds"] for s in run["stages"]["extract"]["steps"]}
    rows = sum(run["datasets"]["extract"].get(d, 0) for d in EHR)
    return rows, sum(steps.get(d, 0.0) for d in EHR)


def summarise(result: dict) -> dict:
    """The figures the tables show, computed once and stored with the result."""
    spark_start = result["setup"]["spark_start"]["seconds"]
    backfill = result["runs"][0]
    out: dict = {
        "spark_start_seconds": spark_start,
        "backfill": {
            "hours": backfill["hours"],
            "seconds": backfill["seconds"],
            "seconds_with_spark_start": round(backfill["seconds"] + spark_start, 3),
            "stages": {s: backfill["stages"][s]["seconds"] for s in STAGES},
            "rows_extracted": backfill["rows_extracted"],
            "rows_per_second": round(backfill["rows_extracted"] / (backfill["seconds"] + spark_start), 1),
            "peak_rss_mib": backfill["peak_rss_mib"],
        },
    }
    rows, seconds = _ehr_extract(backfill)
    plain = backfill["plain_copy_out"]
    ours = rows / seconds if seconds else None
    out["extract_vs_plain_copy"] = {
        "rows": rows,
        "pipeline_rows_per_second": round(ours, 1) if ours else None,
        "plain_copy_rows_per_second": plain["rows_per_second"],
        "ratio": _ratio(ours, plain["rows_per_second"]),
    }
    wh = backfill["stages"]["warehouse"]
    plain_in = result["plain_copy_in"]
    out["load_vs_plain_copy"] = {
        "rows": wh["rows"],
        "pipeline_rows_per_second": wh["rows_per_second"],
        "plain_copy_rows_per_second": plain_in["rows_per_second"],
        "ratio": _ratio(wh["rows_per_second"], plain_in["rows_per_second"]),
    }
    hourly = [r for r in result["runs"] if r["kind"] == "hourly"]
    if hourly:
        out["hourly"] = {
            "runs": len(hourly),
            "median_seconds": round(statistics.median(r["seconds"] for r in hourly), 3),
            "median_seconds_with_spark_start": round(
                statistics.median(r["seconds"] for r in hourly) + spark_start, 3
            ),
            "stages_median": {
                s: round(statistics.median(r["stages"][s]["seconds"] for r in hourly), 3) for s in STAGES
            },
            "bookkeeping_median": round(statistics.median(r["bookkeeping_seconds"] for r in hourly), 3),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in hourly),
            "files_written_median": statistics.median(
                sum(r["stages"][s]["files_written"] for s in STAGES) for r in hourly
            ),
        }
    ref = result.get("reference")
    if ref:
        steps = ref["steps"]
        pipe = backfill["stages"]
        out["reference"] = {
            "seconds": ref["process_seconds"],
            "peak_rss_mib": ref["peak_rss_mib"],
            "kpis_agree": ref["kpis_agree"],
            "ratio_end_to_end": _ratio(out["backfill"]["seconds_with_spark_start"], ref["process_seconds"]),
            "ratio_extract": _ratio(pipe["extract"]["seconds"], steps["extract"]["seconds"]),
            "ratio_transform": _ratio(
                pipe["silver"]["seconds"] + pipe["gold"]["seconds"], steps["transform"]["seconds"]
            ),
            "ratio_load": _ratio(pipe["warehouse"]["seconds"], steps["load"]["seconds"]),
        }
    return out


def summary_line(result: dict) -> str:
    if "error" in result:
        where = result.get("failed_run") or {}
        return (
            f"{result['label']}: FAILED in {where.get('kind', 'setup')} {where.get('batches', '')} "
            f"({where.get('failed_stage') or ''}): {result['error']}"
        )
    s = result["summary"]
    b = s["backfill"]
    text = (
        f"{result['label']}: backfill of {b['hours']} h in {b['seconds_with_spark_start']:.1f} s "
        f"(Spark start included), {b['rows_extracted']} rows, peak RSS {b['peak_rss_mib']} MiB"
    )
    if "hourly" in s:
        text += (
            f"; hourly median {s['hourly']['median_seconds']:.1f} s (+{s['spark_start_seconds']:.1f} s start)"
        )
    if "reference" in s:
        r = s["reference"]
        text += f"; DuckDB {r['seconds']:.1f} s (×{r['ratio_end_to_end']:.3g}), KPIs agree: {r['kpis_agree']}"
    return text


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f}"


def _load(x: list[float]) -> str:
    return "/".join(f"{v:.1f}" for v in x)


def _s(x: float | None) -> str:
    return "–" if x is None else f"{x:,.1f}"


def _x(x: float | None) -> str:
    return "–" if x is None else f"{x:.3g}×"


def _r(x: float | None) -> str:
    return "–" if x is None else f"{x:.3g}"


def _latest(results: list[dict]) -> list[dict]:
    """The latest result of each label, in the scenarios' order of first appearance by date."""
    by_label: dict[str, dict] = {}
    for r in sorted(results, key=lambda r: r["started_at"]):
        by_label[r["label"]] = r
    return sorted(by_label.values(), key=lambda r: r["started_at"])


def render(results: list[dict], notes: bool = False) -> str:
    everything = _latest(results)
    latest = [r for r in everything if "error" not in r]
    failed = [r for r in everything if "error" in r]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.run SCENARIO …`) from the JSON files beside this one; "
        "regenerate with `python -m benchmarks.report`. Every figure was measured, none extrapolated. The "
        "machine is named in each row; **load average** (1/5/15 min) is the machine's at the start of the run: "
        "with 2 cores, a load above 2 means the run shared its cores with other work and its times are "
        "inflated accordingly.",
        "",
        "Definitions: *end to end* = Spark session start + the run of all four stages (`run_stages`, one lease, "
        "as `hdp run` does); a stage's time is its runner's wall time; *rows/s* = rows extracted / end to end; "
        "*peak RSS* = highest sampled sum of the RSS of the benchmark's process tree (Python driver, JVM, "
        "Spark's Python workers; PostgreSQL and the pharmacy API simulator are separate processes, measured "
        "apart); *files* = files added to the lake; the DuckDB reference runs in its own process on the same "
        "source right after, and *ratio* = pipeline time / DuckDB time (end to end: the pipeline's backfill "
        "with Spark start vs the whole reference process); *KPIs agree* = the cross-check of the pipeline's "
        "warehouse against the reference's (cell by cell since the 7-table check; the 6-table results were "
        "checked row by row by an earlier version of it).",
        "",
        *(
            ["What was not run, and why (with the measurements that say so): [NOTES.md](NOTES.md).", ""]
            if notes
            else []
        ),
        "## Backfill (the history in one run)",
        "",
        "| date | scenario | beds × days | hours | load avg at start | end to end s | extract s | silver s | "
        "gold s | warehouse s | rows extracted | rows/s | peak RSS MiB | lake MB (files) | warehouse MB | "
        "DuckDB s (peak MiB) | ratio e2e / extract / transform / load | KPIs agree |",
        "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        "---: | --- | --- |",
    ]
    for r in latest:
        s, b = r["summary"], r["summary"]["backfill"]
        ref = s.get("reference")
        lines.append(
            f"| {r['started_at'][:10]} | {r['label']} | {r['params']['beds']} × {r['params']['days']} | "
            f"{b['hours']} | {_load(r['runs'][0]['loadavg_at_start'])} | {_s(b['seconds_with_spark_start'])} | "
            + " | ".join(_s(b["stages"][st]) for st in STAGES)
            + f" | {b['rows_extracted']:,} | {_s(b['rows_per_second'])} | {_s(b['peak_rss_mib'])} | "
            f"{_mb(r['lake']['bytes'])} ({r['lake']['files']:,}) | {_mb(r['warehouse']['bytes'])} | "
            + (
                f"{_s(ref['seconds'])} ({_s(ref['peak_rss_mib'])}) | {_x(ref['ratio_end_to_end'])} / "
                f"{_x(ref['ratio_extract'])} / {_x(ref['ratio_transform'])} / {_x(ref['ratio_load'])} | "
                f"{'yes' if ref['kpis_agree'] else '**no**'} ({len(r['reference']['kpi_check'])} tables) |"
                if ref
                else "– | – | – |"
            )
        )
    hourly = [r for r in latest if "hourly" in r["summary"]]
    if hourly:
        lines += [
            "",
            "## Hourly runs (one hour on top of the history)",
            "",
            "Each hour as the schedule runs it: the sources move one hour on, then `run_stages` for that hour "
            "in the already running session. *+ start* adds the Spark session start a fresh `hdp run` process "
            "pays (on Kubernetes each stage is its own application and pays it once per stage).",
            "",
            "| date | scenario | batch | history h | load avg at start | s | s + start | extract s | silver s | "
            "gold s | warehouse s | lease + manifests s | rows extracted | peak RSS MiB | files written |",
            "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in hourly:
            start = r["summary"]["spark_start_seconds"]
            history = r["runs"][0]["hours"]
            for i, run in enumerate(x for x in r["runs"] if x["kind"] == "hourly"):
                st = run["stages"]
                lines.append(
                    f"| {r['started_at'][:10]} | {r['label']} | {run['batches']} | {history + i} | "
                    f"{_load(run['loadavg_at_start'])} | {_s(run['seconds'])} | {_s(run['seconds'] + start)} | "
                    + " | ".join(_s(st[s]["seconds"]) for s in STAGES)
                    + f" | {_s(run['bookkeeping_seconds'])} | {run['rows_extracted']:,} | "
                    f"{_s(run['peak_rss_mib'])} | {sum(st[s]['files_written'] for s in STAGES):,} |"
                )
    lines += [
        "",
        "## Extraction and load against plain COPY (backfill)",
        "",
        "Extraction: the EHR tables' share of the extract stage against `COPY (the same query) TO STDOUT` "
        "into a sink (nothing parses the rows). Load: the warehouse stage against `COPY … FROM STDIN` of the "
        "warehouse's final rows into a temporary table. Targets (issue 12): extraction ≥ 0.7, load ≥ 0.5.",
        "",
        "| date | scenario | EHR rows | extraction rows/s | plain COPY TO rows/s | ratio | rows loaded | "
        "load rows/s | plain COPY FROM rows/s | ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in latest:
        e, ld = r["summary"]["extract_vs_plain_copy"], r["summary"]["load_vs_plain_copy"]
        lines.append(
            f"| {r['started_at'][:10]} | {r['label']} | {e['rows']:,} | {_s(e['pipeline_rows_per_second'])} | "
            f"{_s(e['plain_copy_rows_per_second'])} | {_r(e['ratio'])} | {ld['rows']:,} | "
            f"{_s(ld['pipeline_rows_per_second'])} | {_s(ld['plain_copy_rows_per_second'])} | {_r(ld['ratio'])} |"
        )
    lines += ["", "## Setup and machine", ""]
    lines += [
        "| date | scenario | code | machine | generate s (peak MiB) | source fill s | Spark start s | PostgreSQL "
        "peak MiB | whole benchmark s | load avg at end |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in latest:
        m, st = r["machine"], r["setup"]
        code = r.get("code") or {}
        lines.append(
            f"| {r['started_at'][:10]} | {r['label']} | {code.get('repo_head', '?')} "
            f"(hdp {code.get('hdp_sources_sha256') or '?'}) | {m['cpus']} cores, {m['memory_gib']} GiB, "
            f"{m['cpu_model']} | {_s(st['generate']['seconds'])} ({_s(st['generate']['peak_rss_mib'])}) | "
            f"{_s(st['source_fill']['seconds'])} | {_s(st['spark_start']['seconds'])} | "
            f"{_s(r.get('postgres_peak_rss_mib'))} | {_s(r['seconds'])} | {_load(r['loadavg_at_end'])} |"
        )
    if failed:
        lines += [
            "",
            "## Runs that did not finish",
            "",
            "| date | scenario | beds × days | load avg at start | failed in | batch | stage (last step completed) | error | "
            "runs completed before |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in failed:
            f = r.get("failed_run") or {}
            done = (
                ", ".join(f"{x['kind']} {x['batches']} {x['seconds']:.0f} s" for x in r.get("runs", []))
                or "–"
            )
            error = r["error"].replace("|", "/")
            lines.append(
                f"| {r['started_at'][:10]} | {r['label']} | {r['params']['beds']} × {r['params']['days']} | "
                f"{_load(r['loadavg_at_start'])} | {f.get('kind', 'setup')} | {f.get('batches', '–')} | "
                f"{f.get('failed_stage') or '–'} ({f.get('last_completed_step') or '–'}) | {error} | {done} |"
            )
    lines += ["", "## The slowest steps of each run", ""]
    for r in latest:
        for run in r["runs"]:
            steps = [(st, s) for st in STAGES for s in run["stages"][st]["steps"]]
            top = sorted(steps, key=lambda x: -x[1]["seconds"])[:6]
            lines.append(
                f"- {r['started_at'][:10]} {r['label']} {run['kind']} {run['batches']}: "
                + ", ".join(f"{s['name']} {s['seconds']:.1f} s" for _, s in top)
            )
    return "\n".join(lines) + "\n"


def load_results(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def write_markdown(folder: Path) -> Path:
    path = folder / "README.md"
    path.write_text(render(load_results(folder), notes=(folder / "NOTES.md").exists()))
    return path


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("results")
    print(write_markdown(folder))
