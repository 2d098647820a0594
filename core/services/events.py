"""Calendar events: create, read, update (merge or replace), delete, and the feeds readers page.

Values come in as a mapping of snake_case names to values whose types the caller has checked:
``subject``, ``description``, ``location``, ``ical_uid`` (text or ``None``), ``start_time`` and
``end_time`` (:data:`~core.services.event_times.EventTime`: a date, or a datetime, aware or naive),
``all_day`` and ``is_private`` (bool), ``timezone`` (an IANA name or ``None``), ``attendees``
(mappings, see :func:`~core.services.event_links.build_attendees`), ``parent_id`` (an event id or
``None``) and ``related_to`` (``{"type", "id"}`` mappings). This module checks their meaning and
raises :class:`~core.errors.Invalid` naming the field in the API's camelCase (``endTime``,
``attendees/2/status``); what the times mean is :mod:`core.services.event_times`' business, who
an event involves :mod:`core.services.event_links`'.

Every write stamps ``last_modified_at`` (and a deletion its tombstone's ``deleted_at``) from
:mod:`core.services.event_clock`, so those times strictly increase and readers paging by them with
:func:`events_changed_since` / :func:`events_deleted_since` never miss a change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from core.errors import Invalid
from core.events import note_change
from core.models import Attendee, Event, RecordLink, Tombstone
from core.services import Page, PageRequest
from core.services.event_clock import (
    EVENT_RECORD_TYPE,
    RESOLUTION,
    next_change_time,
    whole_milliseconds,
)
from core.services.event_links import (
    build_attendees,
    delete_timeline,
    event_links,
    explicit_links,
    set_links,
    set_timeline,
)
from core.services.event_times import (
    is_date_only,
    resolve_span,
    time_zone,
    written_times,
)
from core.services.records import delete_record, load

T = TypeVar("T")

_TEXT_FIELDS = ("subject", "description", "location", "ical_uid")
EDITABLE_FIELDS = frozenset(
    {
        *_TEXT_FIELDS,
        "start_time",
        "end_time",
        "all_day",
        "timezone",
        "is_private",
        "attendees",
        "parent_id",
        "related_to",
    }
)
_TIME_FIELDS = frozenset({"start_time", "end_time", "all_day", "timezone"})
_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(_TEXT_FIELDS),
    "timezone": None,
    "is_private": False,
    "attendees": [],
    "parent_id": None,
    "related_to": [],
}
_MAX_PARENT_DEPTH = 64


@dataclass(frozen=True)
class AttendeeRecord:
    """A participant: address, display name, CRM user id, linked contact, canonical status."""

    email_address: str | None
    name: str | None
    user_id: str | None
    contact_id: int | None
    status: str | None
    is_organizer: bool


@dataclass(frozen=True)
class LinkRecord:
    """A CRM record the event is linked to; ``origin`` is ``explicit`` or ``matched``."""

    entity_type: str
    entity_id: str
    origin: str


@dataclass(frozen=True)
class EventRecord:
    """An event as the rest of Hearth sees it. ``start_date``/``end_date`` (exclusive) are set
    for all-day events only; ``start_at``/``end_at`` are UTC instants (midnights when all-day)."""

    id: int
    subject: str | None
    description: str | None
    location: str | None
    all_day: bool
    start_at: datetime
    end_at: datetime
    start_date: date | None
    end_date: date | None
    timezone: str | None
    is_private: bool
    parent_id: int | None
    ical_uid: str | None
    attendees: tuple[AttendeeRecord, ...]
    related_to: tuple[LinkRecord, ...]
    created_at: datetime
    last_modified_at: datetime


@dataclass(frozen=True)
class DeletedEventRecord:
    """What a delta reader learns of a deleted event: its id, when, and its iCalendar UID."""

    id: int
    deleted_at: datetime
    ical_uid: str | None


@dataclass(frozen=True)
class ChangePage(Generic[T]):
    """A page of a feed ordered by change time.

    ``total`` counts the items at or after the ``since`` asked for, this page's included.
    ``next_since`` is the ``since`` that asks for the next page, ``None`` on the last one. A page
    never ends inside a millisecond, so ``next_since`` (the millisecond after this page's last
    item) neither repeats nor skips an item, and a change made while a reader pages is found on a
    later page (its new time is later than any issued before).
    """

    items: Sequence[T]
    total: int
    next_since: datetime | None


def event_record(event: Event, links: Sequence[RecordLink]) -> EventRecord:
    """The plain record of an ORM event (its attendees loaded) and its links."""
    return EventRecord(
        id=event.id,
        subject=event.subject,
        description=event.description,
        location=event.location,
        all_day=event.all_day,
        start_at=event.start_at,
        end_at=event.end_at,
        start_date=event.start_date if event.all_day else None,
        end_date=event.end_date if event.all_day else None,
        timezone=event.timezone,
        is_private=event.is_private,
        parent_id=event.parent_id,
        ical_uid=event.ical_uid,
        attendees=tuple(
            AttendeeRecord(
                email_address=a.email_address,
                name=a.name,
                user_id=a.user_id,
                contact_id=a.contact_id,
                status=a.status,
                is_organizer=a.is_organizer,
            )
            for a in event.attendees
        ),
        related_to=tuple(LinkRecord(x.entity_type, x.entity_id, x.origin) for x in links),
        created_at=event.created_at,
        last_modified_at=event.last_modified_at,
    )


def _records(session: Session, events: Sequence[Event]) -> list[EventRecord]:
    links = event_links(session, [e.id for e in events])
    return [event_record(e, links[e.id]) for e in events]


# -- writing -------------------------------------------------------------------------------------


def create_event(
    session: Session, values: Mapping[str, Any], *, source: str = "local"
) -> EventRecord:
    """Create an event; ``start_time`` and ``end_time`` are required, the rest defaults to empty.

    ``all_day`` defaults to true when both times are dates, false otherwise. ``source`` says
    where it came from (``api``, ``google``...). Raises ``Invalid`` naming the first bad field.
    """
    _require_times(values)
    event = Event(source=source, attendees=[], extra={}, recurrence=[])
    explicit = _apply(session, event, {**_DEFAULTS, **values}, replacing=True)
    event.created_at = event.last_modified_at = next_change_time(session)
    session.add(event)
    _after_write(session, event, explicit)
    note_change(session, EVENT_RECORD_TYPE, "created", event.id)
    return get_event(session, event.id)


def get_event(session: Session, event_id: int) -> EventRecord:
    """The event with this id; ``NotFound`` when there is none."""
    event = load(session, Event, event_id, "event")
    return event_record(event, event_links(session, [event.id])[event.id])


def update_event(session: Session, event_id: int, changes: Mapping[str, Any]) -> EventRecord:
    """Merge ``changes`` into an event (RFC 7396): absent fields stay, ``None`` clears (false
    for ``is_private``, no attendees or links for the lists; ``start_time``, ``end_time`` and
    ``all_day`` cannot be cleared); ``attendees`` and ``related_to`` replace the lists."""
    event = load(session, Event, event_id, "event")
    explicit = _apply(session, event, changes, replacing=False)
    event.last_modified_at = next_change_time(session)
    _after_write(session, event, explicit)
    note_change(session, EVENT_RECORD_TYPE, "updated", event.id)
    return get_event(session, event.id)


def replace_event(session: Session, event_id: int, values: Mapping[str, Any]) -> EventRecord:
    """Replace an event's fields with ``values`` (PUT): as :func:`create_event`, fields not
    given are emptied; the id, creation time and source stay."""
    event = load(session, Event, event_id, "event")
    _require_times(values)
    explicit = _apply(session, event, {**_DEFAULTS, **values}, replacing=True)
    event.last_modified_at = next_change_time(session)
    _after_write(session, event, explicit)
    note_change(session, EVENT_RECORD_TYPE, "updated", event.id)
    return get_event(session, event.id)


def delete_event(session: Session, event_id: int) -> None:
    """Delete an event with its attendees, links and timeline entries, leaving a tombstone
    (its iCalUID kept) for ``deletedEvents``. Its child events lose their parent, and that is a
    change to them (their ``last_modified_at`` moves). ``NotFound`` when there is no such event."""
    event = load(session, Event, event_id, "event")
    children = list(session.scalars(select(Event).where(Event.parent_id == event.id)))
    for child in children:
        child.parent_id = None
        child.last_modified_at = next_change_time(session)
    delete_timeline(session, event.id)
    delete_record(
        session,
        event,
        EVENT_RECORD_TYPE,
        data={"iCalUID": event.ical_uid},
        deleted_at=next_change_time(session),
    )
    if children:
        note_change(session, EVENT_RECORD_TYPE, "updated", *(child.id for child in children))


def touch_events_linked_to(session: Session, entity_type: str, entity_id: int) -> None:
    """Stamp a new change time on every event linked to a contact or company (or with the
    contact among its attendees), before that record is deleted: their links and attendees'
    ``contactId`` change with it, and delta readers must fetch them again."""
    linked = select(RecordLink.record_id).where(
        RecordLink.record_type == EVENT_RECORD_TYPE,
        RecordLink.entity_type == entity_type,
        RecordLink.entity_id == str(entity_id),
    )
    condition: ColumnElement[bool] = Event.id.in_(linked)
    if entity_type == "contact":
        condition = or_(
            condition,
            Event.id.in_(select(Attendee.event_id).where(Attendee.contact_id == entity_id)),
        )
    events = session.scalars(select(Event).where(condition).order_by(Event.id)).all()
    for event in events:
        event.last_modified_at = next_change_time(session)
    if events:
        note_change(session, EVENT_RECORD_TYPE, "updated", *(e.id for e in events))


def purge_tombstones(
    session: Session, now: datetime, retention: timedelta, record_type: str = EVENT_RECORD_TYPE
) -> int:
    """Delete the tombstones of ``record_type`` older than ``retention`` at ``now``; how many.

    Readers that have not looked for longer than the retention can no longer learn of those
    deletions and must read everything again.
    """
    result = session.execute(
        delete(Tombstone).where(
            Tombstone.record_type == record_type, Tombstone.deleted_at < now - retention
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _require_times(values: Mapping[str, Any]) -> None:
    for name, field in (("start_time", "startTime"), ("end_time", "endTime")):
        if values.get(name) is None:
            raise Invalid("is required", field=field)


def _apply(
    session: Session, event: Event, values: Mapping[str, Any], *, replacing: bool
) -> list[tuple[str, str]] | None:
    """Check and apply ``values`` to ``event``; returns the explicit links to set (``None``:
    keep the event's). On ``Invalid`` the event may be half-changed (queries autoflush): the
    caller's transaction, rolled back, is what leaves the database as it was."""
    unknown = set(values) - EDITABLE_FIELDS
    if unknown:
        raise Invalid(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    for name in _TEXT_FIELDS:
        if name in values:
            setattr(event, name, values[name] or None)
    if "is_private" in values:
        event.is_private = bool(values["is_private"])
    if _TIME_FIELDS & set(values):
        _apply_times(event, values, replacing=replacing)
    if "attendees" in values:
        event.attendees = build_attendees(session, values["attendees"] or [])
        organizers = [a.email_address for a in event.attendees if a.is_organizer]
        event.organizer_address = organizers[0] if organizers else None
    if "parent_id" in values:
        _check_parent(session, event, values["parent_id"])
        event.parent_id = values["parent_id"]
    if "related_to" in values:
        return explicit_links(session, values["related_to"] or [])
    return None


def _apply_times(event: Event, values: Mapping[str, Any], *, replacing: bool) -> None:
    for name, field in (("start_time", "startTime"), ("end_time", "endTime")):
        if name in values and values[name] is None:
            raise Invalid("cannot be cleared", field=field)
    if "all_day" in values:
        if values["all_day"] is None:
            raise Invalid("must be true or false", field="allDay")
        all_day = bool(values["all_day"])
    elif is_date_only(values.get("start_time")) and is_date_only(values.get("end_time")):
        # Two dates and no word about allDay: an all-day event, as in Google Calendar's API.
        all_day = True
    else:  # a PATCH leaves it as it was
        all_day = False if replacing else event.all_day
    zone = time_zone(values.get("timezone") if "timezone" in values else event.timezone)
    if "start_time" in values and "end_time" in values:
        start, end = values["start_time"], values["end_time"]
    else:
        start, end = written_times(event, all_day)
        start = values.get("start_time", start)
        end = values.get("end_time", end)
    span = resolve_span(start, end, all_day, zone)
    if "timezone" in values:
        event.timezone = values["timezone"] or None
    event.all_day = span.all_day
    event.start_at, event.end_at = span.start_at, span.end_at
    event.start_date, event.end_date = span.start_date, span.end_date


def _check_parent(session: Session, event: Event, parent_id: int | None) -> None:
    if parent_id is None:
        return
    if event.id is not None and parent_id == event.id:
        raise Invalid("an event cannot be its own parent", field="parentId")
    ancestor = session.get(Event, parent_id)
    if ancestor is None:
        raise Invalid(f"no event with id {parent_id}", field="parentId")
    for _ in range(_MAX_PARENT_DEPTH):
        if ancestor.parent_id is None:
            return
        if event.id is not None and ancestor.parent_id == event.id:
            raise Invalid("would make the event its own ancestor", field="parentId")
        ancestor = load(session, Event, ancestor.parent_id, "event")
    raise Invalid(f"parents nest more than {_MAX_PARENT_DEPTH} deep", field="parentId")


def _after_write(session: Session, event: Event, explicit: list[tuple[str, str]] | None) -> None:
    session.flush()
    set_links(session, event, explicit)
    set_timeline(session, event, event.source)
    session.flush()


# -- reading -------------------------------------------------------------------------------------


def list_events(
    session: Session,
    page: PageRequest,
    *,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
) -> Page[EventRecord]:
    """Events by start time (then id); with ``start_at``/``end_at`` (both or neither, aware) those
    overlapping that interval (see :func:`overlapping`). Pages are a snapshot of one moment: for
    reading everything reliably while it changes, use :func:`events_changed_since`."""
    query = overlapping(select(Event), start_at, end_at)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Event.start_at, Event.id).offset(page.offset).limit(page.limit)
    )
    return Page(_records(session, list(rows)), total, page.page, page.limit)


