"""Age bands of dim_patient: children 0-17, then 18-19, then decades, 90+ top-coded; no age in two bands."""

from datetime import date, datetime, timezone

import pytest

from hdp.gold.dimensions import dim_patient

AS_OF = datetime(2026, 11, 27, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (date(2026, 1, 1), "0-17"),
        (date(2008, 11, 28), "0-17"),  # 17, a day before turning 18
        (date(2008, 11, 27), "18-19"),  # 18 today (before: "10-19", overlapping "0-17")
        (date(2007, 1, 1), "18-19"),
        (date(2006, 11, 27), "20-29"),
        (date(1937, 1, 1), "80-89"),
        (date(1936, 11, 28), "80-89"),  # 89
        (date(1936, 11, 27), "90+"),
    ],
)
def test_age_band(spark, born, band):
    patients = spark.createDataFrame([("M1", "F", born)], "mrn string, sex string, date_of_birth date")
    row = dim_patient(patients, "k" * 32, AS_OF).first()
    assert row.age_band == band
