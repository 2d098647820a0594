"""The inbox's derived data, on SQLite and PostgreSQL: the folder counters and the full-text index
stay exact through every way emails are written (ingestion, updates, flags, plain SQL, deletes,
the demo generator), and search means what it says whatever the query."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select, text, update

from core.db import Database
from core.demo import DemoScale, generate_demo_data
from core.models import Email, User
from core.services import PageRequest
from core.services.emails import EmailData, Mailbox, ingest_email, replace_email, update_email
from core.services.inbox import FOLDERS, folder_conditions, folder_counts, list_inbox
from core.services.inbox_flags import set_flag
from core.services.inbox_search import Term, parse_query

ME = "me@hearth.example"
DEMO = DemoScale(companies=4, contacts=30, emails=400, events=5, documents=0, notes=5)
_WORD = re.compile(r"[^\W_]+")


def _true_counts(database: Database) -> dict[str, tuple[int, int]]:
    """Each folder's (total, unread) by counting the emails themselves."""
    counts = {}
    with database.read() as session:
        for folder in FOLDERS:
            total, unread = (
                session.scalar(
                    select(func.count()).select_from(Email).where(*folder_conditions(folder, u))
                )
                for u in (False, True)
            )
            counts[folder] = (total, unread)
    return counts


def _kept_counts(database: Database) -> dict[str, tuple[int, int]]:
    with database.read() as session:
        return {name: (c.total, c.unread) for name, c in folder_counts(session).items()}


def _search(database: Database, query: str, folder: str = "all") -> list[int]:
    with database.read() as session:
        page = list_inbox(session, PageRequest(1, 500), folder=folder, query=query)
    assert page.total == len(page.items)
    return sorted(item.id for item in page.items)


def _words_of(database: Database) -> dict[int, set[str]]:
    """Each email's searchable words, lower-cased, straight from its columns."""
    with database.read() as session:
        rows = session.execute(select(Email.id, Email.subject, Email.text_body, Email.search_text))
        return {
            email_id: {w.lower() for part in parts if part for w in _WORD.findall(part)}
            for email_id, *parts in rows
        }


def _check_search_index(database: Database) -> None:
    """The index agrees with the table: FTS5's own check on SQLite, and on both a sample of
    words found exactly where the emails' columns hold them."""
    if database.is_sqlite:
        with database.write() as session:
            session.execute(text("INSERT INTO emails_fts (emails_fts) VALUES ('integrity-check')"))
    words = _words_of(database)
    vocabulary = sorted({w for ws in words.values() for w in ws})
    for word in random.Random(3).sample(vocabulary, min(25, len(vocabulary))):
        expected = sorted(i for i, ws in words.items() if word in ws)
        assert _search(database, f'"{word}"') == expected, word


def _ingest(database: Database, **fields: object) -> int:
    fields.setdefault("subject", "Pricing")
    fields.setdefault("text_body", "Hello")
    with database.write() as session:
        record, _ = ingest_email(session, EmailData(**fields), source="brightsync")  # type: ignore[arg-type]
    return record.id


