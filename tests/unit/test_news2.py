"""NEWS2 scores at every band edge of the RCP 2017 chart (SpO2 scale 1), written out by hand."""

import pytest
from pyspark.sql import functions as F

from hdp.gold.news2 import PARAMETERS, with_news2

BASE = {
    "respiration_rate": 16,
    "spo2": 97,
    "on_oxygen": False,
    "systolic_bp": 120,
    "pulse": 70,
    "consciousness": "A",
    "temperature_c": 37.0,
}

EDGES = [  # (parameter, value, expected score)
    ("respiration_rate", 8, 3),
    ("respiration_rate", 9, 1),
    ("respiration_rate", 11, 1),
    ("respiration_rate", 12, 0),
    ("respiration_rate", 20, 0),
    ("respiration_rate", 21, 2),
    ("respiration_rate", 24, 2),
    ("respiration_rate", 25, 3),
    ("spo2", 91, 3),
    ("spo2", 92, 2),
    ("spo2", 93, 2),
    ("spo2", 94, 1),
    ("spo2", 95, 1),
    ("spo2", 96, 0),
    ("on_oxygen", True, 2),
    ("on_oxygen", False, 0),
    ("systolic_bp", 90, 3),
    ("systolic_bp", 91, 2),
    ("systolic_bp", 100, 2),
    ("systolic_bp", 101, 1),
    ("systolic_bp", 110, 1),
    ("systolic_bp", 111, 0),
    ("systolic_bp", 219, 0),
    ("systolic_bp", 220, 3),
    ("pulse", 40, 3),
    ("pulse", 41, 1),
    ("pulse", 50, 1),
    ("pulse", 51, 0),
    ("pulse", 90, 0),
    ("pulse", 91, 1),
    ("pulse", 110, 1),
    ("pulse", 111, 2),
    ("pulse", 130, 2),
    ("pulse", 131, 3),
    ("consciousness", "A", 0),
    ("consciousness", "C", 3),
    ("consciousness", "V", 3),
    ("consciousness", "P", 3),
    ("consciousness", "U", 3),
    ("temperature_c", 35.0, 3),
    ("temperature_c", 35.1, 1),
    ("temperature_c", 36.0, 1),
    ("temperature_c", 36.1, 0),
    ("temperature_c", 38.0, 0),
    ("temperature_c", 38.1, 1),
    ("temperature_c", 39.0, 1),
    ("temperature_c", 39.1, 2),
]


def _frame(spark, rows):
    schema = (
        "respiration_rate int, spo2 int, on_oxygen boolean, systolic_bp int, pulse int, "
        "consciousness string, temperature_c double"
    )
    return spark.createDataFrame([tuple(r[k] for k in BASE) for r in rows], schema)


def test_every_band_edge(spark):
    rows = [{**BASE, param: value} for param, value, _ in EDGES]
    scored = with_news2(_frame(spark, rows)).select("news2_score").collect()
    assert [r.news2_score for r in scored] == [score for _, _, score in EDGES]


@pytest.mark.parametrize(
    ("changes", "total", "risk"),
    [
        ({}, 0, "low"),
        ({"respiration_rate": 22, "pulse": 95}, 3, "low"),  # 2 + 1
        ({"consciousness": "V"}, 3, "low-medium"),  # a single red parameter
        ({"respiration_rate": 22, "spo2": 94, "on_oxygen": True}, 5, "medium"),  # 2 + 1 + 2
        (
            {"respiration_rate": 26, "spo2": 92, "systolic_bp": 95, "temperature_c": 39.5},
            9,
            "high",
        ),  # 3+2+2+2
    ],
)
def test_total_and_risk_band(spark, changes, total, risk):
    row = with_news2(_frame(spark, [{**BASE, **changes}])).select("news2_score", "news2_risk").first()
    assert (row.news2_score, row.news2_risk) == (total, risk)


def test_any_single_three_flag(spark):
    rows = [BASE, {**BASE, "pulse": 135}]
    flags = with_news2(_frame(spark, rows)).select(F.col("news2_any_three")).collect()
    assert [r[0] for r in flags] == [False, True]


@pytest.mark.parametrize("missing", list(BASE))
def test_a_set_missing_any_parameter_is_incomplete_and_gets_no_score(spark, missing):
    # before: a missing respiration rate, systolic BP or pulse scored 3, a missing temperature 2
    row = with_news2(_frame(spark, [{**BASE, missing: None}])).first()
    assert row.news2_complete is False
    assert (row.news2_score, row.news2_risk, row.news2_any_three) == (None, None, None)
    parameter = next(name for name, (_, src) in PARAMETERS.items() if src == missing)
    assert row[parameter] is None  # the others keep their scores


def test_a_complete_set_is_flagged_complete(spark):
    row = with_news2(_frame(spark, [BASE])).first()
    assert (row.news2_complete, row.news2_score) == (True, 0)
