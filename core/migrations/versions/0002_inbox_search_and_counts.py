"""inbox: search index, occurred_at, folder counts

Revision ID: e9950c6dc4ac
Revises: c69125226028
Create Date: 2026-11-23 19:37:37.577474

What the Integrations API's inbox needs from the schema:

- ``emails.occurred_at``, computed by the database (received, else sent, else stored), and the
  indexes the inbox orders by (``ix_emails_folder_time`` takes the place of
  ``ix_emails_folder_received``, which no query used);
- ``emails.search_text`` (names and addresses of the sender and recipients, and an HTML-only
  body's visible text), filled here for the emails already stored;
- a full-text index over subject, text body and ``search_text``, kept in step with every write
  by triggers: on SQLite an FTS5 table with ``emails`` as its external content, on PostgreSQL an
  expression GIN index (no trigger needed there);
- ``email_folder_counts``, total/unread/starred figures per folder, kept by triggers on insert,
  delete and changes of ``folder``, ``is_read``, ``is_starred``.

Existing emails are indexed and counted in this same transaction, before the triggers exist, so
the index and the counters start exact. The SQL here is frozen: later changes to the search
document need a new migration (and the same text in ``core.services.inbox_search``).
"""

import re
from collections.abc import Sequence
import html

import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401 - autogenerate renders JSONB(astext_type=Text())
from alembic import op

import core.models.base


revision: str = 'e9950c6dc4ac'
down_revision: str | None = 'c69125226028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# --- SQLite --------------------------------------------------------------------------------------

