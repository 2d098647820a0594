"""Statements the hot paths share, built once rather than on every call.

Building a SQLAlchemy statement (coercing its clauses, computing its cache key) costs several times
what SQLite takes to run it. Services on hot paths (ingesting an email, reading one back) keep
their statements at module level with bind parameters and run them on ``session.connection()``;
this module holds the pieces that vary by dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


@cache
def insert_or_skip(dialect: str, table: Table, conflict: Sequence[str]) -> Insert:
    """``INSERT ... ON CONFLICT (conflict) DO NOTHING`` for ``table`` on SQLite or PostgreSQL.

    A row whose unique ``conflict`` columns clash with a stored row (one another transaction has
    just written, say) is skipped instead of failing the transaction; with ``RETURNING`` the
    skipped row returns nothing. ``conflict`` must be a tuple (it is a cache key).
    """
    module = sqlite if dialect == "sqlite" else postgresql
    return module.insert(table).on_conflict_do_nothing(index_elements=list(conflict))
