"""A real PostgreSQL + PostGIS for the ledger's shared store.

``.ci/run`` starts Debian's PostgreSQL with PostGIS on 127.0.0.1 and gives
its URL in ``IDLE_ASSETS_TEST_POSTGRES``; in CI that URL is required. On a
developer's machine without it, a throw-away cluster is started from
Debian's binaries when they are installed (``apt-get install postgresql
postgresql-postgis``), else the PostgreSQL tests are skipped with that reason.
Each test gets a database of its own, dropped after.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ENV = "IDLE_ASSETS_TEST_POSTGRES"


def _binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


def _postgis_installed() -> bool:
    return bool(glob.glob("/usr/share/postgresql/*/extension/postgis.control"))


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A PostgreSQL server on 127.0.0.1 in a temporary folder; its URL."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    assert initdb and pg_ctl
    folder = Path(tempfile.mkdtemp(prefix="ledger-pg-"))
    user: dict = {}
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: the postgres account runs it
        import pwd

        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
        user = {"user": "postgres"}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run([initdb, "-D", str(folder / "data"), "-A", "trust", "-U", "ledger"], check=True, capture_output=True,
                   **user)
    subprocess.run([pg_ctl, "-D", str(folder / "data"), "-l", str(folder / "log"), "-w", "start", "-o",
                    f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} -c fsync=off"],
                   check=True, capture_output=True, **user)
    try:
        yield f"postgresql://ledger@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([pg_ctl, "-D", str(folder / "data"), "-m", "fast", "stop"], capture_output=True, **user)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server with PostGIS (its ``postgres`` database)."""
    url = os.environ.get(ENV)
    if url:
        yield url
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must test the ledger on PostgreSQL: .ci/run sets {ENV}")
    if not (_binary("initdb") and _postgis_installed()):
        pytest.skip("PostgreSQL with PostGIS is not installed (apt-get install postgresql postgresql-postgis)")
    with throwaway_cluster() as started:
        yield started


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """A new, empty database on the server; dropped after the test."""
    import psycopg

    name = f"ledger_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    base, _, _ = postgres_server.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
