"""Demo data: a believable CRM for a first run (``hearth --demo``) and for large benchmarks.

:func:`generate_demo_data` fills an empty database with a user ("me", Alex Morgan), companies with
their domains, contacts with addresses and phones, mail threads between the user and contacts,
meetings, notes and (given a folder for them) a few documents, all linked to their contacts and
companies as matching would link them. The content depends only on the seed, the scale and
``now``, never on the clock, so two runs with the same arguments write the same rows.

Everything it writes is fictional and cannot reach anyone: domains are under ``.example``,
``example.com`` and ``example.net``, and phone numbers are from ranges reserved for fiction.

The rows go in as bulk ``executemany`` inserts with ids chosen in advance (see
:mod:`core.demo.bulk`), in transactions of about a million rows. A failure part-way leaves what
earlier transactions committed (a demo database is throw-away; at demo scale everything is one
transaction anyway). At benchmark scale on SQLite it writes about 20,000 emails a second with
everything that goes with them; ``tests/benchmarks/bench_demo.py`` measures it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, select

from core.blobstore import BlobStore
from core.db import Database
from core.demo.bulk import BulkWriter
from core.demo.context import DemoContext, Progress, epoch_seconds
from core.demo.documents import write_documents, write_notes
from core.demo.mail import write_mail
from core.demo.meetings import write_meetings
from core.demo.people import build_people, write_last_activity, write_me
from core.errors import Conflict, Invalid
from core.models import (
    Activity,
    Attendee,
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
from core.services.inbox_index import restore_upkeep, suspend_upkeep

__all__ = ["DEMO_NOW", "DemoScale", "DemoSummary", "Progress", "generate_demo_data"]

DEMO_NOW = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)
"""The demo's default present: mail and past meetings lie before it, upcoming meetings after."""

# Measured at benchmark scale: fewer, larger transactions rewrite the indexes' pages less often.
_ROWS_PER_TRANSACTION = 1_000_000
_SQLITE_CACHE_KIB = 64 * 1024  # more made no difference
_ID_TABLES = (
    User,
    Company,
    CompanyDomain,
    Contact,
    ContactEmail,
    ContactPhone,
    EmailThread,
    Email,
    EmailRecipient,
    RecordLink,
    Event,
    Attendee,
    Activity,
    Document,
)
# A database holding any of these is someone's CRM: demo data must never mix into it.
_CRM_TABLES = (Contact, Company, Email, Event, Document)