_SQLITE_SEARCH_TABLE = """
CREATE VIRTUAL TABLE emails_fts USING fts5(
    subject, text_body, search_text,
    content='emails', content_rowid='id', columnsize=0,
    tokenize='unicode61 remove_diacritics 2'
)
"""
# External content: the index holds no copy of the text, and removing a row needs the values it
# was indexed with, which the triggers pass from OLD. UPDATE OF only the indexed columns, so flag
# changes never touch the index.
_SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER emails_fts_insert AFTER INSERT ON emails BEGIN
        INSERT INTO emails_fts (rowid, subject, text_body, search_text)
        VALUES (new.id, new.subject, new.text_body, new.search_text);
    END
    """,
    """
    CREATE TRIGGER emails_fts_delete AFTER DELETE ON emails BEGIN
        INSERT INTO emails_fts (emails_fts, rowid, subject, text_body, search_text)
        VALUES ('delete', old.id, old.subject, old.text_body, old.search_text);
    END
    """,
    """
    CREATE TRIGGER emails_fts_update AFTER UPDATE OF subject, text_body, search_text ON emails
    WHEN old.subject IS NOT new.subject OR old.text_body IS NOT new.text_body
        OR old.search_text IS NOT new.search_text
    BEGIN
        INSERT INTO emails_fts (emails_fts, rowid, subject, text_body, search_text)
        VALUES ('delete', old.id, old.subject, old.text_body, old.search_text);
        INSERT INTO emails_fts (rowid, subject, text_body, search_text)
        VALUES (new.id, new.subject, new.text_body, new.search_text);
    END
    """,
    """
    CREATE TRIGGER emails_count_insert AFTER INSERT ON emails BEGIN
        INSERT INTO email_folder_counts
            (folder, shard, total, unread, starred, starred_unread)
        VALUES (new.folder, 0, 1, NOT new.is_read, new.is_starred,
                new.is_starred AND NOT new.is_read)
        ON CONFLICT (folder, shard) DO UPDATE SET
            total = total + excluded.total,
            unread = unread + excluded.unread,
            starred = starred + excluded.starred,
            starred_unread = starred_unread + excluded.starred_unread;
    END
    """,
    """
    CREATE TRIGGER emails_count_delete AFTER DELETE ON emails BEGIN
        UPDATE email_folder_counts SET
            total = total - 1,
            unread = unread - (NOT old.is_read),
            starred = starred - old.is_starred,
            starred_unread = starred_unread - (old.is_starred AND NOT old.is_read)
        WHERE folder = old.folder AND shard = 0;
    END
    """,
    """
    CREATE TRIGGER emails_count_update AFTER UPDATE OF folder, is_read, is_starred ON emails
    WHEN old.folder IS NOT new.folder OR old.is_read IS NOT new.is_read
        OR old.is_starred IS NOT new.is_starred
    BEGIN
        UPDATE email_folder_counts SET
            total = total - 1,
            unread = unread - (NOT old.is_read),
            starred = starred - old.is_starred,
            starred_unread = starred_unread - (old.is_starred AND NOT old.is_read)
        WHERE folder = old.folder AND shard = 0;
        INSERT INTO email_folder_counts
            (folder, shard, total, unread, starred, starred_unread)
        VALUES (new.folder, 0, 1, NOT new.is_read, new.is_starred,
                new.is_starred AND NOT new.is_read)
        ON CONFLICT (folder, shard) DO UPDATE SET
            total = total + excluded.total,
            unread = unread + excluded.unread,
            starred = starred + excluded.starred,
            starred_unread = starred_unread + excluded.starred_unread;
    END
    """,
)
_SQLITE_TRIGGER_NAMES = (
    "emails_fts_insert",
    "emails_fts_delete",
    "emails_fts_update",
    "emails_count_insert",
    "emails_count_delete",
    "emails_count_update",
)

# --- PostgreSQL ----------------------------------------------------------------------------------

# The search document: the same text as core.services.inbox_search.POSTGRES_DOCUMENT (a query
# uses the index only when its expression is this one). Punctuation becomes space, so words split
# as SQLite's unicode61 splits them (an address is its parts: ann, lee, acme, example), and the
# text is cut at 100,000 characters (a tsvector holds at most 1 MB).
_PG_DOCUMENT = (
    "to_tsvector('simple'::regconfig, left(regexp_replace("
    "coalesce(subject, '') || ' ' || coalesce(text_body, '') || ' ' || coalesce(search_text, ''), "
    "'[!-/:-@[-`{-~\\u00a0\\u00a1\\u00ab\\u00b7\\u00bb\\u00bf\\u2000-\\u206f\\u3000-\\u303f]+', "
    "' ', 'g'), 100000))"
)
# Counters: a transaction adds to the rows of one shard (of 16, by its transaction id), so two
# writers seldom wait for the same row. Inserts and deletes per statement (a bulk insert is one
# upsert per folder); flag changes per row, only when a counted column changes.
_PG_FUNCTIONS = (
    """
    CREATE FUNCTION hearth_email_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO email_folder_counts AS c
            (folder, shard, total, unread, starred, starred_unread)
        SELECT folder, mod(txid_current(), 16)::int, count(*),
               count(*) FILTER (WHERE NOT is_read), count(*) FILTER (WHERE is_starred),
               count(*) FILTER (WHERE is_starred AND NOT is_read)
        FROM new_rows GROUP BY folder ORDER BY folder
        ON CONFLICT (folder, shard) DO UPDATE SET
            total = c.total + excluded.total,
            unread = c.unread + excluded.unread,
            starred = c.starred + excluded.starred,
            starred_unread = c.starred_unread + excluded.starred_unread;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION hearth_email_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO email_folder_counts AS c
            (folder, shard, total, unread, starred, starred_unread)
        SELECT folder, mod(txid_current(), 16)::int, -count(*),
               -count(*) FILTER (WHERE NOT is_read), -count(*) FILTER (WHERE is_starred),
               -count(*) FILTER (WHERE is_starred AND NOT is_read)
        FROM old_rows GROUP BY folder ORDER BY folder
        ON CONFLICT (folder, shard) DO UPDATE SET
            total = c.total + excluded.total,
            unread = c.unread + excluded.unread,
            starred = c.starred + excluded.starred,
            starred_unread = c.starred_unread + excluded.starred_unread;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION hearth_email_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO email_folder_counts AS c
            (folder, shard, total, unread, starred, starred_unread)
        SELECT folder, mod(txid_current(), 16)::int, sum(total), sum(unread), sum(starred),
               sum(starred_unread)
        FROM (VALUES
            (OLD.folder, -1, -(NOT OLD.is_read)::int, -OLD.is_starred::int,
             -(OLD.is_starred AND NOT OLD.is_read)::int),
            (NEW.folder, 1, (NOT NEW.is_read)::int, NEW.is_starred::int,
             (NEW.is_starred AND NOT NEW.is_read)::int)
        ) AS change (folder, total, unread, starred, starred_unread)
        GROUP BY folder ORDER BY folder
        ON CONFLICT (folder, shard) DO UPDATE SET
            total = c.total + excluded.total,
            unread = c.unread + excluded.unread,
            starred = c.starred + excluded.starred,
            starred_unread = c.starred_unread + excluded.starred_unread;
        RETURN NULL;
    END $$
    """,
)
_PG_TRIGGERS = (
    """
    CREATE TRIGGER emails_count_insert AFTER INSERT ON emails
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hearth_email_counts_insert()
    """,
    """
    CREATE TRIGGER emails_count_delete AFTER DELETE ON emails
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hearth_email_counts_delete()
    """,
    """
    CREATE TRIGGER emails_count_update AFTER UPDATE OF folder, is_read, is_starred ON emails
    FOR EACH ROW
    WHEN (OLD.folder IS DISTINCT FROM NEW.folder OR OLD.is_read IS DISTINCT FROM NEW.is_read
          OR OLD.is_starred IS DISTINCT FROM NEW.is_starred)
    EXECUTE FUNCTION hearth_email_counts_update()
    """,
)

# --- Filling what is already stored --------------------------------------------------------------

_PEOPLE = {
    "sqlite": """
        UPDATE emails SET search_text = nullif(trim(
            coalesce(from_name, '') || ' ' || coalesce(from_address, '') || ' ' || coalesce((
                SELECT group_concat(coalesce(r.name || ' ', '') || r.address, ' ')
                FROM email_recipients AS r WHERE r.email_id = emails.id
            ), '')), '')
    """,
    "postgresql": """
        UPDATE emails SET search_text = nullif(trim(
            coalesce(from_name, '') || ' ' || coalesce(from_address, '') || ' ' || coalesce((
                SELECT string_agg(coalesce(r.name || ' ', '') || r.address, ' '
                                  ORDER BY r.position)
                FROM email_recipients AS r WHERE r.email_id = emails.id
            ), '')), '')
    """,
}
_HTML_ONLY = """
    SELECT id, html_body, search_text FROM emails
    WHERE (text_body IS NULL OR trim(text_body) = '') AND html_body IS NOT NULL AND id > :after
    ORDER BY id LIMIT 1000
