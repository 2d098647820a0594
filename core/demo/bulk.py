"""Bulk writing for the demo generator: row tuples, ``executemany``, ids chosen in advance.

Going through the ORM, or even through Core's ``insert()`` with dictionaries, costs several
microseconds a row in parameter processing; a million emails bring five million rows with them.
So rows are plain tuples handed to the driver's ``executemany``, and the few values whose stored
form the driver would not produce by itself are converted here, exactly as SQLAlchemy's column
types store them: instants as naive UTC (on SQLite the text ``YYYY-MM-DD HH:MM:SS.ffffff``), dates
as ISO text on SQLite, JSON as its text.

Ids are assigned by the generator (past every id the table holds or ever handed out: ids are
never reused), so nothing has to be read back; on PostgreSQL the id sequences are moved past them
afterwards, so later inserts that let the database choose an id do not collide (SQLite's
``sqlite_sequence`` follows by itself).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from operator import methodcaller
from typing import Any

from sqlalchemy import Column, ColumnDefault, Connection, Table, func, select, text
from sqlalchemy import literal as sql_literal
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SQLAlchemyError

from core.db import Database
from core.errors import Invalid
from core.models import Base

Row = tuple[Any, ...]
Constants = tuple[tuple[str, str], ...]
Model = type[Base]


def table_of(model: Model) -> Table:
    """The table a model is mapped to."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a single table")
    return table


_EPOCH = datetime(1970, 1, 1)
_DAY = 86_400


def _unchanged(value: Any) -> Any:
    return value


