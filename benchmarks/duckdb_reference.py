"""The DuckDB reference: the work of the pipeline done the plainest fast way, to time it against and to
cross-check the KPI values (issue 12, item 2).

1. extract: one `COPY (SELECT …) TO STDOUT` per source table (EHR and pharmacy schemas: the pharmacy tables
   are read from PostgreSQL directly, not through the REST API the pipeline has to use), into CSV files
   that DuckDB reads; the lab CSV drops are read by DuckDB from the landing folder;
2. transform: silver's rules (the same rejections: impossible vitals, unknown codes and keys, overlapping
   bed spells, discharge before admission, negative stock, malformed lab lines, unknown units; the latest
   version of a key wins) and the six gold KPIs of README's table, in SQL;
3. load: each KPI table written by DuckDB as CSV and loaded with `COPY … FROM STDIN` into its own schema
   of the warehouse database, all tables in one transaction.

The KPI SQL is written from the definitions (README's KPI table, DESIGN.md §4), not from the pipeline's
code; only reference data (ward types, AVPU codes, lab units, the possible-value ranges of silver's rules)
is imported from the project, so that both apply the same rules to the same rows.

    python -m benchmarks.duckdb_reference --source-dsn … --labs …/landing/labs --warehouse-dsn … \\
        --first-day 2026-10-28 --as-of 2026-11-27T00:00:00 --json out.json

`benchmarks.crosscheck.compare()` then checks the reference's tables against the pipeline's, cell by cell."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import psycopg2

FAR_FUTURE = "TIMESTAMP '9999-12-31 00:00:00'"
LAB_TURNAROUND_TARGET_MINUTES = 120  # README: "over_target and share_over_target (> 120 min)"
READMISSION_DAYS = 30
STOCK_USAGE_DAYS = 7
MEDIUM_RISK = (5, 6)
HIGH_RISK_MIN = 7
TOP_CODED_AGE = 90


@dataclass(frozen=True)
class KpiTable:
    """A table the reference computes and loads, and the cross-check compares with the pipeline's."""

    name: str
    key: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # (name, PostgreSQL type), key columns first
    # how the pipeline's side is read, `{schema}` its warehouse schema (default: the table of that name)
    pipeline_query: str = ""

    def ddl(self, schema: str) -> str:
        cols = ", ".join(f"{n} {t}" for n, t in self.columns)
        return f"CREATE TABLE {schema}.{self.name} ({cols})"

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.columns]

    def pipeline_sql(self, schema: str) -> str:
        if self.pipeline_query:
            return self.pipeline_query.format(schema=schema)
        return f"SELECT {', '.join(self.names)} FROM {schema}.{self.name}"


KPI_TABLES = (
    KpiTable(
        "kpi_ward_occupancy_hourly",
        ("ward_key", "hour_start"),
        (
            ("ward_key", "text"),
            ("hour_start", "timestamptz"),
            ("day", "date"),
            ("occupied_beds", "integer"),
            ("bed_count", "integer"),
            ("occupancy_rate", "double precision"),
        ),
    ),
    KpiTable(
        "kpi_ward_census_daily",
        ("ward_key", "day"),
        (
            ("ward_key", "text"),
            ("day", "date"),
            ("midnight_census", "integer"),
            ("admissions", "integer"),
            ("discharges", "integer"),
            ("alos_days", "double precision"),
        ),
    ),
    KpiTable(
        "kpi_readmission_monthly",
        ("month",),
        (
            ("month", "date"),
            ("discharges", "integer"),
            ("readmissions", "integer"),
            ("readmission_rate", "double precision"),
            ("follow_up_complete", "boolean"),
        ),
    ),
    KpiTable(
        "kpi_lab_turnaround_daily",
        ("loinc_code", "day"),
        (
            ("loinc_code", "text"),
            ("day", "date"),
            ("results", "integer"),
            ("median_minutes", "double precision"),
            ("p90_minutes", "double precision"),
            ("over_target", "integer"),
            ("share_over_target", "double precision"),
        ),
    ),
    KpiTable(
        "kpi_pharmacy_stock_daily",
        ("drug_key", "day"),
        (
            ("drug_key", "text"),
            ("day", "date"),
            ("closing_on_hand", "integer"),
            ("reorder_level", "integer"),
            ("mean_daily_usage_7d", "double precision"),
            ("days_of_supply", "double precision"),
            ("below_reorder", "boolean"),
        ),
    ),
    KpiTable(
        "kpi_news2_daily",
        ("ward_key", "day"),
        (
            ("ward_key", "text"),
            ("day", "date"),
            ("observations", "integer"),
            ("incomplete_sets", "integer"),
            ("mean_news2", "double precision"),
            ("medium_risk", "integer"),
            ("high_risk", "integer"),
            ("any_parameter_three", "integer"),
        ),
    ),
)
# dim_patient holds one row per (pseudonymous) patient: compared as counts of patients per age band, sex and
# birth year (NULL for 90+), which is what the de-identification rules decide
AGE_BANDS = KpiTable(
    "patient_age_bands",
    ("age_band", "sex", "birth_year"),
    (("age_band", "text"), ("sex", "text"), ("birth_year", "integer"), ("patients", "integer")),
    "SELECT age_band, sex, birth_year, count(*)::integer AS patients FROM {schema}.dim_patient GROUP BY 1, 2, 3",
)
CHECKED = (*KPI_TABLES, AGE_BANDS)

