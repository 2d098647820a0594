"""BrightSync Calendar Sync (spec 002): ``/api/v1/events`` and ``/api/v1/deletedEvents``.

The choices this API makes where the spec leaves room are written in the endpoints' OpenAPI
descriptions below, which ``/docs`` shows; in short:

- Timestamps in: ISO 8601 with an offset, or epoch milliseconds; a time without an offset is a
  422 (except an event time with ``timeZone``, or an all-day date). Out: UTC, to the millisecond.
- All-day events are dates (``2026-07-01``), end exclusive, taken as written: never shifted.
- ``lastModifiedAt`` strictly increases, at least 1 ms apart, in commit order, so a reader
  paging by it never misses a change. Deltas page with ``since=nextSince``, not page numbers.
- Deletions are answered by ``deletedEvents`` for ``calendar.tombstone_retention_days`` (90 by
  default) at least; each deletion purges the tombstones older than that.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from core.errors import Invalid
from core.models import utcnow
from core.services import PageRequest
from core.services import events as service
from embedded_api.auth import require_api_key
from embedded_api.deps import CoreDep
from embedded_api.routers._ids import path_id
from embedded_api.schemas.brightsync_calendar import (
    DeletedEventOut,
    DeletedEventPageOut,
    EventIn,
    EventOut,
    EventPageOut,
)
from embedded_api.schemas.timestamps import AnyTimestamp

router = APIRouter(
    prefix="/api/v1", tags=["BrightSync calendar"], dependencies=[Depends(require_api_key)]
)

SOURCE = "api"
"""``source`` of the events and timeline entries this API creates."""

_TIMESTAMPS = (
    "Timestamps: ISO 8601 with an offset (`2026-07-01T10:00:00-07:00`, `2026-07-01T17:00:00Z`) "
    "or epoch milliseconds (`1782925200000`); a time without an offset is refused with 422, as "
    "it means a different instant in every time zone. Output is UTC to the millisecond "
    "(`2026-07-01T17:00:00.000Z`)."
)
_NEXT_SINCE_PAGING = (
    "Page through it with `since=nextSince`, not page numbers (which would skip items changed "
    "while you read): `nextPage` is always null, `nextSince` is null on the last page, and "
    "`total` counts what is left from your `since`, this page included."
)
_DELTA_PAGING = (
    f"{_NEXT_SINCE_PAGING} `page` must be 1. An event changed while you page moves to a later "
    "page: it may come twice, never be missed. For your next sync keep the newest "
    "`lastModifiedAt` you received and send it as `since`: `since` is inclusive, so that event "
    "comes again."
)
_LIST_DESCRIPTION = f"""\
Three ways to read events:

- **Interval** (`startAt` and `endAt`, always together, `endAt` after `startAt`): events
  overlapping `[startAt, endAt)`: starting before `endAt` and ending after `startAt` (an event
  of no length counts when `startAt` ≤ its time < `endAt`). By start time, then id; page with
  `page=nextPage` until it is null. Pages are a snapshot of the moment each is read: to read
  reliably while events change, use the delta.
- **Delta** (`since`): every event created or modified at or after `since` (inclusive), oldest
  change first. {_DELTA_PAGING} With `startAt`/`endAt` too, only the changed events in that
  interval.
- **All** (no filter): every event by start time, paged with `page=nextPage`.

All-day events overlap by their dates as UTC midnights. {_TIMESTAMPS}
"""
_DELETED_DESCRIPTION = f"""\
Events deleted at or after `since` (inclusive; all remembered ones without it), in the order
they were deleted: `{{"id", "deletedAt", "iCalUID"}}`. `deletedAt` comes from the same clock as
`lastModifiedAt`: strictly increasing, in commit order. {_NEXT_SINCE_PAGING} For your next sync
keep the newest `deletedAt` you received as `since`.

Deletions are remembered for the `calendar.tombstone_retention_days` setting (90 days by default)
at least: a reader that has not synced for longer must read all events again. {_TIMESTAMPS}
"""
_WRITE_DESCRIPTION = """\
**Times.** A timed event's `startTime`/`endTime` are instants: ISO 8601 with an offset (kept as
the same instant, returned in UTC), epoch milliseconds, or a local time without offset read in
`timeZone` (an IANA name such as `America/Los_Angeles`, kept and returned). `endTime` may equal
`startTime`, never precede it.

