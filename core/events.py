"""Change and progress events: how core tells the GUI (or anyone) that something happened.

Core never imports Qt; it calls plain callbacks. The desktop layer subscribes and re-emits them as
Qt signals (queued onto the GUI thread). Changes are published only once the transaction that made
them has committed, so a listener never sees a change that was rolled back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_PENDING_KEY = "hearth.pending_changes"


@dataclass(frozen=True)
class ChangeEvent:
    """Records changed: ``action`` is created, updated or deleted."""

    record_type: str
    action: str
    record_ids: tuple[int, ...]


@dataclass(frozen=True)
class ProgressEvent:
    """Progress of a background job (sync run, intake queue, demo generation)."""

    job: str
    stage: str
    done: int = 0
    total: int | None = None
    errors: tuple[str, ...] = field(default=())


Event = ChangeEvent | ProgressEvent
Listener = Callable[[Event], None]


class EventBus:
    """A thread-safe publish/subscribe hub. Listeners run on the publishing thread."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every event from now on; returns the function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to every listener; a failing listener is logged, not propagated."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("event listener %r failed on %r", listener, event)


def note_change(session: Session, record_type: str, action: str, *record_ids: int) -> None:
    """Remember a change made in ``session``; it is published if and when the session commits."""
    pending: list[ChangeEvent] = session.info.setdefault(_PENDING_KEY, [])
    pending.append(ChangeEvent(record_type, action, tuple(record_ids)))


def take_pending_changes(session: Session, committed: bool) -> list[ChangeEvent]:
    """The changes noted in ``session`` since its last commit/rollback (and forget them)."""
    pending: list[Any] = session.info.pop(_PENDING_KEY, [])
    return pending if committed else []
