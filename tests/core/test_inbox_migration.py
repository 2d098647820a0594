"""The inbox migration (``e9950c6dc4ac``) on SQLite and PostgreSQL: it upgrades a database that
already holds mail (search finds it, counters are exact), downgrades cleanly, upgrades again,
and leaves a schema the models describe (the full-text index's own objects aside)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import Database, migrate
from core.models import Base
from core.models.base import UTCDateTime
from core.models.mail import described_by_models
from core.services import PageRequest
from core.services.inbox import folder_counts, list_inbox

BEFORE = "c69125226028"
INBOX = "e9950c6dc4ac"
T0 = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
HTML_ONLY = "<style>p {}</style><p>Zürich <b>office</b></p>"
SENT = {
    "folder": "sent",
    "direction": "outbound",
    "is_read": True,
    "received_at": None,
    "sent_at": datetime(2026, 7, 3, tzinfo=UTC),
    "from_address": "me@x.example",
    "from_name": "Me",
}

# The tables as the revision before this one had them: only the columns written here.
_OLD = sa.MetaData()
_EMAILS = sa.Table(
    "emails",
    _OLD,
    sa.Column("id", sa.Integer, primary_key=True),
    *(sa.Column(name, sa.String) for name in ("source", "direction", "folder", "subject")),
    *(sa.Column(name, sa.String) for name in ("from_address", "from_key", "from_name")),
    *(sa.Column(name, sa.Text) for name in ("text_body", "html_body", "snippet")),
    *(sa.Column(name, sa.Boolean) for name in ("is_read", "is_starred", "is_archived")),
    sa.Column("has_attachments", sa.Boolean),
    sa.Column("extra", sa.JSON),
    *(sa.Column(name, UTCDateTime) for name in ("received_at", "sent_at")),
    *(sa.Column(name, UTCDateTime) for name in ("created_at", "updated_at")),
)
_RECIPIENTS = sa.Table(
    "email_recipients",
    _OLD,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email_id", sa.Integer),
    *(sa.Column(name, sa.String) for name in ("kind", "address", "address_key", "name")),
    sa.Column("position", sa.Integer),
)


def _email(email_id: int, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": email_id,
        "source": "brightsync",
        "direction": "inbound",
        "folder": "inbox",
        "subject": "Hello",
        "from_address": "ann@acme.example",
        "from_key": "ann@acme.example",
        "from_name": "Ann Lee",
        "text_body": "Plain words",
        "html_body": None,
        "snippet": None,
        "is_read": False,
        "is_starred": False,
        "is_archived": False,
        "has_attachments": False,
        "extra": {},
        "received_at": T0,
        "sent_at": None,
        "created_at": T0,
        "updated_at": T0,
    }
    row.update(fields)
    return row


def _to(revision: str, url: str, *, down: bool = False) -> None:
    config = migrate.alembic_config(url=url)
    (command.downgrade if down else command.upgrade)(config, revision)


def _search(database: Database, query: str, folder: str = "all") -> list[int]:
    with database.read() as session:
        page = list_inbox(session, PageRequest(1, 50), folder=folder, query=query)
    return sorted(item.id for item in page.items)


def test_upgrading_a_database_with_mail_indexes_and_counts_it(empty_database_url: str) -> None:
    url = empty_database_url
    _to(BEFORE, url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            _EMAILS.insert(),
            [
                _email(1, subject="Quarterly pricing"),
                _email(2, text_body=None, html_body=HTML_ONLY),
                _email(3, **SENT),
                _email(4, folder="archive", is_archived=True, is_starred=True),
                _email(5, received_at=None, created_at=datetime(2026, 7, 2, tzinfo=UTC)),
            ],
        )  # fmt: skip
        connection.execute(
            _RECIPIENTS.insert(),
            [
                {"id": 1, "email_id": 1, "kind": "to", "address": "dana@finance.example",
                 "address_key": "dana@finance.example", "name": "Dana Ruiz", "position": 0},
                {"id": 2, "email_id": 1, "kind": "cc", "address": "bo@acme.example",
                 "address_key": "bo@acme.example", "name": None, "position": 1},
            ],
        )  # fmt: skip
    engine.dispose()

    _to("head", url)
    database = Database(url)
    try:
        assert _search(database, "dana ruiz") == [1]
        assert _search(database, "bo@acme.example") == [1]
        assert _search(database, "zürich office") == [2]
        assert _search(database, "ann lee") == [1, 2, 4, 5]
        assert _search(database, "pricing quarterly") == [1]
        with database.read() as session:
            counts = folder_counts(session)
            order = [i.id for i in list_inbox(session, PageRequest(1, 50), folder="all").items]
        assert {name: (c.total, c.unread) for name, c in counts.items()} == {
            "inbox": (3, 3),
            "sent": (1, 0),
            "archive": (1, 1),
            "starred": (1, 1),
            "all": (5, 4),
        }
        assert order == [3, 5, 4, 2, 1]  # sent 07-03, stored 07-02, then received 07-01 by id
        with database.write() as session:  # the triggers keep it all up to date from now on
            session.execute(
                sa.text("UPDATE emails SET subject = 'Invoice', is_read = true WHERE id = 1")
            )
        assert _search(database, "pricing") == []
        assert _search(database, "invoice") == [1]
        with database.read() as session:
            assert folder_counts(session)["inbox"].unread == 2
    finally:
        database.dispose()


def test_downgrading_removes_everything_and_upgrading_again_works(empty_database_url: str) -> None:
    url = empty_database_url
    _to("head", url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(_EMAILS.insert(), [_email(1, subject="Kept across")])
    _to(BEFORE, url, down=True)
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        tables = set(inspector.get_table_names())
        columns = {c["name"] for c in inspector.get_columns("emails")}
        indexes = {i["name"] for i in inspector.get_indexes("emails")}
        if connection.dialect.name == "sqlite":
            leftovers = connection.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).all()
        else:
            leftovers = connection.execute(
                sa.text(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal UNION ALL "
                    "SELECT proname FROM pg_proc WHERE proname LIKE 'hearth_%'"
                )
            ).all()
        subjects = connection.execute(sa.text("SELECT subject FROM emails")).scalars().all()
    assert not {t for t in tables if t.startswith(("emails_fts", "email_folder_counts"))}
    assert not columns & {"occurred_at", "search_text"}
    assert "ix_emails_folder_received" in indexes
    assert not {i for i in indexes if i.startswith(("ix_emails_search", "ix_emails_unread"))}
    assert leftovers == []
    assert subjects == ["Kept across"]

    _to("head", url)
    engine.dispose()
    database = Database(url)
    try:
        assert _search(database, "kept across") == [1]
    finally:
        database.dispose()


def test_the_models_describe_the_migrated_schema(empty_database_url: str) -> None:
    _to("head", empty_database_url)
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            options = {"compare_type": True, "include_name": described_by_models}
            context = MigrationContext.configure(connection, opts=options)
            assert context.get_current_revision() == INBOX
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