"""
_HIDDEN_HTML = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_COUNT_FOLDERS = """
    INSERT INTO email_folder_counts (folder, shard, total, unread, starred, starred_unread)
    SELECT folder, 0, count(*),
           sum(CASE WHEN is_read THEN 0 ELSE 1 END),
           sum(CASE WHEN is_starred THEN 1 ELSE 0 END),
           sum(CASE WHEN is_starred AND NOT is_read THEN 1 ELSE 0 END)
    FROM emails GROUP BY folder
"""


def _visible_text(markup: str) -> str:
    """An HTML body's visible text, as core.services.email_content.html_to_text reads it."""
    return " ".join(html.unescape(_TAG.sub(" ", _HIDDEN_HTML.sub(" ", markup))).split())


def _fill_search_text(connection: sa.Connection) -> None:
    connection.execute(sa.text(_PEOPLE[connection.dialect.name]))
    after = 0
    while True:
        rows = connection.execute(sa.text(_HTML_ONLY), {"after": after}).all()
        if not rows:
            return
        changes = []
        for email_id, markup, people in rows:
            visible = _visible_text(markup)
            if visible:
                changes.append({"id": email_id, "text": f"{people or ''}\n{visible}".strip()})
        if changes:
            connection.execute(
                sa.text("UPDATE emails SET search_text = :text WHERE id = :id"), changes
            )
        after = rows[-1][0]