**All-day events** (`allDay: true`, implied when both times are dates) are calendar dates,
returned as dates (`2026-07-01`) so they mean the same days in every time zone. A date-time is
taken by its date as written, in its own offset (`2026-07-01T00:00:00-07:00` is July 1), its time
ignored; epoch milliseconds give their UTC date. `endTime` is exclusive, as in iCalendar and
Google: July 1 to July 2 is one day, and is how a one-day event is returned; an `endTime` equal
to `startTime`, or a date-time later in the day (`2026-07-01T23:59:59`), includes that day. A
PATCH without `allDay` keeps it as it was (two dates make an event all-day).

**Attendees** need an `emailAddress`, a `contactId` (which must exist) or a `userId`. Without a
`contactId`, an attendee is linked to the contact owning its address (ignoring case), unless
several contacts share it. `status`: Accepted, Declined, Tentative or NeedsAction, in any case
(None/NotResponded, TentativelyAccepted, Organizer and NEEDS-ACTION are understood too; absent
means NeedsAction); returned capitalised as in the spec.

**relatedTo**: a list of `{"type", "id"}` or one such object; `contact` and `company` (or
`account`) by Hearth id, which must exist; other types are kept as given. Hearth adds `matched`
links (attendees' contacts, their companies, companies owning attendees' domains) and returns
each item with its `origin`; items sent back with `origin: "matched"` are recomputed, not stored.

