"""The audit log on a real lake (append-only JSON lines, stdout), `hdp inspect` on real Delta tables (masked
by default, audited), and the warehouse's own statement log and TLS setting on a real PostgreSQL."""

from __future__ import annotations

import json
import os
import pwd
import stat
from datetime import date, datetime, timezone

import psycopg2
import pytest

from hdp import audit
from hdp.batches import BatchRange
from hdp.config import Settings
from hdp.errors import RetryLater
from hdp.inspect import inspect
from hdp.lake import Lake

pytestmark = pytest.mark.integration

PATIENT = (
    "MRN00700049",
    "Augusta",
    "Lovelace",
    date(1941, 12, 10),
    "12 Byron Row",
    "Lebanon",
    "03766",
    "6035550147",
)


def test_operations_append_events_to_the_lake_and_stdout(tmp_path, capsys):
    settings = Settings(lake_root=f"file://{tmp_path}/lake", service_account="hdp-transform")
    batches = BatchRange("2026-11-20T01", "2026-11-20T02")
    with audit.operation(
        None,
        settings,
        "stage",
        "gold",
        batches=batches,
        run_id="r1",
        reads=[audit.table("silver", "patients")],
    ) as op:
        op.wrote("gold.dim_patient", 12)
    with pytest.raises(RetryLater), audit.operation(None, settings, "stage", "warehouse", batches=batches):
        raise RetryLater("warehouse down")
    events = audit.read_events(settings)
    assert [(e["command"], e["outcome"]) for e in events] == [
        ("gold", "started"),
        ("gold", "success"),
        ("warehouse", "started"),
        ("warehouse", "failure"),
    ]
    started, done = events[0], events[1]
    assert started["operation_id"] == done["operation_id"] != events[2]["operation_id"]
    assert done["actor"]["user"] == pwd.getpwuid(os.geteuid()).pw_name
    assert done["actor"]["service_account"] == "hdp-transform" and done["actor"]["pid"] == os.getpid()
    assert done["batches"] == {"first": "2026-11-20T01", "last": "2026-11-20T02", "hours": 2}
    assert done["reads"] == [
        {"table": "silver.patients", "zone": "silver", "holds": "restricted: PHI", "rows": None}
    ]
    assert done["writes"] == [
        {"table": "gold.dim_patient", "zone": "gold", "holds": "limited data set", "rows": 12}
    ]
    assert events[3]["error"] == {"type": "RetryLater", "exit_code": 75}
    assert "warehouse down" not in json.dumps(events)  # messages may quote data: never logged
    # stdout: the same events, one JSON line each, for the cluster's log shipping
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["event_id"] for e in lines] == [e["event_id"] for e in events]
    # append-only: one read-only file per event, and an event file is never replaced
    files = sorted((tmp_path / "lake" / "control" / "audit").glob("date=*/*.json"))
    assert len(files) == 4 and all(stat.S_IMODE(f.stat().st_mode) == 0o444 for f in files)
    log = audit.AuditLog(None, settings)
    uri = f"file://{files[0]}"
    with pytest.raises(FileExistsError):
        log._create(uri, b"{}")
    assert json.loads(files[0].read_text())["event_id"] == events[0]["event_id"]


def test_an_operation_without_its_audit_record_is_refused(tmp_path):
    blocker = tmp_path / "audit"
    blocker.write_text("not a folder")
    settings = Settings(lake_root=f"file://{tmp_path}/lake", lake_layers={"audit": f"file://{blocker}"})
    ran = []
    with (
        pytest.raises(audit.AuditUnavailable, match="refused without its audit record"),
        audit.operation(None, settings, "inspect", "inspect"),
    ):
        ran.append(True)
    assert ran == []


def test_object_storage_events_go_through_hadoop_and_are_never_replaced(spark, tmp_path):
    """Any scheme but file:// (s3a:// on EKS) is written through Hadoop's FileSystem, without overwrite."""
    log = audit.AuditLog(spark, Settings(lake_root=f"file://{tmp_path}/lake"))
    uri = f"file://{tmp_path}/hadoop-audit/date=2026-11-20/event.json"
    log._create_hadoop(uri, b'{"a":1}\n')
    with pytest.raises(Exception, match="already exists"):
        log._create_hadoop(uri, b'{"a":2}\n')
    assert (tmp_path / "hadoop-audit" / "date=2026-11-20" / "event.json").read_text() == '{"a":1}\n'


