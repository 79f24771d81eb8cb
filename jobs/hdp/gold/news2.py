"""NEWS2 (Royal College of Physicians, 2017), SpO2 scale 1: a score per parameter, the total, the risk band."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

MEDIUM_RISK_MIN = 5
HIGH_RISK_MIN = 7
SINGLE_PARAMETER_RED = 3  # one parameter scoring 3 calls for an urgent ward review


def _bands(value: Column, bands: list[tuple[float, int]], above: int) -> Column:
    """Score from upper-inclusive bands [(upper bound, score), ...]; `above` beyond the last bound."""
    expr = None
    for upper, score in bands:
        expr = (
            F.when(value <= upper, F.lit(score)) if expr is None else expr.when(value <= upper, F.lit(score))
        )
    return expr.otherwise(F.lit(above))


def respiration_score(rr: Column) -> Column:
    return _bands(rr, [(8, 3), (11, 1), (20, 0), (24, 2)], 3)


def spo2_score(spo2: Column) -> Column:  # scale 1
    return _bands(spo2, [(91, 3), (93, 2), (95, 1)], 0)


def oxygen_score(on_oxygen: Column) -> Column:
    return F.when(on_oxygen, F.lit(2)).otherwise(F.lit(0))


def systolic_score(sbp: Column) -> Column:
    return _bands(sbp, [(90, 3), (100, 2), (110, 1), (219, 0)], 3)


def pulse_score(pulse: Column) -> Column:
    return _bands(pulse, [(40, 3), (50, 1), (90, 0), (110, 1), (130, 2)], 3)


def consciousness_score(avpu: Column) -> Column:
    return F.when(avpu == "A", F.lit(0)).otherwise(F.lit(3))


def temperature_score(temp: Column) -> Column:
    return _bands(F.round(temp, 1), [(35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1)], 2)


PARAMETERS = {
    "news2_respiration": (respiration_score, "respiration_rate"),
    "news2_spo2": (spo2_score, "spo2"),
    "news2_oxygen": (oxygen_score, "on_oxygen"),
    "news2_systolic": (systolic_score, "systolic_bp"),
    "news2_pulse": (pulse_score, "pulse"),
    "news2_consciousness": (consciousness_score, "consciousness"),
    "news2_temperature": (temperature_score, "temperature_c"),
}


def with_news2(vitals: DataFrame) -> DataFrame:
    """Adds the seven parameter scores, `news2_complete`, `news2_score`, `news2_any_three` and `news2_risk`.

    NEWS2 is scored on a complete set of observations only (RCP 2017): a missing parameter gets no score
    (never the band a NULL falls through to), and an incomplete set gets no total, no risk and no
    any-three flag — it is kept, flagged `news2_complete = false`, and counted apart by the KPIs."""
    present = {name: F.col(src).isNotNull() for name, (_, src) in PARAMETERS.items()}
    scored = vitals.select(
        "*",
        *[F.when(present[name], fn(F.col(src))).alias(name) for name, (fn, src) in PARAMETERS.items()],
    )
    complete = F.lit(True)
    for flag in present.values():
        complete = complete & flag
    total = sum((F.col(name) for name in PARAMETERS), F.lit(0))
    any_three = F.greatest(*[F.col(name) for name in PARAMETERS]) >= SINGLE_PARAMETER_RED
    return (
        scored.withColumn("news2_complete", complete)
        .withColumn("news2_score", F.when(complete, total))
        .withColumn("news2_any_three", F.when(complete, any_three))
        .withColumn(
            "news2_risk",
            F.when(~complete, F.lit(None))
            .when(F.col("news2_score") >= HIGH_RISK_MIN, "high")
            .when(F.col("news2_score") >= MEDIUM_RISK_MIN, "medium")
            .when(F.col("news2_any_three"), "low-medium")
            .otherwise("low"),
        )
    )
