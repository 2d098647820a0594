"""Fixtures for a real Hearth: core on a real database, the API server on a free loopback port,
and real HTTP clients talking to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import pytest

from core.runtime import HearthCore, open_core
from core.services.api_keys import create_api_key
from embedded_api.app import create_app
from embedded_api.server import ApiServer
from tests.support.keyring import MemoryKeyring


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test gets its own empty in-memory keyring."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh data directory."""
    return tmp_path / "data"


@pytest.fixture
def hearth(data_dir: Path, database_url: str) -> Iterator[HearthCore]:
    """Hearth's core on this test's database (SQLite file or PostgreSQL, per ``backend``)."""
    core = open_core(data_dir, {"HEARTH_DATABASE_URL": database_url}, {"server.port": 0})
    yield core
    core.close()


@pytest.fixture
def server(hearth: HearthCore) -> Iterator[ApiServer]:
    """The embedded API, listening on a free loopback port, with the intake worker running (as
    wherever Hearth serves)."""
    hearth.intake.start()
    api = ApiServer(create_app(hearth), "127.0.0.1", 0)
    api.start()
    yield api
    api.stop()
    hearth.intake.stop()


@pytest.fixture
def api_key(hearth: HearthCore) -> str:
    """A valid API key."""
    with hearth.database.write() as session:
        _, key = create_api_key(session, "tests")
    return key


@pytest.fixture
def client(server: ApiServer, api_key: str) -> Iterator[httpx.Client]:
    """An HTTP client that sends a valid key as a Bearer token."""
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=10
    ) as http:
        yield http


@pytest.fixture
def anonymous(server: ApiServer) -> Iterator[httpx.Client]:
    """An HTTP client with no key."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        yield http
