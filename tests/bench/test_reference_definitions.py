"""The DuckDB reference's KPI definitions on hand-made edge cases the generated scenarios rarely or never hold
(a discharge with no disposition, a readmission on day 30 at 23:59, a stay no bed spell places, a birthday on
the horizon's date…). Values are worked out by hand from README's definitions; no Spark, no PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from benchmarks.duckdb_reference import _read_labs, clean, kpis

AS_OF = datetime(2026, 11, 27)
FIRST_DAY = date(2026, 11, 1)

SOURCE = {
    "src_wards": "ward_code VARCHAR, name VARCHAR, ward_type VARCHAR, floor INTEGER, updated_at TIMESTAMP",
    "src_beds": "bed_code VARCHAR, ward_code VARCHAR, updated_at TIMESTAMP",
    "src_patients": "patient_id BIGINT, mrn VARCHAR, first_name VARCHAR, last_name VARCHAR, date_of_birth DATE, "
    "sex VARCHAR, address VARCHAR, city VARCHAR, zip VARCHAR, phone VARCHAR, updated_at TIMESTAMP",
    "src_admissions": "admission_id BIGINT, patient_id BIGINT, admitted_at TIMESTAMP, discharged_at TIMESTAMP, "
    "admission_type VARCHAR, diagnosis_code VARCHAR, discharge_disposition VARCHAR, updated_at TIMESTAMP",
    "src_bed_assignments": "assignment_id BIGINT, admission_id BIGINT, bed_code VARCHAR, start_at TIMESTAMP, "
    "end_at TIMESTAMP, updated_at TIMESTAMP",
    "src_vital_signs": "vital_id BIGINT, observation_uid VARCHAR, admission_id BIGINT, observed_at TIMESTAMP, "
    "respiration_rate INTEGER, spo2 INTEGER, on_oxygen BOOLEAN, systolic_bp INTEGER, diastolic_bp INTEGER, "
    "pulse INTEGER, consciousness VARCHAR, temperature_c DOUBLE, updated_at TIMESTAMP",
    "src_drugs": "drug_code VARCHAR, name VARCHAR, form VARCHAR, strength VARCHAR, reorder_level INTEGER, "
    "updated_at TIMESTAMP",
    "src_stock_levels": "entry_id BIGINT, drug_code VARCHAR, on_hand INTEGER, recorded_at TIMESTAMP, "
    "updated_at TIMESTAMP",
}
PATIENTS = [  # (id, date of birth, sex): ages on 2026-11-27
    (1, "2009-11-28", "F"),  # 16 (17 tomorrow) -> 0-17
    (2, "2008-11-27", "M"),  # 18 today -> 18-19
    (3, "2006-11-28", "F"),  # 19 -> 18-19
    (4, "2006-11-27", "m"),  # 20 today -> 20-29, sex M
    (5, "1936-11-28", "F"),  # 89 -> 80-89, birth year kept
    (6, "1936-11-27", "x"),  # 90 today -> 90+, no birth year, sex U
    (7, "1930-01-01", "F"),  # 96 -> 90+
]
ADMISSIONS = [  # (id, patient, admitted, discharged, type, disposition)
    (10, 1, "2026-11-02 08:00", "2026-11-03 10:00", "emergency", None),  # index (no disposition)
    (11, 1, "2026-11-10 09:00", "2026-11-11 09:00", "emergency", "home"),  # readmits 10; index
    (12, 2, "2026-11-02 08:00", "2026-11-02 20:00", "emergency", "died"),  # not an index
    (13, 3, "2026-11-03 08:00", "2026-11-04 08:00", "emergency", "transfer_out"),  # not an index
    (14, 3, "2026-11-05 08:00", "2026-11-06 23:00", "emergency", "home"),  # index
    (15, 3, "2026-11-10 08:00", None, "elective", None),  # planned: not a readmission of 14
    (16, 4, "2026-11-01 12:00", "2026-11-02 23:30", "emergency", "home"),  # index
    (18, 5, "2026-11-20 10:00", "2026-11-21 11:00", "urgent", "home"),  # no bed spell: ward unknown
    # 30 calendar days, whatever the clock time: back on day 30 at 23:59 (30 d 23 h 49 min later) counts,
    # back on day 31 does not
    (20, 6, "2026-09-01 08:00", "2026-09-02 00:10", "emergency", "home"),
    (21, 6, "2026-10-02 23:59", None, "emergency", None),
    (22, 7, "2026-09-01 08:00", "2026-09-02 23:30", "emergency", "home"),
    (23, 7, "2026-10-03 00:05", None, "emergency", None),
]
SPELLS = [  # (id, admission, bed, start, end)
    (100, 10, "MED-A-01", "2026-11-02 08:00", "2026-11-03 10:00"),
    (101, 11, "MED-A-01", "2026-11-10 09:00", "2026-11-10 12:00"),
    (102, 11, "ICU-A-01", "2026-11-10 12:00", "2026-11-11 09:00"),  # admitted MED, discharged ICU
    (103, 12, "ICU-A-01", "2026-11-02 08:00", "2026-11-02 20:00"),
    (104, 13, "MED-A-02", "2026-11-03 08:00", "2026-11-04 08:00"),
    (105, 14, "MED-A-02", "2026-11-05 08:00", "2026-11-06 23:00"),
    (106, 15, "MED-A-02", "2026-11-10 08:00", None),
    (107, 16, "ICU-A-02", "2026-11-01 12:00", "2026-11-02 23:30"),
]
VITALS = [  # (uid, admission, observed, rr, spo2, o2, sbp, pulse, avpu, temp)
    ("v1", 10, "2026-11-02 09:00", 18, 97, False, 120, 80, "A", 37.0),  # 0
    ("v2", 10, "2026-11-02 10:00", 26, 91, True, 90, 135, "V", 34.9),  # 3+3+2+3+3+3+3 = 20
    ("v3", 10, "2026-11-02 11:00", 22, 95, False, 105, 95, "A", 38.5),  # 2+1+0+1+1+0+1 = 6
    ("v4", 10, "2026-11-02 12:00", 18, 97, False, 120, 80, None, 37.0),  # incomplete: no AVPU
    ("v5", 10, "2026-11-02 13:00", 7, 97, None, 120, 80, "A", 37.0),  # incomplete, rr would score 3
    ("v6", 10, "2026-11-02 14:00", 8, 97, False, 120, 80, "A", 37.0),  # 3 (any parameter three)
]


def _rows(con, table: str, rows: list[tuple]) -> None:
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


@pytest.fixture(scope="module")
def ref(tmp_path_factory):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table, columns in SOURCE.items():
        con.execute(f"CREATE TABLE {table} ({columns})")
    t = datetime(2026, 11, 1)
    _rows(con, "src_wards", [("MED-A", "Medicine A", "MED", 1, t), ("ICU-A", "ICU A", "ICU", 2, t)])
    beds = ("MED-A-01", "MED-A-02", "MED-A-03", "ICU-A-01", "ICU-A-02")
    _rows(con, "src_beds", [(b, b[:5], t) for b in beds])
    _rows(
        con, "src_patients", [(i, f"MRN{i}", "", "", dob, sex, "", "", "", "", t) for i, dob, sex in PATIENTS]
    )
    _rows(con, "src_admissions", [(*a[:5], "I10", a[5], t) for a in ADMISSIONS])
    _rows(con, "src_bed_assignments", [(*s, t) for s in SPELLS])
    _rows(
        con,
        "src_vital_signs",
        [(i, v[0], v[1], v[2], *v[3:7], 70, *v[7:], t) for i, v in enumerate(VITALS)],
    )
    _read_labs(con, tmp_path_factory.mktemp("no-labs"))
    clean(con)
    kpis(con, FIRST_DAY, AS_OF)
    return con


def one(con, sql: str):
    return con.execute(sql).fetchall()


def test_news2_scores_complete_sets_only_and_counts_the_rest_apart(ref):
    [(obs, incomplete, mean, medium, high, three)] = one(
        ref,
        "SELECT observations, incomplete_sets, mean_news2, medium_risk, high_risk, any_parameter_three "
        "FROM kpi_news2_daily WHERE ward_key = 'MED-A' AND day = DATE '2026-11-02'",
    )
    assert (obs, incomplete, medium, high, three) == (6, 2, 1, 1, 2)
    assert mean == pytest.approx((0 + 20 + 6 + 3) / 4)


def test_census_counts_each_admission_once_on_its_first_and_last_ward_or_unknown(ref):
    rows = one(
        ref,
        "SELECT ward_key, day, admissions, discharges, alos_days FROM kpi_ward_census_daily "
        "WHERE admissions > 0 OR discharges > 0 ORDER BY day, ward_key",
    )
    assert rows == [
        ("ICU-A", date(2026, 11, 1), 1, 0, None),
        ("ICU-A", date(2026, 11, 2), 1, 2, pytest.approx((35.5 / 24 + 0.5) / 2)),
        ("MED-A", date(2026, 11, 2), 1, 0, None),
        ("MED-A", date(2026, 11, 3), 1, 1, pytest.approx(26 / 24)),
        ("MED-A", date(2026, 11, 4), 0, 1, pytest.approx(1.0)),
        ("MED-A", date(2026, 11, 5), 1, 0, None),
        ("MED-A", date(2026, 11, 6), 0, 1, pytest.approx(39 / 24)),
        ("MED-A", date(2026, 11, 10), 2, 0, None),
        ("ICU-A", date(2026, 11, 11), 0, 1, pytest.approx(1.0)),
        ("unknown", date(2026, 11, 20), 1, 0, None),
        ("unknown", date(2026, 11, 21), 0, 1, pytest.approx(25 / 24)),
    ]


def test_census_midnight_counts_beds_occupied_at_midnight(ref):
    rows = one(
        ref, "SELECT ward_key, midnight_census FROM kpi_ward_census_daily WHERE day = DATE '2026-11-11'"
    )
    assert sorted(rows) == [("ICU-A", 1), ("MED-A", 1)]  # 102 in ICU, 106 open in MED


def test_readmissions_within_30_calendar_days_of_index_discharges(ref):
    # November's index discharges: 10 (no disposition), 11, 14, 16, 18; not 12 (died), 13 (transfer out).
    # 10 is readmitted by 11; 14's return is elective (planned); 16's day-30 return is past the horizon.
    [(discharges, readmissions, rate, complete)] = one(
        ref,
        "SELECT discharges, readmissions, readmission_rate, follow_up_complete FROM kpi_readmission_monthly "
        "WHERE month = DATE '2026-11-01'",
    )
    assert (discharges, readmissions, complete) == (5, 1, False)
    assert rate == pytest.approx(1 / 5)


def test_age_bands_and_top_coding(ref):
    rows = one(ref, "SELECT age_band, sex, birth_year, patients FROM patient_age_bands ORDER BY 1, 2, 3")
    assert rows == [
        ("0-17", "F", 2009, 1),
        ("18-19", "F", 2006, 1),
        ("18-19", "M", 2008, 1),
        ("20-29", "M", 2006, 1),
        ("80-89", "F", 1936, 1),
        ("90+", "F", None, 1),
        ("90+", "U", None, 1),
    ]


def test_a_return_on_day_30_counts_and_on_day_31_does_not(ref):
    rows = one(
        ref, "SELECT discharges, readmissions FROM kpi_readmission_monthly WHERE month = DATE '2026-09-01'"
    )
    assert rows == [(2, 1)]
