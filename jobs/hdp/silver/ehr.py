"""Silver transforms for the EHR entities. Each takes the bronze rows of a batch range (strings) and a
`silver(name)` lookup of current silver entities, and returns typed rows with a `_reject_reason`."""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from hdp.reference import AVPU_CODES, WARD_TYPES
from hdp.silver import rules as R

Lookup = Callable[[str], DataFrame]
PASS = ("_batch_id", "_raw", "_row_id", "_ingested_at")


def far_future():
    """Stand-in end for open spells (a column: built when a session exists)."""
    return F.lit("9999-12-31 00:00:00").cast("timestamp")


# Physiologically possible ranges (not normal ranges): outside them a reading is an entry or device error.
TRUE, FALSE = ("t", "true", "1", "yes", "y"), ("f", "false", "0", "no", "n")
POSSIBLE = {
    "respiration_rate": (1, 80),
    "spo2": (40, 100),
    "systolic_bp": (30, 300),
    "diastolic_bp": (10, 200),
    "pulse": (20, 300),
    "temperature_c": (25.0, 45.0),
}


def wards(bronze: DataFrame, silver: Lookup) -> DataFrame:
    known_types = [w.code for w in WARD_TYPES]
    return bronze.select(
        F.trim("ward_code").alias("ward_code"),
        F.trim("name").alias("name"),
        F.upper(F.trim("ward_type")).alias("ward_type"),
        R.integer("floor").alias("floor"),
        R.ts("updated_at").alias("updated_at"),
        *PASS,
    ).withColumn(
        R.REASON,
        R.first_failed(
            (R.MISSING_VALUE, F.col("ward_code").isNull() | F.col("updated_at").isNull()),
            (R.UNKNOWN_CODE, ~F.col("ward_type").isin(known_types)),
        ),
    )


def beds(bronze: DataFrame, silver: Lookup) -> DataFrame:
    typed = bronze.select(
        F.trim("bed_code").alias("bed_code"),
        F.trim("ward_code").alias("ward_code"),
        R.ts("updated_at").alias("updated_at"),
        *PASS,
    )
    typed = R.known(typed, silver("wards"), "ward_code", "_ward_known")
    return typed.withColumn(
        R.REASON,
        R.first_failed(
            (R.MISSING_VALUE, F.col("bed_code").isNull() | F.col("updated_at").isNull()),
            (R.UNKNOWN_WARD, ~F.col("_ward_known")),
        ),
    ).drop("_ward_known")


def patients(bronze: DataFrame, silver: Lookup) -> DataFrame:
    typed = bronze.select(
        R.identifier("patient_id").alias("patient_id"),
        F.upper(F.trim("mrn")).alias("mrn"),
        F.trim("first_name").alias("first_name"),
        F.trim("last_name").alias("last_name"),
        F.col("date_of_birth").try_cast("date").alias("date_of_birth"),
        F.when(F.upper("sex").isin("F", "M"), F.upper("sex")).otherwise(F.lit("U")).alias("sex"),
        F.trim("address").alias("address"),
        F.trim("city").alias("city"),
        F.trim("zip").alias("zip"),
        F.regexp_replace("phone", r"[^0-9+]", "").alias("phone"),
        R.ts("updated_at").alias("updated_at"),
        *PASS,
    )
    return typed.withColumn(
        R.REASON,
        R.first_failed(
            (
                R.MISSING_VALUE,
                F.col("patient_id").isNull() | F.col("mrn").isNull() | F.col("updated_at").isNull(),
            ),
            (R.FUTURE_DATE, F.col("date_of_birth") > F.to_date("updated_at")),
        ),
    )


