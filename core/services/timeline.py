"""Timelines: what happened with a contact or a company, newest first, and the user's notes.

Each entry is an :class:`core.models.Activity` written by the code that owns what it shows
(:mod:`core.services.email_links` for emails, :mod:`core.services.event_links` for meetings, the
partner ingestion for contact-center emails and Enginy engagement, :func:`add_note` here). What a
timeline contains follows from how those writers fill ``contact_id`` and ``company_id``:

- An entry about a person has their ``contact_id`` and, when it is written, the ``company_id`` of
  the company they work for (meetings, notes, the demo's mail); an entry about a company alone has
  only ``company_id`` (the email writer adds one for each company an email is linked to, which
  includes the companies of the contacts it matched). Writers of new kinds should do the same.
- **A contact's timeline** is every entry with its ``contact_id``.
- **A company's timeline** is every entry with its ``company_id``: its own, and those of the
  people who worked there when it happened. An email or meeting that involved several of its
  people is one entry there (the earliest written stands for it), as a salesperson counts one
  meeting with Acme, not one per attendee. It is deliberately *not* "the entries of the people
  working there now": someone who joins from a competitor does not bring that history along, and
  someone who leaves does not take the company's history away. Entries written for a contact
  alone (``company_id`` empty, e.g. an email a partner logged against the contact only) stay off
  the company's timeline.

Both are ordered by ``occurred_at``, newest first, ties by id (newest first), so pages are
stable; each reads one range of ``ix_activities_contact_time`` / ``ix_activities_company_time``,
and counts within that range, never across the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, aliased

from core.errors import Invalid, NotFound
from core.events import note_change
from core.models import Activity, Company, Contact, utcnow
from core.services import Page, PageRequest

KINDS = (
    "email",
    "meeting",
    "note",
    "document",
    "contact_center_email",
    "enginy_engagement",
    "enginy_activity",
)
"""Every kind of timeline entry; a writer of a new kind adds it here, so clients can filter by
it."""

NOTE_KIND = "note"
MAX_NOTE_TITLE = 1_000
MAX_NOTE_BODY = 100_000

_COLUMNS = (
    Activity.id,
    Activity.kind,
    Activity.occurred_at,
    Activity.title,
    Activity.body,
    Activity.source,
    Activity.record_type,
    Activity.record_id,
    Activity.contact_id,
    Activity.company_id,
    Activity.data,
)


@dataclass(frozen=True)
class TimelineEntry:
    """One entry of a timeline. ``record_type``/``record_id`` name the email, event or document
    behind it (both ``None`` for a note); ``contact_id``/``company_id`` are whom it was written
    for; ``data`` holds the writer's details (an email's ``direction``, what a partner sent)."""

    id: int
    kind: str
    occurred_at: datetime
    title: str | None
    body: str | None
    source: str
    record_type: str | None
    record_id: int | None
    contact_id: int | None
    company_id: int | None
    data: dict[str, Any]


@dataclass(frozen=True)
class TimelineFilter:
    """Which entries to show: of these ``kinds`` (all when empty), occurred at or after
    ``after`` and before ``before`` (each optional; aware datetimes). The interval is half-open,
    so consecutive windows neither overlap nor leave a gap."""

    kinds: tuple[str, ...] = ()
    after: datetime | None = None
    before: datetime | None = None

    def __post_init__(self) -> None:
        _check_kinds(self.kinds)
        for name, moment in (("after", self.after), ("before", self.before)):
            if moment is not None and moment.tzinfo is None:
                raise Invalid("needs a time zone offset", field=name)
        if self.after is not None and self.before is not None and self.after >= self.before:
            raise Invalid("must be earlier than before", field="after")

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions this filter adds."""
        found: list[ColumnElement[bool]] = []
        if self.kinds:
            found.append(Activity.kind.in_(sorted(set(self.kinds))))
        if self.after is not None:
            found.append(Activity.occurred_at >= self.after)
        if self.before is not None:
            found.append(Activity.occurred_at < self.before)
        return found


def parse_kinds(values: Iterable[str]) -> tuple[str, ...]:
    """Kinds as clients write them: each value may hold several, comma-separated; case and
    surrounding spaces are ignored, as are empty items. Raises ``Invalid`` (field ``kind``) for a
    kind that does not exist."""
    kinds: dict[str, None] = {}
    for value in values:
        for item in value.split(","):
            kind = item.strip().lower()
            if kind:
                kinds[kind] = None
    _check_kinds(kinds)
    return tuple(kinds)


def _check_kinds(kinds: Iterable[str]) -> None:
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise Invalid(
            f"unknown kind {unknown[0]!r}: use one or more of {', '.join(KINDS)}", field="kind"
        )


