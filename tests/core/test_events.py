"""Change events are published after commit, never for rolled-back work."""

from __future__ import annotations

import threading

import pytest

from core.events import ChangeEvent, EventBus, ProgressEvent
from core.services.companies import create_company


@pytest.fixture
def backend():
    return "sqlite"


def test_changes_are_published_after_commit(database):
    seen: list[ChangeEvent] = []
    database.events.subscribe(seen.append)
    with database.write() as session:
        record = create_company(session, {"name": "Acme"})
        assert seen == []  # not before the commit
    assert seen == [ChangeEvent("company", "created", (record.id,))]


def test_rolled_back_changes_are_not_published(database):
    seen: list[ChangeEvent] = []
    database.events.subscribe(seen.append)
    with pytest.raises(RuntimeError), database.write() as session:
        create_company(session, {"name": "Acme"})
        raise RuntimeError("abort")
    with database.write() as session:
        create_company(session, {"name": "Globex"})
    assert [e.action for e in seen] == ["created"]
    assert len(seen) == 1


def test_a_failing_listener_does_not_stop_the_others():
    bus = EventBus()
    got: list[object] = []

    def broken(_event):
        raise ValueError("listener bug")

    bus.subscribe(broken)
    unsubscribe = bus.subscribe(got.append)
    event = ProgressEvent("sync", "fetching", 1, 10)
    bus.publish(event)
    assert got == [event]
    unsubscribe()
    bus.publish(event)
    assert got == [event]


def test_listeners_run_on_the_publishing_thread():
    bus = EventBus()
    threads: list[str] = []
    bus.subscribe(lambda _e: threads.append(threading.current_thread().name))
    worker = threading.Thread(target=bus.publish, args=(ProgressEvent("x", "y"),), name="worker-1")
    worker.start()
    worker.join()
    assert threads == ["worker-1"]
