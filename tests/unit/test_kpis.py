"""KPI transforms on small inline frames, with expected values worked out by hand."""

from datetime import date, datetime

from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from hdp.gold import kpis as K


def ts(text):
    return datetime.fromisoformat(text)


def test_occupancy_counts_spells_covering_the_top_of_each_hour(spark):
    wards = spark.createDataFrame([("W1", 2)], "ward_key string, bed_count int")
    spells = spark.createDataFrame(
        [
            ("W1", ts("2026-11-01 22:30:00"), ts("2026-11-02 01:00:00")),  # covers 23:00, 00:00; not 01:00
            ("W1", ts("2026-11-02 00:00:00"), None),  # starts exactly on the hour: counts from 00:00, open
            ("W1", ts("2026-11-02 01:15:00"), ts("2026-11-02 01:45:00")),  # covers no top of an hour
        ],
        "ward_code string, start_at timestamp, end_at timestamp",
    )
    got = K.ward_occupancy_hourly(
        spells, wards, date(2026, 11, 2), date(2026, 11, 2), ts("2026-11-02 03:00:00")
    )
    expected = spark.createDataFrame(
        [
            ("W1", ts("2026-11-02 00:00:00"), 2),
            ("W1", ts("2026-11-02 01:00:00"), 1),
            ("W1", ts("2026-11-02 02:00:00"), 1),
        ],
        "ward_key string, hour_start timestamp, occupied_beds int",
    )
    assertDataFrameEqual(got.select("ward_key", "hour_start", "occupied_beds"), expected)
    assert {r.occupancy_rate for r in got.collect()} == {1.0, 0.5}


def test_census_admissions_discharges_and_alos(spark):
    wards = spark.createDataFrame([("A",), ("B",)], "ward_key string")
    admissions = spark.createDataFrame(
        [
            (1, ts("2026-11-01 10:00:00"), ts("2026-11-03 10:00:00")),  # A then B, LOS 2 days
            (2, ts("2026-11-02 06:00:00"), ts("2026-11-03 18:00:00")),  # A, LOS 1.5 days
            (3, ts("2026-11-03 08:00:00"), None),  # B, still in
            (4, ts("2026-11-02 09:00:00"), ts("2026-11-02 15:00:00")),  # a day case: no bed spell
        ],
        "admission_id long, admitted_at timestamp, discharged_at timestamp",
    )
    spells = spark.createDataFrame(
        [
            (1, 1, "A", ts("2026-11-01 10:00:00"), ts("2026-11-02 12:00:00")),
            (2, 1, "B", ts("2026-11-02 12:00:00"), ts("2026-11-03 10:00:00")),
            (3, 2, "A", ts("2026-11-02 06:00:00"), ts("2026-11-03 18:00:00")),
            (4, 3, "B", ts("2026-11-03 08:00:00"), None),
        ],
        "assignment_id long, admission_id long, ward_code string, start_at timestamp, end_at timestamp",
    )
    beds = wards.withColumn("bed_count", F.lit(4))
    occupancy = K.ward_occupancy_hourly(
        spells, beds, date(2026, 11, 2), date(2026, 11, 3), ts("2026-11-04 00:00")
    )
    got = K.ward_census_daily(occupancy, admissions, spells, wards, date(2026, 11, 2), date(2026, 11, 3))
    expected = spark.createDataFrame(
        [
            ("A", date(2026, 11, 2), 1, 1, 0, None),
            ("B", date(2026, 11, 2), 0, 0, 0, None),
            ("A", date(2026, 11, 3), 1, 0, 1, 1.5),
            ("B", date(2026, 11, 3), 1, 1, 1, 2.0),
            # before, a stay without a spell vanished from the counts (an inner join to the spells)
            ("unknown", date(2026, 11, 2), None, 1, 1, 0.25),
        ],
        "ward_key string, day date, midnight_census int, admissions int, discharges int, alos_days double",
    )
    assertDataFrameEqual(got, expected)


