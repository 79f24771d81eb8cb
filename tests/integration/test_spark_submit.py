"""Under spark-submit (how a SparkApplication's driver starts) the session keeps spark-submit's master and
settings instead of the local defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def test_spark_submit_master_wins_over_the_local_default(tmp_path):
    import pyspark

    script = tmp_path / "driver.py"
    script.write_text(
        "from hdp.config import Settings\n"
        "from hdp.spark import build_session\n"
        "spark = build_session(Settings(spark_master='local[2]'))\n"
        "print('MASTER', spark.sparkContext.master, spark.conf.get('spark.sql.session.timeZone'))\n"
    )
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    out = subprocess.run(
        [str(submit), "--master", "local[1]", str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "MASTER local[1] UTC" in out.stdout