def admissions(bronze: DataFrame, silver: Lookup) -> DataFrame:
    typed = bronze.select(
        R.identifier("admission_id").alias("admission_id"),
        R.identifier("patient_id").alias("patient_id"),
        R.ts("admitted_at").alias("admitted_at"),
        R.ts("discharged_at").alias("discharged_at"),
        F.lower(F.trim("admission_type")).alias("admission_type"),
        F.upper(F.trim("diagnosis_code")).alias("diagnosis_code"),
        F.lower(F.trim("discharge_disposition")).alias("discharge_disposition"),
        R.ts("updated_at").alias("updated_at"),
        *PASS,
    )
    typed = R.known(typed, silver("patients"), "patient_id", "_patient_known")
    return typed.withColumn(
        R.REASON,
        R.first_failed(
            (
                R.MISSING_VALUE,
                F.col("admission_id").isNull() | F.col("admitted_at").isNull() | F.col("updated_at").isNull(),
            ),
            (R.DISCHARGE_BEFORE_ADMISSION, F.col("discharged_at") < F.col("admitted_at")),
            (R.UNKNOWN_PATIENT, ~F.col("_patient_known")),
        ),
    ).drop("_patient_known")


def bed_assignments(bronze: DataFrame, silver: Lookup) -> DataFrame:
    typed = bronze.select(
        R.identifier("assignment_id").alias("assignment_id"),
        R.identifier("admission_id").alias("admission_id"),
        F.trim("bed_code").alias("bed_code"),
        R.ts("start_at").alias("start_at"),
        R.ts("end_at").alias("end_at"),
        R.ts("updated_at").alias("updated_at"),
        *PASS,
    ).withColumn("_row", F.monotonically_increasing_id())
    beds = silver("beds").select("bed_code", F.col("ward_code"))
    typed = typed.join(beds, on="bed_code", how="left")
    typed = R.known(typed, silver("admissions"), "admission_id", "_admission_known")
    typed = typed.withColumn(
        R.REASON,
        R.first_failed(
            (
                R.MISSING_VALUE,
                F.col("assignment_id").isNull() | F.col("start_at").isNull() | F.col("updated_at").isNull(),
            ),
            (R.END_BEFORE_START, F.col("end_at") < F.col("start_at")),
            (R.UNKNOWN_BED, F.col("ward_code").isNull()),
            (R.UNKNOWN_ADMISSION, ~F.col("_admission_known")),
        ),
    ).drop("_admission_known")
    return _flag_overlaps(typed, silver("bed_assignments")).drop("_row")


def _flag_overlaps(new: DataFrame, existing: DataFrame | None) -> DataFrame:
    """A new spell that shares time with another spell on the same bed is an OVERLAPPING_BED_ASSIGNMENT:
    it starts before an earlier-starting spell ends (new or in silver), or it starts before a spell silver
    holds already and ends after that one starts (a backdated move, from the left). Between two new spells
    the later-starting one is held. An open spell holds its bed until it ends; spells that only touch
    (one ends when the other starts) share no time. Only the latest version of an assignment in the batch is
    compared (its older versions are not other spells), and every copy of an assignment gets its verdict."""
    newest_first = Window.partitionBy("assignment_id").orderBy(
        F.col("updated_at").desc(), F.xxhash64("bed_code", "start_at", "end_at").desc()
    )
    candidates = (
        new.where(F.col(R.REASON).isNull())
        .withColumn("__version", F.row_number().over(newest_first))
        .where(F.col("__version") == 1)
        .select("_row", "assignment_id", "bed_code", "start_at", "end_at")
    )
    spells = candidates
    if existing is not None:  # None while the silver table itself is being derived
        spells = spells.unionByName(
            existing.join(candidates.select("assignment_id"), on="assignment_id", how="left_anti").select(
                F.lit(None).cast("long").alias("_row"), "assignment_id", "bed_code", "start_at", "end_at"
            )
        )
    by_start = Window.partitionBy("bed_code").orderBy("start_at", "assignment_id")
    end = F.coalesce("end_at", far_future())
    earlier_end = F.max(end).over(by_start.rowsBetween(Window.unboundedPreceding, -1))
    held = F.col("_row").isNull()  # a spell silver holds
    later_held_start = F.min(F.when(held, F.col("start_at"))).over(
        by_start.rowsBetween(1, Window.unboundedFollowing)
    )
    flagged = (
        spells.withColumn("_overlaps", (F.col("start_at") < earlier_end) | (later_held_start < end))
        .where(~held & F.col("_overlaps"))
        .select("assignment_id", "_overlaps")
    )
    return (
        new.join(flagged, on="assignment_id", how="left")
        .withColumn(
            R.REASON,
            F.coalesce(F.col(R.REASON), F.when(F.col("_overlaps"), F.lit(R.OVERLAPPING_BED_ASSIGNMENT))),
        )
        .drop("_overlaps")
    )