# PostgreSQL type -> (DuckDB type, how the COPY query selects it); times leave PostgreSQL as UTC wall time
_PG_TYPES = {
    "text": "VARCHAR",
    "bigint": "BIGINT",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
    "numeric": "DOUBLE",
    "date": "DATE",
    "timestamp with time zone": "TIMESTAMP",
    "timestamp without time zone": "TIMESTAMP",
}


def _connect(dsn: str):
    return psycopg2.connect(dsn, connect_timeout=10, options="-c TimeZone=UTC")


def source_tables() -> dict[str, str]:
    from hdp.sources.hospital import SOURCE_TABLES

    return dict(SOURCE_TABLES)


# ------------------------------------------------------------------------------------------------ extract


def extract(con, source_dsn: str, labs_dir: Path, scratch: Path) -> dict:
    """COPY each source table out of PostgreSQL into a CSV file and into DuckDB; read the lab drops."""
    out: dict = {"tables": {}}
    copy_seconds = ingest_seconds = 0.0
    with _connect(source_dsn) as pg, pg.cursor() as cur:
        for name, table in source_tables().items():
            schema, rel = table.split(".")
            cur.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                (schema, rel),
            )
            cols = cur.fetchall()
            select = ", ".join(
                f"{c} AT TIME ZONE 'UTC' AS {c}" if t.startswith("timestamp") else c for c, t in cols
            )
            path = scratch / f"{name}.csv"
            started = time.monotonic()
            with open(path, "wb") as f:
                cur.copy_expert(f"COPY (SELECT {select} FROM {table}) TO STDOUT WITH (FORMAT csv)", f)
            copy_seconds += time.monotonic() - started
            started = time.monotonic()
            types = ", ".join(f"'{c}': '{_PG_TYPES[t]}'" for c, t in cols)
            con.execute(
                f"CREATE OR REPLACE TABLE src_{name} AS SELECT * FROM read_csv('{path}', header = false, "
                f"auto_detect = false, columns = {{{types}}}, delim = ',', quote = '\"', escape = '\"')"
            )
            ingest_seconds += time.monotonic() - started
            rows = con.execute(f"SELECT count(*) FROM src_{name}").fetchone()[0]
            out["tables"][name] = {"rows": rows, "csv_bytes": path.stat().st_size}
            path.unlink()
    started = time.monotonic()
    out["tables"]["lab_results"] = _read_labs(con, labs_dir)
    ingest_seconds += time.monotonic() - started
    out["copy_out_seconds"] = round(copy_seconds, 3)
    out["ingest_seconds"] = round(ingest_seconds, 3)
    out["rows"] = sum(t["rows"] for t in out["tables"].values())
    return out


