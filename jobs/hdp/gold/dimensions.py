"""Gold dimensions. Pure functions of silver frames; no direct identifier leaves this module. Gold is a HIPAA
limited data set (pseudonyms, exact dates of care); the patient's demographics are already generalised to
Safe-Harbor level here (birth year, 90+, three-digit ZIP), so the Safe-Harbor export keeps them as they are."""

from __future__ import annotations

from datetime import date, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from hdp.gold.keys import pseudonym
from hdp.privacy import zip3

TOP_CODED_AGE = 90  # ages over 89 are reported as one band, with no birth year (HIPAA Safe Harbor)
CALENDAR = (date(2020, 1, 1), date(2035, 12, 31))


def dim_patient(patients: DataFrame, secret: str, as_of: datetime) -> DataFrame:
    """Age at `as_of` (the lake's horizon), so a re-run on another day gives the same rows."""
    age = F.floor(F.months_between(F.lit(as_of.date()), F.col("date_of_birth")) / 12)
    return patients.select(
        pseudonym(secret, "patient", F.col("mrn")).alias("patient_key"),
        F.col("sex"),
        F.when(age >= TOP_CODED_AGE, F.lit(None)).otherwise(F.year("date_of_birth")).alias("birth_year"),
        F.when(age >= TOP_CODED_AGE, F.lit(f"{TOP_CODED_AGE}+"))
        .when(age < 18, F.lit("0-17"))  # children, then adults: bands never overlap
        .when(age < 20, F.lit("18-19"))
        .otherwise(
            F.concat(
                (F.floor(age / 10) * 10).cast("int").cast("string"),
                F.lit("-"),
                (F.floor(age / 10) * 10 + 9).cast("int").cast("string"),
            )
        )
        .alias("age_band"),
        (zip3(F.col("zip")) if "zip" in patients.columns else F.lit(None).cast("string")).alias("zip3"),
    )


def dim_ward(wards: DataFrame, beds: DataFrame) -> DataFrame:
    counts = beds.groupBy("ward_code").agg(F.count("*").cast("int").alias("bed_count"))
    return wards.join(counts, on="ward_code", how="left").select(
        F.col("ward_code").alias("ward_key"),
        "ward_code",
        F.col("name").alias("ward_name"),
        "ward_type",
        "floor",
        F.coalesce("bed_count", F.lit(0)).alias("bed_count"),
    )


def dim_drug(drugs: DataFrame) -> DataFrame:
    return drugs.select(
        F.col("drug_code").alias("drug_key"),
        "drug_code",
        F.col("name").alias("drug_name"),
        "form",
        "strength",
        "reorder_level",
    )


def dim_date(spark: SparkSession) -> DataFrame:
    first, last = CALENDAR
    days = spark.sql(f"SELECT explode(sequence(DATE'{first}', DATE'{last}', INTERVAL 1 DAY)) AS day")
    return days.select(
        F.date_format("day", "yyyyMMdd").cast("int").alias("date_key"),
        "day",
        F.year("day").alias("year"),
        F.quarter("day").alias("quarter"),
        F.month("day").alias("month"),
        F.date_format("day", "MMMM").alias("month_name"),
        F.dayofmonth("day").alias("day_of_month"),
        F.date_format("day", "EEEE").alias("day_name"),
        F.weekofyear("day").alias("iso_week"),
        F.dayofweek("day").isin(1, 7).alias("is_weekend"),
    )


def dim_time(spark: SparkSession) -> DataFrame:
    hours = spark.range(24).select(F.col("id").cast("int").alias("hour"))
    return hours.select(
        F.col("hour").alias("time_key"),
        "hour",
        F.format_string("%02d:00", "hour").alias("label"),
        F.when(F.col("hour").between(7, 14), "early")
        .when(F.col("hour").between(15, 22), "late")
        .otherwise("night")
        .alias("nursing_shift"),
    )