def upgrade() -> None:
    op.create_table('email_folder_counts',
    sa.Column('folder', sa.String(length=32), nullable=False),
    sa.Column('shard', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('unread', sa.Integer(), nullable=False),
    sa.Column('starred', sa.Integer(), nullable=False),
    sa.Column('starred_unread', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('folder', 'shard', name=op.f('pk_email_folder_counts'))
    )
    # VIRTUAL on SQLite (ALTER TABLE cannot add a STORED column), STORED on PostgreSQL (where a
    # virtual column could not be indexed).
    stored = True if op.get_bind().dialect.name == "postgresql" else None
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurred_at', core.models.base.UTCDateTime(), sa.Computed('coalesce(received_at, sent_at, created_at)', persisted=stored), nullable=False))
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=True))
        batch_op.drop_index('ix_emails_folder_received')
        batch_op.create_index('ix_emails_folder_time', ['folder', 'occurred_at', 'id'], unique=False)
        batch_op.create_index('ix_emails_starred_time', ['occurred_at', 'id', 'folder', 'is_read'], unique=False, sqlite_where=sa.text('is_starred = 1'), postgresql_where=sa.text('is_starred'))
        batch_op.create_index('ix_emails_unread_folder_time', ['folder', 'occurred_at', 'id'], unique=False, sqlite_where=sa.text('is_read = 0'), postgresql_where=sa.text('NOT is_read'))

    connection = op.get_bind()
    _fill_search_text(connection)
    connection.execute(sa.text(_COUNT_FOLDERS))
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(_SQLITE_SEARCH_TABLE)
        # Index what is stored with up to 512 MB of terms pending in memory, in one segment at
        # the end: otherwise the next writes would each do part of the merging FTS5 leaves.
        for command in ("'hashsize', 536870912", "'rebuild', NULL", "'optimize', NULL",
                        "'hashsize', 1048576"):
            connection.exec_driver_sql(
                f"INSERT INTO emails_fts (emails_fts, rank) VALUES ({command})"
            )
        for statement in _SQLITE_TRIGGERS:
            connection.exec_driver_sql(statement)
    else:
        connection.exec_driver_sql(f"CREATE INDEX ix_emails_search ON emails USING gin ({_PG_DOCUMENT})")
        for statement in (*_PG_FUNCTIONS, *_PG_TRIGGERS):
            connection.exec_driver_sql(statement)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for name in _SQLITE_TRIGGER_NAMES:
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
        connection.exec_driver_sql("DROP TABLE emails_fts")
    else:
        for name in ("emails_count_insert", "emails_count_delete", "emails_count_update"):
            connection.exec_driver_sql(f"DROP TRIGGER {name} ON emails")
        for name in ("insert", "delete", "update"):
            connection.exec_driver_sql(f"DROP FUNCTION hearth_email_counts_{name}()")
        connection.exec_driver_sql("DROP INDEX ix_emails_search")
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.drop_index('ix_emails_unread_folder_time', sqlite_where=sa.text('is_read = 0'), postgresql_where=sa.text('NOT is_read'))
        batch_op.drop_index('ix_emails_starred_time', sqlite_where=sa.text('is_starred = 1'), postgresql_where=sa.text('is_starred'))
        batch_op.drop_index('ix_emails_folder_time')
        batch_op.create_index('ix_emails_folder_received', ['folder', 'received_at'], unique=False)
        batch_op.drop_column('search_text')
        batch_op.drop_column('occurred_at')

    op.drop_table('email_folder_counts')
