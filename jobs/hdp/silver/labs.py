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
# Fields are parsed by position, then picked by the name the file's own header gives them.
CSV_SCHEMA = ", ".join(f"f{i} string" for i in range(len(CSV_FIELDS))) + ", _corrupt string"


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
    ).withColumn("_h", F.split(F.lower(F.trim("header")), r"\s*,\s*"))
    values = F.array(*[F.col(f"_p.f{i}") for i in range(len(CSV_FIELDS))])

    def field(name: str):
        return F.get(values, F.array_position("_h", name).cast("int") - 1)

    known_header = (F.size("_h") == len(CSV_FIELDS)) & (
        F.size(F.array_except(F.array(*[F.lit(f) for f in CSV_FIELDS]), F.col("_h"))) == 0
    )
    typed = parsed.select(
        F.trim(field("accession_number")).alias("accession_number"),
        F.upper(F.trim(field("mrn"))).alias("mrn"),
        F.trim(field("loinc_code")).alias("loinc_code"),
        F.trim(field("test_name")).alias("test_name"),
        field("value").try_cast("double").alias("value_as_sent"),
        F.trim(field("unit")).alias("unit_as_sent"),
        F.try_to_timestamp(field("collected_at")).alias("collected_at"),
        F.try_to_timestamp(field("resulted_at")).alias("resulted_at"),
        F.try_to_timestamp("delivered_at").alias("delivered_at"),
        F.col("_p._corrupt").isNotNull().alias("_malformed"),
        known_header.alias("_known_header"),
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
        "delivered_at",
        F.to_date("collected_at").alias("collected_date"),
        *PASS,
        R.first_failed(
            (R.BAD_HEADER, ~F.col("_known_header")),
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
