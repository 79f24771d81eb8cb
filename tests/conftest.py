"""Session fixtures: one local Spark session and one throwaway PostgreSQL for the whole test run."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# Dummy keys for the local S3 server: s3a reads them from the JVM's environment (HDP_S3_CREDENTIALS=env),
# and the one JVM of the session inherits os.environ when it starts, so they are set before any fixture.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

from hdp.config import Settings  # noqa: E402
from hdp.sources.local_postgres import LocalPostgres, free_port  # noqa: E402


@pytest.fixture(scope="session")
def spark():
    from hdp.spark import build_session

    session = build_session(Settings(spark_master="local[2]", spark_shuffle_partitions=2), "hdp-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def scratch():
    """A temp folder every user can traverse (PostgreSQL runs as an unprivileged user when we are root)."""
    root = Path(tempfile.mkdtemp(prefix="hdp-tests-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(scratch):
    pg = LocalPostgres(scratch / "pg", free_port())
    pg.init()
    pg.start()
    yield pg
    pg.stop()


@pytest.fixture(scope="session")
def pseudonym_key() -> str:
    return "test-pseudonym-key-0123456789"


@pytest.fixture(scope="session")
def s3_endpoint():
    """A local S3-compatible server (moto's server mode) on a free port of 127.0.0.1: its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
