"""Databases for the store tests: every store test runs on SQLite and on a real PostgreSQL.

PostgreSQL: $WEGWIJZER_TEST_PG_URL if set (a server the tests may create databases on),
else a throwaway cluster from Debian's binaries (/usr/lib/postgresql/*/bin) in a temporary
folder on a free loopback port, started once per test session and stopped after it. As root,
the cluster runs as the 'postgres' user (PostgreSQL refuses to run as root). Missing
binaries FAIL the tests with the command to install them; they never skip.

Import the fixtures into a test module: `from store_db import db_url, pg_server  # noqa: F401`.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

PG_ENV = "WEGWIJZER_TEST_PG_URL"
INSTALL_HINT = "PostgreSQL is needed for the store tests: apt-get install postgresql (Debian's packages)"


def _pg_bin() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail(f"no PostgreSQL binaries under /usr/lib/postgresql/*/bin. {INSTALL_HINT}", pytrace=False)
    return os.path.dirname(found[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    return [runuser, "-u", "postgres", "--", *argv] if runuser else ["su", "postgres", "-c", " ".join(argv)]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A server URL (without database) on which tests create their own databases."""
    if os.environ.get(PG_ENV):
        yield os.environ[PG_ENV].rsplit("/", 1)[0]
        return
    bindir = _pg_bin()
    root = tempfile.mkdtemp(prefix="wegwijzer-pg-")
    data = os.path.join(root, "data")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    init = subprocess.run(_as_postgres([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust",
                                        "-E", "UTF8", "--no-sync"]), capture_output=True, text=True, timeout=120)
    if init.returncode != 0:
        pytest.fail(f"initdb failed: {init.stderr[-800:]}", pytrace=False)
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off " \
              f"-c max_connections=60"
    start = subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(root, "log"), "-o",
                                         options, "-w", "-t", "60", "start"]), capture_output=True, text=True,
                           timeout=90)
    if start.returncode != 0:
        pytest.fail(f"pg_ctl start failed: {start.stdout[-400:]} {start.stderr[-400:]}", pytrace=False)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def new_pg_database(server: str) -> str:
    name = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """An empty database of each kind, one per test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cases.sqlite'}"
    return new_pg_database(request.getfixturevalue("pg_server"))


def wait_for(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