def _read_labs(con, labs_dir: Path) -> dict:
    from hdp.sources.scenario import LAB_CSV_HEADER

    files, bad_header = [], 0
    for path in sorted(labs_dir.glob("labs_*.csv")):
        with open(path, encoding="utf-8", errors="replace") as f:
            header = f.readline().strip().lower()
        if [h.strip() for h in header.split(",")] == LAB_CSV_HEADER.split(","):
            files.append(str(path))
        else:
            bad_header += 1  # the pipeline quarantines such a file's lines (BAD_HEADER)
    fields = LAB_CSV_HEADER.split(",")
    columns = ", ".join(f"'{f}': 'VARCHAR'" for f in fields)
    if files:
        listing = ", ".join(f"'{f}'" for f in files)
        con.execute(
            f"CREATE OR REPLACE TABLE src_lab_results AS SELECT row_number() OVER () AS line_id, * FROM "
            f"read_csv([{listing}], header = true, auto_detect = false, columns = {{{columns}}}, "
            "delim = ',', quote = '\"', escape = '\"', null_padding = true, ignore_errors = false, "
            "filename = true)"
        )
    else:
        cols = ", ".join(f"NULL::VARCHAR AS {f}" for f in fields)
        con.execute(
            f"CREATE OR REPLACE TABLE src_lab_results AS SELECT 0::BIGINT AS line_id, {cols}, "
            "NULL::VARCHAR AS filename WHERE false"
        )
    rows = con.execute("SELECT count(*) FROM src_lab_results").fetchone()[0]
    return {"rows": rows, "files": len(files), "files_bad_header": bad_header}


# ------------------------------------------------------------------------------------------------ silver


def _possible() -> str:
    """SQL: a vital sign outside the physiologically possible ranges silver rejects (IMPOSSIBLE_VALUE)."""
    from hdp.silver.ehr import POSSIBLE

    return " OR ".join(f"coalesce({c} NOT BETWEEN {lo} AND {hi}, false)" for c, (lo, hi) in POSSIBLE.items())


def _unit_rows() -> str:
    from hdp.reference import LAB_TESTS

    rows = [
        f"('{t.loinc}', '{unit}', {factor!r})"
        for t in LAB_TESTS
        for unit, factor in ((t.unit, 1.0), *t.alt_units)
    ]
    return ", ".join(rows)


