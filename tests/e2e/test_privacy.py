"""Privacy end to end, on a small `hdp demo` (20 beds, one day, one hourly run): no identifier of any generated
patient in gold, the warehouse or the Safe-Harbor export; the export's dates and ZIPs follow the rule; no
secret and no PHI value in any log of the run; the pseudonym key in no plan and no event log; the audit
events of the run; the warehouse's statement log; secret files 0600."""

from __future__ import annotations

import calendar
import json
import os
import pwd
import re
import socket
import stat
import subprocess
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import psycopg2
import pytest
from dotenv import dotenv_values

from hdp import audit, export
from hdp import catalog as C
from hdp.batches import HOUR, batch_id
from hdp.config import Settings, write_private
from hdp.lake import Lake
from hdp.privacy import Identifiers, find_identifiers, restricted_zip3, zip3_of
from hdp.sources.local_postgres import LocalPostgres
from hdp.sources.scenario import ScenarioSpec, generate
from tests.e2e.cli import hdp

pytestmark = pytest.mark.e2e
CALENDAR_START = date(2020, 1, 1)  # dim_date's first day: a birth date before it equals no gold date


@pytest.fixture(scope="module")
def run(spark, scratch):
    """The demo, then on its lake: a Safe-Harbor export, the gold stage again with Spark's event log on and
    the key from a file, and `hdp inspect` of the patients."""
    workdir = scratch / "privacy-demo"
    demo = hdp(
        "demo", "--workdir", str(workdir), "--beds", "20", "--days", "1", "--hourly-runs", "1", cwd=scratch
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    try:
        yield after_the_demo(spark, workdir, demo)
    finally:
        hdp("down", "--workdir", str(workdir), cwd=scratch)


def after_the_demo(spark, workdir: Path, demo: subprocess.CompletedProcess) -> dict:
    env = {k: v for k, v in dotenv_values(workdir / "hdp.env").items() if v is not None}
    settings = Settings.from_env(env)
    state = json.loads((workdir / "stack.json").read_text())
    spec_fields = state["scenario"]
    spec = ScenarioSpec(
        beds=int(spec_fields["beds"]),
        days=int(spec_fields["days"]),
        end=datetime.fromisoformat(spec_fields["end"]),
        seed=int(spec_fields["seed"]),
        defect_rate=float(spec_fields["defect_rate"]),
    )
    manifest = export.run(spark, settings)

    key_file = workdir / "pseudonym.key"
    write_private(key_file, env["HDP_PSEUDONYM_KEY"] + "\n")
    env_file = workdir / "no-key.env"
    lines = (workdir / "hdp.env").read_text().splitlines()
    write_private(env_file, "".join(line + "\n" for line in lines if "HDP_PSEUDONYM_KEY=" not in line))
    events_dir = workdir / "spark-events"
    events_dir.mkdir()
    gold = hdp(
        "--env-file",
        str(env_file),
        "gold",
        "--batch",
        batch_id(spec.end - HOUR),
        cwd=workdir.parent,
        env={
            "HDP_PSEUDONYM_KEY_FILE": str(key_file),
            "PYSPARK_SUBMIT_ARGS": f"--conf spark.eventLog.enabled=true --conf spark.eventLog.dir=file://"
            f"{events_dir} --conf spark.eventLog.compress=false pyspark-shell",
        },
    )
    assert gold.returncode == 0, gold.stderr[-3000:]
    inspected = hdp(
        "--env-file",
        str(workdir / "hdp.env"),
        "inspect",
        "silver.patients",
        "--limit",
        "50",
        cwd=workdir.parent,
    )
    assert inspected.returncode == 0, inspected.stderr[-3000:]
    return {
        "workdir": workdir,
        "env": env,
        "settings": settings,
        "spec": spec,
        "scenario": generate(spec),
        "export": manifest,
        "outputs": {"demo": demo, "gold": gold, "inspect": inspected},
        "events_dir": events_dir,
        "postgres": LocalPostgres(workdir / "pg", state["pg_port"]),
    }


def _identifiers(scenario) -> Identifiers:
    """Every generated patient's name, MRN, phone (as written and as digits), street address and birth date
    (those before the calendar's first day: no date of care or calendar day can equal them)."""
    p = scenario.tables["patients"]
    vocabulary = set(calendar.month_name) | set(calendar.day_name)  # "June" the month is not June the patient
    births = {d.isoformat() for d in p["date_of_birth"] if d < CALENDAR_START}
    assert len(births) >= 0.8 * len(p), "too few birth dates to scan for"
    phones = set(p["phone"]) | {re.sub(r"[^0-9]", "", x) for x in p["phone"]}
    full_names = {f"{a} {b}" for a, b in zip(p["first_name"], p["last_name"], strict=True)}
    return Identifiers(
        whole=(set(p["first_name"]) | set(p["last_name"]) | births) - vocabulary,
        inside=set(p["mrn"]) | phones | set(p["address"]) | full_names,
    )


def _read_export(destination: str, table: str) -> pd.DataFrame:
    return pd.read_parquet(Path(destination.removeprefix("file://")) / table)


def _query(dsn: str, sql: str) -> pd.DataFrame:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql)
        out = pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description])
    conn.close()
    return out


