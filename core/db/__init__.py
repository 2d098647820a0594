"""Opening the database: engines, sessions and the transaction boundary.

:func:`open_database` returns a :class:`Database` that any thread may use: each unit of work opens
its own session with :meth:`Database.read` or :meth:`Database.write` and the session's lifecycle
stays at that boundary (an API request, a GUI operation, a sync batch). Services take the
``Session`` they are given and never commit.

On SQLite the file runs in WAL mode with foreign keys on and a busy timeout, so the GUI thread, API
threads and sync workers can share it. Writers begin with ``BEGIN IMMEDIATE``: a transaction that
starts reading and later writes would otherwise fail with "database is locked" instead of waiting
its turn.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Executable, Row, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from core.db.batching import WriteBatcher
from core.events import EventBus, take_pending_changes

_WRITE_OPTION = "hearth_write"
T = TypeVar("T")


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return URL.create("sqlite+pysqlite", database=str(path)).render_as_string()


class Database:
    """One database: its engines and session factories. Thread-safe; share one per process."""

    def __init__(
        self,
        url: str,
        busy_timeout_ms: int = 10_000,
        echo: bool = False,
        events: EventBus | None = None,
    ) -> None:
        self.url = make_url(url)
        self.events = events or EventBus()
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        engine_args: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            engine_args["connect_args"] = {
                "check_same_thread": False,
                "timeout": busy_timeout_ms / 1000,
                # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin), not the driver.
                "isolation_level": None,
            }
        else:
            engine_args["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **engine_args)
        if self.is_sqlite:
            _configure_sqlite(self.engine, busy_timeout_ms)
        self._write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._write_engine, expire_on_commit=False)
        event.listen(self._write_sessions, "after_commit", self._publish_changes)
        event.listen(self._write_sessions, "after_rollback", self._drop_changes)
        event.listen(self._read_sessions, "before_commit", _refuse_commit)
        # SQLite admits one writer at a time. Queueing this process's writers on a lock lets each
        # start the moment the previous one ends, instead of polling SQLite's busy handler (which
        # sleeps up to 100 ms between tries); the busy timeout still covers other processes.
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._batcher = WriteBatcher(self)
        self._lookup: Connection | None = None
        self._lookup_lock = threading.Lock()

    def _publish_changes(self, session: Session) -> None:
        for change in take_pending_changes(session, committed=True):
            self.events.publish(change)

    def _drop_changes(self, session: Session) -> None:
        take_pending_changes(session, committed=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back at the end (nothing it does is kept)."""
        with self._read_sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work commits when the block ends, or rolls back if it raises.

        Do not nest ``write()`` blocks in one thread: on SQLite the inner one would wait for the
        outer one forever.
        """
        if self._write_lock is None:
            with self._write_sessions() as session, session.begin():
                yield session
            return
        with self._write_lock, self._write_sessions() as session, session.begin():
            yield session

    def submit_write(self, work: Callable[[Session], T]) -> Future[T]:
        """Run ``work(session)`` in a write transaction on the database's writer thread, sharing
        the transaction with other small writes queued meanwhile (group commit, see
        :mod:`core.db.batching`). The future resolves after the commit."""
        return self._batcher.submit(work)

    def read_one(self, statement: Executable, params: Mapping[str, Any]) -> Row[Any] | None:
        """The first row of one read-only statement, run on a connection kept open for such
        lookups in autocommit mode: a lone SELECT reads the latest committed state, with no
        session or transaction to set up and end (which costs several times the lookup). For the
        hottest single-row lookups, such as the API key every request presents; reads of several
        statements that must agree use :meth:`read`."""
        with self._lookup_lock:
            if self._lookup is None:
                self._lookup = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                return self._lookup.execute(statement, dict(params)).first()
            except DBAPIError:
                self._lookup.close()  # a broken connection: the next lookup opens another
                self._lookup = None
                raise

    def dispose(self) -> None:
        """Finish queued writes and close every connection (at shutdown)."""
        self._batcher.close()
        with self._lookup_lock:
            if self._lookup is not None:
                self._lookup.close()
                self._lookup = None
        self.engine.dispose()


def _refuse_commit(session: Session) -> None:
    raise RuntimeError("a read session never commits: use Database.write() to change data")


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # Larger pages suit a mail store (bodies, wide rows); this only takes effect on a new
            # file, and must come before WAL is switched on.
            cursor.execute("PRAGMA page_size=8192")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            # WAL makes NORMAL durable against application crashes; only a power cut can lose the
            # last transactions, never corrupt the file.
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        # Straight to the driver: every request begins a transaction, and SQLAlchemy's statement
        # machinery would cost more than the BEGIN itself.
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # each statement is its own transaction (Database.read_one)
        immediate = options.get(_WRITE_OPTION)
        connection.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


def open_database(
    url: str,
    busy_timeout_ms: int = 10_000,
    migrate: bool = True,
    events: EventBus | None = None,
) -> Database:
    """Open the database at ``url`` and, unless ``migrate`` is false, bring its schema to head."""
    database = Database(url, busy_timeout_ms=busy_timeout_ms, events=events)
    if migrate:
        from core.db.migrate import upgrade_to_head  # noqa: PLC0415 - alembic only when needed

        upgrade_to_head(database)
    return database
