"""Building blocks shared by the silver transforms: typing, reason codes, reference lookups."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

REASON = "_reject_reason"

# Reason codes written to quarantine (docs/data-dictionary.md lists them).
MISSING_VALUE = "MISSING_VALUE"
MALFORMED_LINE = "MALFORMED_LINE"
UNREADABLE_VALUE = "UNREADABLE_VALUE"  # a value sent that is not of its type (a rate of "abc" or "16.5")
IMPOSSIBLE_VALUE = "IMPOSSIBLE_VALUE"
UNKNOWN_CODE = "UNKNOWN_CODE"
UNKNOWN_UNIT = "UNKNOWN_UNIT"
UNKNOWN_PATIENT = "UNKNOWN_PATIENT"
UNKNOWN_ADMISSION = "UNKNOWN_ADMISSION"
UNKNOWN_WARD = "UNKNOWN_WARD"
UNKNOWN_BED = "UNKNOWN_BED"
# an observation at a time no bed spell of its stay covers: no ward to count it in
NO_BED_SPELL = "NO_BED_SPELL"
UNKNOWN_DRUG = "UNKNOWN_DRUG"
DISCHARGE_BEFORE_ADMISSION = "DISCHARGE_BEFORE_ADMISSION"
END_BEFORE_START = "END_BEFORE_START"
RESULT_BEFORE_COLLECTION = "RESULT_BEFORE_COLLECTION"
OVERLAPPING_BED_ASSIGNMENT = "OVERLAPPING_BED_ASSIGNMENT"
NEGATIVE_STOCK = "NEGATIVE_STOCK"
FUTURE_DATE = "FUTURE_DATE"
FUTURE_TIMESTAMP = "FUTURE_TIMESTAMP"  # changed "in the future": the source's clock is wrong
BAD_HEADER = "BAD_HEADER"  # a lab file whose header lacks or renames an expected column

# Rows that may become valid when other rows arrive (a vital before its stay, a stay before its patient, an
# assignment overlapping a spell that a correction may shorten): parked and re-evaluated by later batches
# for HDP_PARK_HOURS, then released into silver or finally rejected with the same reason.
PARKABLE = frozenset(
    {
        UNKNOWN_PATIENT,
        UNKNOWN_ADMISSION,
        UNKNOWN_WARD,
        UNKNOWN_BED,
        NO_BED_SPELL,
        UNKNOWN_DRUG,
        OVERLAPPING_BED_ASSIGNMENT,
    }
)


def first_failed(*rules: tuple[str, Column]) -> Column:
    """The code of the first rule whose condition is true, else NULL (the row is good)."""
    return F.coalesce(
        *[F.when(condition, F.lit(code)) for code, condition in rules], F.lit(None).cast("string")
    )


def ts(name: str) -> Column:
    """A source timestamp (any ISO-8601 form, with offset) as a UTC timestamp."""
    return F.try_to_timestamp(F.col(name))


def identifier(name: str) -> Column:
    return F.col(name).try_cast("long")


def integer(name: str) -> Column:
    """A whole number, also when a feed sends it as a decimal string ("16.0"); NULL when absent, not a
    number, or not whole (`unreadable` tells those apart from absent)."""
    d = F.col(name).try_cast("double")
    return F.when((d == F.floor(d)) & (F.abs(d) < 2**31), d.cast("int"))


def unreadable(raw: str, parsed: Column) -> Column:
    """A value was sent (not blank) but could not be read as its type."""
    return F.col(raw).isNotNull() & (F.trim(F.col(raw)) != "") & parsed.isNull()


def decimal(name: str) -> Column:
    return F.col(name).try_cast("double")


def known(df: DataFrame, lookup: DataFrame, on: str, flag: str) -> DataFrame:
    """Add boolean `flag`: whether df[on] exists in lookup[on] (lookup keys are distinct)."""
    keys = lookup.select(F.col(on).alias(f"__{on}")).distinct().withColumn(flag, F.lit(True))
    return (
        df.join(keys, df[on] == keys[f"__{on}"], how="left")
        .drop(f"__{on}")
        .withColumn(flag, F.coalesce(F.col(flag), F.lit(False)))
    )


def between_any(value: Column, low: float, high: float) -> Column:
    """True when value is present and outside [low, high]."""
    return value.isNotNull() & ((value < low) | (value > high))
