"""The calendar as the Integrations API shows it: over the same events as BrightSync's API.

:mod:`core.services.events` owns every write and the stored meaning of an event; this module adds
what a calendar client needs on top of it, without a second store:

- **A reader's date range** (:func:`calendar_range`, :func:`events_in_range`). A bound may be a
  date (the whole day: a start date from its first instant, an end date through its last) or a
  date and time. Timed events overlap the range by their instants. All-day events overlap it by
  their *dates*, on the reader's wall clock: the ``timezone`` asked for, else the offset each
  bound was written in (UTC for epoch milliseconds). So a reader in Los Angeles asking for
  July 1 (``00:00-07:00`` to ``00:00-07:00`` the next day) gets the July 1 all-day events and
  not the July 2 ones, although July 2 begins, in UTC, before the range ends.
- **A CRM record's events** (:func:`events_of_entity`), found when the event is read rather than
  when it was written, so a contact or company created after the meeting still finds it: a
  contact's are those linked to it (explicitly, or matched when the event was written), those
  with the contact as an attendee, and those with an attendee at one of its addresses now; a
  company's are those linked to it and those with an attendee at one of its domains now. (Its
  people's meetings are linked to it when written, while they work there: a person's history
  stays with the company where it happened, as on the timeline.)
- **Writes in this API's terms** (:func:`write_values`): attendees as addresses that keep what
  Hearth knows of them, an ``organizer`` apart from the attendees, and ``links`` limited to
  contacts and companies, leaving a partner's links of its own types alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import CompoundSelect, Select, and_, func, not_, or_, select, union
from sqlalchemy.orm import Session

from core.errors import Invalid
from core.models import (
    Attendee,
    Company,
    CompanyDomain,
    Connection,
    Contact,
    ContactEmail,
    Event,
    RecordLink,
)
from core.normalize import clean_email, email_key
from core.services import Page, PageRequest
from core.services.event_clock import EVENT_RECORD_TYPE
from core.services.event_links import ENTITY_ALIASES, canonical_status, event_links
from core.services.event_times import EventTime, time_zone
from core.services.events import AttendeeRecord, EventRecord, event_record
from core.services.records import load

ENTITY_TYPES = ("contact", "company")
"""The CRM records events are listed for; ``account`` is accepted for ``company``."""

_ORGANIZER_STATUS = "accepted"  # an organizer who gave none attends their own meeting


@dataclass(frozen=True)
class CalendarEvent:
    """An event with the one stored field :class:`EventRecord` leaves out: its ``status``
    (``confirmed`` for every event written today; a cancelled event is deleted, not kept)."""

    event: EventRecord
    status: str


# -- ranges --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RangeBound:
    """One end of a reader's range: the instant (UTC) and the reader's wall-clock time there."""

    at: datetime
    wall: datetime
    """Naive: the date and time the reader sees, which is what all-day events are compared to."""


@dataclass(frozen=True)
class CalendarRange:
    """``[start, end)``, ``end`` after ``start``."""

    start: RangeBound
    end: RangeBound


def calendar_range(start: EventTime, end: EventTime, zone_name: str | None = None) -> CalendarRange:
    """The range a reader asks for (see the module doc). A start date begins at that day's
    midnight, an end date ends at the next day's (``start=end=2026-07-01`` is July 1), in
    ``zone_name`` (an IANA name; UTC without one). A date and time without an offset is read in
    ``zone_name``, and refused without one. Raises ``Invalid`` naming ``start``, ``end`` or
    ``timezone``."""
    zone = time_zone(zone_name, field="timezone")
    first = _bound(start, zone, "start", is_end=False)
    last = _bound(end, zone, "end", is_end=True)
    if last.at < first.at:
        raise Invalid("must not be before start", field="end")
    if last.at == first.at:
        raise Invalid("must be after start: the range is empty", field="end")
    return CalendarRange(first, last)


def _bound(value: EventTime, zone: tzinfo | None, field: str, *, is_end: bool) -> RangeBound:
    if not isinstance(value, datetime):
        day = value + timedelta(days=1) if is_end else value
        wall = datetime.combine(day, time(0))
        return RangeBound(wall.replace(tzinfo=zone or UTC).astimezone(UTC), wall)
    if value.tzinfo is None:
        if zone is None:
            raise Invalid(
                "needs an offset such as Z or -07:00 (or a timezone), or be a date", field=field
            )
        value = value.replace(tzinfo=zone)
    seen_in = zone or value.tzinfo
    return RangeBound(value.astimezone(UTC), value.astimezone(seen_in).replace(tzinfo=None))


def events_in_range(
    session: Session, window: CalendarRange, page: PageRequest
) -> Page[CalendarEvent]:
    """Events overlapping ``window``, by start (an all-day event at UTC midnight of its first
    day), then id. A timed event overlaps when it starts before the end and ends after the start
    (one of no length: when it lies at or after the start); an all-day event when its first day
    begins before the end's wall time and its last day ends after the start's."""
    # All-day events are stored at UTC midnights of their dates, so comparing them with the wall
    # times labelled UTC compares dates on the reader's clock.
    wall_start = window.start.wall.replace(tzinfo=UTC)
    wall_end = window.end.wall.replace(tzinfo=UTC)
    timed = and_(
        not_(Event.all_day),
        Event.start_at < window.end.at,
        or_(Event.end_at > window.start.at, Event.start_at >= window.start.at),
    )
    all_day = and_(Event.all_day, Event.start_at < wall_end, Event.end_at > wall_start)
    # Both kinds lie in one span of ix_events_range: a first condition the index can answer.
    span = and_(
        Event.start_at < max(window.end.at, wall_end),
        Event.end_at >= min(window.start.at, wall_start),
    )
    query = select(Event).where(span, or_(timed, all_day))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Event.start_at, Event.id).offset(page.offset).limit(page.limit)
    )
    return Page(_views(session, list(rows)), total, page.page, page.limit)


# -- one event, and a record's events ------------------------------------------------------------


def calendar_event(session: Session, event_id: int) -> CalendarEvent:
    """The event with this id; ``NotFound`` when there is none."""
    return _views(session, [load(session, Event, event_id, "event")])[0]


def entity_type_of(name: str) -> str:
    """``contact`` or ``company`` for a type name as a client wrote it (any case; ``account``,
    ``contacts``, ``companies`` understood); ``Invalid`` naming ``entityType`` otherwise."""
    folded = name.strip().lower()
    entity_type = ENTITY_ALIASES.get(folded, folded)
    if entity_type not in ENTITY_TYPES:
        raise Invalid(
            f"unknown entity type {name!r}: use contact or company (or account)",
            field="entityType",
        )
    return entity_type


def events_of_entity(
    session: Session, entity_type: str, entity_id: int, page: PageRequest
) -> Page[CalendarEvent]:
    """The events of a contact or company (see the module doc), newest first (by start, then
    id). ``entity_type`` as :func:`entity_type_of` returns it; ``NotFound`` for an unknown id."""
    linked = select(RecordLink.record_id).where(
        RecordLink.entity_type == entity_type,
        RecordLink.entity_id == str(entity_id),
        # ``|| ''`` keeps SQLite (which has no statistics) off the unique index that starts
        # with record_type, which would read every event's links, for ix_record_links_entity.
        (RecordLink.record_type + "") == EVENT_RECORD_TYPE,
    )
    if entity_type == "contact":
        load(session, Contact, entity_id, "contact")
        addresses = select(ContactEmail.address_key).where(ContactEmail.contact_id == entity_id)
        attending = select(Attendee.event_id).where(
            or_(Attendee.contact_id == entity_id, Attendee.address_key.in_(addresses))
        )
        ids: CompoundSelect[Any] | Select[Any] = union(linked, attending)
    else:
        load(session, Company, entity_id, "company")
        domains = session.scalars(
            select(CompanyDomain.domain).where(CompanyDomain.company_id == entity_id)
        ).all()
        # Domains are letters, digits, '-' and '.': nothing LIKE would read as a wildcard. No
        # index serves a suffix: this reads the attendees, once (a few ms per 100,000).
        at_domain = [Attendee.address_key.like(f"%@{domain}") for domain in domains]
        ids = union(linked, select(Attendee.event_id).where(or_(*at_domain))) if domains else linked
    # One record's events are a few thousand at most: their ids, in order, once, rather than
    # running the union again to count them.
    ordered = session.scalars(
        select(Event.id)
        .where(Event.id.in_(select(ids.subquery().c[0])))
        .order_by(Event.start_at.desc(), Event.id.desc())
    ).all()
    chosen = ordered[page.offset : page.offset + page.limit]
    found = {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(chosen)))}
    return Page(_views(session, [found[i] for i in chosen]), len(ordered), page.page, page.limit)


def _views(session: Session, events: Sequence[Event]) -> list[CalendarEvent]:
    links = event_links(session, [e.id for e in events])
    return [CalendarEvent(event_record(e, links[e.id]), e.status) for e in events]


def connected_accounts(session: Session) -> int:
    """How many provider accounts are connected (not disconnected) for sync."""
    query = select(func.count()).select_from(Connection).where(Connection.status != "disconnected")
    return session.scalar(query) or 0


# -- writes --------------------------------------------------------------------------------------


def organizer_of(record: EventRecord) -> AttendeeRecord | None:
    """The event's organizer: its first attendee marked so, if any."""
    return next((a for a in record.attendees if a.is_organizer), None)