def test_no_identifier_in_gold_the_warehouse_or_the_export(run, spark):
    settings, ids = run["settings"], _identifiers(run["scenario"])
    lake = Lake(spark)
    frames = {}
    for table in C.GOLD_TABLES:
        frames[f"gold.{table.name}"] = lake.read(f"{settings.layer('gold')}/{table.name}").toPandas()
        frames[f"warehouse.{table.name}"] = _query(
            settings.warehouse_dsn, f"SELECT * FROM {settings.warehouse_schema}.{table.name}"
        )
    for table in run["export"]["tables"]:
        frames[f"export.{table}"] = _read_export(run["export"]["destination"], table)
    assert len(frames) == 2 * len(C.GOLD_TABLES) + len(C.SAFE_HARBOR_TABLES)
    assert all(len(df) for name, df in frames.items() if "dim_" in name or "fact_" in name)
    assert find_identifiers(frames, ids) == []
    # the scan is not blind: the same values are found in silver, where they belong
    silver = lake.read(f"{settings.layer('silver')}/patients").toPandas()
    assert len(find_identifiers({"silver.patients": silver}, ids)) >= 4 * len(silver)


def test_the_export_reduces_dates_to_years_and_zips_to_three_digits(run, spark):
    settings, spec, destination = run["settings"], run["spec"], run["export"]["destination"]
    assert destination.startswith(settings.layer("export"))
    patients = _read_export(destination, "dim_patient")
    silver = Lake(spark).read(f"{settings.layer('silver')}/patients").select("zip").toPandas()
    assert Counter(patients["zip3"].fillna("-")) == Counter(zip3_of(z) or "-" for z in silver["zip"])
    assert not set(patients["zip3"].dropna()) & set(restricted_zip3())
    assert patients.loc[patients["age_band"] == "90+", "birth_year"].isna().all()
    assert (patients["birth_year"].dropna() >= spec.end.year - 90).all()
    gold = Lake(spark).read(f"{settings.layer('gold')}/dim_patient").toPandas()
    assert set(patients["patient_key"]).isdisjoint(gold["patient_key"]), "gold's keys must not leave"
    for table in C.SAFE_HARBOR_TABLES:
        df = _read_export(destination, table)
        for col in df.columns:
            if "patient_key" in df.columns:  # a patient's rows: only the year of any date
                assert not pd.api.types.is_datetime64_any_dtype(df[col]), (table, col)
                assert not df[col].map(lambda v: isinstance(v, date)).any(), (table, col)
                assert col not in ("bed_code", "day", "date_key", "time_key"), (table, col)
            if col.endswith("_year") and col != "birth_year":  # a date of care as its year
                years = df[col].dropna()
                assert years.between(2000, spec.end.year).all(), (table, col)
        if "patient_key" in df.columns and table != "dim_patient":
            assert set(df["patient_key"].dropna()) <= set(patients["patient_key"]), table
    info = json.loads(Path(destination.removeprefix("file://"), "_export.json").read_text())
    assert info["kind"].startswith("HIPAA Safe Harbor") and info["tables"]["fact_admission"]["rows"] > 0
    assert "bed_code" in info["tables"]["fact_bed_assignment"]["dropped"]