def events_changed_since(
    session: Session,
    since: datetime,
    limit: int,
    *,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
) -> ChangePage[EventRecord]:
    """Events created or changed at or after ``since`` (inclusive), oldest change first, at most
    ``limit`` (more only to finish a millisecond), optionally only those overlapping
    ``start_at``/``end_at``. Ask for the next page with ``since=next_since``."""
    _check_limit(limit)
    query = overlapping(select(Event), start_at, end_at).where(Event.last_modified_at >= since)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    events, next_since = _page_by_time(session, query, Event.last_modified_at, Event.id, limit)
    return ChangePage(_records(session, events), total, next_since)


def events_deleted_since(
    session: Session, since: datetime | None, limit: int
) -> ChangePage[DeletedEventRecord]:
    """Events deleted at or after ``since`` (all still remembered when ``None``), in the order
    they were deleted; paged as :func:`events_changed_since`."""
    _check_limit(limit)
    query = select(Tombstone).where(Tombstone.record_type == EVENT_RECORD_TYPE)
    if since is not None:
        query = query.where(Tombstone.deleted_at >= since)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows, next_since = _page_by_time(session, query, Tombstone.deleted_at, Tombstone.id, limit)
    items = [
        DeletedEventRecord(row.record_id, row.deleted_at, (row.data or {}).get("iCalUID"))
        for row in rows
    ]
    return ChangePage(items, total, next_since)


