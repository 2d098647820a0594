"""EventBridge: core's events, published on any thread, arrive as Qt signals on the GUI thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from core.events import ChangeEvent, EventBus, ProgressEvent
from desktop.events import EventBridge

pytestmark = pytest.mark.gui


def on_gui_thread() -> bool:
    app = QApplication.instance()
    assert app is not None
    return QThread.currentThread() == app.thread()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def bridge(qtbot, bus: EventBus):
    events = EventBridge(bus)
    yield events
    events.close()


def publish_from_worker(bus: EventBus, event: object) -> None:
    worker = threading.Thread(target=bus.publish, args=(event,), name="publisher")
    worker.start()
    worker.join()


def test_a_change_published_on_a_worker_thread_arrives_on_the_gui_thread(qtbot, bus, bridge):
    received: list[tuple[object, bool]] = []
    bridge.changed.connect(lambda event: received.append((event, on_gui_thread())))
    change = ChangeEvent("contact", "created", (7,))

    with qtbot.waitSignal(bridge.changed, timeout=5000) as blocker:
        publish_from_worker(bus, change)

    assert blocker.args == [change]
    assert received == [(change, True)]


def test_progress_events_have_their_own_signal(qtbot, bus, bridge):
    progress = ProgressEvent("sync", "fetching", done=3, total=10)

    with (
        qtbot.assertNotEmitted(bridge.changed),
        qtbot.waitSignal(bridge.progress, timeout=5000) as blocker,
    ):
        publish_from_worker(bus, progress)

    assert blocker.args == [progress]


def test_delivery_is_queued_even_from_the_gui_thread(qtbot, bus, bridge):
    received: list[object] = []
    bridge.changed.connect(received.append)

    bus.publish(ChangeEvent("company", "updated", (1,)))
    assert received == [], "a listener must never run inside the publisher's call"

    qtbot.waitUntil(lambda: bool(received))


def test_close_unsubscribes_and_drops_events_on_their_way(qtbot, bus):
    bridge = EventBridge(bus)
    received: list[object] = []
    bridge.changed.connect(received.append)

    bus.publish(ChangeEvent("contact", "deleted", (2,)))  # queued, not yet delivered
    bridge.close()
    publish_from_worker(bus, ChangeEvent("contact", "deleted", (3,)))
    qtbot.wait(50)

    assert received == []
    assert bridge.is_closed
    bridge.close()  # idempotent