def _epoch_datetime(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


def _sqlite_epoch_stamps() -> Callable[[int], str]:
    """``seconds -> "YYYY-MM-DD HH:MM:SS.000000"``, about three times faster than via datetime.

    The day's text is cached and the time of day looked up among all 86,400 of them: a large
    benchmark converts millions of instants.
    """
    days: dict[int, str] = {}
    times = [
        f" {h:02d}:{m:02d}:{s:02d}.000000" for h in range(24) for m in range(60) for s in range(60)
    ]

    def epoch_stamp(seconds: int) -> str:
        day, second = divmod(seconds, _DAY)
        prefix = days.get(day)
        if prefix is None:
            prefix = days[day] = (_EPOCH + timedelta(days=day)).date().isoformat()
        return prefix + times[second]

    return epoch_stamp


class RowFormat:
    """How one database dialect takes rows: its INSERT statements and its stored value forms.

    ``stamp(naive_utc_datetime)``, ``epoch_stamp(whole_seconds_since_1970)`` and ``day(date)``
    give the value to bind for a ``UTCDateTime`` and a ``Date`` column.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.is_sqlite = dialect.name == "sqlite"
        if dialect.paramstyle == "qmark":
            self._placeholder = "?"
        elif dialect.paramstyle in ("format", "pyformat"):
            self._placeholder = "%s"
        else:
            raise Invalid(
                f"the demo generator cannot use the {dialect.driver} driver "
                f"(parameter style {dialect.paramstyle})",
                field="database",
            )
        self._quote = dialect.identifier_preparer.quote
        self._dialect = dialect
        self._statements: dict[tuple[str, tuple[str, ...], Constants], tuple[str, Row]] = {}
        self.stamp: Callable[[datetime], Any]
        self.epoch_stamp: Callable[[int], Any]
        self.day: Callable[[date], Any]
        if self.is_sqlite:
            # What SQLAlchemy's SQLite DATETIME and DATE types write, at C speed.
            self.stamp = methodcaller("isoformat", " ", "microseconds")
            self.epoch_stamp = _sqlite_epoch_stamps()
            self.day = methodcaller("isoformat")
        else:
            self.stamp = _unchanged
            self.epoch_stamp = _epoch_datetime
            self.day = _unchanged

    def insert_statement(
        self, model: Model, columns: Sequence[str], constants: Constants = ()
    ) -> tuple[str, Row]:
        """``INSERT INTO table (...) VALUES (?, ...)`` in the driver's own parameter style.

        ``constants`` are (column, text) pairs written into the statement as SQL literals, the
        same for every row, so they cost nothing per row. Columns left out that have a default
        in the model (a constant, or a ``dict``/``list`` factory) are added at the end; the
        returned tuple holds their stored values, to append to every row. So a column added to a
        model later does not break the generator, and no default is left to the database.
        """
        key = (model.__name__, tuple(columns), tuple(constants))
        cached = self._statements.get(key)
        if cached is not None:
            return cached
        table = table_of(model)
        names = list(columns)
        values = [self._placeholder] * len(names)
        for name, constant in constants:
            names.append(name)
            literal = sql_literal(constant, table.c[name].type)
            values.append(str(literal.compile(dialect=self._dialect, compile_kwargs=_LITERALS)))
        unknown = [name for name in names if name not in table.c]
        if unknown:
            raise ValueError(f"{table.name} has no column {unknown[0]}")
        defaults = []
        for column in table.columns:
            if column.name in names or column.default is None:
                continue
            value = _default_value(column)
            if value is not _NO_DEFAULT:
                processor = column.type.dialect_impl(self._dialect).bind_processor(self._dialect)
                names.append(column.name)
                values.append(self._placeholder)
                defaults.append(processor(value) if processor is not None else value)
        quoted = ", ".join(self._quote(name) for name in names)
        # Only names from the models and rendered literals go into the text.
        statement = f"INSERT INTO {self._quote(table.name)} ({quoted}) VALUES ({', '.join(values)})"  # noqa: S608
        self._statements[key] = (statement, tuple(defaults))
        return statement, tuple(defaults)


_LITERALS = {"literal_binds": True}

_NO_DEFAULT = object()


def _default_value(column: Column[Any]) -> Any:
    """The model default of a column, if it is a constant or an empty container's factory."""
    default = column.default
    if not isinstance(default, ColumnDefault):
        return _NO_DEFAULT
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        value = default.arg(None)
        if isinstance(value, dict | list) and not value:
            return value
    return _NO_DEFAULT


class BulkWriter:
    """Writes row tuples in a series of transactions, each committed after enough rows.

    On SQLite, ``cache_kib`` sets the page cache of the connection while it writes.

    Use as a context manager: the open transaction commits when the block ends, or rolls back if
    it raises (transactions committed before stay committed).
    """

    def __init__(self, database: Database, rows_per_transaction: int, cache_kib: int = 0) -> None:
        self.database = database
        self.cache_kib = cache_kib
        self.format = RowFormat(database.engine.dialect)
        self.rows_per_transaction = rows_per_transaction
        self.rows_written = 0
        self._rows_in_transaction = 0
        self._transaction: ExitStack | None = None
        self._connection: Connection | None = None

    def __enter__(self) -> BulkWriter:
        self._begin()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: Any, tb: Any) -> None:
        transaction, self._transaction, self._connection = self._transaction, None, None
        if transaction is not None:
            transaction.__exit__(exc_type, exc, tb)

    @property
    def connection(self) -> Connection:
        """The connection of the open transaction."""
        if self._connection is None:
            raise RuntimeError("BulkWriter used outside its with block")
        return self._connection

    def insert(
        self, model: Model, columns: Sequence[str], rows: Sequence[Row], constants: Constants = ()
    ) -> int:
        """Insert ``rows`` (tuples in the order of ``columns``) into the model's table.

        ``constants``: (column, text) pairs that are the same in every row.
        """
        if rows:
            statement, defaults = self.format.insert_statement(model, columns, constants)
            values = [row + defaults for row in rows] if defaults else list(rows)
            self.connection.exec_driver_sql(statement, values)
        count = len(rows)
        self.rows_written += count
        self._rows_in_transaction += count
        return count

    def execute_many(self, sql: str, rows: Sequence[Row]) -> None:
        """Run a plain statement written with ``?`` placeholders once per row."""
        if rows:
            is_qmark = self.format.is_sqlite
            statement = sql if is_qmark else sql.replace("%", "%%").replace("?", "%s")
            self.connection.exec_driver_sql(statement, list(rows))

    def commit_if_due(self) -> None:
        """Commit and start a new transaction once this one holds enough rows."""
        if self._rows_in_transaction >= self.rows_per_transaction:
            transaction, self._transaction = self._transaction, None
            if transaction is not None:
                transaction.close()
            self._begin()

    def next_ids(self, models: Iterable[Model]) -> dict[str, int]:
        """For each model's table, the first id never used: past the largest id it holds and
        past the last one the database handed out (records' ids are never reused, even after a
        delete)."""
        ids = {}
        for model in models:
            table = table_of(model)
            largest = select(func.coalesce(func.max(table.c.id), 0))
            used = int(self.connection.execute(largest).scalar_one())
            ids[table.name] = max(used, self._last_issued_id(table.name)) + 1
        return ids

    def _last_issued_id(self, table_name: str) -> int:
        if self.format.is_sqlite:
            has_sequences = self.connection.execute(
                text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
            ).first()
            if has_sequences is None:
                return 0
            issued = self.connection.execute(
                text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": table_name}
            ).scalar()
        else:
            issued = self.connection.execute(
                text(
                    "SELECT pg_sequence_last_value("
                    "CAST(pg_get_serial_sequence(:name, 'id') AS regclass))"
                ),
                {"name": table_name},
            ).scalar()
        return int(issued or 0)

    def advance_sequences(self, models: Iterable[Model]) -> None:
        """On PostgreSQL, move each table's id sequence to its largest id (no-op elsewhere).

        Only for tables this writer filled: their largest id is past anything issued before.
        SQLite keeps ``sqlite_sequence`` up to date by itself.
        """
        if self.format.is_sqlite:
            return
        for model in models:
            table = table_of(model)
            largest = func.max(table.c.id)
            sequence = func.pg_get_serial_sequence(table.name, "id")
            self.connection.execute(
                select(func.setval(sequence, largest))
                .select_from(table)
                .having(largest.is_not(None))
            )

    def _begin(self) -> None:
        stack = ExitStack()
        session = stack.enter_context(self.database.write())
        connection = session.connection()
        if self.format.is_sqlite and self.cache_kib:
            # A big page cache keeps the indexes' hot pages while millions of rows go in; the
            # connection goes back to the pool afterwards, so its own size is put back (before
            # the commit, which only ever writes dirty pages out).
            previous = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
            connection.exec_driver_sql(f"PRAGMA cache_size={-int(self.cache_kib)}")
            stack.callback(_quietly, connection, f"PRAGMA cache_size={previous}")
        self._connection = connection
        self._transaction = stack
        self._rows_in_transaction = 0


def _quietly(connection: Connection, statement: str) -> None:
    with contextlib.suppress(SQLAlchemyError):
        connection.exec_driver_sql(statement)
