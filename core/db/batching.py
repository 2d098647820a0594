"""Group commit: small writes from many callers, run on one thread, several to a transaction.

A commit costs more than a small write (on SQLite it appends every changed page to the WAL, and
now and then checkpoints), and one writer at a time may hold the database anyway. So instead of
each caller opening its own write transaction, :class:`WriteBatcher` queues the callers' units
of work and runs whatever has queued up in one transaction, on its own thread, in arrival order:
each unit sees the ones before it, exactly as if they had run one after the other.

Nothing is answered before it is committed: each caller's future resolves only after the
transaction holding its work commits. If any unit in a batch raises, the whole batch is rolled
back and each unit runs again alone, so a bad unit fails alone and its neighbours are unaffected.
A unit may therefore run twice; it must not have effects outside the database that a second run
would repeat wrongly (writing content-addressed blobs is fine).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from core.db import Database

log = logging.getLogger(__name__)

MAX_BATCH = 64
"""At most this many units share a transaction, so one batch never holds the lock for long."""


@dataclass
class _Unit:
    work: Callable[[Session], Any]
    future: Future[Any] = field(default_factory=Future)


class WriteBatcher:
    """Runs units of write work for :meth:`core.db.Database.submit_write`."""

    def __init__(self, database: Database, max_batch: int = MAX_BATCH) -> None:
        self._database = database
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Unit | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, work: Callable[[Session], Any]) -> Future[Any]:
        """Queue ``work(session)``; the future holds its result once its transaction committed,
        or the exception it raised (when run alone)."""
        unit = _Unit(work)
        with self._lock:
            if self._closed:
                raise RuntimeError("the database is closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="hearth-db-writer", daemon=True
                )
                self._thread.start()
            self._queue.put(unit)
        return unit.future

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            while len(batch) < self._max_batch:
                try:
                    unit = self._queue.get_nowait()
                except queue.Empty:
                    break
                if unit is None:
                    stopping = True
                    break
                batch.append(unit)
            self._run_batch([u for u in batch if u.future.set_running_or_notify_cancel()])
            if stopping:
                return

    def _run_batch(self, batch: list[_Unit]) -> None:
        if len(batch) > 1:
            try:
                with self._database.write() as session:
                    results = [unit.work(session) for unit in batch]
            except Exception:  # each unit runs again alone and reports its own error
                log.debug("a batch of %d writes failed; running them one by one", len(batch))
            else:
                for unit, result in zip(batch, results, strict=True):
                    unit.future.set_result(result)
                return
        for unit in batch:
            try:
                with self._database.write() as session:
                    result = unit.work(session)
            except BaseException as e:  # handed to the caller through its future
                unit.future.set_exception(e)
            else:
                unit.future.set_result(result)
