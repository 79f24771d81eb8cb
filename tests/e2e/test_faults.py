"""The lake under real life: a process killed (SIGKILL, JVM and all) in the middle of each stage, two runs of
one batch at once, the source and the warehouse going down mid-stage, a late-committed row, a row stamped
in the future, a corrected event date, lab files re-delivered / reordered / half written, and a parked
vital released when its stay arrives.

Two lakes read the same simulated hospital hour by hour: `ref` runs undisturbed in this process, `hurt`
suffers one fault per hour and is then re-run. At the end every lake table (bronze without its ingestion
time, silver, quarantine, gold) and every warehouse table of the two must be identical."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

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
    env = {k: v for k, v in os.environ.items() if not k.startswith("HDP_")}
    for name, value in vars(settings).items():
        if name != "lake_layers" and value not in ("", None):
            env[f"HDP_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


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


def _wait_for_line(proc: subprocess.Popen, marker: str, timeout: float = 300) -> list[str]:
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
        .with_overrides(lake_root=f"file://{world['lakes'].scratch / 'lapse'}", lease_seconds=1)
    )
    lake = Lake(spark)
    stale = Lease(lake, settings, "crashed pod")
    stale.host = "another-pod"  # a pod that died without releasing: only the timeout frees it
    stale.acquire()
    with pytest.raises(LeaseHeld, match="another-pod"):
        Lease(lake, settings.with_overrides(lease_seconds=60), "next").acquire()
    time.sleep(21)
    Lease(lake, settings, "next").acquire().release()