def test_readmission_within_30_calendar_days_of_an_index_discharge(spark):
    a = "admission_id long, patient_id long, admitted_at timestamp, discharged_at timestamp, "
    a += "discharge_disposition string, admission_type string"
    rows = [
        # patient 10: discharged 1 Oct 08:00, back 31 Oct 20:00 (day 30, later in the day: 30×24 h missed it)
        (1, 10, ts("2026-10-01 07:00:00"), ts("2026-10-01 08:00:00"), "home", "emergency"),
        (2, 10, ts("2026-10-31 20:00:00"), ts("2026-11-02 08:00:00"), "home", "emergency"),
        # patient 20: back on day 31: not a readmission
        (3, 20, ts("2026-10-09 08:00:00"), ts("2026-10-10 08:00:00"), "home", "emergency"),
        (4, 20, ts("2026-11-10 00:30:00"), ts("2026-11-13 08:00:00"), "home", "emergency"),
        # patient 30 died: no index discharge
        (5, 30, ts("2026-10-15 08:00:00"), ts("2026-10-20 08:00:00"), "died", "emergency"),
        # patient 40: no disposition recorded (before: dropped from the denominator), back in 5 days
        (6, 40, ts("2026-10-11 08:00:00"), ts("2026-10-12 08:00:00"), None, "emergency"),
        (7, 40, ts("2026-10-17 08:00:00"), ts("2026-10-18 08:00:00"), "home", None),
        # patient 50: transferred out (not an index discharge); patient 60: back for a planned operation
        (8, 50, ts("2026-10-02 08:00:00"), ts("2026-10-03 08:00:00"), "transfer_out", "emergency"),
        (9, 50, ts("2026-10-05 08:00:00"), ts("2026-10-06 08:00:00"), "home", "emergency"),
        (10, 60, ts("2026-10-21 08:00:00"), ts("2026-10-22 08:00:00"), "home", "emergency"),
        (11, 60, ts("2026-10-25 08:00:00"), ts("2026-10-26 08:00:00"), "home", "elective"),
    ]
    admissions = spark.createDataFrame(rows, a)
    got = K.readmission_monthly(admissions, ts("2026-12-15 00:00:00")).orderBy("month").collect()
    # October's index discharges: 1, 3, 6, 7, 9, 10, 11 (7); readmitted within 30 days: 1 (by 2), 6 (by 7)
    # November's: 2, 4 (2); none readmitted
    assert [(r.month, r.discharges, r.readmissions) for r in got] == [
        (date(2026, 10, 1), 7, 2),
        (date(2026, 11, 1), 2, 0),
    ]
    assert got[0].readmission_rate == 2 / 7 and got[0].follow_up_complete and not got[1].follow_up_complete


def test_lab_turnaround_median_p90_and_share_over_target(spark):
    minutes = [10, 20, 30, 40, 50, 60, 70, 80, 90, 200]
    facts = spark.createDataFrame(
        [("2345-7", date(2026, 11, 2), float(m)) for m in minutes],
        "loinc_code string, day date, turnaround_minutes double",
    )
    row = K.lab_turnaround_daily(facts).first()
    assert row.results == 10 and row.median_minutes == 55.0
    assert abs(row.p90_minutes - 101.0) < 1e-9  # linear interpolation: 90 + 0.1 * (200 - 90)
    assert row.over_target == 1 and row.share_over_target == 0.1


def test_stock_closing_usage_and_days_of_supply(spark):
    readings = [  # day 1: 100 -> 80 -> 70 (used 30); day 2: delivery 70 -> 170, then 170 -> 160 (used 10)
        (1, ts("2026-11-01 08:00:00"), 100),
        (2, ts("2026-11-01 12:00:00"), 80),
        (3, ts("2026-11-01 20:00:00"), 70),
        (4, ts("2026-11-02 09:00:00"), 170),
        (5, ts("2026-11-02 18:00:00"), 160),
    ]
    facts = spark.createDataFrame(
        [(e, "D1", t, n, 150, t.date()) for e, t, n in readings],
        "entry_key long, drug_key string, recorded_at timestamp, on_hand int, reorder_level int, day date",
    )
    got = K.pharmacy_stock_daily(facts, date(2026, 11, 1), date(2026, 11, 2)).orderBy("day").collect()
    assert [(r.closing_on_hand, r.mean_daily_usage_7d, r.below_reorder) for r in got] == [
        (70, 30.0, True),
        (160, 20.0, False),
    ]
    assert got[1].days_of_supply == 8.0


def test_news2_daily_aggregates(spark):
    complete = [("W", date(2026, 11, 2), True, s, s >= 3 and s != 5) for s in (0, 3, 5, 6, 7, 9)]
    incomplete = [("W", date(2026, 11, 2), False, None, None)] * 2
    facts = spark.createDataFrame(
        complete + incomplete,
        "ward_key string, day date, news2_complete boolean, news2_score int, news2_any_three boolean",
    )
    row = K.news2_daily(facts).first()
    assert (row.observations, row.incomplete_sets) == (8, 2)
    assert (row.medium_risk, row.high_risk, row.any_parameter_three) == (2, 2, 4)
    assert row.mean_news2 == 5.0  # (0 + 3 + 5 + 6 + 7 + 9) / 6: incomplete sets do not count as 0
