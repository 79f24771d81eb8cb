"""Silver transform for lab result CSV lines: parse, convert to one canonical unit per test, attach the
patient, the admission and the ward at collection time."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from hdp.reference import LAB_TESTS
from hdp.silver import rules as R
from hdp.silver.ehr import PASS, Lookup, attach_covering

CSV_FIELDS = (
    "accession_number",
    "mrn",
    "loinc_code",
    "test_name",
    "value",
    "unit",
    "reference_range",
    "collected_at",
    "resulted_at",
)
CSV_SCHEMA = ", ".join(f"{f} string" for f in CSV_FIELDS) + ", _corrupt string"


def unit_table(spark: SparkSession) -> DataFrame:
    """(loinc_code, unit as sent, factor to canonical, canonical unit) from the reference data."""
    rows = [
        (t.loinc, unit, factor, t.unit) for t in LAB_TESTS for unit, factor in ((t.unit, 1.0), *t.alt_units)
    ]
    return spark.createDataFrame(rows, "loinc_code string, unit_as_sent string, factor double, unit string")


def lab_results(bronze: DataFrame, silver: Lookup) -> DataFrame:
    parsed = bronze.withColumn(
        "_p",
        F.from_csv("raw_line", CSV_SCHEMA, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt"}),
    )
    typed = parsed.select(
        F.trim("_p.accession_number").alias("accession_number"),
        F.upper(F.trim("_p.mrn")).alias("mrn"),
        F.trim("_p.loinc_code").alias("loinc_code"),
        F.trim("_p.test_name").alias("test_name"),
        F.col("_p.value").try_cast("double").alias("value_as_sent"),
        F.trim("_p.unit").alias("unit_as_sent"),
        F.try_to_timestamp("_p.collected_at").alias("collected_at"),
        F.try_to_timestamp("_p.resulted_at").alias("resulted_at"),
        F.col("_p._corrupt").isNotNull().alias("_malformed"),
        *PASS,
    )
    units = unit_table(bronze.sparkSession)
    known_codes = units.select(F.col("loinc_code").alias("_code")).distinct()
    typed = typed.join(units, on=["loinc_code", "unit_as_sent"], how="left").join(
        known_codes, typed["loinc_code"] == known_codes["_code"], how="left"
    )
    patients = silver("patients").select("mrn", "patient_id")
    typed = typed.join(patients, on="mrn", how="left")
    typed = attach_covering(
        typed,
        silver("admissions"),
        "patient_id",
        "collected_at",
        "admitted_at",
        "discharged_at",
        ["admission_id"],
    )
    typed = attach_covering(
        typed, silver("bed_assignments"), "admission_id", "collected_at", "start_at", "end_at", ["ward_code"]
    )
    return typed.select(
        "accession_number",
        "patient_id",
        "mrn",
        "admission_id",
        "ward_code",
        "loinc_code",
        "test_name",
        (F.col("value_as_sent") * F.col("factor")).alias("value"),
        "unit",
        "value_as_sent",
        "unit_as_sent",
        "collected_at",
        "resulted_at",
        F.to_date("collected_at").alias("collected_date"),
        *PASS,
        R.first_failed(
            (
                R.MALFORMED_LINE,
                F.col("_malformed")
                | F.col("accession_number").isNull()
                | F.col("value_as_sent").isNull()
                | F.col("collected_at").isNull()
                | F.col("resulted_at").isNull(),
            ),
            (R.UNKNOWN_CODE, F.col("_code").isNull()),
            (R.UNKNOWN_UNIT, F.col("factor").isNull()),
            (R.RESULT_BEFORE_COLLECTION, F.col("resulted_at") < F.col("collected_at")),
            (R.UNKNOWN_PATIENT, F.col("patient_id").isNull()),
            (R.UNKNOWN_ADMISSION, F.col("admission_id").isNull()),
        ).alias(R.REASON),
    )
