"""The bridge from core's :class:`~core.events.EventBus` to Qt signals on the GUI thread.

Core publishes plain events on whatever thread made the change (a sync worker, an API request, a
GUI op). :class:`EventBridge` hops each one onto its own thread by a queued connection and only
there re-emits it, so every slot connected to ``changed`` or ``progress`` runs on the GUI thread,
however it is connected, and never inside the publisher's call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

from core.events import ChangeEvent, Event, EventBus, ProgressEvent

log = logging.getLogger(__name__)


class EventBridge(QObject):
    """Re-emits core's events as Qt signals on this object's thread (create it on the GUI thread).

    Call :meth:`close` before discarding it: that unsubscribes from the bus, and events already on
    their way are dropped.
    """

    changed = Signal(object)
    """A :class:`core.events.ChangeEvent`: records were created, updated or deleted."""

    progress = Signal(object)
    """A :class:`core.events.ProgressEvent` of a background job."""

    _arrived = Signal(object)

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._closed = False
        self._arrived.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe: Callable[[], None] | None = bus.subscribe(self._on_event)

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Stop listening to the bus (idempotent)."""
        self._closed = True
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def _on_event(self, event: Event) -> None:
        # Publisher's thread: only hand the event over.
        if not self._closed:
            self._arrived.emit(event)

    @Slot(object)
    def _dispatch(self, event: Event) -> None:
        if self._closed:
            return
        if isinstance(event, ChangeEvent):
            self.changed.emit(event)
        elif isinstance(event, ProgressEvent):
            self.progress.emit(event)
        else:
            log.debug("ignoring an event of unknown kind: %r", event)
