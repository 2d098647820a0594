"""The intake queue and its worker (:mod:`core.intake`), on SQLite and PostgreSQL, with handlers
that record what they did (the contact-center handler is tested over HTTP)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from core import intake
from core.errors import Conflict, Invalid, NotFound
from core.intake import IntakeProcessor
from core.models import IntakeItem, User
from core.services import PageRequest

SOURCE = "test"


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {timeout} s")
        time.sleep(0.01)
    return result


def _queue(database, *payloads):
    with database.write() as session:
        return [intake.enqueue(session, SOURCE, f"m-{p['n']}", p)[0] for p in payloads]


def _statuses(database):
    with database.read() as session:
        rows = session.execute(
            select(IntakeItem.external_id, IntakeItem.status).order_by(IntakeItem.id)
        )
        return dict(rows.all())


def _store_user(session, payload):
    """A handler with a visible effect: a user row per payload; ``fail`` raises after writing."""
    user = User(name=f"user {payload['n']}")
    session.add(user)
    session.flush()
    if payload.get("fail"):
        raise Invalid("this payload is bad", field="data.sub")
    return user.id


@pytest.fixture
def processor(database):
    worker = IntakeProcessor(database, {SOURCE: _store_user}, poll_seconds=60)
    yield worker
    worker.stop()


def test_enqueue_keeps_one_item_per_external_id(database):
    with database.write() as session:
        first, created = intake.enqueue(session, SOURCE, "m-1", {"n": 1})
        again, created_again = intake.enqueue(session, SOURCE, "m-1", {"n": 2})
        other_source, _ = intake.enqueue(session, "other", "m-1", {"n": 3})
    assert (created, created_again) == (True, False)
    assert again == first
    assert other_source != first
    with database.read() as session:
        item = intake.get_item(session, first, source=SOURCE)
    assert item.payload == {"n": 1}  # the first payload stays
    assert (item.status, item.attempts) == ("pending", 0)


def test_one_failure_loses_nothing_else_and_undoes_its_own_writes(database, processor):
    _queue(database, {"n": 1}, {"n": 2, "fail": True}, {"n": 3})
    assert processor.process_pending() == 3
    assert _statuses(database) == {"m-1": "done", "m-2": "failed", "m-3": "done"}
    with database.read() as session:
        names = session.scalars(select(User.name).order_by(User.id)).all()
        failed = session.scalar(select(IntakeItem).where(IntakeItem.external_id == "m-2"))
        done = session.scalar(select(IntakeItem).where(IntakeItem.external_id == "m-3"))
        assert names == ["user 1", "user 3"]  # the failed item's user was rolled back
        assert failed.error == "data.sub: this payload is bad"
        assert (failed.attempts, failed.email_id, failed.processed_at) == (1, None, None)
        assert done.email_id is not None
        assert done.processed_at is not None


def test_a_source_without_handler_fails_with_a_message(database, processor):
    with database.write() as session:
        intake.enqueue(session, "nobody", "x", {})
    processor.process_pending()
    with database.read() as session:
        item = session.scalar(select(IntakeItem))
        assert item.status == "failed"
        assert "no processor for 'nobody'" in item.error


def test_start_processes_what_was_left_pending(database, processor):
    _queue(database, {"n": 1}, {"n": 2})
    processor.start()
    wait_for(lambda: set(_statuses(database).values()) == {"done"})


def test_wake_ends_the_wait_at_once(database, processor):
    processor.start()
    time.sleep(0.05)  # let it reach its (60 s) wait
    began = time.monotonic()
    _queue(database, {"n": 1})
    processor.wake()
    wait_for(lambda: _statuses(database) == {"m-1": "done"})
    assert time.monotonic() - began < 5


def test_stop_joins_the_thread_and_start_again_works(database, processor):
    processor.start()
    assert processor.is_running
    names = {t.name for t in threading.enumerate()}
    assert "hearth-intake" in names
    processor.stop()
    assert not processor.is_running
    assert "hearth-intake" not in {t.name for t in threading.enumerate()}
    processor.stop()  # idempotent
    _queue(database, {"n": 1})
    processor.start()
    wait_for(lambda: _statuses(database) == {"m-1": "done"})


def test_a_transient_storage_error_leaves_the_item_pending_and_is_retried(database):
    calls = []

    def flaky(session, payload):
        calls.append(payload["n"])
        if len(calls) == 1:
            raise OperationalError("INSERT ...", {}, Exception("database is locked"))
        return _store_user(session, payload)

    worker = IntakeProcessor(database, {SOURCE: flaky}, retry_pause_seconds=0.05)
    try:
        _queue(database, {"n": 1})
        with pytest.raises(OperationalError):
            worker.process_pending()
        assert _statuses(database) == {"m-1": "pending"}
        worker.start()
        wait_for(lambda: _statuses(database) == {"m-1": "done"})
    finally:
        worker.stop()
    assert calls == [1, 1]


def test_list_retry_and_counts(database, processor):
    _queue(database, {"n": 1}, {"n": 2, "fail": True})
    processor.process_pending()
    with database.write() as session:
        failed = intake.list_items(session, PageRequest(), source=SOURCE, status="failed")
        assert [r.external_id for r in failed.items] == ["m-2"]
        assert intake.count_items(session, source=SOURCE) == {
            "pending": 0,
            "done": 1,
            "failed": 1,
        }
        with pytest.raises(Conflict):
            intake.retry_item(session, failed.items[0].id - 1, source=SOURCE)  # done
        with pytest.raises(NotFound):
            intake.retry_item(session, failed.items[0].id, source="other")
        with pytest.raises(Invalid):
            intake.list_items(session, PageRequest(), source=SOURCE, status="stuck")
        retried = intake.retry_item(session, failed.items[0].id, source=SOURCE)
    assert (retried.status, retried.error, retried.attempts) == ("pending", None, 1)
