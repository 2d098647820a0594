"""Bulk writing for the demo generator: row tuples, ``executemany``, ids chosen in advance.

Going through the ORM, or even through Core's ``insert()`` with dictionaries, costs several
microseconds a row in parameter processing; a million emails bring five million rows with them.
So rows are plain tuples handed to the driver's ``executemany``, and the few values whose stored
form the driver would not produce by itself are converted here, exactly as SQLAlchemy's column
types store them: instants as naive UTC (on SQLite the text ``YYYY-MM-DD HH:MM:SS.ffffff``), dates
as ISO text on SQLite, JSON as its text.

Ids are assigned by the generator (from the table's current maximum), so nothing has to be read
back; on PostgreSQL the id sequences are moved past them afterwards, so later inserts that let the
database choose an id do not collide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from datetime import date, datetime
from operator import methodcaller
from typing import Any

from sqlalchemy import Connection, Table, text
from sqlalchemy.engine import Dialect

from core.db import Database
from core.errors import Invalid

Row = tuple[Any, ...]


def _unchanged(value: Any) -> Any:
    return value


class RowFormat:
    """How one database dialect takes rows: its INSERT statements and its stored value forms.

    ``stamp(naive_utc_datetime)`` and ``day(date)`` give the value to bind for a ``UTCDateTime``
    and a ``Date`` column respectively.
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
        self._statements: dict[tuple[str, tuple[str, ...]], str] = {}
        self.stamp: Callable[[datetime], Any]
        self.day: Callable[[date], Any]
        if self.is_sqlite:
            # What SQLAlchemy's SQLite DATETIME and DATE types write, at C speed.
            self.stamp = methodcaller("isoformat", " ", "microseconds")
            self.day = methodcaller("isoformat")
        else:
            self.stamp = _unchanged
            self.day = _unchanged

    def insert_statement(self, table: Table, columns: Sequence[str]) -> str:
        """``INSERT INTO table (columns) VALUES (?, ...)`` in the driver's own parameter style."""
        key = (table.name, tuple(columns))
        statement = self._statements.get(key)
        if statement is None:
            unknown = [name for name in columns if name not in table.c]
            if unknown:
                raise ValueError(f"{table.name} has no column {unknown[0]}")
            names = ", ".join(self._quote(name) for name in columns)
            marks = ", ".join([self._placeholder] * len(columns))
            statement = f"INSERT INTO {self._quote(table.name)} ({names}) VALUES ({marks})"
            self._statements[key] = statement
        return statement


class BulkWriter:
    """Writes row tuples in a series of transactions, each committed after enough rows.

    Use as a context manager: the open transaction commits when the block ends, or rolls back if
    it raises (transactions committed before stay committed).
    """

    def __init__(self, database: Database, rows_per_transaction: int) -> None:
        self.database = database
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

    def insert(self, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> int:
        """Insert ``rows`` (tuples in the order of ``columns``); returns how many."""
        if rows:
            self.connection.exec_driver_sql(
                self.format.insert_statement(table, columns), list(rows)
            )
        count = len(rows)
        self.rows_written += count
        self._rows_in_transaction += count
        return count

    def execute_many(self, sql: str, rows: Sequence[Row]) -> None:
        """Run a plain statement written with ``?`` placeholders once per row."""
        if rows:
            if self.format.is_sqlite:
                statement = sql
            else:
                statement = sql.replace("%", "%%").replace("?", "%s")
            self.connection.exec_driver_sql(statement, list(rows))

    def commit_if_due(self) -> None:
        """Commit and start a new transaction once this one holds enough rows."""
        if self._rows_in_transaction >= self.rows_per_transaction:
            transaction, self._transaction = self._transaction, None
            if transaction is not None:
                transaction.close()
            self._begin()

    def next_ids(self, tables: Iterable[Table]) -> dict[str, int]:
        """For each table, the first id after those it holds (1 for an empty table)."""
        return {
            table.name: int(
                self.connection.execute(
                    text(f"SELECT COALESCE(MAX(id), 0) FROM {self._quoted(table)}")
                ).scalar_one()
            )
            + 1
            for table in tables
        }

    def advance_sequences(self, tables: Iterable[Table]) -> None:
        """On PostgreSQL, move each table's id sequence past its largest id (no-op elsewhere)."""
        if self.format.is_sqlite:
            return
        for table in tables:
            self.connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:name, 'id'), MAX(id)) "
                    f"FROM {self._quoted(table)} HAVING MAX(id) IS NOT NULL"
                ),
                {"name": table.name},
            )

    def _quoted(self, table: Table) -> str:
        return self.database.engine.dialect.identifier_preparer.quote(table.name)

    def _begin(self) -> None:
        stack = ExitStack()
        session = stack.enter_context(self.database.write())
        self._connection = session.connection()
        self._transaction = stack
        self._rows_in_transaction = 0
