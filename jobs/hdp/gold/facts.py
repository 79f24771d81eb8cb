"""Gold facts. Pure functions of silver frames: surrogate keys instead of identifiers, canonical units,
NEWS2 per observation, and the `day` column windowed tables are partitioned by."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from hdp.gold.keys import date_key, pseudonym
from hdp.gold.news2 import PARAMETERS, with_news2
from hdp.reference import VITAL_PARAMETERS

HOURS_PER_DAY = 24.0


def stay_keys(secret: str) -> list:
    """`admission_key` and `patient_key` from a frame's `admission_id` and `mrn`."""
    return [
        pseudonym(secret, "admission", F.col("admission_id")).alias("admission_key"),
        pseudonym(secret, "patient", F.col("mrn")).alias("patient_key"),
    ]


def admission_wards(assignments: DataFrame) -> DataFrame:
    """Per admission: the ward at admission (first spell) and at discharge (last spell)."""
    first = Window.partitionBy("admission_id").orderBy("start_at", "assignment_id")
    last = Window.partitionBy("admission_id").orderBy(F.col("start_at").desc(), F.col("assignment_id").desc())
    return assignments.select(
        "admission_id",
        F.first("ward_code")
        .over(first.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing))
        .alias("admit_ward_key"),
        F.first("ward_code")
        .over(last.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing))
        .alias("discharge_ward_key"),
    ).distinct()


def fact_admission(
    admissions: DataFrame, patients: DataFrame, assignments: DataFrame, secret: str
) -> DataFrame:
    mrns = patients.select("patient_id", "mrn")
    return (
        admissions.join(mrns, on="patient_id", how="left")
        .join(admission_wards(assignments), on="admission_id", how="left")
        .select(
            *stay_keys(secret),
            "admit_ward_key",
            "discharge_ward_key",
            "admitted_at",
            "discharged_at",
            date_key(F.col("admitted_at")).alias("admit_date_key"),
            date_key(F.col("discharged_at")).alias("discharge_date_key"),
            (
                (F.unix_timestamp("discharged_at") - F.unix_timestamp("admitted_at")) / 3600.0 / HOURS_PER_DAY
            ).alias("length_of_stay_days"),
            "admission_type",
            "diagnosis_code",
            "discharge_disposition",
        )
    )


def fact_bed_assignment(
    assignments: DataFrame, admissions: DataFrame, patients: DataFrame, secret: str
) -> DataFrame:
    mrn_of = admissions.select("admission_id", "patient_id").join(
        patients.select("patient_id", "mrn"), on="patient_id", how="left"
    )
    return assignments.join(mrn_of, on="admission_id", how="left").select(
        pseudonym(secret, "assignment", F.col("assignment_id")).alias("assignment_key"),
        *stay_keys(secret),
        F.col("ward_code").alias("ward_key"),
        "bed_code",
        "start_at",
        "end_at",
    )


def fact_vital_sign(vitals: DataFrame, patients: DataFrame, secret: str) -> DataFrame:
    scored = with_news2(vitals).join(patients.select("patient_id", "mrn"), on="patient_id", how="left")
    return scored.select(
        pseudonym(secret, "observation", F.col("observation_uid")).alias("observation_key"),
        *stay_keys(secret),
        F.col("ward_code").alias("ward_key"),
        "observed_at",
        date_key(F.col("observed_at")).alias("date_key"),
        F.hour("observed_at").alias("time_key"),
        *VITAL_PARAMETERS,
        *PARAMETERS,
        "news2_complete",
        "news2_score",
        "news2_any_three",
        "news2_risk",
        F.to_date("observed_at").alias("day"),
    )


def fact_lab_result(labs: DataFrame, secret: str) -> DataFrame:
    return labs.select(
        pseudonym(secret, "lab_result", F.col("accession_number")).alias("result_key"),
        *stay_keys(secret),
        F.col("ward_code").alias("ward_key"),
        "loinc_code",
        "test_name",
        "value",
        "unit",
        "collected_at",
        "resulted_at",
        ((F.unix_timestamp("resulted_at") - F.unix_timestamp("collected_at")) / 60.0).alias(
            "turnaround_minutes"
        ),
        date_key(F.col("collected_at")).alias("date_key"),
        F.to_date("collected_at").alias("day"),
    )


def fact_pharmacy_stock(stock: DataFrame, drugs: DataFrame) -> DataFrame:
    return stock.join(drugs.select("drug_code", "reorder_level"), on="drug_code", how="left").select(
        F.col("entry_id").alias("entry_key"),
        F.col("drug_code").alias("drug_key"),
        "recorded_at",
        "on_hand",
        "reorder_level",
        date_key(F.col("recorded_at")).alias("date_key"),
        F.to_date("recorded_at").alias("day"),
    )
