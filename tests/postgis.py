"""A throw-away PostgreSQL + PostGIS server for tests: a real one, never a mock.

`running()` makes a cluster with Debian's server binaries (`initdb` in a temporary directory), starts it
with `pg_ctl` on a free loopback port (listen_addresses=127.0.0.1, its unix socket in that directory),
polls until it answers, prepares a template database with `CREATE EXTENSION postgis`, and on leaving
stops the server and removes the directory. `initdb` refuses to run as root: then the binaries run as
the `postgres` system user (`runuser -u postgres --`) on a directory that user owns.
`fresh_database(url)` gives each test its own empty database (a copy of the template: fast).
"""
from __future__ import annotations

import atexit
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

TEMPLATE = "atlas_template"
START_TIMEOUT = 60.0  # seconds the server may take to answer


class ServerUnavailable(RuntimeError):
    """No PostgreSQL + PostGIS server can be started here (one line saying why)."""


def _bin_dir() -> Path:
    """The folder of the newest installed server's binaries (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ServerUnavailable("no PostgreSQL server binaries (initdb) installed: apt-get install postgresql "
                            "postgresql-15-postgis-3")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _connect(url: str, **kw):
    import psycopg
    return psycopg.connect(url, autocommit=True, connect_timeout=5, **kw)


def _wait_ready(url: str, log: Path, proc_check, *, timeout: float) -> None:
    """Poll until the server accepts a connection (or give up with the log's last line)."""
    import psycopg
    deadline, last = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        try:
            with _connect(url):
                return
        except psycopg.OperationalError as exc:
            last = " ".join(str(exc).split())
        if not proc_check():
            break
        time.sleep(0.05)  # a poll interval, not a wait for a known duration
    tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
    raise ServerUnavailable(f"the test PostgreSQL server did not answer: {(tail or [last])[0]}")


@contextmanager
def running(*, timeout: float = START_TIMEOUT) -> Iterator[str]:
    """Start a throw-away server; yields the URL of a database with PostGIS (user postgres, no password)."""
    bindir = _bin_dir()
    if not list(Path("/usr/share/postgresql").glob(f"{bindir.parent.name}/extension/postgis.control")):
        raise ServerUnavailable(f"PostGIS is not installed for PostgreSQL {bindir.parent.name}: apt-get install "
                                f"postgresql-{bindir.parent.name}-postgis-3")
    root = Path(tempfile.mkdtemp(prefix="atlas-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            raise ServerUnavailable("running as root and there is no `postgres` system user to run the server")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"
    started = False

    def run(*args: str) -> None:
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines() or ["(no output)"]
            raise ServerUnavailable(f"{Path(args[0]).name} failed: {lines[-1]}")

    def stop() -> None:
        if started:
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-W", "stop"],
                           capture_output=True, timeout=60)
            # pg_ctl -W returns at once: poll until the postmaster's pid file is gone before removing
            deadline = time.monotonic() + 30
            while (data / "postmaster.pid").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(stop)
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-locale", "--no-sync")
        port = _free_port()
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=60 -c shared_buffers=32MB")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-W", "start")
        started = True
        base = f"postgresql://postgres@127.0.0.1:{port}/postgres"

        def alive() -> bool:
            return log.exists() and "database system is shut down" not in log.read_text(errors="replace")

        _wait_ready(base, log, alive, timeout=timeout)
        with _connect(base) as con:
            con.execute(f'CREATE DATABASE "{TEMPLATE}"')
        with _connect(_with_db(base, TEMPLATE)) as con:
            try:
                con.execute("CREATE EXTENSION postgis")
            except Exception as exc:
                raise ServerUnavailable(f"CREATE EXTENSION postgis failed: {' '.join(str(exc).split())}") from None
        yield fresh_database(base)
    finally:
        stop()
        atexit.unregister(stop)


def fresh_database(url: str) -> str:
    """A new empty database with PostGIS on the server of `url` (a copy of the template); its URL."""
    name = f"atlas_{secrets.token_hex(6)}"
    with _connect(_with_db(url, "postgres")) as con:
        con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    return _with_db(url, name)


def drop_database(url: str) -> None:
    """Remove a database made by fresh_database (its connections are ended first)."""
    name = urlsplit(url).path.lstrip("/")
    if not name.startswith("atlas_") or name == TEMPLATE:
        raise ValueError(f"not a test database: {name!r}")
    with _connect(_with_db(url, "postgres")) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