def clean(con) -> dict[str, int]:
    """The silver state: valid rows only, the latest version of each key, vitals and labs attached."""
    from hdp.reference import AVPU_CODES, WARD_TYPES

    ward_types = ", ".join(f"'{w.code}'" for w in WARD_TYPES)
    avpu = ", ".join(f"'{c}'" for c in AVPU_CODES)
    statements = [
        f"""CREATE OR REPLACE TABLE wards AS
        SELECT trim(ward_code) AS ward_code, upper(trim(ward_type)) AS ward_type FROM src_wards
        WHERE ward_code IS NOT NULL AND updated_at IS NOT NULL AND upper(trim(ward_type)) IN ({ward_types})""",
        """CREATE OR REPLACE TABLE beds AS
        SELECT trim(bed_code) AS bed_code, trim(ward_code) AS ward_code FROM src_beds
        WHERE bed_code IS NOT NULL AND updated_at IS NOT NULL AND trim(ward_code) IN (SELECT ward_code FROM wards)""",
        """CREATE OR REPLACE TABLE patients AS
        SELECT patient_id, upper(trim(mrn)) AS mrn, date_of_birth,
               CASE WHEN upper(sex) IN ('F', 'M') THEN upper(sex) ELSE 'U' END AS sex
        FROM src_patients
        WHERE patient_id IS NOT NULL AND mrn IS NOT NULL AND updated_at IS NOT NULL
          AND NOT coalesce(date_of_birth > updated_at::DATE, false)""",
        """CREATE OR REPLACE TABLE admissions AS
        SELECT admission_id, patient_id, admitted_at, discharged_at,
               lower(trim(admission_type)) AS admission_type,
               lower(trim(discharge_disposition)) AS discharge_disposition
        FROM src_admissions
        WHERE admission_id IS NOT NULL AND admitted_at IS NOT NULL AND updated_at IS NOT NULL
          AND NOT coalesce(discharged_at < admitted_at, false)
          AND patient_id IN (SELECT patient_id FROM patients)""",
        # a spell starting before an earlier spell of the same bed ends overlaps (OVERLAPPING_BED_ASSIGNMENT)
        f"""CREATE OR REPLACE TABLE spells AS
        WITH candidates AS (
          SELECT a.assignment_id, a.admission_id, b.bed_code, b.ward_code, a.start_at, a.end_at
          FROM src_bed_assignments a JOIN beds b ON b.bed_code = trim(a.bed_code)
          WHERE a.assignment_id IS NOT NULL AND a.start_at IS NOT NULL AND a.updated_at IS NOT NULL
            AND NOT coalesce(a.end_at < a.start_at, false)
            AND a.admission_id IN (SELECT admission_id FROM admissions)),
        ordered AS (
          SELECT *, max(coalesce(end_at, {FAR_FUTURE})) OVER (
            PARTITION BY bed_code ORDER BY start_at, assignment_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
          FROM candidates)
        SELECT * EXCLUDE (prev_end) FROM ordered WHERE prev_end IS NULL OR start_at >= prev_end""",
        # vitals: valid, latest version per observation, on the ward of the latest-starting covering spell
        f"""CREATE OR REPLACE TABLE vitals AS
        WITH typed AS (
          SELECT trim(observation_uid) AS observation_uid, vital_id, admission_id, observed_at,
                 respiration_rate, spo2, on_oxygen, systolic_bp, pulse,
                 nullif(upper(trim(consciousness)), '') AS consciousness, temperature_c, diastolic_bp,
                 updated_at
          FROM src_vital_signs),
        valid AS (
          SELECT t.* FROM typed t
          WHERE observation_uid IS NOT NULL AND observed_at IS NOT NULL AND updated_at IS NOT NULL
            AND NOT ({_possible()})
            AND (consciousness IS NULL OR consciousness IN ({avpu}))
            AND admission_id IN (SELECT admission_id FROM admissions)),
        placed AS (
          SELECT v.*, s.ward_code FROM valid v JOIN spells s
            ON s.admission_id = v.admission_id AND s.start_at <= v.observed_at
           AND v.observed_at < coalesce(s.end_at, {FAR_FUTURE})
          QUALIFY row_number() OVER (PARTITION BY v.vital_id ORDER BY s.start_at DESC) = 1)
        SELECT * FROM placed
        QUALIFY row_number() OVER (PARTITION BY observation_uid ORDER BY updated_at DESC, vital_id DESC) = 1""",
        """CREATE OR REPLACE TABLE drugs AS
        SELECT upper(trim(drug_code)) AS drug_code, reorder_level FROM src_drugs
        WHERE drug_code IS NOT NULL AND updated_at IS NOT NULL AND NOT coalesce(reorder_level < 0, false)""",
        """CREATE OR REPLACE TABLE stock AS
        SELECT entry_id, upper(trim(drug_code)) AS drug_code, on_hand, recorded_at FROM src_stock_levels
        WHERE entry_id IS NOT NULL AND on_hand IS NOT NULL AND recorded_at IS NOT NULL AND on_hand >= 0
          AND upper(trim(drug_code)) IN (SELECT drug_code FROM drugs)""",
        f"CREATE OR REPLACE TABLE lab_units AS SELECT * FROM (VALUES {_unit_rows()}) t(loinc_code, unit, factor)",
        # labs: parse, known code and unit, a known patient with a stay covering the collection
        """CREATE OR REPLACE TABLE labs AS
        WITH typed AS (
          SELECT line_id, filename, trim(accession_number) AS accession_number, upper(trim(mrn)) AS mrn,
                 trim(loinc_code) AS loinc_code, TRY_CAST(value AS DOUBLE) AS value_as_sent,
                 trim(unit) AS unit_as_sent,
                 TRY_CAST(collected_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS collected_at,
                 TRY_CAST(resulted_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS resulted_at
          FROM src_lab_results),
        valid AS (
          SELECT t.*, p.patient_id FROM typed t
          JOIN lab_units u ON u.loinc_code = t.loinc_code AND u.unit = t.unit_as_sent
          JOIN patients p ON p.mrn = t.mrn
          WHERE accession_number IS NOT NULL AND value_as_sent IS NOT NULL AND collected_at IS NOT NULL
            AND resulted_at IS NOT NULL AND resulted_at >= collected_at),
        placed AS (
          SELECT v.*, a.admission_id FROM valid v JOIN admissions a
            ON a.patient_id = v.patient_id AND a.admitted_at <= v.collected_at
           AND v.collected_at < coalesce(a.discharged_at, TIMESTAMP '9999-12-31 00:00:00')
          QUALIFY row_number() OVER (PARTITION BY v.line_id ORDER BY a.admitted_at DESC) = 1)
        SELECT * FROM placed
        QUALIFY row_number() OVER (
          PARTITION BY accession_number ORDER BY resulted_at DESC, filename DESC, line_id DESC) = 1""",
    ]
    for sql in statements:
        con.execute(sql)
    return {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("wards", "beds", "patients", "admissions", "spells", "vitals", "drugs", "stock", "labs")
    }