def attach_covering(
    df: DataFrame, spells: DataFrame, on: str, at: str, start: str, end: str, take: list[str]
) -> DataFrame:
    """Add `take` columns from the spell (same `on`) covering time `at`: start <= at < end (open end = now).
    Keeps every row of df exactly once (the latest-starting spell wins), so row counts reconcile."""
    s = spells.select(
        F.col(on).alias("__on"),
        F.col(start).alias("__start"),
        F.coalesce(F.col(end), far_future()).alias("__end"),
        *[F.col(c).alias(f"__{c}") for c in take],
    )
    rid = "__rid"
    keyed = df.withColumn(rid, F.monotonically_increasing_id())
    joined = keyed.join(
        s, (keyed[on] == s["__on"]) & (s["__start"] <= keyed[at]) & (keyed[at] < s["__end"]), how="left"
    )
    pick = Window.partitionBy(rid).orderBy(F.col("__start").desc_nulls_last())
    joined = joined.withColumn("__n", F.row_number().over(pick)).where(F.col("__n") == 1)
    return joined.select(*df.columns, *[F.col(f"__{c}").alias(c) for c in take])


def _flag(name: str) -> Column:
    value = F.lower(F.trim(name))
    return F.when(value.isin(*TRUE), F.lit(True)).when(value.isin(*FALSE), F.lit(False))


def vital_signs(bronze: DataFrame, silver: Lookup) -> DataFrame:
    """Observation sets as charted: a parameter may be missing (the set is then incomplete, and NEWS2 is
    not scored on it in gold); a parameter sent but unreadable rejects the row."""
    measured = {
        "respiration_rate": R.integer("respiration_rate"),
        "spo2": R.integer("spo2"),
        "on_oxygen": _flag("on_oxygen"),
        "systolic_bp": R.integer("systolic_bp"),
        "diastolic_bp": R.integer("diastolic_bp"),
        "pulse": R.integer("pulse"),
        "temperature_c": R.decimal("temperature_c"),
    }
    unreadable = F.lit(False)
    for name, parsed in measured.items():
        unreadable = unreadable | R.unreadable(name, parsed)
    typed = bronze.select(
        F.trim("observation_uid").alias("observation_uid"),
        R.identifier("vital_id").alias("vital_id"),
        R.identifier("admission_id").alias("admission_id"),
        R.ts("observed_at").alias("observed_at"),
        *[parsed.alias(name) for name, parsed in measured.items()],
        F.nullif(F.upper(F.trim("consciousness")), F.lit("")).alias("consciousness"),
        R.ts("updated_at").alias("updated_at"),
        unreadable.alias("__unreadable"),
        *PASS,
    )
    admissions = silver("admissions").select("admission_id", "patient_id")
    typed = typed.join(admissions, on="admission_id", how="left")
    typed = attach_covering(
        typed,
        silver("bed_assignments"),
        "admission_id",
        "observed_at",
        "start_at",
        "end_at",
        ["ward_code", "bed_code"],
    )
    impossible = F.lit(False)
    for column, (low, high) in POSSIBLE.items():
        impossible = impossible | R.between_any(F.col(column), low, high)
    return typed.withColumn(
        R.REASON,
        R.first_failed(
            (
                R.MISSING_VALUE,
                F.col("observation_uid").isNull()
                | F.col("observed_at").isNull()
                | F.col("updated_at").isNull(),
            ),
            (R.UNREADABLE_VALUE, F.col("__unreadable")),
            (R.IMPOSSIBLE_VALUE, impossible),
            (R.UNKNOWN_CODE, ~F.col("consciousness").isin(*AVPU_CODES)),  # NULL: not charted
            (R.UNKNOWN_ADMISSION, F.col("patient_id").isNull()),
            (R.NO_BED_SPELL, F.col("ward_code").isNull()),
        ),
    ).select(
        *[c for c in typed.columns if c != "__unreadable"],
        R.REASON,
        F.to_date("observed_at").alias("observed_date"),
    )