def write_values(
    session: Session,
    current: EventRecord | None,
    values: Mapping[str, Any],
    *,
    replacing: bool,
) -> dict[str, Any]:
    """The :mod:`core.services.events` values for a write of ``values`` in this API's terms.

    ``values`` holds what the client sent of: ``subject``, ``description``, ``location``,
    ``start_time``, ``end_time``, ``all_day``, ``timezone`` (passed on), ``attendees`` (a list
    of mappings with ``email`` and/or ``contact_id``, and optionally ``name`` and ``status``),
    ``organizer`` (one such mapping, or ``None``) and ``links`` (``{"type", "id"}`` mappings).
    ``current`` is the event being changed (``None`` when creating); ``replacing`` says fields
    not sent are cleared (PUT) rather than kept (PATCH) -- except what this API does not show
    (privacy, parent, iCalUID, a partner's links of other types), which always stays.

    An attendee already on the event (by address) keeps its status, name and CRM user unless
    given new ones; the organizer is kept apart: replacing the attendees keeps them, and an
    attendee at their address is the organizer. Raises ``Invalid`` naming ``attendees/N/...``,
    ``organizer/...`` or ``links/N/...``.
    """
    passed = {"subject", "description", "location", "start_time", "end_time", "all_day"}
    changes = {name: values[name] for name in passed & set(values)}
    if "timezone" in values:
        changes["timezone"] = values["timezone"]
    if current is not None and replacing:
        changes.update(
            is_private=current.is_private, parent_id=current.parent_id, ical_uid=current.ical_uid
        )
    if {"attendees", "organizer"} & set(values) or replacing:
        changes["attendees"] = _attendees(session, current, values, replacing=replacing)
    if "links" in values or (replacing and current is not None):
        changes["related_to"] = _links(session, current, values.get("links") or [])
    return changes


