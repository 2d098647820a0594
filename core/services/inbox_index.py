"""What the database keeps for the inbox besides the emails: the full-text index and the folder
counters, and how bulk loaders may set their upkeep aside.

Both are kept by the database itself (see the migration ``e9950c6dc4ac``): on SQLite, triggers on
``emails`` feed the FTS5 table ``emails_fts`` and ``email_folder_counts``; on PostgreSQL, an
expression GIN index needs no upkeep and triggers keep the counters. So every writer, the ORM,
prebuilt statements and raw SQL alike, keeps them exact.

Row triggers cost a bulk load of a million emails dearly on SQLite (each makes every index
insertion on ``emails`` slower), so a bulk loader may drop them while it writes and then call
:func:`restore_upkeep`, which rebuilds both from the table in one pass and puts the triggers back.

A later migration that rebuilds ``emails`` on SQLite (Alembic's batch "move and copy") drops its
triggers with the old table: it must create them again and :func:`rebuild`, or search and the
counters silently fall behind.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

_TRIGGERS = text(
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'emails'"
)
_RECOUNT = text(
    """
    INSERT INTO email_folder_counts (folder, shard, total, unread, starred, starred_unread)
    SELECT folder, 0, count(*),
           sum(CASE WHEN is_read THEN 0 ELSE 1 END),
           sum(CASE WHEN is_starred THEN 1 ELSE 0 END),
           sum(CASE WHEN is_starred AND NOT is_read THEN 1 ELSE 0 END)
    FROM emails GROUP BY folder
    """
)
# On SQLite from the inbox's indexes alone, never the table (3 s at a million emails, against
# 0.1 s): the folder index for totals, the partial ones for unread and starred mail.
_SQLITE_RECOUNT = (
    """
    INSERT INTO email_folder_counts (folder, shard, total, unread, starred, starred_unread)
    SELECT folder, 0, count(*), 0, 0, 0 FROM emails GROUP BY folder
    """,
    """
    UPDATE email_folder_counts SET unread = counted.n
    FROM (SELECT folder, count(*) AS n FROM emails INDEXED BY ix_emails_unread_folder_time
          WHERE is_read = 0 GROUP BY folder) AS counted
    WHERE email_folder_counts.folder = counted.folder AND shard = 0
    """,
    """
    UPDATE email_folder_counts SET starred = counted.n, starred_unread = counted.unread
    FROM (SELECT folder, count(*) AS n, sum(is_read = 0) AS unread
          FROM emails INDEXED BY ix_emails_starred_time WHERE is_starred = 1 GROUP BY folder)
          AS counted
    WHERE email_folder_counts.folder = counted.folder AND shard = 0
    """,
)


def suspend_upkeep(connection: Connection) -> list[tuple[str, str]]:
    """Drop the triggers on ``emails`` (SQLite; elsewhere nothing) in the connection's
    transaction; returns them as ``(name, sql)`` for :func:`restore_upkeep`.

    Until then the search index and the counters fall behind whatever is written.
    """
    if connection.dialect.name != "sqlite":
        return []
    triggers = [(name, sql) for name, sql in connection.execute(_TRIGGERS)]
    for name, _ in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    return triggers


def restore_upkeep(connection: Connection, triggers: list[tuple[str, str]]) -> None:
    """Rebuild the search index and the counters from ``emails`` and recreate the ``triggers``
    :func:`suspend_upkeep` dropped (those that are missing: a rolled-back drop left some)."""
    if connection.dialect.name != "sqlite" or not triggers:
        return
    rebuild(connection)
    present = {name for name, _ in connection.execute(_TRIGGERS)}
    for name, sql in triggers:
        if name not in present:
            connection.exec_driver_sql(sql)


def rebuild(connection: Connection) -> None:
    """Recompute the folder counters and (on SQLite) the search index from ``emails``.

    For a database whose triggers were off, or to repair one; on PostgreSQL the index needs no
    rebuilding. Holds the write lock for as long as it reads every email.
    """
    connection.execute(text("DELETE FROM email_folder_counts"))
    if connection.dialect.name != "sqlite":
        connection.execute(_RECOUNT)
        return
    for statement in _SQLITE_RECOUNT:
        connection.exec_driver_sql(statement)
    # Terms pending in memory up to 512 MB (about 250 MB at a million demo emails), so the index
    # is written as one segment, twice as fast as in 1 MB pieces merged together; then back to
    # FTS5's default of 1 MB. Anything left in pieces is merged into one now: otherwise the next
    # thousands of small writes would each do part of that merging (a new email took 3 times
    # longer).
    _fts_command(connection, "hashsize", _REBUILD_HASHSIZE)
    _fts_command(connection, "rebuild")
    _fts_command(connection, "optimize")
    _fts_command(connection, "hashsize", _DEFAULT_HASHSIZE)


_REBUILD_HASHSIZE = 512 * 1024 * 1024
_DEFAULT_HASHSIZE = 1024 * 1024


def _fts_command(connection: Connection, command: str, value: int | None = None) -> None:
    """An FTS5 special command (``rebuild``, ``optimize``) or setting (``hashsize``)."""
    if value is None:
        connection.execute(
            text("INSERT INTO emails_fts (emails_fts) VALUES (:command)"), {"command": command}
        )
    else:
        connection.execute(
            text("INSERT INTO emails_fts (emails_fts, rank) VALUES (:command, :value)"),
            {"command": command, "value": value},
        )
