"""The chart's `helm test` SparkApplication: proves a SparkApplication built like the DAG's runs.

The driver checks that the spark-operator webhook applied the settings ConfigMap (envFrom is a webhook-only
field: without the webhook it is silently dropped), then runs a small job across the executors; the event
log lands in the history server's directory (spark.eventLog.dir from the chart).
"""

import os
import sys

from pyspark.sql import SparkSession


def main() -> int:
    missing = [k for k in ("HDP_S3_CREDENTIALS", "HDP_WAREHOUSE_DIALECT") if k not in os.environ]
    if missing:
        print(f"settings not in the driver's environment: {missing} (is the spark-operator webhook up?)")
        return 1
    spark = SparkSession.builder.appName("hdp-smoke-test").getOrCreate()
    total = spark.range(0, 1_000_000, numPartitions=8).selectExpr("sum(id) AS s").first()["s"]
    spark.stop()
    expected = 1_000_000 * 999_999 // 2
    print(f"sum of 0..999999 = {total} (expected {expected})")
    return 0 if total == expected else 1


if __name__ == "__main__":
    sys.exit(main())