# ------------------------------------------------------------------------------------------------ gold KPIs


def _news2() -> str:
    """SQL: the seven NEWS2 parameter scores of a vitals row (Royal College of Physicians 2017, SpO2 scale 1),
    each NULL when its parameter was not charted, and whether the set is complete (scored only then)."""
    bands = {
        "p_rr": (
            "respiration_rate",
            "WHEN {x} <= 8 THEN 3 WHEN {x} <= 11 THEN 1 WHEN {x} <= 20 THEN 0 WHEN {x} <= 24 THEN 2 ELSE 3",
        ),
        "p_spo2": ("spo2", "WHEN {x} <= 91 THEN 3 WHEN {x} <= 93 THEN 2 WHEN {x} <= 95 THEN 1 ELSE 0"),
        "p_o2": ("on_oxygen", "WHEN {x} THEN 2 ELSE 0"),
        "p_sbp": (
            "systolic_bp",
            "WHEN {x} <= 90 THEN 3 WHEN {x} <= 100 THEN 2 WHEN {x} <= 110 THEN 1 "
            "WHEN {x} <= 219 THEN 0 ELSE 3",
        ),
        "p_pulse": (
            "pulse",
            "WHEN {x} <= 40 THEN 3 WHEN {x} <= 50 THEN 1 WHEN {x} <= 90 THEN 0 "
            "WHEN {x} <= 110 THEN 1 WHEN {x} <= 130 THEN 2 ELSE 3",
        ),
        "p_avpu": ("consciousness", "WHEN {x} = 'A' THEN 0 ELSE 3"),
        "p_temp": (
            "round(temperature_c, 1)",
            "WHEN {x} <= 35.0 THEN 3 WHEN {x} <= 36.0 THEN 1 "
            "WHEN {x} <= 38.0 THEN 0 WHEN {x} <= 39.0 THEN 1 ELSE 2",
        ),
    }
    parts = [
        f"CASE WHEN {col} IS NULL THEN NULL {case.format(x=col)} END AS {name}"
        for name, (col, case) in bands.items()
    ]
    complete = " AND ".join(f"{col} IS NOT NULL" for col, _ in bands.values())
    return ",\n        ".join([*parts, f"({complete}) AS complete"])


