"""Database fixtures: storage and API tests run on a SQLite file and on a real PostgreSQL server.

A test that takes ``database`` (or ``database_url``) runs twice, ``[sqlite]`` and ``[postgres]``;
the second carries the ``postgres`` mark, so ``pytest -m "not postgres"`` runs SQLite only.

The PostgreSQL server is started by the session itself (see :mod:`tests.support.postgres`), once
and only when a PostgreSQL test runs, and stopped at the end. Each backend has a template migrated
to head once per session; each test gets a fresh copy of it (``CREATE DATABASE ... TEMPLATE`` on
PostgreSQL, a file copy on SQLite), so ``open_database`` finds it at head and migrates nothing. A
test that needs a database with no schema at all takes ``empty_database_url``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import Database, open_database, sqlite_url
from tests.support.postgres import PostgresServer

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]

_TEMPLATE_NAME = "hearth_template"
_SQLITE_FILE = "hearth.sqlite3"
_names = itertools.count(1)


def _database_name(prefix: str) -> str:
    # Unique within the server, which belongs to this process (one per xdist worker, too).
    return f"{prefix}_{os.getpid()}_{next(_names)}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's own PostgreSQL server, started on first use and stopped at the end."""
    with _sigterm_as_interrupt(), PostgresServer() as server:
        yield server


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Make SIGTERM (a CI timeout, ``kill``) interrupt pytest like Ctrl+C, so teardown still runs
    and the server is stopped; by default SIGTERM would end the process on the spot."""
    main_thread = threading.current_thread() is threading.main_thread()
    if not main_thread or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield  # someone else handles SIGTERM, or we cannot install a handler from here
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """Name of a PostgreSQL database migrated to head, sealed as a template to copy per test."""
    url = postgres_server.create_database(_TEMPLATE_NAME)
    open_database(url).dispose()
    postgres_server.seal_template(_TEMPLATE_NAME)
    return _TEMPLATE_NAME


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / _SQLITE_FILE
    # Disposing closes the last connection, which checkpoints the WAL into the file itself.
    open_database(sqlite_url(path)).dispose()
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert not leftovers, f"the SQLite template is not self-contained: {leftovers}"
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgres"``: each test that uses it runs once on each."""
    name: str = request.param
    return name


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a fresh database of this test's backend, already at head, deleted afterwards."""
    if backend == "sqlite":
        path = tmp_path / _SQLITE_FILE
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield sqlite_url(path)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue("postgres_template")
    name = _database_name("hearth_test")
    url = server.create_database(name, template=template)
    try:
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture
def empty_database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """URL of a fresh database of this test's backend with no tables at all (for migrations)."""
    if backend == "sqlite":
        yield sqlite_url(tmp_path / "empty.sqlite3")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = _database_name("hearth_empty")
    url = server.create_database(name, template="template0")
    try:
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The opened :class:`core.db.Database` of this test (SQLite, then PostgreSQL)."""
    db = open_database(database_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """A :class:`core.db.Database` on a SQLite file, for tests that only make sense on SQLite."""
    path = tmp_path / _SQLITE_FILE
    shutil.copyfile(sqlite_template, path)
    db = open_database(sqlite_url(path))
    try:
        yield db
    finally:
        db.dispose()
