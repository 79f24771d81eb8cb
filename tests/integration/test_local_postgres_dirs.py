"""`make demo` and the tests must work from any folder, also as root from a checkout under a home folder of
mode 0700 (like /root) that the unprivileged user PostgreSQL runs as cannot traverse."""

import os
import shutil
import stat
import tempfile
from pathlib import Path

import psycopg2
import pytest

from hdp.sources.local_postgres import LocalPostgres, free_port

pytestmark = pytest.mark.integration


def query(dsn: str, sql: str):
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()
    finally:
        conn.close()


@pytest.fixture
def private_checkout(monkeypatch):
    """A folder of mode 0700, like /root or a `mktemp -d`, made the working directory."""
    folder = Path(tempfile.mkdtemp(prefix="hdp-private-"))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    monkeypatch.chdir(folder)
    homes: list[Path] = []
    yield folder, homes
    for home in homes:
        LocalPostgres(home, 0).stop()
        shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)


def test_cluster_under_a_folder_the_server_user_cannot_traverse(private_checkout):
    folder, homes = private_checkout
    pg = LocalPostgres(folder / ".demo" / "pg", free_port())
    pg.init()
    homes.append(pg.home)
    pg.start()
    pg.create_database("hospital")
    assert query(pg.dsn("hospital"), "SELECT current_database(), inet_server_addr()::text") == (
        "hospital",
        "127.0.0.1/32",
    )
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(pg.dsn("hospital").replace(pg.password, "wrong")).close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # the user's folders are left alone
    if os.geteuid() == 0:  # the server runs as another user, so its files are outside `folder`
        assert folder not in pg.home.parents

    # `hdp down` finds the cluster again from the requested folder and the port alone
    again = LocalPostgres(folder / ".demo" / "pg", pg.port)
    assert again.running() and again.data == pg.data
    again.stop()
    assert not again.running() and not pg.running()

    # `make demo` again: the work folder is wiped and a new cluster made for the same path
    shutil.rmtree(folder / ".demo")
    fresh = LocalPostgres(folder / ".demo" / "pg", free_port())
    fresh.init()
    homes.append(fresh.home)
    fresh.start()
    try:
        fresh.create_database("warehouse")
        sql = "SELECT count(*) FROM pg_database WHERE datname = 'hospital'"
        assert query(fresh.dsn("warehouse"), sql) == (0,)  # really a new cluster
    finally:
        fresh.stop()
    assert not fresh.running()