@dataclass(frozen=True)
class DemoScale:
    """How much to make. ``timeline`` adds an ``Activity`` per email and meeting attendee."""

    companies: int = 50
    contacts: int = 400
    emails: int = 5_000
    events: int = 300
    documents: int = 8
    notes: int = 150
    timeline: bool = True

    def __post_init__(self) -> None:
        for name in ("companies", "contacts", "emails", "events", "documents", "notes"):
            if getattr(self, name) < 0:
                raise Invalid("must not be negative", field=name)
        if self.contacts and not self.companies:
            raise Invalid("contacts need at least one company", field="companies")
        if (self.emails or self.events or self.documents or self.notes) and not self.contacts:
            raise Invalid("emails, events, documents and notes need contacts", field="contacts")

    @classmethod
    def demo(cls) -> DemoScale:
        """A first-run CRM: 50 companies, 400 contacts, 5,000 emails, 300 meetings, 8 documents."""
        return cls()

    @classmethod
    def benchmark(cls) -> DemoScale:
        """A heavy user's CRM: 2,000 companies, 100,000 contacts, a million emails, 50,000 events.

        Without the per-email timeline (the contact timeline then shows notes and documents).
        """
        return cls(
            companies=2_000,
            contacts=100_000,
            emails=1_000_000,
            events=50_000,
            documents=10,
            notes=20_000,
            timeline=False,
        )


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_demo_data` wrote: rows per kind, and how long it took."""

    users: int
    companies: int
    contacts: int
    contact_emails: int
    contact_phones: int
    threads: int
    emails: int
    recipients: int
    events: int
    attendees: int
    documents: int
    activities: int
    record_links: int
    total_rows: int
    elapsed_seconds: float
    stage_seconds: tuple[tuple[str, float], ...] = ()
    """Time spent per stage (people, emails, events, notes, documents), in order."""


def generate_demo_data(
    database: Database,
    *,
    scale: DemoScale = DemoScale.demo(),  # noqa: B008 - frozen, so sharing the default is safe
    seed: int = 7,
    documents_dir: Path | None = None,
    progress: Progress | None = None,
    now: datetime = DEMO_NOW,
) -> DemoSummary:
    """Fill an empty ``database`` with demo data; returns what was written.

    Same ``seed``, ``scale`` and ``now`` give the same content. ``now`` (timezone-aware) is the
    demo's present; pass the real time for a first run that looks current. Documents are stored
    in a :class:`core.blobstore.BlobStore` at ``documents_dir``; with ``None`` there are none.
    ``progress(stage, done, total)`` is called a few times per stage (stages: companies, contacts,
    emails, events, notes, documents), on this thread.

    Raises ``Conflict`` if the database already holds contacts, companies, emails, events or
    documents, and ``Invalid`` for a naive ``now``. An existing "me" user is kept and used.
    """
    if now.tzinfo is None:
        raise Invalid("must be timezone-aware", field="now")
    started = time.perf_counter()
    stage_seconds: dict[str, float] = {}

    @contextmanager
    def timed(stage: str) -> Iterator[None]:
        begun = time.perf_counter()
        yield
        stage_seconds[stage] = time.perf_counter() - begun

    paused = _garbage_collector_paused()
    suspended: list[tuple[str, str]] = []
    try:
        with paused, BulkWriter(database, _ROWS_PER_TRANSACTION, _SQLITE_CACHE_KIB) as writer:
            _refuse_crm_data(writer.connection)
            # Triggers on emails (search index, folder counters) would slow every row: both are
            # built in one pass once the mail is written (part of the "emails" stage).
            suspended = suspend_upkeep(writer.connection)
            ctx = DemoContext(
                seed=seed,
                writer=writer,
                now=epoch_seconds(now),
                timeline=scale.timeline,
                progress=progress,
                next_ids=writer.next_ids(_ID_TABLES),
            )
            with timed("people"):
                write_me(ctx)
                build_people(ctx, scale.companies, scale.contacts)
            with timed("emails"):
                write_mail(ctx, scale.emails)
                restore_upkeep(writer.connection, suspended)
            with timed("events"):
                write_meetings(ctx, scale.events)
            with timed("notes"):
                write_notes(ctx, scale.notes)
            if documents_dir is not None:
                with timed("documents"):
                    write_documents(ctx, scale.documents, BlobStore(documents_dir))
            write_last_activity(ctx)
            filled = [model for model in _ID_TABLES if ctx.counts.get(model.__tablename__)]
            writer.advance_sequences(filled)
        suspended = []
    finally:
        if suspended:  # failed part-way: what was committed gets its index and triggers back
            with database.write() as session:
                restore_upkeep(session.connection(), suspended)
    counts = ctx.counts
    return DemoSummary(
        users=counts.get(User.__tablename__, 0),
        companies=counts.get(Company.__tablename__, 0),
        contacts=counts.get(Contact.__tablename__, 0),
        contact_emails=counts.get(ContactEmail.__tablename__, 0),
        contact_phones=counts.get(ContactPhone.__tablename__, 0),
        threads=counts.get(EmailThread.__tablename__, 0),
        emails=counts.get(Email.__tablename__, 0),
        recipients=counts.get(EmailRecipient.__tablename__, 0),
        events=counts.get(Event.__tablename__, 0),
        attendees=counts.get(Attendee.__tablename__, 0),
        documents=counts.get(Document.__tablename__, 0),
        activities=counts.get(Activity.__tablename__, 0),
        record_links=counts.get(RecordLink.__tablename__, 0),
        total_rows=sum(counts.values()),
        elapsed_seconds=time.perf_counter() - started,
        stage_seconds=tuple(stage_seconds.items()),
    )


@contextmanager
def _garbage_collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of short-lived row tuples are made.

    The rows hold no reference cycles, yet every young-generation pass walks them: pausing saves
    about a tenth of the time at benchmark scale. The setting is process-wide, so it is restored
    exactly as it was found.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _refuse_crm_data(connection: Connection) -> None:
    for model in _CRM_TABLES:
        if connection.execute(select(model.id).limit(1)).first() is not None:
            raise Conflict(
                f"the database already holds {model.__tablename__}: demo data is only written "
                "into an empty database, so it never mixes with a real CRM"
            )
