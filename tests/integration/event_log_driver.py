"""A driver for tests/integration/test_event_log_secrets.py, run by spark-submit the way a SparkApplication's
driver runs (event logging from spark-submit's --conf, settings from HDP_* variables): it builds every gold
table from one row per silver table (the pseudonym key in use) and executes each plan, so the event log holds
what a real gold stage's would: the environment, the configuration, every SQL plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pyspark.sql import types as T

from hdp import gold
from hdp.batches import BatchRange
from hdp.config import Settings
from hdp.silver import empty_silver
from hdp.spark import build_session

FILLERS = {
    T.StringType: "X1",
    T.IntegerType: 1,
    T.LongType: 1,
    T.ShortType: 1,
    T.DoubleType: 1.0,
    T.FloatType: 1.0,
    T.BooleanType: True,
    T.DateType: dt.date(2026, 11, 27),
    T.TimestampType: dt.datetime(2026, 11, 27, 2, 30),
    T.TimestampNTZType: dt.datetime(2026, 11, 27, 2, 30),
}


def one_row(spark, name: str):
    """The silver table's schema with one row of plausible filler values (an empty table would let the
    optimizer drop the plans that use the key)."""
    schema = empty_silver(spark, name).schema
    row = [
        Decimal(1) if isinstance(f.dataType, T.DecimalType) else FILLERS.get(type(f.dataType)) for f in schema
    ]
    return spark.createDataFrame([row], schema)


def main() -> None:
    settings = Settings.from_env()
    spark = build_session(settings, "hdp-gold")
    batches = BatchRange.single("2026-11-27T02")
    horizon = dt.datetime(2026, 11, 27, 3, tzinfo=dt.timezone.utc)
    win = gold.windows([], batches, dt.date(2026, 11, 26), horizon)
    frames = gold.build(spark, lambda name, where=None: one_row(spark, name), settings, win, horizon)
    for df in frames.values():
        df.write.format("noop").mode("overwrite").save()
    spark.stop()


if __name__ == "__main__":
    main()