def test_no_secret_and_no_phi_in_any_log_of_the_run(run):
    workdir, env = run["workdir"], run["env"]
    secrets = {
        "database password": (workdir / "pg" / "password").read_text().strip(),
        "pharmacy token": env["HDP_PHARMACY_TOKEN"],
        "pseudonym key": env["HDP_PSEUDONYM_KEY"],
    }
    logs = {
        f"{name} {kind}": getattr(out, kind)
        for name, out in run["outputs"].items()
        for kind in ("stdout", "stderr")
    }
    logs["pharmacy-api.log"] = (workdir / "pharmacy-api.log").read_text()
    logs["postgres server.log"] = run["postgres"].log.read_text()
    audit_files = sorted((workdir / "lake" / "control" / "audit").rglob("*.json"))
    assert audit_files
    logs["audit events"] = "\n".join(f.read_text() for f in audit_files)
    assert "Ward occupancy at the latest hour" in logs["demo stdout"]  # these are the real outputs
    for log_name, text in logs.items():
        for secret_name, value in secrets.items():
            assert value not in text, f"the {secret_name} is in {log_name}"
    ids = _identifiers(run["scenario"])
    frame = {name: pd.DataFrame({"line": text.splitlines()}) for name, text in logs.items()}
    full_text_ids = Identifiers(
        inside=ids.inside | {d for d in ids.whole if re.fullmatch(r"\d{4}-\d\d-\d\d", d)}
    )
    assert find_identifiers(frame, full_text_ids) == []
    # `hdp inspect` printed the patients, masked
    assert "silver.patients" in logs["inspect stdout"] and "***" in logs["inspect stdout"]


def test_the_pseudonym_key_is_in_no_event_log(run):
    key = run["env"]["HDP_PSEUDONYM_KEY"]
    logs = [p for p in run["events_dir"].rglob("*") if p.is_file()]  # Spark 4 rolls event logs
    assert logs
    text = "".join(p.read_text(errors="replace") for p in logs)
    assert "SparkListenerSQLExecutionStart" in text and "hmac_patient" in text  # the plans are in it
    assert key not in text


def test_the_audit_log_holds_every_stage_and_read_of_the_run(run):
    settings = run["settings"]
    events = audit.read_events(settings)
    by_run: dict[str, list[dict]] = {}
    for e in events:
        if e["action"] == "stage":
            by_run.setdefault(e["run_id"], []).append(e)
    full_runs = [
        evs
        for evs in by_run.values()
        if {e["command"] for e in evs} == {"extract", "silver", "gold", "warehouse"}
    ]
    assert len(full_runs) == 2, "the backfill and the hourly run"
    user, host = pwd.getpwuid(os.geteuid()).pw_name, socket.gethostname()
    for evs in full_runs:
        for stage in ("extract", "silver", "gold", "warehouse"):
            outcomes = [e["outcome"] for e in evs if e["command"] == stage]
            assert outcomes == ["started", "success"], (stage, outcomes)
        for e in evs:
            assert e["actor"]["user"] == user and e["actor"]["host"] == host and e["batches"]["hours"] >= 1
            assert e["schema"] == audit.SCHEMA
    backfill = full_runs[0]
    done = {e["command"]: e for e in backfill if e["outcome"] == "success"}
    writes = {w["table"]: w for w in done["silver"]["writes"]}
    assert writes["silver.patients"]["rows"] > 0 and writes["silver.patients"]["holds"] == C.RESTRICTED
    assert {r["table"] for r in done["extract"]["reads"]} >= {"source.ehr.patients", "landing.labs_*.csv"}
    gold_writes = {w["table"]: w["rows"] for w in done["gold"]["writes"]}
    assert gold_writes["gold.dim_patient"] > 0 and gold_writes["gold.fact_vital_sign"] > 0
    assert {w["zone"] for w in done["warehouse"]["writes"]} == {"warehouse"}
    # the gold stage run by hand, the export and inspect are there too
    assert any(len(evs) == 2 and evs[0]["command"] == "gold" for evs in by_run.values())
    exported = [e for e in events if e["action"] == "export" and e["outcome"] == "success"]
    assert len(exported) == 1 and exported[0]["details"]["export_id"] == run["export"]["export_id"]
    assert {w["zone"] for w in exported[0]["writes"]} == {"export"}
    assert all(w["rows"] is not None for w in exported[0]["writes"])
    inspected = [e for e in events if e["action"] == "inspect" and e["outcome"] == "success"]
    assert [(e["reads"][0]["table"], e["details"]["masked"]) for e in inspected] == [
        ("silver.patients", True)
    ]


def test_the_warehouse_logged_the_analysts_statements(run):
    log = run["postgres"].log.read_text()
    logged = [line for line in log.splitlines() if "db=warehouse" in line and "statement:" in line]
    assert any("kpi_ward_occupancy_hourly" in line and "user=hdp" in line for line in logged), log[-2000:]
    assert not any("db=hospital" in line and "statement:" in line for line in log.splitlines())


def test_files_holding_secrets_are_only_their_owners(run):
    workdir = run["workdir"]
    for path in (workdir / "hdp.env", workdir / "pg" / "password"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
