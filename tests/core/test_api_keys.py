"""API keys: shown once, stored hashed, found by value, revoked for good."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from core.errors import Conflict, Invalid, NotFound
from core.models import ApiKey
from core.services.api_keys import (
    create_api_key,
    find_api_key,
    list_api_keys,
    mark_api_key_used,
    revoke_api_key,
)


@pytest.fixture
def backend():
    return "sqlite"


def test_keys_are_stored_only_as_hashes(database):
    with database.write() as session:
        info, key = create_api_key(session, "brightsync")
    assert key.startswith("hth_")
    assert len(key) > 40
    with database.read() as session:
        row = session.scalar(select(ApiKey))
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert key not in (row.name, row.prefix, row.key_hash)
        assert find_api_key(session, key) == info
        assert find_api_key(session, key[:-1]) is None
        assert find_api_key(session, "") is None


def test_names_are_unique_and_sane(database):
    with database.write() as session:
        create_api_key(session, "enginy")
    with pytest.raises(Conflict), database.write() as session:
        create_api_key(session, "enginy")
    for bad in ("", "has space", "x" * 129):
        with pytest.raises(Invalid), database.write() as session:
            create_api_key(session, bad)


def test_list_and_revoke(database):
    with database.write() as session:
        _, first = create_api_key(session, "a")
        create_api_key(session, "b")
    with database.write() as session:
        revoke_api_key(session, "a")
    with database.read() as session:
        assert [k.name for k in list_api_keys(session)] == ["b"]
        assert find_api_key(session, first) is None
    with pytest.raises(NotFound), database.write() as session:
        revoke_api_key(session, "a")


def test_last_use_is_recorded(database):
    with database.write() as session:
        info, key = create_api_key(session, "a")
    assert info.last_used_at is None
    with database.write() as session:
        mark_api_key_used(session, info.id)
    with database.read() as session:
        assert find_api_key(session, key).last_used_at is not None
