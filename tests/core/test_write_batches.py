"""Group commit (``Database.submit_write``): writes queued together share one transaction, each
sees the ones before it, nothing resolves before its commit, and a bad write fails alone."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import Database
from core.errors import Conflict, Invalid
from core.events import ChangeEvent
from core.models import Company
from core.services.companies import create_company


def _held(database: Database) -> tuple[threading.Event, Future[Any]]:
    """Occupy the writer thread until the returned event is set, so the next submissions queue
    up and run as one batch."""
    release = threading.Event()
    started = threading.Event()

    def wait(_session: Session) -> None:
        started.set()
        assert release.wait(10)

    future = database.submit_write(wait)
    assert started.wait(10)
    return release, future


def _company(name: str, sessions: list[Session] | None = None) -> Callable[[Session], int]:
    def work(session: Session) -> int:
        if sessions is not None:
            sessions.append(session)
        return int(create_company(session, {"name": name, "domains": [f"{name}.example"]}).id)

    return work


def _names(database: Database) -> list[str]:
    with database.read() as session:
        return list(session.scalars(select(Company.name).order_by(Company.id)))


def test_writes_queued_together_share_a_transaction_in_order(database: Database) -> None:
    release, holder = _held(database)
    sessions: list[Session] = []
    futures = [database.submit_write(_company(f"acme{i}", sessions)) for i in range(5)]

    def count_so_far(session: Session) -> int:
        return int(session.scalar(select(func.count()).select_from(Company)) or 0)

    seen = database.submit_write(count_so_far)
    assert not any(f.done() for f in futures)  # nothing answers before its commit
    release.set()

    ids = [f.result(10) for f in futures]
    assert ids == sorted(ids)
    assert seen.result(10) == 5  # each unit sees the ones queued before it
    assert len({id(s) for s in sessions}) == 1  # one session: one transaction
    assert holder.result(10) is None
    assert _names(database) == [f"acme{i}" for i in range(5)]


def test_a_bad_write_fails_alone_and_its_neighbours_commit(database: Database) -> None:
    release, _ = _held(database)
    good_before = database.submit_write(_company("first"))
    clash = database.submit_write(_company("second-with-first-domain"))

    def invalid(_session: Session) -> None:
        raise Invalid("no", field="name")

    bad = database.submit_write(invalid)
    good_after = database.submit_write(_company("third"))
    # the same domain as "first": a Conflict only visible once "first" is written
    duplicate = database.submit_write(
        lambda s: create_company(s, {"name": "copy", "domains": ["first.example"]})
    )
    release.set()

    assert good_before.result(10) > 0
    assert clash.result(10) > 0
    assert good_after.result(10) > 0
    with pytest.raises(Invalid):
        bad.result(10)
    with pytest.raises(Conflict):
        duplicate.result(10)
    assert _names(database) == ["first", "second-with-first-domain", "third"]


def test_changes_are_published_after_the_shared_commit(database: Database) -> None:
    received: list[ChangeEvent] = []
    database.events.subscribe(received.append)
    release, _ = _held(database)
    futures = [database.submit_write(_company(f"co{i}")) for i in range(3)]
    assert received == []
    release.set()
    ids = {f.result(10) for f in futures}
    published = {i for e in received if e.record_type == "company" for i in e.record_ids}
    assert published == ids


def test_closing_finishes_queued_writes_then_refuses_more(database: Database) -> None:
    release, _ = _held(database)
    queued = [database.submit_write(_company(f"late{i}")) for i in range(3)]
    closer = threading.Thread(target=database.dispose)
    closer.start()
    release.set()
    closer.join(10)
    assert not closer.is_alive()
    assert all(f.result(0) > 0 for f in queued)
    with pytest.raises(RuntimeError, match="closed"):
        database.submit_write(_company("too-late"))