`parentId` must name another existing event. `lastModifiedAt` is set by Hearth on every write.
A rejected request (422 naming the field) changes nothing.
"""

_TIMED = {
    "subject": "Quarterly review",
    "description": "Agenda: pipeline, renewals",
    "startTime": "2026-07-01T10:00:00-07:00",
    "endTime": "2026-07-01T11:00:00-07:00",
    "timeZone": "America/Los_Angeles",
    "location": "https://meet.example.com/abc-defg",
    "private": False,
    "attendees": [
        {"emailAddress": "sarah.chen@techstartup.example", "status": "Accepted"},
        {"emailAddress": "me@hearth.example", "status": "Accepted", "organizer": True},
    ],
    "relatedTo": [{"type": "contact", "id": "7"}, {"type": "opportunity", "id": "OPP-311"}],
    "iCalUID": "7kq3v1@calendar.example",
}
_ALL_DAY = {
    "subject": "Offsite at TechStartup",
    "allDay": True,
    "startTime": "2026-07-01",
    "endTime": "2026-07-03",
    "relatedTo": {"type": "account", "id": 12},
}
_EPOCH_MS = {"subject": "Call", "startTime": 1782925200000, "endTime": 1782927000000}
_LOCAL = {
    "subject": "Standup",
    "startTime": "2026-07-01T09:00:00",
    "endTime": "2026-07-01T09:15:00",
    "timeZone": "Europe/Paris",
}

EventBody = Annotated[
    EventIn,
    Body(
        openapi_examples={
            "timed": {"summary": "A meeting, times with an offset", "value": _TIMED},
            "allDay": {"summary": "Two all-day days (July 1 and 2)", "value": _ALL_DAY},
            "epochMillis": {"summary": "Times in epoch milliseconds", "value": _EPOCH_MS},
            "localTime": {"summary": "Local times in a time zone", "value": _LOCAL},
        }
    ),
]
EventPatch = Annotated[
    EventIn,
    Body(
        openapi_examples={
            "reschedule": {
                "summary": "Move it an hour later",
                "value": {
                    "startTime": "2026-07-01T11:00:00-07:00",
                    "endTime": "2026-07-01T12:00:00-07:00",
                },
            },
            "rsvp": {
                "summary": "Replace the attendees, clear the location",
                "value": {
                    "attendees": [
                        {"emailAddress": "sarah.chen@techstartup.example", "status": "Declined"}
                    ],
                    "location": None,
                },
            },
        }
    ),
]

SinceQuery = Annotated[
    AnyTimestamp | None,
    Query(description="Delta: events created or modified at or after this time (inclusive)."),
]
StartAtQuery = Annotated[
    AnyTimestamp | None,
    Query(alias="startAt", description="Interval start (inclusive); needs endAt."),
]
EndAtQuery = Annotated[
    AnyTimestamp | None,
    Query(alias="endAt", description="Interval end (exclusive); needs startAt."),
]
PageQuery = Annotated[int, Query(ge=1, description="Page number (not with since).")]
LimitQuery = Annotated[int, Query(ge=1, le=500, description="Items per page.")]


@router.get("/events", description=_LIST_DESCRIPTION)
def list_events(
    core: CoreDep,
    start_at: StartAtQuery = None,
    end_at: EndAtQuery = None,
    since: SinceQuery = None,
    page: PageQuery = 1,
    limit: LimitQuery = 50,
) -> EventPageOut:
    """List events in an interval, changed since a time, or all of them."""
    with core.database.read() as session:
        if since is not None:
            if page != 1:
                raise Invalid(
                    "with since, ask for the next page with since=nextSince (page numbers could "
                    "skip events changed while you read)",
                    field="page",
                )
            delta = service.events_changed_since(
                session, since, limit, start_at=start_at, end_at=end_at
            )
            return EventPageOut(
                items=[EventOut.of(r) for r in delta.items],
                total=delta.total,
                page=1,
                limit=limit,
                next_page=None,
                next_since=delta.next_since,
            )
        result = service.list_events(
            session, PageRequest(page, limit), start_at=start_at, end_at=end_at
        )
    return EventPageOut(
        items=[EventOut.of(r) for r in result.items],
        total=result.total,
        page=result.page,
        limit=result.limit,
        next_page=result.page + 1 if result.has_more else None,
    )


@router.post("/events", status_code=201, description=_WRITE_DESCRIPTION)
def create_event(core: CoreDep, body: EventBody) -> EventOut:
    """Create an event; startTime and endTime are required."""
    if body.id is not None:
        raise Invalid("is assigned by Hearth: leave it out", field="id")
    with core.database.write() as session:
        record = service.create_event(session, body.changes(), source=SOURCE)
    return EventOut.of(record)


@router.get("/events/{event_id}")
def get_event(core: CoreDep, event_id: str) -> EventOut:
    """Load one event by id."""
    with core.database.read() as session:
        return EventOut.of(service.get_event(session, path_id(event_id, "event")))


@router.patch("/events/{event_id}", description=_WRITE_DESCRIPTION)
def update_event(core: CoreDep, event_id: str, body: EventPatch) -> EventOut:
    """Change an event: absent fields stay, null clears, attendees and relatedTo are replaced."""
    record_id = _body_matches_path(body, event_id)
    with core.database.write() as session:
        record = service.update_event(session, record_id, body.changes())
    return EventOut.of(record)


@router.put("/events/{event_id}", description=_WRITE_DESCRIPTION)
def replace_event(core: CoreDep, event_id: str, body: EventBody) -> EventOut:
    """Replace an event: fields not sent are emptied; startTime and endTime are required."""
    record_id = _body_matches_path(body, event_id)
    with core.database.write() as session:
        record = service.replace_event(session, record_id, body.changes())
    return EventOut.of(record)


@router.delete("/events/{event_id}", status_code=204)
def delete_event(core: CoreDep, event_id: str) -> Response:
    """Delete an event; deletedEvents reports it. Deleting it again is a 404."""
    retention = timedelta(days=core.settings.calendar.tombstone_retention_days)
    with core.database.write() as session:
        service.delete_event(session, path_id(event_id, "event"))
        # Tombstones are only made here, so purging here keeps their number bounded.
        service.purge_tombstones(session, utcnow(), retention)
    return Response(status_code=204)


@router.get("/deletedEvents", description=_DELETED_DESCRIPTION)
def list_deleted_events(
    core: CoreDep,
    since: Annotated[
        AnyTimestamp | None,
        Query(description="Events deleted at or after this time (inclusive)."),
    ] = None,
    limit: LimitQuery = 50,
) -> DeletedEventPageOut:
    """List events deleted since a time, with their deletion time."""
    with core.database.read() as session:
        delta = service.events_deleted_since(session, since, limit)
    return DeletedEventPageOut(
        items=[DeletedEventOut.of(r) for r in delta.items],
        total=delta.total,
        page=1,
        limit=limit,
        next_page=None,
        next_since=delta.next_since,
    )


def _body_matches_path(body: EventIn, event_id: str) -> int:
    """The path's event id; a 422 when the body names another event."""
    record_id = path_id(event_id, "event")
    if body.id is not None and body.id != record_id:
        raise Invalid(f"does not match the event in the URL ({record_id})", field="id")
    return record_id
