"""API keys for the embedded server: created, listed, verified and revoked.

A key is shown once, when created. Only its SHA-256 is stored (keys are 256 random bits, so a
fast hash is safe and lets every request be checked with one indexed lookup). Revocation deletes
the row, so it takes effect on the very next request, whichever process revoked it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import Database
from core.errors import Conflict, Invalid, NotFound
from core.models import ApiKey, utcnow

KEY_PREFIX = "hth_"
_NAME = re.compile(r"^[\w.@:-]{1,128}$")
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per key, to keep reads free of writes."""


@dataclass(frozen=True)
class ApiKeyInfo:
    """What may be shown about a key: never the key itself."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


# Built once: every request checks its key (see core.db.statements).
_KEY_BY_HASH = select(
    ApiKey.id, ApiKey.name, ApiKey.prefix, ApiKey.created_at, ApiKey.last_used_at
).where(ApiKey.key_hash == bindparam("b_hash"))


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _info(row: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(row.id, row.name, row.prefix, row.created_at, row.last_used_at)


def create_api_key(session: Session, name: str) -> tuple[ApiKeyInfo, str]:
    """Create a key called ``name``; returns its info and the secret key (shown only now).

    Raises ``Invalid`` for a bad name and ``Conflict`` when the name is taken.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise Invalid("a key name is 1-128 letters, digits or . _ - @ : (no spaces)", field="name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, prefix=key[: len(KEY_PREFIX) + 6], key_hash=_hash(key))
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as e:
        raise Conflict(f"an API key named {name!r} already exists") from e
    return _info(row), key


def list_api_keys(session: Session) -> list[ApiKeyInfo]:
    """Every key, oldest first."""
    rows = session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))
    return [_info(row) for row in rows]


def revoke_api_key(session: Session, name: str) -> None:
    """Delete the key called ``name``; requests using it fail from now on. ``NotFound`` if none."""
    row = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if row is None:
        raise NotFound(f"no API key named {name!r}")
    session.delete(row)


def find_api_key(session: Session, key: str) -> ApiKeyInfo | None:
    """The key's info when ``key`` is a valid (unrevoked) key, else None."""
    if not key or not key.startswith(KEY_PREFIX):
        return None
    row = session.connection().execute(_KEY_BY_HASH, {"b_hash": _hash(key)}).first()
    return None if row is None else ApiKeyInfo(*row)


def check_api_key(database: Database, key: str) -> ApiKeyInfo | None:
    """:func:`find_api_key` for every request: one lookup of the latest committed keys
    (:meth:`core.db.Database.read_one`), so a key revoked by any process fails at once."""
    if not key or not key.startswith(KEY_PREFIX):
        return None
    row = database.read_one(_KEY_BY_HASH, {"b_hash": _hash(key)})
    if row is None:
        return None
    return ApiKeyInfo(row.id, row.name, row.prefix, row.created_at, row.last_used_at)


def last_use_is_stale(info: ApiKeyInfo, now: datetime | None = None) -> bool:
    """Whether ``last_used_at`` is old enough to be worth writing again."""
    now = now or utcnow()
    return info.last_used_at is None or now - info.last_used_at >= LAST_USED_RESOLUTION


def mark_api_key_used(session: Session, key_id: int, when: datetime | None = None) -> None:
    """Record that the key was just used."""
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=when or utcnow()))
