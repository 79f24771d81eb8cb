"""Silver transforms for the pharmacy API entities."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from hdp.silver import rules as R
from hdp.silver.ehr import PASS, Lookup


def drugs(bronze: DataFrame, silver: Lookup) -> DataFrame:
    return bronze.select(
        F.upper(F.trim("drug_code")).alias("drug_code"),
        F.trim("name").alias("name"),
        F.lower(F.trim("form")).alias("form"),
        F.trim("strength").alias("strength"),
        R.integer("reorder_level").alias("reorder_level"),
        R.ts("updated_at").alias("updated_at"),
        *PASS,
    ).withColumn(
        R.REASON,
        R.first_failed(
            (R.MISSING_VALUE, F.col("drug_code").isNull() | F.col("updated_at").isNull()),
            (R.IMPOSSIBLE_VALUE, F.col("reorder_level") < 0),
        ),
    )


def stock_levels(bronze: DataFrame, silver: Lookup) -> DataFrame:
    typed = bronze.select(
        R.identifier("entry_id").alias("entry_id"),
        F.upper(F.trim("drug_code")).alias("drug_code"),
        R.integer("on_hand").alias("on_hand"),
        R.ts("recorded_at").alias("recorded_at"),
        R.ts("updated_at").alias("updated_at"),
        *PASS,
    )
    typed = R.known(typed, silver("drugs"), "drug_code", "_drug_known")
    return (
        typed.withColumn(
            R.REASON,
            R.first_failed(
                (
                    R.MISSING_VALUE,
                    F.col("entry_id").isNull() | F.col("on_hand").isNull() | F.col("recorded_at").isNull(),
                ),
                (R.NEGATIVE_STOCK, F.col("on_hand") < 0),
                (R.UNKNOWN_DRUG, ~F.col("_drug_known")),
            ),
        )
        .drop("_drug_known")
        .withColumn("recorded_date", F.to_date("recorded_at"))
    )
