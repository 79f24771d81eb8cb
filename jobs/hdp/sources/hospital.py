"""Puts a scenario into the simulated source systems as of a clock time: the EHR and pharmacy schemas in
PostgreSQL (bulk COPY) and the lab CSV drops in the landing folder. Advancing the clock re-writes the
state, so rows appear, discharges close and `updated_at` moves exactly as in a live hospital."""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import psycopg2

from hdp.sources.scenario import LAB_CSV_HEADER, Scenario

DDL = """
CREATE SCHEMA IF NOT EXISTS ehr;
CREATE SCHEMA IF NOT EXISTS pharmacy;
CREATE TABLE IF NOT EXISTS ehr.wards (
  ward_code text PRIMARY KEY, name text NOT NULL, ward_type text NOT NULL, floor int,
  updated_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS ehr.beds (
  bed_code text PRIMARY KEY, ward_code text NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS ehr.patients (
  patient_id bigint PRIMARY KEY, mrn text NOT NULL UNIQUE, first_name text, last_name text,
  date_of_birth date, sex text, address text, city text, zip text, phone text, updated_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS ehr.admissions (
  admission_id bigint PRIMARY KEY, patient_id bigint NOT NULL, admitted_at timestamptz NOT NULL,
  discharged_at timestamptz, admission_type text, diagnosis_code text, discharge_disposition text,
  updated_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS ehr.bed_assignments (
  assignment_id bigint PRIMARY KEY, admission_id bigint NOT NULL, bed_code text NOT NULL,
  start_at timestamptz NOT NULL, end_at timestamptz, updated_at timestamptz NOT NULL);
-- device interface table: no uniqueness on observation_uid, as real interfaces resend messages
CREATE TABLE IF NOT EXISTS ehr.vital_signs (
  vital_id bigint PRIMARY KEY, observation_uid text NOT NULL, admission_id bigint NOT NULL,
  observed_at timestamptz NOT NULL, respiration_rate int, spo2 int, on_oxygen boolean, systolic_bp int,
  diastolic_bp int, pulse int, consciousness text, temperature_c numeric(4,1), updated_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS pharmacy.drugs (
  drug_code text PRIMARY KEY, name text NOT NULL, form text, strength text, reorder_level int,
  updated_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS pharmacy.stock_levels (
  entry_id bigint PRIMARY KEY, drug_code text NOT NULL, on_hand int, recorded_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS admissions_updated ON ehr.admissions (updated_at);
CREATE INDEX IF NOT EXISTS assignments_updated ON ehr.bed_assignments (updated_at);
CREATE INDEX IF NOT EXISTS vitals_updated ON ehr.vital_signs (updated_at);
CREATE INDEX IF NOT EXISTS patients_updated ON ehr.patients (updated_at);
CREATE INDEX IF NOT EXISTS stock_updated ON pharmacy.stock_levels (updated_at);
"""

SOURCE_TABLES = {
    "wards": "ehr.wards",
    "beds": "ehr.beds",
    "patients": "ehr.patients",
    "admissions": "ehr.admissions",
    "bed_assignments": "ehr.bed_assignments",
    "vital_signs": "ehr.vital_signs",
    "drugs": "pharmacy.drugs",
    "stock_levels": "pharmacy.stock_levels",
}


def _copy_frame(cur, table: str, df: pd.DataFrame) -> None:
    buf = io.StringIO()
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M:%S+00").where(out[col].notna(), None)
    out.to_csv(buf, index=False, header=False, na_rep="")
    buf.seek(0)
    cols = ",".join(df.columns)
    cur.copy_expert(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)", buf)


def write_source_state(dsn: str, scenario: Scenario, clock: datetime) -> dict[str, int]:
    """Make the EHR and pharmacy schemas hold exactly the scenario as of `clock`; returns row counts."""
    state = scenario.as_of(clock)
    counts = {}
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(DDL)
        cur.execute("TRUNCATE " + ", ".join(SOURCE_TABLES.values()))
        for name, table in SOURCE_TABLES.items():
            _copy_frame(cur, table, state[name])
            counts[name] = len(state[name])
    return counts


def write_lab_drops(landing: Path, scenario: Scenario, clock: datetime) -> list[Path]:
    """Drop the lab CSV files due before `clock` (atomically: write then rename); returns new files."""
    landing.mkdir(parents=True, exist_ok=True)
    written = []
    for name, lines in scenario.lab_files(clock).items():
        target = landing / name
        if target.exists():
            continue
        tmp = landing / f".{name}.tmp"
        tmp.write_text(LAB_CSV_HEADER + "\n" + "\n".join(lines) + "\n")
        # the lab system wrote it at the end of its hour (never "just now": the pipeline lets files settle)
        written_at = min(
            _file_hour(name) + timedelta(minutes=59), datetime.now(timezone.utc) - timedelta(minutes=5)
        )
        os.utime(tmp, (written_at.timestamp(), written_at.timestamp()))
        tmp.rename(target)
        written.append(target)
    return written


def _file_hour(name: str) -> datetime:
    return datetime.strptime(name, "labs_%Y%m%dT%H.csv").replace(tzinfo=timezone.utc)


def advance(dsn: str, landing: Path, scenario: Scenario, clock: datetime) -> dict[str, int]:
    """Move the simulated hospital's clock to `clock`."""
    counts = write_source_state(dsn, scenario, clock)
    counts["lab_files"] = len(write_lab_drops(landing, scenario, clock))
    return counts
