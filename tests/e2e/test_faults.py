"""The lake under real life: a process killed (SIGKILL, JVM and all) in the middle of each stage, two runs of
one batch at once, the source and the warehouse going down mid-stage, a late-committed row, a row stamped
in the future, a corrected event date, lab files re-delivered / reordered / half written, and a parked
vital released when its stay arrives.

Two lakes read the same simulated hospital hour by hour: `ref` runs undisturbed in this process, `hurt`
suffers one fault per hour and is then re-run. At the end every lake table (bronze without its ingestion
time, silver, quarantine, gold) and every warehouse table of the two must be identical."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg2
import pytest
from pyspark.sql import functions as F

from hdp import extract
from hdp.batches import HOUR, BatchRange, batch_id
from hdp.catalog import DATASETS, GOLD_TABLES
from hdp.config import Settings
from hdp.extract.ehr import SourceUnavailable
from hdp.lake import Lake
from hdp.lease import Lease, LeaseHeld
from hdp.pipeline import run_stages
from hdp.progress import Progress
from hdp.sources import hospital
from hdp.sources.local_postgres import LocalPostgres, free_port
from hdp.sources.pharmacy_api import Faults, serve_in_thread
from hdp.sources.scenario import ScenarioSpec, generate
from hdp.warehouse import WarehouseUnavailable
from tests.e2e.test_pipeline import _same, query

pytestmark = pytest.mark.e2e
SPEC = ScenarioSpec(beds=20, days=1, end=datetime(2026, 11, 6, tzinfo=timezone.utc), seed=3, defect_rate=0.02)
TOKEN = "faults-token"
HOURS = [SPEC.end - (6 - i) * HOUR for i in range(6)]  # one fault per hour
KILL_AFTER = {  # stage: the progress line after which the process is killed (that step committed, others not)
    "extract": "✓ extract admissions",
    "silver": "✓ silver admissions",
    "gold": "✓ gold fact_admission",
    "warehouse": "✓ warehouse fact_admission",  # inside the warehouse transaction
}


def _env(settings: Settings) -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("HDP_")} | settings.environ()


class Lakes:
    def __init__(self, spark, scratch: Path, pg: LocalPostgres, api: str, key: str):
        self.spark, self.pg, self.scratch = spark, pg, scratch
        self.settings = {}
        for name in ("ref", "hurt"):
            pg.create_database(f"wh_{name}")
            self.settings[name] = Settings(
                lake_root=f"file://{scratch / name}",
                source_dsn=pg.dsn("hospital"),
                pharmacy_url=api,
                pharmacy_token=TOKEN,
                warehouse_dsn=pg.dsn(f"wh_{name}"),
                pseudonym_key=key,
                spark_master="local[2]",
            )

    def landing(self, name: str) -> Path:
        return self.scratch / name / "landing" / "labs"

    def run(self, name: str, batch: str, **kw):
        return run_stages(
            self.spark, self.settings[name], BatchRange.single(batch), Progress(quiet=True), **kw
        )

    def table(self, name: str, layer: str, table: str):
        return Lake(self.spark).read(f"{self.settings[name].layer(layer)}/{table}")

    def spawn(self, name: str, batch: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "hdp.cli", "run", "--batch", batch],
            env=_env(self.settings[name]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: the JVM dies with it
        )


def _wait_for_line(proc: subprocess.Popen, marker: str, timeout: float = 900) -> list[str]:
    seen, deadline = [], time.monotonic() + timeout
    for line in proc.stderr:
        seen.append(line)
        if marker in line:
            return seen
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise AssertionError(f"never saw {marker!r}; stderr:\n{''.join(seen)[-3000:]}")


def _kill_in(lakes: Lakes, stage: str, batch: str) -> None:
    proc = lakes.spawn("hurt", batch)
    _wait_for_line(proc, KILL_AFTER[stage])
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _stop_postgres_when(lakes: Lakes, monkeypatch, module, name: str, predicate) -> None:
    """Wrap `module.name` so the PostgreSQL server is stopped (immediately) the first time `predicate`
    holds for its arguments."""
    real = getattr(module, name)
    done = []

    def wrapped(*args, **kwargs):
        if not done and predicate(*args, **kwargs):
            done.append(True)
            lakes.pg._pg("pg_ctl", "-D", str(lakes.pg.data), "-m", "immediate", "-w", "stop", check=True)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)


@pytest.fixture(scope="module")
def world(spark, scratch, pseudonym_key):
    pg = LocalPostgres(scratch / "pg-faults", free_port())
    pg.init()
    pg.start()
    pg.create_database("hospital")
    scenario = generate(SPEC)
    server, url = serve_in_thread(pg.dsn("hospital"), TOKEN, Faults(throttle_rate=0, error_rate=0))
    lakes = Lakes(spark, scratch / "faults", pg, url, pseudonym_key)
    for name in ("ref", "hurt"):
        hospital.advance(pg.dsn("hospital"), lakes.landing(name), scenario, HOURS[0])
        run_stages(
            spark,
            lakes.settings[name],
            BatchRange(batch_id(SPEC.start), batch_id(HOURS[0] - HOUR)),
            Progress(quiet=True),
        )
    yield {"lakes": lakes, "scenario": scenario, "pg": pg}
    server.shutdown()
    pg.stop()


def _advance(world, hour: datetime) -> None:
    for name in ("ref", "hurt"):
        hospital.advance(
            world["pg"].dsn("hospital"), world["lakes"].landing(name), world["scenario"], hour + HOUR
        )


def test_faults_mid_stage_then_a_rerun_equal_an_undisturbed_run(world, monkeypatch):
    lakes = world["lakes"]
    # 1-4: SIGKILL in the middle of each stage's writes, then the same batch again (the dead holder's lease
    # is taken over: its process is gone)
    for hour, stage in zip(HOURS[:4], ("extract", "silver", "gold", "warehouse"), strict=True):
        _advance(world, hour)
        lakes.run("ref", batch_id(hour))
        _kill_in(lakes, stage, batch_id(hour))
        lakes.run("hurt", batch_id(hour))

    # 5: the source database goes down in the middle of extract: one clear error, then a rerun
    hour = HOURS[4]
    _advance(world, hour)
    lakes.run("ref", batch_id(hour))
    with monkeypatch.context() as m:
        _stop_postgres_when(lakes, m, extract.ehr, "fetch", lambda s, lake, ds, w: ds.name == "vital_signs")
        m.setitem(extract.FETCHERS, "ehr", extract.ehr.fetch)
        with pytest.raises(
            SourceUnavailable, match=r"EHR database \(HDP_SOURCE_DSN, 127\.0\.0\.1:\d+/hospital\)"
        ):
            lakes.run("hurt", batch_id(hour))
    world["pg"].start()
    lakes.run("hurt", batch_id(hour))

    # 6: the warehouse goes down in the middle of its load transaction; the re-run runs in a process of its
    # own, and a second run of the same batch started meanwhile fails fast naming it; the result is one run's
    hour = HOURS[5]
    _advance(world, hour)
    lakes.run("ref", batch_id(hour))
    from hdp import warehouse

    with monkeypatch.context() as m:
        _stop_postgres_when(
            lakes, m, warehouse, "gold_rows", lambda lake, s, table, w: table.name == "fact_vital_sign"
        )
        with pytest.raises(
            WarehouseUnavailable,
            match=r"warehouse \(HDP_WAREHOUSE_DSN, 127\.0\.0\.1:\d+/wh_hurt\) failed during the load",
        ):
            lakes.run("hurt", batch_id(hour))
    world["pg"].start()
    first = lakes.spawn("hurt", batch_id(hour))
    _wait_for_line(first, "holds the lake's lease")
    started = time.monotonic()
    with pytest.raises(LeaseHeld, match=rf"run [0-9a-f]+ on .* \(pid {first.pid}\) holds its lease"):
        lakes.run("hurt", batch_id(hour))
    assert time.monotonic() - started < 30
    rest = first.stderr.read()
    assert first.wait(timeout=600) == 0, rest[-3000:]

    _assert_same_lakes(lakes)


def _assert_same_lakes(lakes: Lakes) -> None:
    for ds in DATASETS:
        for layer in ("bronze", "silver", "quarantine"):
            a, b = lakes.table("ref", layer, ds.name), lakes.table("hurt", layer, ds.name)
            assert (a is None) == (b is None), (layer, ds.name)
            if a is not None:
                drop = ("_ingested_at",)
                _same(a.drop(*drop).toPandas(), b.drop(*drop).toPandas(), f"{layer}.{ds.name}")
    for table in GOLD_TABLES:
        _same(
            lakes.table("ref", "gold", table.name).toPandas(),
            lakes.table("hurt", "gold", table.name).toPandas(),
            table.name,
        )
        _same(
            query(lakes.settings["ref"].warehouse_dsn, f"SELECT * FROM gold.{table.name}"),
            query(lakes.settings["hurt"].warehouse_dsn, f"SELECT * FROM gold.{table.name}"),
            f"warehouse.{table.name}",
        )


def test_two_leases_taken_at_the_same_moment_admit_one_holder(world, spark):
    settings = (
        world["lakes"].settings["ref"].with_overrides(lake_root=f"file://{world['lakes'].scratch / 'race'}")
    )
    lake = Lake(spark)
    Lease(lake, settings, "warm-up").acquire().release()
    leases = [Lease(lake, settings, f"racer {i}") for i in range(2)]
    outcome = [None, None]

    def take(i):
        try:
            leases[i].acquire()
            outcome[i] = "held"
        except LeaseHeld:
            outcome[i] = "refused"

    threads = [threading.Thread(target=take, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome) == ["held", "refused"], outcome
    holder = leases[outcome.index("held")]
    assert [r["run_id"] for r in holder.holders()] == [holder.run_id]


def test_a_lapsed_lease_of_another_host_is_taken_over(world, spark):
    settings = (
        world["lakes"]
        .settings["ref"]
        .with_overrides(lake_root=f"file://{world['lakes'].scratch / 'lapse'}", lease_seconds=30)
    )
    lake = Lake(spark)
    stale = Lease(lake, settings, "crashed pod")
    stale.host = "another-pod"  # a pod that died without releasing: only the timeout frees it
    stale.acquire()
    with pytest.raises(LeaseHeld, match="another-pod"):
        Lease(lake, settings, "next").acquire()
    (row,) = stale.holders()
    time.sleep(max(0.0, row["expires_at"] - time.time()) + 1)
    taker = Lease(lake, settings, "next").acquire()
    assert [r["run_id"] for r in taker.holders()] == [taker.run_id]
    taker.release()


# --- late, future, corrected and parked rows; lab files re-delivered, reordered, half written ---------------
DAY_BEFORE, LAST_DAY = "2026-11-05", "2026-11-06"  # SPEC.end is midnight between them


def _catch_up_ref(world) -> None:
    """The ref lake has run every hour of the scenario (the first test does it; alone, this test does)."""
    lakes = world["lakes"]
    manifests = lakes.table("ref", "control", "manifests")
    done = {r.batch_id for r in manifests.where("stage = 'warehouse'").select("batch_id").collect()}
    for hour in HOURS:
        if batch_id(hour) not in done:
            _advance(world, hour)
            lakes.run("ref", batch_id(hour))


def _source(world, sql: str, *params) -> None:
    with psycopg2.connect(world["pg"].dsn("hospital")) as conn, conn.cursor() as cur:
        cur.execute(sql, params)


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)  # Spark hands back naive UTC times


def _vital(world, vital_id, uid, admission_id, observed_at, updated_at) -> None:
    _source(
        world,
        "INSERT INTO ehr.vital_signs VALUES (%s, %s, %s, %s, 16, 97, false, 120, 70, 72, 'A', 36.8, %s)",
        vital_id, uid, admission_id, _utc(observed_at), _utc(updated_at),
    )  # fmt: skip


def _free_slot(spark_rows_spells, spark_rows_admissions, patients) -> tuple:
    """A bed free for 30 minutes on the day before the end, and a patient with no stay then."""
    spells: dict[str, list] = {}
    for s in spark_rows_spells:
        spells.setdefault(s.bed_code, []).append((s.start_at, s.end_at or datetime.max))
    stays: dict[int, list] = {}
    for a in spark_rows_admissions:
        stays.setdefault(a.patient_id, []).append((a.admitted_at, a.discharged_at or datetime.max))

    def free(intervals, start, end):
        return all(e <= start or s >= end for s, e in intervals)

    for minutes in range(0, 20 * 60, 10):
        start = datetime(2026, 11, 5, 2) + timedelta(minutes=minutes)  # naive UTC, as Spark returns them
        end = start + timedelta(minutes=30)
        bed = next((b for b, iv in sorted(spells.items()) if free(iv, start, end)), None)
        patient = next((p for p in patients if free(stays.get(p, []), start, end)), None)
        if bed and patient:
            return bed, patient, start
    raise AssertionError("the scenario has no free bed for 30 minutes on the last day")


def _lab_lines(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text().splitlines()))


def _write_lab_file(path: Path, rows: list[list[str]], settled: bool) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue())
    if settled:  # written an hour ago; a file just written is still being written, as far as anyone can tell
        stamp = time.time() - 3600
        os.utime(path, (stamp, stamp))


def _quarantined(lakes, dataset: str, marker: str) -> list:
    q = lakes.table("ref", "quarantine", dataset)
    return q.where(F.col("record").contains(marker)).select("status", "reason").collect()


def _wh(lakes, sql: str):
    return query(lakes.settings["ref"].warehouse_dsn, sql)


def test_late_future_corrected_and_parked_rows_and_lab_files_reach_the_warehouse_right(world, spark):
    _catch_up_ref(world)
    lakes = world["lakes"]
    b1, b2, b3 = (batch_id(SPEC.end + i * HOUR) for i in range(3))
    silver = {n: lakes.table("ref", "silver", n) for n in ("bed_assignments", "admissions", "vital_signs")}
    open_spells = silver["bed_assignments"].where(
        (F.col("end_at").isNull()) & (F.col("start_at") < SPEC.end.replace(tzinfo=None) - HOUR)
    )
    open_spell = open_spells.orderBy("assignment_id").first()
    bed, patient, slot = _free_slot(
        silver["bed_assignments"].collect(),
        silver["admissions"].collect(),
        [r.patient_id for r in lakes.table("ref", "silver", "patients").orderBy("patient_id").collect()],
    )
    ward_of_bed = lakes.table("ref", "silver", "beds").where(F.col("bed_code") == bed).first().ward_code
    news2 = "SELECT observations FROM gold.kpi_news2_daily WHERE ward_key = %r AND day = %r"
    count_day = "SELECT count(*) AS n FROM gold.fact_vital_sign WHERE day = %r"
    open_ward = lakes.table("ref", "silver", "beds").where(F.col("bed_code") == open_spell.bed_code).first()
    before_obs = _wh(lakes, news2 % (open_ward.ward_code, DAY_BEFORE)).observations.iloc[0]
    before_day = _wh(lakes, count_day % DAY_BEFORE).n.iloc[0]

    # hour 1: a row committed late (stamped 2 s before the hour already processed), one stamped in 2031,
    # one for a stay the EHR has not sent yet, and one of that stay at a time it will have no bed
    late_at = SPEC.end - timedelta(minutes=10)
    _vital(world, 9_000_001, "LATE-1", open_spell.admission_id, late_at, SPEC.end - timedelta(seconds=2))
    _vital(world, 9_000_002, "FUTURE-1", open_spell.admission_id, late_at, datetime(2031, 1, 1))
    stamped = SPEC.end + timedelta(minutes=10)
    _vital(world, 9_000_003, "PARKED-1", 8_000_001, slot + timedelta(minutes=5), stamped)
    _vital(world, 9_000_004, "NOSPELL-1", 8_000_001, slot + timedelta(minutes=15), stamped)
    lakes.run("ref", b1)
    assert _wh(lakes, news2 % (open_ward.ward_code, DAY_BEFORE)).observations.iloc[0] == before_obs + 1
    assert _wh(lakes, count_day % DAY_BEFORE).n.iloc[0] == before_day + 1
    vitals = lakes.table("ref", "silver", "vital_signs")
    assert vitals.where("observation_uid = 'LATE-1'").count() == 1
    assert vitals.where("observation_uid IN ('FUTURE-1', 'PARKED-1', 'NOSPELL-1')").count() == 0
    assert _quarantined(lakes, "vital_signs", "FUTURE-1") == [("rejected", "FUTURE_TIMESTAMP")]
    assert _quarantined(lakes, "vital_signs", "PARKED-1") == [("parked", "UNKNOWN_ADMISSION")]
    assert _quarantined(lakes, "vital_signs", "NOSPELL-1") == [("parked", "UNKNOWN_ADMISSION")]

    # hour 2: the stay arrives with a 10-minute bed spell; a vital's time is corrected across midnight; a lab
    # file is re-delivered with a corrected value; a new one comes with its columns in reverse order; and one
    # is still being written (a fresh file whose header renames a column)
    stamped = SPEC.end + HOUR + timedelta(minutes=10)
    _source(
        world,
        "INSERT INTO ehr.admissions VALUES (8000001, %s, %s, %s, 'elective', 'I10', 'home', %s)",
        patient, _utc(slot), _utc(slot + timedelta(minutes=20)), stamped,
    )  # fmt: skip
    _source(
        world,
        "INSERT INTO ehr.bed_assignments VALUES (8000001, 8000001, %s, %s, %s, %s)",
        bed, _utc(slot), _utc(slot + timedelta(minutes=10)), stamped,
    )  # fmt: skip
    moved = (
        vitals.join(open_spells.select("admission_id"), "admission_id")
        .where((F.col("observed_date") == DAY_BEFORE) & (F.col("observation_uid") != "LATE-1"))
        .orderBy(F.col("observed_at").desc(), "observation_uid")
        .first()
    )
    _source(
        world,
        "UPDATE ehr.vital_signs SET observed_at = %s, respiration_rate = 29, systolic_bp = 217, updated_at = %s"
        " WHERE observation_uid = %s",
        SPEC.end + timedelta(seconds=30), stamped, moved.observation_uid,
    )  # fmt: skip
    landing = lakes.landing("ref")
    accessions = {r.accession_number for r in lakes.table("ref", "silver", "lab_results").collect()}
    redelivered, rows = next(
        (f, lines)
        for f in sorted(landing.glob("labs_*.csv"), reverse=True)
        if len(lines := _lab_lines(f)) > 4 and all(line[0] in accessions for line in lines[1:3])
    )
    header, first = rows[0], rows[1]
    value = header.index("value")
    corrected = f"{float(first[value]) + 1.5:.2f}"
    _write_lab_file(redelivered, [header, [*first[:value], corrected, *first[value + 1 :]], *rows[2:]], True)
    copy = dict(zip(header, rows[2], strict=True)) | {"accession_number": "REORDERED-1"}
    reordered = landing / f"labs_{SPEC.end + HOUR:%Y%m%dT%H}.csv"
    _write_lab_file(reordered, [header[::-1], [copy[c] for c in header[::-1]]], True)
    half = landing / f"labs_{SPEC.start - timedelta(days=1):%Y%m%dT%H}.csv"
    renamed = [("result" if c == "value" else c) for c in header]
    _write_lab_file(half, [renamed, *rows[1:4]], settled=False)
    lakes.run("ref", b2)

    vitals = lakes.table("ref", "silver", "vital_signs")
    released = vitals.where("observation_uid = 'PARKED-1'").collect()
    assert [(r.ward_code, r.bed_code) for r in released] == [(ward_of_bed, bed)]
    assert _quarantined(lakes, "vital_signs", "PARKED-1") == []
    assert _quarantined(lakes, "vital_signs", "NOSPELL-1") == [("parked", "NO_BED_SPELL")]
    assert [
        str(r.observed_date)
        for r in vitals.where(F.col("observation_uid") == moved.observation_uid).collect()
    ] == [LAST_DAY]
    marked = _wh(
        lakes, "SELECT day FROM gold.fact_vital_sign WHERE respiration_rate = 29 AND systolic_bp = 217"
    )
    assert [str(d) for d in marked.day] == [LAST_DAY]
    # the day before lost the moved row and gained the released one
    assert _wh(lakes, count_day % DAY_BEFORE).n.iloc[0] == before_day + 1 - 1 + 1
    labs = lakes.table("ref", "silver", "lab_results")
    fixed = labs.where(F.col("accession_number") == first[header.index("accession_number")]).collect()
    assert [float(r.value_as_sent) for r in fixed] == [float(corrected)]
    (parsed,) = labs.where("accession_number = 'REORDERED-1'").collect()
    assert (parsed.loinc_code, float(parsed.value_as_sent), parsed.unit_as_sent) == (
        copy["loinc_code"],
        float(copy["value"]),
        copy["unit"],
    )
    assert not _quarantined(lakes, "lab_results", half.name)

    # hour 3: the half-written file has settled; its renamed column sends its lines to quarantine, whole
    _write_lab_file(half, [renamed, *rows[1:4]], settled=True)
    lakes.run("ref", b3)
    assert _quarantined(lakes, "lab_results", half.name) == [("rejected", "BAD_HEADER")] * 3