def kpis(con, first_day: date, as_of: datetime) -> dict[str, int]:
    """The six KPI tables of README's data model, for the days [first_day, the day before as_of ends]."""
    as_of_sql = f"TIMESTAMP '{as_of:%Y-%m-%d %H:%M:%S}'"
    first_sql = f"DATE '{first_day}'"
    as_of_date = f"DATE '{as_of:%Y-%m-%d}'"
    statements = [
        """CREATE OR REPLACE TABLE dim_ward AS
        SELECT w.ward_code AS ward_key, count(b.bed_code)::INTEGER AS bed_count
        FROM wards w LEFT JOIN beds b USING (ward_code) GROUP BY w.ward_code""",
        # occupied beds = spells covering the top of the hour: start <= H < end (open spells count)
        f"""CREATE OR REPLACE TABLE kpi_ward_occupancy_hourly AS
        WITH hours AS (
          SELECT unnest(generate_series({first_sql}::TIMESTAMP, {as_of_sql} - INTERVAL 1 HOUR,
                                        INTERVAL 1 HOUR)) AS hour_start),
        grid AS (SELECT d.ward_key, d.bed_count, h.hour_start FROM dim_ward d CROSS JOIN hours h)
        SELECT g.ward_key, g.hour_start, g.hour_start::DATE AS day,
               count(s.assignment_id)::INTEGER AS occupied_beds, g.bed_count,
               CASE WHEN g.bed_count > 0 THEN count(s.assignment_id) / g.bed_count END AS occupancy_rate
        FROM grid g LEFT JOIN spells s
          ON s.ward_code = g.ward_key AND s.start_at <= g.hour_start
         AND g.hour_start < coalesce(s.end_at, {FAR_FUTURE})
        GROUP BY g.ward_key, g.hour_start, g.bed_count""",
        """CREATE OR REPLACE TABLE stay_wards AS
        SELECT admission_id,
               arg_min(ward_code, (start_at, assignment_id)) AS admit_ward,
               arg_max(ward_code, (start_at, assignment_id)) AS discharge_ward
        FROM spells GROUP BY admission_id""",
        f"""CREATE OR REPLACE TABLE kpi_ward_census_daily AS
        WITH days AS (
          SELECT unnest(generate_series({first_sql}::TIMESTAMP, ({as_of_sql} - INTERVAL 1 SECOND)::DATE::TIMESTAMP,
                                        INTERVAL 1 DAY))::DATE AS day),
        stays AS (
          SELECT a.*, coalesce(w.admit_ward, 'unknown') AS admit_ward,
                 coalesce(w.discharge_ward, 'unknown') AS discharge_ward
          FROM admissions a LEFT JOIN stay_wards w USING (admission_id)),
        admitted AS (
          SELECT admit_ward AS ward_key, admitted_at::DATE AS day, count(*) AS admissions
          FROM stays GROUP BY ALL),
        discharged AS (
          SELECT discharge_ward AS ward_key, discharged_at::DATE AS day, count(*) AS discharges,
                 avg((epoch(discharged_at) - epoch(admitted_at)) / 86400.0) AS alos_days
          FROM stays WHERE discharged_at IS NOT NULL GROUP BY ALL),
        midnight AS (
          SELECT ward_key, day, occupied_beds AS midnight_census
          FROM kpi_ward_occupancy_hourly WHERE hour(hour_start) = 0),
        grid AS (
          SELECT d.ward_key, days.day FROM dim_ward d CROSS JOIN days
          UNION
          SELECT ward_key, day FROM (SELECT ward_key, day FROM admitted UNION SELECT ward_key, day FROM discharged)
          WHERE ward_key = 'unknown' AND day IN (SELECT day FROM days))
        SELECT g.ward_key, g.day, m.midnight_census::INTEGER AS midnight_census,
               coalesce(a.admissions, 0)::INTEGER AS admissions,
               coalesce(d.discharges, 0)::INTEGER AS discharges, d.alos_days
        FROM grid g
        LEFT JOIN midnight m USING (ward_key, day)
        LEFT JOIN admitted a USING (ward_key, day)
        LEFT JOIN discharged d USING (ward_key, day)""",
        # index discharges (not deaths, not transfers out; no disposition counts), and whether an unplanned
        # admission (not elective, not a transfer in) of the same patient followed within 30 calendar days
        f"""CREATE OR REPLACE TABLE kpi_readmission_monthly AS
        WITH d AS (
          SELECT admission_id, patient_id, discharged_at FROM admissions
          WHERE discharged_at IS NOT NULL
            AND (discharge_disposition IS NULL OR discharge_disposition NOT IN ('died', 'transfer_out'))),
        n AS (
          SELECT patient_id, admitted_at FROM admissions
          WHERE admission_type IS NULL OR admission_type NOT IN ('elective', 'transfer_in')),
        flagged AS (
          SELECT d.*, EXISTS (
            SELECT 1 FROM n WHERE n.patient_id = d.patient_id AND n.admitted_at > d.discharged_at
              AND n.admitted_at::DATE <= d.discharged_at::DATE + {READMISSION_DAYS}) AS readmitted
          FROM d)
        SELECT date_trunc('month', discharged_at)::DATE AS month, count(*)::INTEGER AS discharges,
               count(*) FILTER (WHERE readmitted)::INTEGER AS readmissions,
               count(*) FILTER (WHERE readmitted) / count(*) AS readmission_rate,
               date_trunc('month', discharged_at) + INTERVAL 1 MONTH + INTERVAL {READMISSION_DAYS} DAY
                 <= {as_of_sql} AS follow_up_complete
        FROM flagged GROUP BY ALL""",
        f"""CREATE OR REPLACE TABLE kpi_lab_turnaround_daily AS
        WITH t AS (
          SELECT loinc_code, collected_at::DATE AS day,
                 (epoch(resulted_at) - epoch(collected_at)) / 60.0 AS minutes FROM labs)
        SELECT loinc_code, day, count(*)::INTEGER AS results,
               quantile_cont(minutes, 0.5) AS median_minutes, quantile_cont(minutes, 0.9) AS p90_minutes,
               count(*) FILTER (WHERE minutes > {LAB_TURNAROUND_TARGET_MINUTES})::INTEGER AS over_target,
               count(*) FILTER (WHERE minutes > {LAB_TURNAROUND_TARGET_MINUTES}) / count(*) AS share_over_target
        FROM t GROUP BY ALL""",
        # usage = falls in stock between consecutive readings (deliveries excluded); mean over the trailing
        # 7 days that have readings; closing = the day's last reading
        f"""CREATE OR REPLACE TABLE kpi_pharmacy_stock_daily AS
        WITH readings AS (
          SELECT s.drug_code AS drug_key, s.entry_id, s.recorded_at, s.on_hand, d.reorder_level,
                 s.recorded_at::DATE AS day,
                 greatest(lag(s.on_hand) OVER (PARTITION BY s.drug_code ORDER BY s.recorded_at, s.entry_id)
                          - s.on_hand, 0) AS used
          FROM stock s LEFT JOIN drugs d USING (drug_code)),
        daily AS (
          SELECT drug_key, day, arg_max(on_hand, (recorded_at, entry_id)) AS closing_on_hand,
                 max(reorder_level) AS reorder_level, sum(coalesce(used, 0)) AS used
          FROM readings GROUP BY ALL),
        usage AS (
          SELECT *, avg(used) OVER (PARTITION BY drug_key ORDER BY day
                                    RANGE BETWEEN INTERVAL {STOCK_USAGE_DAYS - 1} DAY PRECEDING AND CURRENT ROW)
                      AS mean_daily_usage_7d
          FROM daily)
        SELECT drug_key, day, closing_on_hand::INTEGER AS closing_on_hand, reorder_level::INTEGER AS reorder_level,
               mean_daily_usage_7d,
               CASE WHEN mean_daily_usage_7d > 0 THEN closing_on_hand / mean_daily_usage_7d END AS days_of_supply,
               closing_on_hand < reorder_level AS below_reorder
        FROM usage WHERE day >= {first_sql}""",
        # whole years of age on the horizon's date (the birthday itself counts); bands 0-17, 18-19, then
        # decades; 90 and over top-coded as one band with no birth year (HIPAA safe harbour)
        f"""CREATE OR REPLACE TABLE patient_age_bands AS
        WITH aged AS (
          SELECT sex, date_of_birth,
                 date_diff('year', date_of_birth, {as_of_date})
                 - CASE WHEN strftime({as_of_date}, '%m-%d') < strftime(date_of_birth, '%m-%d') THEN 1 ELSE 0 END
                   AS age
          FROM patients)
        SELECT CASE WHEN age >= {TOP_CODED_AGE} THEN '{TOP_CODED_AGE}+' WHEN age < 18 THEN '0-17'
                    WHEN age < 20 THEN '18-19'
                    ELSE (age // 10 * 10)::VARCHAR || '-' || (age // 10 * 10 + 9)::VARCHAR END AS age_band,
               sex, CASE WHEN age < {TOP_CODED_AGE} THEN year(date_of_birth) END::INTEGER AS birth_year,
               count(*)::INTEGER AS patients
        FROM aged GROUP BY ALL""",
        f"""CREATE OR REPLACE TABLE kpi_news2_daily AS
        WITH parts AS (SELECT ward_code AS ward_key, observed_at::DATE AS day, {_news2()} FROM vitals),
        scored AS (
          SELECT ward_key, day, complete,
                 CASE WHEN complete THEN p_rr + p_spo2 + p_o2 + p_sbp + p_pulse + p_avpu + p_temp END AS score,
                 CASE WHEN complete THEN greatest(p_rr, p_spo2, p_o2, p_sbp, p_pulse, p_avpu, p_temp) >= 3
                 END AS any_three
          FROM parts)
        SELECT ward_key, day, count(*)::INTEGER AS observations,
               count(*) FILTER (WHERE NOT complete)::INTEGER AS incomplete_sets, avg(score) AS mean_news2,
               count(*) FILTER (WHERE score BETWEEN {MEDIUM_RISK[0]} AND {MEDIUM_RISK[1]})::INTEGER AS medium_risk,
               count(*) FILTER (WHERE score >= {HIGH_RISK_MIN})::INTEGER AS high_risk,
               count(*) FILTER (WHERE any_three)::INTEGER AS any_parameter_three
        FROM scored GROUP BY ALL""",
    ]
    for sql in statements:
        con.execute(sql)
    return {t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0] for t in CHECKED}


