"""Session fixtures: one local Spark session and one throwaway PostgreSQL for the whole test run."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

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