def _attendees(
    session: Session, current: EventRecord | None, values: Mapping[str, Any], *, replacing: bool
) -> list[dict[str, Any]]:
    existing = current.attendees if current is not None else ()
    known = {email_key(a.email_address): a for a in reversed(existing) if a.email_address}
    organizer = organizer_of(current) if current is not None else None
    rows: list[dict[str, Any]] = []
    if "organizer" in values:
        if values["organizer"] is not None:
            rows.append(_row(session, values["organizer"], "organizer", known, organizer=True))
    elif not replacing and organizer is not None:
        rows.append(_as_row(organizer))
    if "attendees" in values:
        for index, item in enumerate(values["attendees"] or []):
            rows.append(_row(session, item, f"attendees/{index}", known, organizer=False))
    elif not replacing:
        rows.extend(_as_row(a) for a in existing if a is not organizer)
    return _without_repeats(rows)


def _row(
    session: Session,
    item: Mapping[str, Any],
    field: str,
    known: Mapping[str, AttendeeRecord],
    *,
    organizer: bool,
) -> dict[str, Any]:
    """An attendee from a client's item, filled in from the one at its address already there."""
    contact_id = item.get("contact_id")
    if contact_id is not None and session.get(Contact, contact_id) is None:
        raise Invalid(f"no contact with id {contact_id}", field=f"{field}/contactId")
    address = item.get("email")
    if address is not None:
        address = clean_email(address, field=f"{field}/email")
    elif contact_id is None:
        raise Invalid("an attendee needs an email (or a contactId)", field=f"{field}/email")
    before = known.get(email_key(address)) if address else None
    if item.get("status") is not None:
        status: str | None = canonical_status(item["status"], f"{field}/status")
    elif before is not None:
        status = before.status
    else:
        status = _ORGANIZER_STATUS if organizer else None
    return {
        "email_address": address,
        "name": item.get("name", before.name if before else None),
        "user_id": before.user_id if before else None,
        "contact_id": contact_id,
        "status": status,
        "is_organizer": organizer,
    }


def _as_row(attendee: AttendeeRecord) -> dict[str, Any]:
    return {
        "email_address": attendee.email_address,
        "name": attendee.name,
        "user_id": attendee.user_id,
        "contact_id": attendee.contact_id,
        "status": attendee.status,
        "is_organizer": attendee.is_organizer,
    }


def _without_repeats(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows without a second one for an address (the organizer's row comes first and wins)."""
    seen: set[str] = set()
    kept: list[dict[str, Any]] = []
    for row in rows:
        key = email_key(row["email_address"]) if row["email_address"] else None
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        kept.append(row)
    return kept


def _links(
    session: Session, current: EventRecord | None, items: Sequence[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """The event's explicit links: the contacts and companies sent (checked), then the links of
    other types a partner made, which this API shows but does not change."""
    theirs = [
        (link.entity_type, link.entity_id)
        for link in (current.related_to if current is not None else ())
        if link.origin == "explicit" and link.entity_type not in ENTITY_TYPES
    ]
    pairs: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        if item.get("origin") == "matched":
            continue  # Hearth's own matches, recomputed on every write
        raw_type = str(item.get("type") or "").strip().lower()
        entity_type = ENTITY_ALIASES.get(raw_type, raw_type)
        entity_id = str(item.get("id") or "").strip()
        if entity_type not in ENTITY_TYPES:
            if (entity_type, entity_id) in theirs:
                continue  # a partner's link sent back as it was shown: kept anyway
            raise Invalid("must be contact or company (or account)", field=f"links/{index}/type")
        model = Contact if entity_type == "contact" else Company
        if not (entity_id.isdigit() and len(entity_id) <= 18) or not session.get(
            model, int(entity_id)
        ):
            raise Invalid(f"no {entity_type} with id {entity_id}", field=f"links/{index}/id")
        pair = (entity_type, str(int(entity_id)))
        if pair not in pairs:
            pairs.append(pair)
    return [{"type": t, "id": i} for t, i in [*pairs, *theirs]]