# ------------------------------------------------------------------------------------------------ load


def load(con, warehouse_dsn: str, schema: str, scratch: Path) -> dict:
    """Each KPI table: DuckDB writes CSV, PostgreSQL takes it with COPY FROM STDIN; one transaction."""
    rows = 0
    with _connect(warehouse_dsn) as pg, pg.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        cur.execute(f"CREATE SCHEMA {schema}")
        for table in CHECKED:
            path = scratch / f"{table.name}.csv"
            cols = ", ".join(
                f"strftime({n}, '%Y-%m-%d %H:%M:%S+00') AS {n}" if t == "timestamptz" else n
                for n, t in table.columns
            )
            con.execute(f"COPY (SELECT {cols} FROM {table.name}) TO '{path}' (FORMAT csv, HEADER false)")
            cur.execute(table.ddl(schema))
            with open(path, "rb") as f:
                cur.copy_expert(
                    f"COPY {schema}.{table.name} ({', '.join(table.names)}) FROM STDIN WITH (FORMAT csv)", f
                )
            rows += cur.rowcount
            path.unlink()
    return {"rows": rows}


# ------------------------------------------------------------------------------------------------ run


def run(
    source_dsn: str,
    labs_dir: Path,
    warehouse_dsn: str,
    first_day: date,
    as_of: datetime,
    schema: str = "reference",
    threads: int | None = None,
) -> dict:
    """Extract, transform, load; returns the seconds and rows of each step."""
    import duckdb

    scratch = Path(tempfile.mkdtemp(prefix="hdp-duckdb-"))
    con = duckdb.connect(str(scratch / "reference.duckdb"))
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    steps: dict[str, dict] = {}
    try:
        started = time.monotonic()
        steps["extract"] = extract(con, source_dsn, labs_dir, scratch)
        steps["extract"]["seconds"] = round(time.monotonic() - started, 3)
        started = time.monotonic()
        silver = clean(con)
        gold = kpis(con, first_day, as_of)
        steps["transform"] = {
            "seconds": round(time.monotonic() - started, 3),
            "rows": sum(silver.values()),
            "silver_rows": silver,
            "kpi_rows": gold,
        }
        started = time.monotonic()
        steps["load"] = load(con, warehouse_dsn, schema, scratch)
        steps["load"]["seconds"] = round(time.monotonic() - started, 3)
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "duckdb_version": duckdb.__version__,
        "steps": steps,
        "seconds": round(sum(s["seconds"] for s in steps.values()), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.duckdb_reference",
        description="The pipeline's work done by DuckDB: COPY out of PostgreSQL, silver rules and gold KPIs "
        "in SQL, COPY into the warehouse (schema --schema). Prints (or writes) its step timings as JSON.",
    )
    parser.add_argument("--source-dsn", required=True, help="the hospital's PostgreSQL (ehr.*, pharmacy.*)")
    parser.add_argument("--labs", required=True, type=Path, help="folder of the lab CSV drops")
    parser.add_argument("--warehouse-dsn", required=True, help="PostgreSQL database to load into")
    parser.add_argument("--schema", default="reference", help="warehouse schema (dropped and recreated)")
    parser.add_argument("--first-day", required=True, type=date.fromisoformat, help="first day of history")
    parser.add_argument(
        "--as-of", required=True, type=datetime.fromisoformat, help="end of the data (exclusive, UTC)"
    )
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    parser.add_argument("--json", type=Path, help="write the timings here instead of stdout")
    parser.add_argument(
        "--compare-with", metavar="SCHEMA", help="then compare the KPIs with this schema's (e.g. gold)"
    )
    args = parser.parse_args(argv)
    result = run(
        args.source_dsn, args.labs, args.warehouse_dsn, args.first_day, args.as_of, args.schema, args.threads
    )
    agree = True
    if args.compare_with:
        from benchmarks.crosscheck import agrees, compare

        result["kpi_check"] = compare(args.warehouse_dsn, args.compare_with, args.schema)
        agree = agrees(result["kpi_check"])
    text = json.dumps(result, indent=1, default=str)
    if args.json:
        args.json.write_text(text + "\n")
    else:
        print(text)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
