"""The intake queue: partner payloads accepted (202) now and turned into records in the background.

A payload is *durable* once :func:`enqueue` has run in a committed transaction: it is an
``IntakeItem`` (status ``pending``) in the database, so the HTTP answer can be given at once and a
crash between the answer and the processing loses nothing.

:class:`IntakeProcessor` is the worker that drains the queue. Its contract:

- **One item, one savepoint.** Items are processed a few to a write transaction
  (:data:`ITEMS_PER_TRANSACTION`: a commit costs more than a small item, and few enough that
  other writers never wait long), each inside its own savepoint: if the handler raises, its
  writes are undone and the item is marked ``failed`` with the error, in the same transaction, so
  one bad item never loses or blocks the others. A handler's success and ``done`` commit together.
- **Transient storage errors** (database locked, connection lost) are not the item's fault: the
  transaction is rolled back, its items stay ``pending`` and the worker tries again after a
  pause.
- **Start = recovery.** :meth:`~IntakeProcessor.start` begins by draining whatever is pending, so
  items accepted before a crash or a shutdown are processed at the next start.
- **Wake-ups.** :meth:`~IntakeProcessor.wake` (any thread, after the enqueuing transaction has
  committed) ends the worker's wait at once; it also polls now and then, for items queued by
  another process sharing the database (a team server on PostgreSQL).
- **Stop** lets the item in hand finish and joins the thread. A stopped processor may be started
  again.

On PostgreSQL an item is claimed with ``FOR UPDATE SKIP LOCKED``, so several servers on one
database never process an item twice; on SQLite, writers take turns anyway.

Failed items stay visible (:func:`list_items`) until :func:`retry_item` puts them back in line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from core.db import Database
from core.db.statements import insert_or_skip
from core.errors import Conflict, HearthError, Invalid, NotFound
from core.events import ProgressEvent, note_change
from core.models import IntakeItem, utcnow
from core.services import Page, PageRequest

log = logging.getLogger(__name__)

PENDING, DONE, FAILED = "pending", "done", "failed"
STATUSES = (PENDING, DONE, FAILED)
MAX_ERROR_LENGTH = 2000
ITEMS_PER_TRANSACTION = 16
"""Items processed in one write transaction (each in its own savepoint)."""

IntakeHandler = Callable[[Session, Mapping[str, Any]], int | None]
"""Turns one payload into records in the given session (never commits); returns the id of the
record made (an email's), if any. Raising marks the item failed with the error's message."""


@dataclass(frozen=True)
class IntakeRecord:
    """An intake item as the rest of Hearth sees it."""

    id: int
    source: str
    external_id: str
    status: str
    attempts: int
    error: str | None
    email_id: int | None
    created_at: datetime
    updated_at: datetime
    processed_at: datetime | None
    payload: Mapping[str, Any]


def _record(item: IntakeItem) -> IntakeRecord:
    return IntakeRecord(
        id=item.id,
        source=item.source,
        external_id=item.external_id,
        status=item.status,
        attempts=item.attempts,
        error=item.error,
        email_id=item.email_id,
        created_at=item.created_at,
        updated_at=item.updated_at,
        processed_at=item.processed_at,
        payload=item.payload,
    )


def enqueue(
    session: Session, source: str, external_id: str, payload: Mapping[str, Any]
) -> tuple[int, bool]:
    """Queue ``payload`` under ``(source, external_id)``: ``(item id, True)`` when queued now,
    ``(id of the earlier item, False)`` when that id was queued before (whatever its status; the
    earlier payload is kept). Wake the processor once the caller's transaction has committed."""
    connection = session.connection()
    now = utcnow()
    item_id = connection.execute(
        _insert_item(connection.dialect.name),
        {
            "source": source,
            "external_id": external_id,
            "payload": dict(payload),
            "status": PENDING,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        },
    ).scalar()
    if item_id is not None:
        note_change(session, "intake", "created", item_id)
        return item_id, True
    existing = connection.execute(_FIND, {"b_source": source, "b_external": external_id}).scalar()
    if existing is None:  # pragma: no cover - the insert was skipped for that very row
        raise RuntimeError(f"intake item {source}/{external_id} clashed but is not there")
    return existing, False


@cache
def _insert_item(dialect: str) -> Insert:
    # A repeat (or a concurrent twin) is skipped by the unique (source, external_id).
    table = IntakeItem.__table__
    insert = insert_or_skip(dialect, table, ("source", "external_id"))
    return insert.returning(IntakeItem.id)


# Built once (see core.db.statements): these run for every posted and every processed item.
_FIND = select(IntakeItem.id).where(
    IntakeItem.source == bindparam("b_source"), IntakeItem.external_id == bindparam("b_external")
)
_CLAIM = (
    select(IntakeItem.source, IntakeItem.external_id, IntakeItem.payload)
    .where(IntakeItem.id == bindparam("b_id"), IntakeItem.status == PENDING)
    .with_for_update(skip_locked=True)
)
_FINISH = (
    update(IntakeItem)
    .where(IntakeItem.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        attempts=IntakeItem.attempts + 1,
        error=bindparam("b_error"),
        email_id=bindparam("b_email"),
        processed_at=bindparam("b_processed"),
        updated_at=bindparam("b_now"),
    )
)


def list_items(
    session: Session, page: PageRequest, *, source: str, status: str | None = None
) -> Page[IntakeRecord]:
    """A source's items in queue order (oldest first), optionally of one status."""
    if status is not None and status not in STATUSES:
        raise Invalid(f"must be one of {', '.join(STATUSES)}", field="status")
    query = select(IntakeItem).where(IntakeItem.source == source)
    if status is not None:
        query = query.where(IntakeItem.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(IntakeItem.id).offset(page.offset).limit(page.limit))
    return Page([_record(row) for row in rows], total, page.page, page.limit)


def get_item(session: Session, item_id: int, *, source: str) -> IntakeRecord:
    """One item of ``source``; ``NotFound`` when there is none."""
    return _record(_load(session, item_id, source))


def _load(session: Session, item_id: int, source: str) -> IntakeItem:
    item = session.get(IntakeItem, item_id)
    if item is None or item.source != source:  # another source's items are not visible here
        raise NotFound(f"no intake item with id {item_id}")
    return item


def retry_item(session: Session, item_id: int, *, source: str) -> IntakeRecord:
    """Put a failed item back in line (``pending``, its attempts kept); ``Conflict`` unless it
    failed. Wake the processor once the caller's transaction has committed."""
    item = _load(session, item_id, source)
    if item.status != FAILED:
        raise Conflict(f"intake item {item_id} is {item.status}: only failed items are retried")
    item.status = PENDING
    item.error = None
    session.flush()
    note_change(session, "intake", "updated", item.id)
    return _record(item)


def count_items(session: Session, *, source: str) -> dict[str, int]:
    """How many items of ``source`` are in each status (every status present, possibly 0)."""
    rows = session.execute(
        select(IntakeItem.status, func.count())
        .where(IntakeItem.source == source)
        .group_by(IntakeItem.status)
    )
    counts = dict.fromkeys(STATUSES, 0)
    for status, number in rows:
        counts[status] = number
    return counts


def describe_failure(error: BaseException) -> str:
    """What is kept as a failed item's ``error``: core's message (naming the field), else the
    exception's type and text; cut to a readable length."""
    if isinstance(error, Invalid) and error.field:
        text = f"{error.field}: {error.message}"
    elif isinstance(error, HearthError):
        text = error.message
    else:
        text = f"{type(error).__name__}: {error}".strip().removesuffix(":")
    return text[:MAX_ERROR_LENGTH]


def _is_transient(error: BaseException) -> bool:
    """A storage failure that says nothing about the item: try the item again later."""
    if isinstance(error, OperationalError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class IntakeProcessor:
    """The background worker draining the intake queue (see the module doc for its contract).

    ``handlers`` maps an item's ``source`` to the function that processes its payload. Every
    public method may be called from any thread.
    """

    def __init__(
        self,
        database: Database,
        handlers: Mapping[str, IntakeHandler],
        *,
        batch_size: int = 50,
        poll_seconds: float = 30.0,
        retry_pause_seconds: float = 1.0,
    ) -> None:
        self.database = database
        self.handlers = dict(handlers)
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.retry_pause_seconds = retry_pause_seconds
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def is_running(self) -> bool:
        """Whether the worker thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> None:
        """Start the worker thread (it first drains what is pending); no-op if it runs."""
        with self._lock:
            if self.is_running:
                return
            self._stopping.clear()
            self._wakeup.set()  # drain at once: items left from before the start
            self._thread = threading.Thread(target=self._run, name="hearth-intake", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Let the item in hand finish, then end and join the worker (idempotent)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping.set()
            self._wakeup.set()
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("the intake processor did not stop within %.0f s", timeout)

    def wake(self) -> None:
        """Tell the worker there is work (call after the enqueuing transaction committed)."""
        self._wakeup.set()

    def process_pending(self) -> int:
        """Process pending items on the calling thread until none is left (or a stop is asked);
        returns how many were processed, failed ones included."""
        processed = 0
        while not self._stopping.is_set():
            ids = self._pending_ids()
            if not ids:
                break
            for start in range(0, len(ids), ITEMS_PER_TRANSACTION):
                if self._stopping.is_set():
                    break
                processed += self._process_some(ids[start : start + ITEMS_PER_TRANSACTION])
        return processed

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wakeup.wait(self.poll_seconds)
            # Cleared before draining: a wake-up arriving meanwhile makes the next wait return.
            self._wakeup.clear()
            if self._stopping.is_set():
                break
            try:
                processed = self.process_pending()
            except Exception:
                log.exception("the intake queue could not be processed; trying again shortly")
                self._stopping.wait(self.retry_pause_seconds)
                self._wakeup.set()
                continue
            if processed:
                self.database.events.publish(ProgressEvent("intake", "drained", done=processed))

    def _pending_ids(self) -> list[int]:
        with self.database.read() as session:
            return list(
                session.scalars(
                    select(IntakeItem.id)
                    .where(IntakeItem.status == PENDING)
                    .order_by(IntakeItem.id)
                    .limit(self.batch_size)
                )
            )

    def _process_some(self, item_ids: list[int]) -> int:
        """Process items in one transaction; returns how many were processed (an item someone
        else had is skipped). Transient storage errors propagate (the items stay pending)."""
        with self.database.write() as session:
            return sum(self._process_one(session, item_id) for item_id in item_ids)

    def _process_one(self, session: Session, item_id: int) -> int:
        """Process one item in its savepoint; 1 if it was processed, 0 if someone else had it."""
        claimed = session.connection().execute(_CLAIM, {"b_id": item_id}).first()
        if claimed is None:
            return 0
        source, external_id, payload = claimed
        now = utcnow()
        outcome: dict[str, Any] = {"b_id": item_id, "b_now": now, "b_processed": None}
        try:
            handler = self.handlers.get(source)
            if handler is None:
                raise Invalid(f"Hearth has no processor for {source!r} payloads")
            with session.begin_nested():
                email_id = handler(session, payload)
        except Exception as e:
            if _is_transient(e):
                raise
            error = describe_failure(e)
            outcome.update(b_status=FAILED, b_error=error, b_email=None)
            log.warning(
                "intake item %s (%s %s) failed: %s",
                item_id,
                source,
                external_id,
                error,
                exc_info=not isinstance(e, HearthError),
            )
        else:
            outcome.update(b_status=DONE, b_error=None, b_email=email_id, b_processed=now)
        session.connection().execute(_FINISH, outcome)
        note_change(session, "intake", "updated", item_id)
        return 1
