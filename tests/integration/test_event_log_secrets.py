"""Event logs carry no secret. The history server keeps every application's event log for 30 days, readable
by whoever may open the Spark UI: the settings' secrets (the pseudonym key, the passwords in the source and
warehouse DSNs, the pharmacy token) and the object store's key must not be in it, neither in the environment
and configuration it records nor in the SQL plans (a key passed as a literal shows in every plan that uses
it)."""

from __future__ import annotations

import dataclasses
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hdp.config import Secret, Settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def secret_parts(settings: Settings) -> dict[str, str]:
    """Every secret the settings hold: the password of a DSN, the whole value otherwise."""
    out = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, Secret) and value:
            out[f.name] = (urlsplit(value).password or value) if "://" in value else value
    return out


def test_secret_parts_are_found():
    s = Settings(source_dsn=Secret("postgresql://u:pw-1@h:5432/db"), pseudonym_key=Secret("k" * 16))
    assert secret_parts(s) == {"source_dsn": "pw-1", "pseudonym_key": "k" * 16}


@pytest.fixture(scope="module")
def event_log(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """(the event log's text, the secrets the driver had) of one gold build under spark-submit."""
    import pyspark

    tmp_path = tmp_path_factory.mktemp("event-log")

    token = lambda: secrets.token_hex(12)  # noqa: E731
    env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
        "HDP_PSEUDONYM_KEY": f"pk-{token()}",
        "HDP_SOURCE_DSN": f"postgresql://hospital:src-{token()}@127.0.0.1:1/hospital",
        "HDP_WAREHOUSE_DSN": f"postgresql://loader:wh-{token()}@127.0.0.1:1/warehouse",
        "HDP_PHARMACY_TOKEN": f"tok-{token()}",
        "HDP_S3_CREDENTIALS": "env",
        "AWS_SECRET_ACCESS_KEY": f"aws-{token()}",
        "HDP_SPARK_SHUFFLE_PARTITIONS": "2",
    }
    settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("HDP_")})
    found = secret_parts(settings)
    assert set(found) == {"pseudonym_key", "source_dsn", "warehouse_dsn", "pharmacy_token"}
    found["AWS_SECRET_ACCESS_KEY"] = env["AWS_SECRET_ACCESS_KEY"]
    logs = tmp_path / "events"
    logs.mkdir()
    from hdp.spark import EXCLUDES, PACKAGES

    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    out = subprocess.run(
        [
            str(submit),
            *("--master", "local[1]"),
            # the jars the job image bakes in (Delta)
            *("--packages", ",".join(PACKAGES), "--exclude-packages", ",".join(EXCLUDES)),
            # what the SparkApplication sets (dags/hdp_dags/spark_application.yaml.j2), uncompressed to grep
            *("--conf", "spark.eventLog.enabled=true", "--conf", f"spark.eventLog.dir={logs.as_uri()}"),
            *("--conf", "spark.eventLog.compress=false", "--conf", "spark.ui.enabled=false"),
            str(ROOT / "tests" / "integration" / "event_log_driver.py"),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    files = [p for p in logs.rglob("*") if p.is_file()]
    assert files, "no event log written"
    return "\n".join(p.read_text(errors="replace") for p in files), found


@pytest.mark.timeout(900)
def test_event_log_holds_the_gold_plans_and_no_password_or_token(event_log):
    text, found = event_log
    # the log is the real thing: the gold plans that use the key ran and were recorded
    assert "SparkListenerSQLExecutionStart" in text and "SparkListenerEnvironmentUpdate" in text
    assert "sha2" in text.lower() or "hmac" in text.lower(), "the pseudonym plans are in the log"
    leaked = sorted(name for name, value in found.items() if value in text and name != "pseudonym_key")
    assert not leaked, f"the event log holds secrets: {leaked}"


def test_event_log_holds_no_pseudonym_key(event_log):
    text, found = event_log
    assert found["pseudonym_key"] not in text, "the pseudonym key is in the event log"