def overlapping(
    query: Select[Any], start_at: datetime | None, end_at: datetime | None
) -> Select[Any]:
    """``query`` narrowed to events overlapping ``[start_at, end_at)``: starting before its end
    and ending after its start. A zero-length event counts when it lies in the interval (at its
    start included, at its end not). Both bounds or neither; ``end_at`` after ``start_at``."""
    if start_at is None and end_at is None:
        return query
    if start_at is None:
        raise Invalid("startAt and endAt go together: give both, or neither", field="startAt")
    if end_at is None:
        raise Invalid("startAt and endAt go together: give both, or neither", field="endAt")
    if end_at <= start_at:
        raise Invalid("must be after startAt", field="endAt")
    return query.where(
        Event.start_at < end_at, or_(Event.end_at > start_at, Event.start_at >= start_at)
    )


def _check_limit(limit: int) -> None:
    PageRequest(1, limit)  # the same bounds as every list


def _page_by_time(
    session: Session,
    query: Select[Any],
    moment: InstrumentedAttribute[datetime],
    key: InstrumentedAttribute[int],
    limit: int,
) -> tuple[list[Any], datetime | None]:
    """The first ``limit`` rows of ``query`` by (``moment``, ``key``), plus the rest of the last
    row's millisecond, and the ``since`` of the next page (``None`` when there is none)."""
    rows = list(session.scalars(query.order_by(moment, key).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    page, last = rows[:limit], rows[limit - 1]
    last_moment, last_key = getattr(last, moment.key), getattr(last, key.key)
    boundary = whole_milliseconds(last_moment) + RESOLUTION
    if getattr(rows[limit], moment.key) >= boundary:
        return page, boundary
    # Times the clock issued are a millisecond apart, but older data (imports, the demo) may
    # share one: finish it here, since the next page starts at the next millisecond.
    after_last = or_(moment > last_moment, and_(moment == last_moment, key > last_key))
    page += session.scalars(query.where(moment < boundary, after_last).order_by(moment, key))
    more = session.scalar(select(query.where(moment >= boundary).exists()))
    return page, boundary if more else None
