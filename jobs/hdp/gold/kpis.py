"""Gold KPIs (DESIGN.md §4). Pure functions; `first_day`/`last_day` bound the days computed and `as_of`
(exclusive) is the end of the processed batches: nothing after it is counted."""

from __future__ import annotations

from datetime import date, datetime

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from hdp.gold.facts import admission_wards
from hdp.gold.keys import hour_ceiling
from hdp.gold.news2 import HIGH_RISK_MIN, MEDIUM_RISK_MIN
from hdp.reference import LAB_TURNAROUND_TARGET_MINUTES

READMISSION_DAYS = 30
NOT_INDEX_DISPOSITIONS = ("died", "transfer_out")
PLANNED_ADMISSION_TYPES = ("elective", "transfer_in")
UNKNOWN_WARD = "unknown"  # the ward of a stay that no bed spell places
STOCK_USAGE_DAYS = 7


def _days(spark: SparkSession, first_day: date, last_day: date) -> DataFrame:
    return spark.sql(f"SELECT explode(sequence(DATE'{first_day}', DATE'{last_day}', INTERVAL 1 DAY)) AS day")


def ward_occupancy_hourly(
    assignments: DataFrame, wards: DataFrame, first_day: date, last_day: date, as_of: datetime
) -> DataFrame:
    """Delta method: +1 at the first hour >= start, -1 at the first hour >= end, running sum per ward.
    Spells before the window collapse into its first hour, so only the window's hours are materialised."""
    spark = assignments.sparkSession
    window_start = F.lit(datetime.combine(first_day, datetime.min.time())).cast("timestamp")
    hours = spark.sql(
        f"SELECT explode(sequence(TIMESTAMP'{first_day} 00:00:00', TIMESTAMP'{last_day} 23:00:00', "
        "INTERVAL 1 HOUR)) AS hour_start"
    ).where(F.col("hour_start") < F.lit(as_of).cast("timestamp"))
    grid = wards.select("ward_key", "bed_count").crossJoin(hours)
    starts = assignments.select(
        "ward_code", hour_ceiling(F.col("start_at")).alias("hour"), F.lit(1).alias("d")
    )
    ends = assignments.where(F.col("end_at").isNotNull()).select(
        "ward_code", hour_ceiling(F.col("end_at")).alias("hour"), F.lit(-1).alias("d")
    )
    deltas = (
        starts.unionByName(ends)
        .select(
            F.col("ward_code").alias("ward_key"), F.greatest("hour", window_start).alias("hour_start"), "d"
        )
        .groupBy("ward_key", "hour_start")
        .agg(F.sum("d").alias("delta"))
    )
    running = (
        Window.partitionBy("ward_key")
        .orderBy("hour_start")
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    return (
        grid.join(deltas, on=["ward_key", "hour_start"], how="left")
        .withColumn("occupied_beds", F.sum(F.coalesce("delta", F.lit(0))).over(running).cast("int"))
        .select(
            "ward_key",
            "hour_start",
            F.to_date("hour_start").alias("day"),
            "occupied_beds",
            "bed_count",
            F.when(F.col("bed_count") > 0, F.col("occupied_beds") / F.col("bed_count")).alias(
                "occupancy_rate"
            ),
        )
    )


def ward_census_daily(
    occupancy: DataFrame,
    admissions: DataFrame,
    assignments: DataFrame,
    wards: DataFrame,
    first_day: date,
    last_day: date,
) -> DataFrame:
    """Admissions and discharges are counted from the admission itself: a stay no bed spell places (a day
    case without a bed, a first spell held in quarantine) counts under the ward `unknown`."""
    spark = admissions.sparkSession
    midnight = occupancy.where(F.hour("hour_start") == 0).select(
        "ward_key", F.to_date("hour_start").alias("day"), F.col("occupied_beds").alias("midnight_census")
    )
    stays = admissions.join(admission_wards(assignments), on="admission_id", how="left")
    admitted = stays.groupBy(
        F.coalesce("admit_ward_key", F.lit(UNKNOWN_WARD)).alias("ward_key"),
        F.to_date("admitted_at").alias("day"),
    ).agg(F.count("*").cast("int").alias("admissions"))
    los_days = (F.unix_timestamp("discharged_at") - F.unix_timestamp("admitted_at")) / 86400.0
    discharged = (
        stays.where(F.col("discharged_at").isNotNull())
        .groupBy(
            F.coalesce("discharge_ward_key", F.lit(UNKNOWN_WARD)).alias("ward_key"),
            F.to_date("discharged_at").alias("day"),
        )
        .agg(F.count("*").cast("int").alias("discharges"), F.avg(los_days).alias("alos_days"))
    )
    days = _days(spark, first_day, last_day)
    unplaced = (
        admitted.select("ward_key", "day")
        .unionByName(discharged.select("ward_key", "day"))
        .where(F.col("ward_key") == UNKNOWN_WARD)
        .join(days, on="day", how="left_semi")
        .distinct()
    )
    grid = wards.select("ward_key").crossJoin(days).unionByName(unplaced)
    return (
        grid.join(midnight, on=["ward_key", "day"], how="left")
        .join(admitted, on=["ward_key", "day"], how="left")
        .join(discharged, on=["ward_key", "day"], how="left")
        .select(
            "ward_key",
            "day",
            F.col("midnight_census").cast("int").alias("midnight_census"),
            F.coalesce("admissions", F.lit(0)).alias("admissions"),
            F.coalesce("discharges", F.lit(0)).alias("discharges"),
            "alos_days",
        )
    )


def readmission_monthly(admissions: DataFrame, as_of: datetime) -> DataFrame:
    """Share of index discharges followed by an unplanned admission of the same patient within 30 days.

    - Index discharges: every discharge except deaths and transfers out to another hospital (their
      follow-up belongs to the receiving hospital); a discharge with no disposition recorded counts.
    - Readmission: a later admission whose calendar day is at most 30 days after the discharge's day (day
      30 counts whatever the clock time), excluding planned (elective) admissions and transfers in, as the
      CMS and NHS 30-day measures do."""
    index = F.col("discharged_at").isNotNull() & ~F.coalesce(
        F.col("discharge_disposition").isin(*NOT_INDEX_DISPOSITIONS), F.lit(False)
    )
    d = admissions.where(index).alias("d")
    n = admissions.where(
        ~F.coalesce(F.col("admission_type").isin(*PLANNED_ADMISSION_TYPES), F.lit(False))
    ).alias("n")
    within = F.col("n.admitted_at") > F.col("d.discharged_at")
    within &= F.to_date("n.admitted_at") <= F.date_add(F.to_date("d.discharged_at"), READMISSION_DAYS)
    readmitted = d.join(n, (F.col("d.patient_id") == F.col("n.patient_id")) & within, how="left_semi").select(
        F.col("admission_id"), F.lit(True).alias("readmitted")
    )
    month = F.trunc("discharged_at", "month")
    return (
        d.select("admission_id", "discharged_at")
        .join(readmitted, on="admission_id", how="left")
        .groupBy(month.alias("month"))
        .agg(
            F.count("*").cast("int").alias("discharges"),
            F.count("readmitted").cast("int").alias("readmissions"),
        )
        .select(
            "month",
            "discharges",
            "readmissions",
            (F.col("readmissions") / F.col("discharges")).alias("readmission_rate"),
            (
                F.add_months("month", 1) + F.expr(f"INTERVAL {READMISSION_DAYS} DAYS")
                <= F.lit(as_of).cast("timestamp")
            ).alias("follow_up_complete"),
        )
    )


def lab_turnaround_daily(lab_facts: DataFrame) -> DataFrame:
    over = F.col("turnaround_minutes") > LAB_TURNAROUND_TARGET_MINUTES
    return (
        lab_facts.groupBy("loinc_code", "day")
        .agg(
            F.count("*").cast("int").alias("results"),
            F.percentile("turnaround_minutes", 0.5).alias("median_minutes"),
            F.percentile("turnaround_minutes", 0.9).alias("p90_minutes"),
            F.sum(over.cast("int")).cast("int").alias("over_target"),
        )
        .withColumn("share_over_target", F.col("over_target") / F.col("results"))
    )


def pharmacy_stock_daily(stock_facts: DataFrame, first_day: date, last_day: date) -> DataFrame:
    """Closing stock per drug and day; usage = the falls in stock between readings (deliveries excluded),
    averaged over the trailing 7 days that have readings. `stock_facts` must reach 7 days before first_day."""
    by_time = Window.partitionBy("drug_key").orderBy("recorded_at", "entry_key")
    used = stock_facts.withColumn(
        "used", F.greatest(F.lag("on_hand").over(by_time) - F.col("on_hand"), F.lit(0))
    )
    last = Window.partitionBy("drug_key", "day").orderBy(
        F.col("recorded_at").desc(), F.col("entry_key").desc()
    )
    daily = (
        used.withColumn("_n", F.row_number().over(last))
        .groupBy("drug_key", "day")
        .agg(
            F.max(F.when(F.col("_n") == 1, F.col("on_hand"))).alias("closing_on_hand"),
            F.max("reorder_level").alias("reorder_level"),
            F.sum(F.coalesce("used", F.lit(0))).alias("used"),
        )
    )
    trailing = (
        Window.partitionBy("drug_key").orderBy(F.unix_date("day")).rangeBetween(-(STOCK_USAGE_DAYS - 1), 0)
    )
    usage = F.avg("used").over(trailing)
    return (
        daily.withColumn("mean_daily_usage_7d", usage)
        .where(F.col("day").between(F.lit(first_day), F.lit(last_day)))
        .select(
            "drug_key",
            "day",
            F.col("closing_on_hand").cast("int").alias("closing_on_hand"),
            "reorder_level",
            "mean_daily_usage_7d",
            F.when(
                F.col("mean_daily_usage_7d") > 0, F.col("closing_on_hand") / F.col("mean_daily_usage_7d")
            ).alias("days_of_supply"),
            (F.col("closing_on_hand") < F.col("reorder_level")).alias("below_reorder"),
        )
    )


def news2_daily(vital_facts: DataFrame) -> DataFrame:
    """Per ward and day. Scores aggregate complete observation sets only; incomplete sets are counted
    apart (`incomplete_sets`), so a ward that charts partially shows it instead of looking well."""
    score = F.col("news2_score")  # NULL for an incomplete set: avg and the sums below skip it

    def count(condition) -> F.Column:
        return F.count_if(condition).cast("int")

    return vital_facts.groupBy("ward_key", "day").agg(
        F.count("*").cast("int").alias("observations"),
        count(~F.col("news2_complete")).alias("incomplete_sets"),
        F.avg(score).alias("mean_news2"),
        count(score.between(MEDIUM_RISK_MIN, HIGH_RISK_MIN - 1)).alias("medium_risk"),
        count(score >= HIGH_RISK_MIN).alias("high_risk"),
        count(F.col("news2_any_three")).alias("any_parameter_three"),
    )