def contact_timeline(
    session: Session,
    contact_id: int,
    page: PageRequest,
    only: TimelineFilter | None = None,
) -> Page[TimelineEntry]:
    """The contact's timeline (see the module doc), newest first, narrowed by ``only``.

    Raises ``NotFound`` when there is no such contact."""
    _check_exists(session, Contact, contact_id, "contact")
    return _page(session, [Activity.contact_id == contact_id], page, only or TimelineFilter())


def company_timeline(
    session: Session,
    company_id: int,
    page: PageRequest,
    only: TimelineFilter | None = None,
) -> Page[TimelineEntry]:
    """The company's timeline (see the module doc): its own entries and its people's, each
    email, meeting or document once, newest first, narrowed by ``only``.

    Raises ``NotFound`` when there is no such company."""
    _check_exists(session, Company, company_id, "company")
    # An entry that another, earlier written entry of this company already shows (the same kind
    # of the same record) is a repeat: one per attendee of a meeting, say.
    earlier = aliased(Activity)
    repeat = exists().where(
        earlier.record_type == Activity.record_type,
        earlier.record_id == Activity.record_id,
        earlier.kind == Activity.kind,
        earlier.company_id == company_id,
        earlier.id < Activity.id,
    )
    where = [Activity.company_id == company_id, ~repeat]
    return _page(session, where, page, only or TimelineFilter())


def add_note(
    session: Session,
    *,
    contact_id: int | None = None,
    company_id: int | None = None,
    title: str | None = None,
    body: str | None = None,
    occurred_at: datetime | None = None,
    source: str = "local",
) -> TimelineEntry:
    """Write a note on a contact's timeline (and so on their company's) or on a company's.

    Give exactly one of ``contact_id`` and ``company_id``. A note needs a title or a body (each
    trimmed; empty means none); ``occurred_at`` (aware) defaults to now. A note on a contact
    counts as activity with them: it moves their ``last_activity_at`` forward. Raises
    ``NotFound`` for an unknown contact or company, ``Invalid`` naming the field for bad values.
    """
    if (contact_id is None) == (company_id is None):
        raise ValueError("give exactly one of contact_id and company_id")
    title = _text(title, "title", MAX_NOTE_TITLE)
    body = _text(body, "body", MAX_NOTE_BODY)
    if title is None and body is None:
        raise Invalid("a note needs a title or a body", field="body")
    if occurred_at is None:
        occurred_at = utcnow()
    elif occurred_at.tzinfo is None:
        raise Invalid("needs a time zone offset", field="occurredAt")
    occurred_at = occurred_at.astimezone(UTC)
    contact = None
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise NotFound(f"no contact with id {contact_id}")
        company_id = contact.company_id
    else:
        _check_exists(session, Company, company_id, "company")
    note = Activity(
        contact_id=contact_id,
        company_id=company_id,
        kind=NOTE_KIND,
        source=source,
        occurred_at=occurred_at,
        title=title,
        body=body,
        data={},
    )
    session.add(note)
    session.flush()
    note_change(session, "activity", "created", note.id)
    last = None if contact is None else contact.last_activity_at
    if contact is not None and (last is None or last < occurred_at):
        contact.last_activity_at = occurred_at
        session.flush()
        note_change(session, "contact", "updated", contact.id)
    return _entry(note)


def _text(value: str | None, field: str, limit: int) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise Invalid(f"must be at most {limit} characters", field=field)
    return text or None


def _check_exists(
    session: Session, model: type[Contact] | type[Company], record_id: int | None, noun: str
) -> None:
    # The id alone: loading the row would also load its addresses (or domains) for nothing.
    if session.scalar(select(model.id).where(model.id == record_id)) is None:
        raise NotFound(f"no {noun} with id {record_id}")


def _page(
    session: Session,
    where: Sequence[ColumnElement[bool]],
    page: PageRequest,
    only: TimelineFilter,
) -> Page[TimelineEntry]:
    conditions = [*where, *only.conditions()]
    total = session.scalar(select(func.count()).select_from(Activity).where(*conditions)) or 0
    items: list[TimelineEntry] = []
    if page.offset < total:
        rows = session.execute(
            select(*_COLUMNS)
            .where(*conditions)
            .order_by(Activity.occurred_at.desc(), Activity.id.desc())
            .offset(page.offset)
            .limit(page.limit)
        )
        items = [_entry(row) for row in rows]
    return Page(items, total, page.page, page.limit)


def _entry(row: Any) -> TimelineEntry:
    """The entry of an ``Activity``, or of a row of its ``_COLUMNS`` (same names)."""
    return TimelineEntry(
        id=row.id,
        kind=row.kind,
        occurred_at=row.occurred_at,
        title=row.title,
        body=row.body,
        source=row.source,
        record_type=row.record_type,
        record_id=row.record_id,
        contact_id=row.contact_id,
        company_id=row.company_id,
        data=dict(row.data or {}),
    )