def test_counters_and_index_stay_exact_through_every_write(database: Database) -> None:
    generate_demo_data(database, scale=DEMO, documents_dir=None)
    assert _kept_counts(database) == _true_counts(database)
    with database.read() as session:
        me = session.scalar(select(User.email).where(User.is_me))
    assert me is not None

    new = [
        _ingest(database, subject=f"Xyzzyq {n}", from_address=f"buyer{n}@shop.example",
                to_addresses=(Mailbox(me),), received_at=datetime(2026, 6, 2, n, tzinfo=UTC))
        for n in range(6)
    ]  # fmt: skip
    _ingest(database, subject="Xyzzyq 0 again", rfc822_msg_id=None)  # a new one without an id
    with database.write() as session:
        # PATCH: the sender becomes the user (inbound -> outbound: inbox -> sent), new recipients.
        update_email(
            session, new[0], {"from_address": me, "to_addresses": [Mailbox("x@y.example", "Xu")]}
        )
        # PUT: everything replaced.
        replace_email(session, new[1], EmailData(subject="Replaced", html_body="<p>Other</p>"))
        for email_id, flag, value in [
            (new[2], "read", None), (new[3], "star", True), (new[3], "archive", None),
            (new[4], "archive", True), (new[4], "archive", False), (new[5], "star", None),
        ]:  # fmt: skip
            set_flag(session, email_id, flag, value)
    with database.write() as session:
        # Plain SQL, as the contact-center processing writes: folder and read state at once.
        session.execute(
            update(Email).where(Email.id == new[2]).values(folder="sent", is_read=False)
        )
        session.execute(update(Email).where(Email.source == "demo", Email.id % 7 == 0).values(
            is_read=~Email.is_read, is_starred=~Email.is_starred))  # fmt: skip
        session.delete(session.get(Email, new[5]))  # through the ORM
        session.execute(delete(Email).where(Email.source == "demo", Email.id % 11 == 0))

    assert _kept_counts(database) == _true_counts(database)
    _check_search_index(database)
    assert _search(database, "replaced other") == [new[1]]
    assert _search(database, "xu") == [new[0]]
    assert _search(database, "xyzzyq", folder="sent") == [new[0], new[2]]


def test_the_demo_generator_leaves_the_index_and_triggers_in_place(database: Database) -> None:
    generate_demo_data(database, scale=DEMO, documents_dir=None)
    if database.is_sqlite:
        with database.read() as session:
            triggers = session.execute(
                text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
            ).scalar()
        assert triggers == 6
    _check_search_index(database)
    email_id = _ingest(database, subject="Zanzibar itinerary")  # the triggers work again
    assert _search(database, "zanzibar") == [email_id]
    assert _kept_counts(database) == _true_counts(database)


def test_a_failed_demo_run_puts_the_upkeep_back(database: Database) -> None:
    def fail(stage: str, done: int, total: int) -> None:
        if stage == "events":
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        generate_demo_data(database, scale=DEMO, documents_dir=None, progress=fail)
    email_id = _ingest(database, subject="Zanzibar itinerary")
    assert _search(database, "zanzibar itinerary") == [email_id]
    assert _kept_counts(database) == _true_counts(database)
    _check_search_index(database)


def test_search_never_fails_whatever_the_query(database: Database) -> None:
    _ingest(database, subject="Pricing (final)", text_body='Re: "quote" - 50% off* AND more')
    rng = random.Random(11)
    alphabet = "ab \"*:-()^~+%_\\'.,;!?&|<>@#AND OR NOT NEAR é日😀\x00\t"
    queries = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(300)]
    with database.read() as session:
        for query in queries:
            page = list_inbox(session, PageRequest(1, 10), folder="all", query=query)
            assert page.total == len(page.items), query


def test_queries_are_words_phrases_and_a_last_prefix() -> None:
    assert parse_query("pricing") == [Term(("pricing",), prefix=True)]
    assert parse_query("pricing ") == [Term(("pricing",))]
    assert parse_query("to pr") == [Term(("to",)), Term(("pr",))]  # too short to be a prefix
    assert parse_query('"call to Thursday" pric') == [
        Term(("call", "to", "Thursday")), Term(("pric",), prefix=True)]  # fmt: skip
    assert parse_query("sarah.chen@acme.example") == [
        Term(("sarah", "chen", "acme", "example"), prefix=True)]  # fmt: skip
    assert parse_query('"unclosed phrase') == [Term(("unclosed", "phrase"))]
    assert parse_query("a a A") == [Term(("a",)), Term(("A",))]
    assert parse_query("-x AND") == [Term(("x",)), Term(("AND",), prefix=True)]
    for nothing in ("", " ", '"', '""', "*", ":-()", "_", "\x00"):
        assert parse_query(nothing) == [], nothing