@pytest.fixture(scope="module")
def restricted_lake(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("inspect-lake")
    settings = Settings(lake_root=f"file://{root}", audit_stdout=False)
    lake = Lake(spark)
    patients = spark.createDataFrame(
        [(7, *PATIENT, "F", datetime(2026, 11, 20, 1, tzinfo=timezone.utc), "2026-11-20T01")],
        "patient_id long, mrn string, first_name string, last_name string, date_of_birth date, address string, "
        "city string, zip string, phone string, sex string, updated_at timestamp, _batch_id string",
    )
    lake.replace(patients, f"{settings.layer('silver')}/patients")
    record = json.dumps(
        {"patient_id": "8", "mrn": PATIENT[0], "first_name": PATIENT[1], "last_name": PATIENT[2], "sex": "F"}
    )
    held = spark.createDataFrame(
        [
            (
                "patients",
                "rejected",
                "MISSING_VALUE",
                "2026-11-20T01",
                "r1",
                "2026-11-20T01:05:00Z",
                record,
                None,
            )
        ],
        "dataset string, status string, reason string, _batch_id string, _row_id string, _ingested_at string, "
        "record string, parked_until timestamp",
    )
    lake.replace(held, f"{settings.layer('quarantine')}/patients")
    return settings


def _values(rows) -> str:
    return json.dumps(rows, default=str)


def test_inspect_masks_by_default_and_audits_every_read(spark, restricted_lake):
    settings = restricted_lake
    shown = inspect(spark, settings, "silver.patients")
    text = _values(shown.rows)
    assert shown.masked and len(shown.rows) == 1
    for value in (PATIENT[0], PATIENT[1], PATIENT[2], PATIENT[4], PATIENT[6], PATIENT[7], "1941-12-10"):
        assert value not in text, value
    assert shown.rows[0]["date_of_birth"] == "1941-**-**" and shown.rows[0]["zip"] == "037"
    held = inspect(spark, settings, "quarantine.patients", reason="MISSING_VALUE", batch="2026-11-20T01")
    assert held.rows[0]["reason"] == "MISSING_VALUE" and PATIENT[0] not in _values(held.rows)
    assert json.loads(held.rows[0]["record"])["sex"] == "F"
    plain = inspect(spark, settings, "silver.patients", limit=5, unmask=True)
    assert PATIENT[0] in _values(plain.rows) and not plain.masked

    events = [
        e for e in audit.read_events(settings) if e["action"] == "inspect" and e["outcome"] == "success"
    ]
    assert [(e["reads"][0]["table"], e["reads"][0]["rows"], e["details"]["masked"]) for e in events] == [
        ("silver.patients", 1, True),
        ("quarantine.patients", 1, True),
        ("silver.patients", 1, False),
    ]
    assert events[1]["details"]["filters"] == {"batch": "2026-11-20T01", "reason": "MISSING_VALUE"}
    everything = json.dumps(audit.read_events(settings))
    for value in (*PATIENT[:3], PATIENT[4], PATIENT[7]):
        assert value not in everything, value


def test_inspect_refuses_what_it_cannot_audit_safely(spark, restricted_lake):
    with pytest.raises(ValueError, match="zone one of bronze, silver, quarantine"):
        inspect(spark, restricted_lake, "gold.dim_patient")
    with pytest.raises(ValueError, match="reason code"):
        inspect(spark, restricted_lake, "quarantine.patients", reason="mrn = 'MRN00700049'")
    with pytest.raises(ValueError, match="YYYY-MM-DDTHH"):
        inspect(spark, restricted_lake, "silver.patients", batch="MRN00700049")
    with pytest.raises(ValueError, match="between 1 and 200"):
        inspect(spark, restricted_lake, "silver.patients", limit=5000)


def test_the_warehouse_logs_every_statement_with_who_ran_it(postgres):
    postgres.create_database("audit_wh")
    postgres.log_statements("audit_wh")
    dsn = postgres.dsn("audit_wh")
    with psycopg2.connect(dsn, application_name="analyst-notebook") as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS gold")
        cur.execute("CREATE TABLE IF NOT EXISTS gold.audit_probe (n int)")
        cur.execute("SELECT count(*) FROM gold.audit_probe WHERE n > 41")
    conn.close()
    log = postgres.log.read_text()
    lines = [line for line in log.splitlines() if "gold.audit_probe WHERE n > 41" in line]
    assert lines, log[-2000:]
    assert "user=hdp db=audit_wh app=analyst-notebook" in lines[-1] and "statement:" in lines[-1]
    password = postgres.password
    assert password not in log


def test_sslmode_reaches_the_connection(postgres):
    """The local server has no TLS: a DSN that requires it is refused, which shows libpq got the setting."""
    dsn = postgres.dsn("postgres")
    required = Settings(warehouse_dsn=dsn, warehouse_sslmode="require")
    with pytest.raises(psycopg2.OperationalError, match="SSL"):
        psycopg2.connect(required.warehouse_dsn, connect_timeout=5)
    plain = Settings(warehouse_dsn=dsn, warehouse_sslmode="disable")
    psycopg2.connect(plain.warehouse_dsn, connect_timeout=5).close()


def test_stage_events_name_every_table_with_its_zone_and_count():
    from hdp import catalog as C

    settings = Settings(source_dsn="postgresql://app:secret-pw@db.example.org:5432/ehr")
    op = audit.Operation("stage", "silver", settings, reads=audit.stage_tables(settings, "silver")[0])
    op.writes = audit.stage_tables(settings, "silver")[1]
    result = {
        "patients": {
            "rows_in": 10,
            "rows_retried": 2,
            "rows_out": 8,
            "rows_quarantined": 1,
            "rows_parked": 2,
            "rows_duplicate": 1,
            "quarantine_reasons": {"MISSING_VALUE": 1, "UNKNOWN_PATIENT": 2},
        }
    }
    op.record_stage(result)
    reads = {t["table"]: t for t in op.reads}
    writes = {t["table"]: t for t in op.writes}
    assert reads["bronze.patients"]["rows"] == 10 and reads["quarantine.patients"]["rows"] == 2
    assert writes["silver.patients"]["rows"] == 8 and writes["quarantine.patients"]["rows"] == 3
    assert writes["silver.patients"]["location"] == "file:///tmp/hdp-lake/silver/patients"
    assert op.details["held_by_reason"]["patients"] == {"MISSING_VALUE": 1, "UNKNOWN_PATIENT": 2}
    for stage in ("extract", "silver", "gold", "warehouse"):
        reads, writes = audit.stage_tables(settings, stage)
        assert reads and writes
        for t in (*reads, *writes):
            assert t["zone"] in C.ZONES_BY_NAME and t["holds"] == C.ZONES_BY_NAME[t["zone"]].holds
    extract_reads = {t["table"]: t for t in audit.stage_tables(settings, "extract")[0]}
    assert extract_reads["source.ehr.patients"]["location"] == "db.example.org:5432/ehr/ehr.patients"
    assert "secret-pw" not in json.dumps(audit.stage_tables(settings, "extract"))
