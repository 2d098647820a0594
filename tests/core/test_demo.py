"""The demo-data generator: counts, determinism, integrity of what it writes, and its refusals."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select, text

from core.blobstore import BlobStore
from core.db import Database, open_database, sqlite_url
from core.demo import DemoScale, DemoSummary, generate_demo_data
from core.errors import Conflict, Invalid, NotFound
from core.models import (
    Activity,
    Attendee,
    Blob,
    Company,
    CompanyDomain,
    Contact,
    ContactEmail,
    ContactPhone,
    Document,
    Email,
    EmailRecipient,
    EmailThread,
    Event,
    RecordLink,
    User,
)
from core.normalize import domain_key, linkedin_key, message_id_key, name_key, phone_e164

SMALL = DemoScale(
    companies=6, contacts=40, emails=300, events=30, documents=6, notes=12, timeline=True
)
RESERVED_SUFFIXES = (".example", ".example.com", ".example.net")
# Ordered dumps of these tables are the generator's content.
CONTENT_TABLES = (
    "users", "companies", "company_domains", "contacts", "contact_emails", "contact_phones",
    "email_threads", "emails", "email_recipients", "events", "attendees", "record_links",
    "activities", "documents", "blobs",
)  # fmt: skip


def _open(path: Path) -> Database:
    return open_database(sqlite_url(path))


def _content_hash(database: Database) -> str:
    digest = hashlib.sha256()
    with database.read() as session:
        connection = session.connection()
        for table in CONTENT_TABLES:
            order = "sha256" if table == "blobs" else "id"
            for row in connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY {order}"):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _count(connection: Connection, model: type) -> int:
    return connection.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, DemoSummary, Path]:
    """One small demo database (with documents), shared by the read-only checks below."""
    root = tmp_path_factory.mktemp("small-demo")
    database = _open(root / "demo.sqlite3")
    documents = root / "documents"
    summary = generate_demo_data(database, scale=SMALL, documents_dir=documents)
    yield database, summary, documents
    database.dispose()


def test_counts_match_the_scale(small_demo: tuple[Database, DemoSummary, Path]) -> None:
    database, summary, _ = small_demo
    assert (summary.companies, summary.contacts, summary.emails) == (6, 40, 300)
    assert (summary.events, summary.documents, summary.users) == (30, 6, 1)
    with database.read() as session:
        connection = session.connection()
        written = {
            Company: summary.companies,
            Contact: summary.contacts,
            ContactEmail: summary.contact_emails,
            ContactPhone: summary.contact_phones,
            EmailThread: summary.threads,
            Email: summary.emails,
            EmailRecipient: summary.recipients,
            Event: summary.events,
            Attendee: summary.attendees,
            Document: summary.documents,
            Activity: summary.activities,
            RecordLink: summary.record_links,
            User: summary.users,
        }
        for model, count in written.items():
            assert _count(connection, model) == count, model.__name__
        query = select(Activity.kind, func.count().label("n")).group_by(Activity.kind)
        kinds = {row.kind: row.n for row in connection.execute(query)}
    # The timeline: one activity per email, per attending contact of a meeting, per note, per doc.
    assert kinds["email"] == 300
    assert kinds["note"] == 12
    assert kinds["document"] == 6
    assert kinds["meeting"] == summary.attendees - summary.events
    assert summary.total_rows >= summary.emails + summary.recipients + summary.record_links
    assert summary.elapsed_seconds > 0
    assert [stage for stage, _ in summary.stage_seconds] == [
        "people", "emails", "events", "notes", "documents",
    ]  # fmt: skip


def test_same_seed_same_content_other_seed_differs(tmp_path: Path) -> None:
    hashes = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        database = _open(tmp_path / f"{name}.sqlite3")
        generate_demo_data(
            database, scale=SMALL, seed=seed, documents_dir=tmp_path / f"docs-{name}"
        )
        hashes.append(_content_hash(database))
        database.dispose()
    assert hashes[0] == hashes[1]
    assert hashes[2] != hashes[0]
    first = sorted(p.relative_to(tmp_path / "docs-a") for p in (tmp_path / "docs-a").rglob("*"))
    second = sorted(p.relative_to(tmp_path / "docs-b") for p in (tmp_path / "docs-b").rglob("*"))
    assert first == second


def test_threads_agree_with_their_emails(small_demo: tuple[Database, DemoSummary, Path]) -> None:
    database, _, _ = small_demo
    with database.read() as session:
        threads = {t.id: t for t in session.scalars(select(EmailThread))}
        emails = session.scalars(select(Email).order_by(Email.id)).all()
        by_thread: dict[int, list[Email]] = defaultdict(list)
        for email in emails:
            assert email.thread_id in threads
            by_thread[email.thread_id].append(email)
        assert set(by_thread) == set(threads)
        for thread_id, members in by_thread.items():
            thread = threads[thread_id]
            members.sort(key=lambda e: e.received_at)
            assert thread.message_count == len(members)
            assert thread.last_message_at == members[-1].received_at
            assert thread.thread_key == members[0].rfc822_msg_id
            assert members[0].in_reply_to is None
            assert all(m.subject in {thread.subject, f"Re: {thread.subject}"} for m in members)
            for previous, reply in itertools.pairwise(members):
                assert reply.in_reply_to == previous.rfc822_msg_id
                assert reply.references.endswith(f"<{previous.rfc822_msg_id}>")
                assert reply.references.startswith(f"<{members[0].rfc822_msg_id}>")


def test_emails_are_plausible(small_demo: tuple[Database, DemoSummary, Path]) -> None:
    database, _, _ = small_demo
    now = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)
    with database.read() as session:
        me = session.scalars(select(User).where(User.is_me.is_(True))).one()
        assert me.email == "alex.morgan@hearth-demo.example"
        contact_keys = set(session.scalars(select(ContactEmail.address_key)))
        emails = session.scalars(select(Email)).all()
        message_ids = [e.rfc822_msg_id for e in emails]
        assert len(set(message_ids)) == len(emails)
        for email in emails:
            assert message_id_key(email.rfc822_msg_id) == email.rfc822_msg_id
            assert "<" not in email.rfc822_msg_id
            assert email.source == "demo"
            assert email.from_key == email.from_address.lower()
            assert email.received_at <= now
            assert email.sent_at <= email.received_at
            assert email.snippet
            assert len(email.snippet) <= 200
            assert " ".join(email.text_body.split()).startswith(email.snippet)
            recipients = email.recipients
            assert recipients
            assert recipients[0].kind == "to"
            assert all(r.address_key == r.address.lower() for r in recipients)
            if email.direction == "outbound":
                assert (email.folder, email.from_key, email.is_read) == ("sent", me.email, True)
                assert recipients[0].address_key in contact_keys
            else:
                assert email.folder in {"inbox", "archive"}
                assert email.is_archived == (email.folder == "archive")
                assert email.from_key in contact_keys
                assert recipients[0].address_key == me.email
        folders = Counter(e.folder for e in emails)
        assert folders["inbox"]
        assert folders["sent"]
        assert folders["archive"]
        assert any(e.html_body for e in emails)
        assert any(e.html_body is None for e in emails)
        assert any(not e.is_read for e in emails)
        assert any(e.is_starred for e in emails)


def test_links_point_at_existing_records(small_demo: tuple[Database, DemoSummary, Path]) -> None:
    database, _, _ = small_demo
    with database.read() as session:
        contacts = {str(i) for i in session.scalars(select(Contact.id))}
        companies = {str(i) for i in session.scalars(select(Company.id))}
        records = {
            "email": set(session.scalars(select(Email.id))),
            "event": set(session.scalars(select(Event.id))),
            "document": set(session.scalars(select(Document.id))),
        }
        linked: dict[tuple[str, int], set[str]] = defaultdict(set)
        for link in session.scalars(select(RecordLink)):
            assert link.record_id in records[link.record_type]
            assert link.entity_id in {"contact": contacts, "company": companies}[link.entity_type]
            expected = "explicit" if link.record_type == "document" else "matched"
            assert link.origin == expected
            linked[(link.record_type, link.record_id)].add(link.entity_type)
    for record_type, ids in records.items():
        for record_id in ids:
            assert "company" in linked[(record_type, record_id)]
            if record_type != "document":
                assert "contact" in linked[(record_type, record_id)]


def test_people_have_normalised_keys(small_demo: tuple[Database, DemoSummary, Path]) -> None:
    database, _, _ = small_demo
    with database.read() as session:
        for company in session.scalars(select(Company)):
            assert company.name_key == name_key(company.name)
            assert company.linkedin_key == linkedin_key(company.linkedin_url)
            assert 1 <= len(company.domains) <= 2
            for domain in company.domains:
                assert domain_key(domain.domain) == domain.domain
                assert domain.domain.endswith(RESERVED_SUFFIXES)
            assert company.website == f"https://www.{company.domains[0].domain}"
        domains_of: dict[int, set[str]] = defaultdict(set)
        for domain in session.scalars(select(CompanyDomain)):
            domains_of[domain.company_id].add(domain.domain)
        stages = set()
        for contact in session.scalars(select(Contact)):
            stages.add(contact.lifecycle_stage)
            assert contact.name_key == name_key(contact.first_name, contact.last_name)
            if contact.linkedin_url:
                assert contact.linkedin_key == linkedin_key(contact.linkedin_url)
            keys = [e.address_key for e in contact.emails]
            assert 1 <= len(keys) <= 2
            assert len(set(keys)) == len(keys)
            domains = domains_of[contact.company_id]
            for address in contact.emails:
                assert address.address_key == address.address.lower()
                assert address.address_key.rpartition("@")[2] in domains
            for phone in contact.phones:
                region = "GB" if contact.country == "United Kingdom" else "US"
                assert phone.e164 == phone_e164(phone.number, region)
            assert 0 <= contact.lead_score <= 100
            assert contact.owner_id is not None
            assert (
                contact.last_activity_at is None or contact.last_activity_at >= contact.created_at
            )
        assert stages <= {"Lead", "MQL", "SQL", "Opportunity", "Customer"}
        addresses = session.scalars(select(ContactEmail.address_key)).all()
        assert len(set(addresses)) == len(addresses)
        numbers = session.scalars(select(ContactPhone.e164)).all()
        assert len(set(numbers)) == len(numbers)


def test_events_are_consistent(small_demo: tuple[Database, DemoSummary, Path]) -> None:
    database, _, _ = small_demo
    with database.read() as session:
        contact_ids = set(session.scalars(select(Contact.id)))
        events = session.scalars(select(Event).order_by(Event.id)).all()
        assert any(e.all_day for e in events) or len(events) < 30
        previous = None
        for event in events:
            if previous is not None:
                assert event.last_modified_at > previous
            previous = event.last_modified_at
            assert event.last_modified_at.microsecond % 1000 == 0  # as the event clock issues
            assert event.created_at <= event.last_modified_at
            assert event.start_at < event.end_at
            if event.all_day:
                assert event.start_date is not None
                assert event.end_date > event.start_date
                assert event.start_at == datetime.combine(event.start_date, time(), UTC)
                assert event.end_at == datetime.combine(event.end_date, time(), UTC)
            else:
                assert event.start_date is None
                assert event.end_date is None
                assert event.timezone == "America/New_York"
            attendees = event.attendees
            assert sum(a.is_organizer for a in attendees) == 1
            assert attendees[0].is_organizer
            assert attendees[0].address_key == event.organizer_address.lower()
            for attendee in attendees:
                assert attendee.status in {"accepted", "declined", "tentative", "needsAction"}
                assert attendee.address_key == attendee.email_address.lower()
                assert attendee.contact_id is None or attendee.contact_id in contact_ids
            assert any(a.contact_id for a in attendees)


def test_all_day_events_are_generated(tmp_path: Path) -> None:
    database = _open(tmp_path / "events.sqlite3")
    generate_demo_data(database, scale=DemoScale(companies=3, contacts=10, emails=0, events=200))
    with database.read() as session:
        all_day = session.scalars(select(Event).where(Event.all_day.is_(True))).all()
        statuses = set(session.scalars(select(Attendee.status)))
    database.dispose()
    assert all_day
    assert statuses == {"accepted", "declined", "tentative", "needsAction"}


def test_documents_are_stored_by_hash(small_demo: tuple[Database, DemoSummary, Path]) -> None:
    database, _, documents_dir = small_demo
    store = BlobStore(documents_dir)
    with database.read() as session:
        blobs = {b.sha256: b.size for b in session.scalars(select(Blob))}
        documents = [(d.sha256, d.size, d.status) for d in session.scalars(select(Document))]
        content_types = set(session.scalars(select(Document.content_type)))
    assert len(documents) == 6
    for sha256, size, status in documents:
        assert status == "ready"
        assert blobs[sha256] == size
        content = store.path_for(sha256).read_bytes()
        assert hashlib.sha256(content).hexdigest() == sha256
        assert len(content) == size
        assert store.path_for(sha256).parent.name == sha256[:2]
    assert content_types >= {"text/markdown", "text/csv", "text/plain"}


def test_no_documents_without_a_folder(tmp_path: Path) -> None:
    database = _open(tmp_path / "x.sqlite3")
    summary = generate_demo_data(database, scale=SMALL)
    database.dispose()
    assert summary.documents == 0


def test_refuses_a_database_holding_a_crm(tmp_path: Path) -> None:
    database = _open(tmp_path / "x.sqlite3")
    with database.write() as session:
        session.add(Contact(first_name="Real", last_name="Person", name_key="real person"))
    with pytest.raises(Conflict, match="contacts"):
        generate_demo_data(database, scale=SMALL)
    with database.read() as session:
        assert _count(session.connection(), Company) == 0
        assert _count(session.connection(), User) == 0
    database.dispose()


def test_refuses_to_run_twice(small_demo: tuple[Database, DemoSummary, Path]) -> None:
    database, _, _ = small_demo
    with pytest.raises(Conflict):
        generate_demo_data(database, scale=SMALL)


def test_keeps_an_existing_me_user(tmp_path: Path) -> None:
    database = _open(tmp_path / "x.sqlite3")
    with database.write() as session:
        session.add(User(name="Sam Rivera", email="sam@example.com", is_me=True))
    summary = generate_demo_data(database, scale=SMALL)
    with database.read() as session:
        users = session.scalars(select(User.email)).all()
        senders = set(session.scalars(select(Email.from_key).where(Email.direction == "outbound")))
    database.dispose()
    assert summary.users == 0
    assert users == ["sam@example.com"]
    assert senders == {"sam@example.com"}


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    database = _open(tmp_path / "x.sqlite3")
    with pytest.raises(Invalid):
        generate_demo_data(database, scale=SMALL, now=datetime(2026, 6, 1))
    with pytest.raises(Invalid):
        DemoScale(contacts=-1)
    with pytest.raises(Invalid):
        DemoScale(companies=0, contacts=5)
    database.dispose()


def test_progress_is_reported_now_and_then(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    database = _open(tmp_path / "x.sqlite3")
    summary = generate_demo_data(
        database, documents_dir=tmp_path / "docs", progress=lambda *call: calls.append(call)
    )
    database.dispose()
    assert len(calls) < 40  # a few per stage, never one per row
    stages = [stage for stage, _, _ in calls]
    assert stages.index("contacts") < stages.index("emails") < stages.index("events")
    assert ("emails", summary.emails, summary.emails) in calls
    assert all(0 <= done <= total for _, done, total in calls)


def test_demo_scale(tmp_path: Path) -> None:
    scale = DemoScale.demo()
    assert (scale.companies, scale.contacts, scale.emails, scale.events) == (50, 400, 5000, 300)
    assert 5 <= scale.documents <= 10
    database = _open(tmp_path / "demo.sqlite3")
    summary = generate_demo_data(database, documents_dir=tmp_path / "documents")
    with database.read() as session:
        connection = session.connection()
        counts = (_count(connection, Contact), _count(connection, Email), _count(connection, Event))
        # Everything reads back through the models (UTC datetimes, JSON columns...).
        tags = [contact.tags for contact in session.scalars(select(Contact))]
        custom = [company.custom_fields for company in session.scalars(select(Company))]
        starts = [event.start_at for event in session.scalars(select(Event))]
        threads = session.scalars(select(EmailThread.message_count)).all()
    database.dispose()
    assert counts == (400, 5000, 300)
    assert summary.documents == scale.documents
    assert all(isinstance(t, list) for t in tags)
    assert any(tags)
    assert all(c["tier"] in {"Enterprise", "Mid-market", "SMB"} for c in custom)
    assert all(start.tzinfo is not None for start in starts)
    assert sum(threads) == 5000


def test_benchmark_scale() -> None:
    scale = DemoScale.benchmark()
    assert (scale.contacts, scale.emails, scale.events) == (100_000, 1_000_000, 50_000)
    assert scale.companies == 2_000


def test_works_on_every_backend(database: Database) -> None:
    # A contact that was created and deleted: its id must never come back.
    with database.write() as session:
        gone = Contact(first_name="Gone", last_name="Person", name_key="gone person")
        session.add(gone)
        session.flush()
        gone_id = gone.id
        session.delete(gone)
    scale = DemoScale(companies=3, contacts=12, emails=60, events=8, notes=3)
    summary = generate_demo_data(database, scale=scale)
    assert (summary.contacts, summary.emails, summary.events) == (12, 60, 8)
    with database.read() as session:
        ids = session.scalars(select(Contact.id).order_by(Contact.id)).all()
    assert ids == list(range(gone_id + 1, gone_id + 13))
    # Ids were chosen by the generator: the database must still hand out fresh ones after.
    with database.write() as session:
        contact = Contact(first_name="New", last_name="Person", name_key="new person")
        session.add(contact)
        session.flush()
        assert contact.id == gone_id + 13
    with database.read() as session:
        email = session.scalars(select(Email).order_by(Email.id)).first()
        assert email is not None
        assert email.received_at.tzinfo is not None
        raw = session.connection().execute(text("SELECT extra FROM emails LIMIT 1")).scalar()
        assert raw in ({}, "{}") or json.loads(raw) == {}


def test_blob_store_round_trip(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    sha256, size = store.put_bytes(b"hello demo")
    assert (sha256, size) == (hashlib.sha256(b"hello demo").hexdigest(), 10)
    path = store.path_for(sha256)
    assert path == tmp_path / "blobs" / sha256[:2] / sha256[2:]
    assert store.put_bytes(b"hello demo") == (sha256, size)  # idempotent
    assert store.put_stream([b"hello", b" demo"]) == (sha256, size)
    with store.open(sha256) as blob:
        assert blob.read() == b"hello demo"
    assert store.exists(sha256)
    assert not list((tmp_path / "blobs").rglob(".incoming-*"))
    assert store.delete(sha256)
    assert not store.exists(sha256)
    with pytest.raises(NotFound):
        store.open(sha256)
    for bad in ("../etc/passwd", sha256.upper(), sha256[:-1]):
        with pytest.raises(Invalid):
            store.path_for(bad)
