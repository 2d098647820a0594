"""Integrations API, calendar (spec 004): ``/api/v1/integrations/calendar``.

The same events as BrightSync's ``/api/v1/events`` (one store, one modification clock): a change
made here is in BrightSync's delta (``events?since=``, ``deletedEvents?since=``) and one made
there shows here. The choices this API makes are in the endpoints' OpenAPI descriptions below,
which ``/docs`` shows; what a range and a record's events mean is decided in
:mod:`core.services.calendar_views`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from sqlalchemy.orm import Session

from core.errors import Invalid
from core.models import utcnow
from core.runtime import HearthCore
from core.services import PageRequest
from core.services import calendar_views as views
from core.services import events as service
from embedded_api.auth import require_api_key
from embedded_api.deps import CoreDep
from embedded_api.problems import PROBLEM_JSON, problem
from embedded_api.routers._ids import path_id
from embedded_api.schemas.common import PageOut
from embedded_api.schemas.integrations_calendar import (
    CalendarEventIn,
    CalendarEventOut,
    RangeTime,
)

router = APIRouter(
    prefix="/api/v1/integrations/calendar",
    tags=["Integrations: calendar"],
    dependencies=[Depends(require_api_key)],
)

SOURCE = "integrations"
"""``source`` of the events and timeline entries this API creates."""

MAX_LIMIT = 200

_SHAPE = """\
**The event.** `{id, title, start, end, allDay, timezone, description, location, attendees,
organizer, status, links, createdAt, updatedAt}`; ids are strings. A timed event's `start`/`end`
are UTC (`2026-07-01T14:00:00.000Z`); an all-day event's are dates, `end` exclusive (a one-day
event on July 1 ends `2026-07-02`), the same days in every time zone. `attendees` are
`{email, name, status, contactId}` (status `accepted`, `declined`, `tentative` or `needsAction`),
the `organizer` (same shape, or null) apart. `links` are `{type, id, origin}`: `explicit` ones
were sent, `matched` ones Hearth found when the event was written (attendees' contacts, their
companies, companies owning attendees' domains). `updatedAt` is BrightSync's `lastModifiedAt`.
These are the events of BrightSync's `/api/v1/events`: a change made on either API shows on both.
"""
_RANGE_DESCRIPTION = f"""\
Events overlapping `[start, end)`, by start time then id.

- `start` and `end` (both required): a date (`2026-07-01`: the whole day, so `start=end=
  2026-07-01` is July 1), a date-time with an offset (`2026-07-01T00:00:00-07:00`, `...Z`),
  epoch milliseconds, or a date-time without offset read in `timezone`. `end` must be after
  `start` (422 naming `end`).
- `timezone` (optional, IANA, e.g. `America/Los_Angeles`): the time zone dates and offset-less
  times are read in (UTC without it), and whose days all-day events are matched on.
- A timed event overlaps when it starts before `end` and ends after `start`: one ending exactly
  at `start` is not in, one starting exactly at `end` is not in, one of no length is in when
  `start` ≤ its time < `end`.
- An all-day event overlaps by its dates, on the reader's clock: `timezone` if given, else the
  offset `start` and `end` were written in. So `start=2026-07-01T00:00:00-07:00&end=
  2026-07-02T00:00:00-07:00` holds the July 1 all-day events and not the July 2 ones.

**Paging.** The standard envelope `{{items, total, page, limit, nextPage}}`: ask for
`page=nextPage` until it is null; `limit` 1..{MAX_LIMIT} (default 50). Any range length is
allowed; pages are read at the moment each is asked for, so to follow changes reliably use
BrightSync's delta (`GET /api/v1/events?since=`).

{_SHAPE}"""
_WRITE_DESCRIPTION = f"""\
**Fields.** `title`, `description`, `location` (texts kept as sent), `start`, `end`, `allDay`,
`timezone` (IANA), `attendees`, `organizer`, `links`.

**Times.** A timed event's `start`/`end` are instants: ISO 8601 with an offset (kept as the same
instant, returned in UTC), epoch milliseconds, or a local time without offset read in
`timezone`. `end` may equal `start`, never precede it. **All-day events** (`allDay: true`,
implied when both are dates) are dates, returned as dates: `2026-07-01` to `2026-07-02` is one
day (end exclusive); an `end` equal to `start` means that one day too. A date-time is taken by
its date as written, in its own offset. They never shift, whatever `timezone` says.

**Attendees** are addresses (`"ann@x.example"`) or `{{email, name, status, contactId}}`
objects; an address must be valid (422 naming `attendees/N/email`). Each is linked to the
contact owning its address (unless several share it) or to the `contactId` given. An attendee
already on the event keeps its `status` and `name` unless you send new ones; a new one needs
action. Repeated addresses count once. The **organizer** is apart: replacing `attendees` keeps
them; set or change them with `organizer` (same forms), clear with `"organizer": null`.

**Links** are `{{type, id}}` (a list, or one object): `contact` or `company` (`account` is a
synonym) by Hearth id, which must exist. Items sent back with `origin: "matched"` are ignored
(Hearth recomputes them); links of other types that a partner made (BrightSync's
`relatedTo: opportunity`) are kept and shown, and cannot be changed here.

What Hearth sets (`id`, `status`, `createdAt`, `updatedAt`) may be sent back as read. A rejected
request (422 naming the field) changes nothing.

{_SHAPE}"""
_PATCH_DESCRIPTION = f"""\
A merge (RFC 7396): absent fields stay as they are, `null` clears `title`, `description`,
`location`, `timezone`, `attendees` (the organizer stays), `organizer` and `links` (partners'
own links stay). `start`, `end` and `allDay` cannot be cleared. `attendees` and `links`, when
sent, replace the lists. Sending `start` alone moves the start and keeps the end; a PATCH
without `allDay` keeps it as it was (two dates make an event all-day).

{_WRITE_DESCRIPTION}"""
_PUT_DESCRIPTION = f"""\
Replaces what this API shows: fields not sent are cleared (`start` and `end` are required). What
it does not show stays: BrightSync's `private`, `parentId`, `iCalUID` and partners' own links.
A `GET` answer sent back unchanged changes nothing but `updatedAt`.

{_WRITE_DESCRIPTION}"""
_ENTITY_DESCRIPTION = f"""\
The events of a contact or a company, newest first (by start, then id), in the standard envelope
(`page=nextPage` until null; `limit` 1..{MAX_LIMIT}).

- A **contact**'s: the events linked to it (explicitly, or matched when written), those where it
  is an attendee, and those with an attendee at one of its addresses now (so a contact created
  after the meeting finds it).
- A **company**'s (`company` or `account`): the events linked to it (explicitly, or matched when
  written: its people's meetings while they worked there, attendees at its domains) and those
  with an attendee at one of its domains now.

An unknown `entityType` is a 422; an unknown id a 404.

{_SHAPE}"""
_SYNC_DESCRIPTION = """\
Asks for a calendar sync with the user's connected Google or Microsoft 365 account. Connecting
accounts (OAuth) and the sync engine are not part of this version: until an account is connected
this answers 409 `application/problem+json` with type `/problems/no-connected-account`, never a
pretend success. Events written through this API and BrightSync's are stored at once; there is
nothing to sync for them.
"""

_TIMED = {
    "title": "Client Meeting",
    "start": "2026-07-01T14:00:00Z",
    "end": "2026-07-01T15:00:00Z",
    "description": "Quarterly review",
    "attendees": ["contact@company.example"],
}
_FULL = {
    "title": "Quarterly review",
    "start": "2026-07-01T10:00:00-04:00",
    "end": "2026-07-01T11:00:00-04:00",
    "timezone": "America/New_York",
    "location": "https://meet.example.com/abc-defg",
    "attendees": [
        "sarah.chen@techstartup.example",
        {"email": "bob@techstartup.example", "name": "Bob", "status": "tentative"},
    ],
    "organizer": {"email": "me@hearth.example", "name": "Me"},
    "links": [{"type": "account", "id": "12"}],
}
_ALL_DAY = {"title": "Offsite", "start": "2026-07-01", "end": "2026-07-03", "allDay": True}
EventBody = Annotated[
    CalendarEventIn,
    Body(
        openapi_examples={
            "spec": {"summary": "The spec's example", "value": _TIMED},
            "full": {"summary": "Every field", "value": _FULL},
            "allDay": {"summary": "Two all-day days (July 1 and 2)", "value": _ALL_DAY},
        }
    ),
]
EventPatch = Annotated[
    CalendarEventIn,
    Body(
        openapi_examples={
            "reschedule": {
                "summary": "Move it an hour later",
                "value": {"start": "2026-07-01T15:00:00Z", "end": "2026-07-01T16:00:00Z"},
            },
            "attendees": {
                "summary": "Replace the attendees, clear the location",
                "value": {
                    "attendees": [
                        {"email": "sarah.chen@techstartup.example", "status": "declined"}
                    ],
                    "location": None,
                },
            },
        }
    ),
]
LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1..{MAX_LIMIT}.")
]
PageQuery = Annotated[int, Query(ge=1, description="Page number, from 1.")]
EventId = Annotated[str, Path(description="The event's id.", examples=["42"])]

# core's events service names fields as BrightSync's API does; this API says them its own way.
_OUR_NAMES = {"startTime": "start", "endTime": "end", "timeZone": "timezone", "subject": "title"}
_THEIR_NAMES = re.compile(r"\b(startTime|endTime|timeZone)\b")


@contextmanager
def _in_our_terms() -> Iterator[None]:
    """Re-raise core's ``Invalid`` with this API's field names."""
    try:
        yield
    except Invalid as e:
        field = _OUR_NAMES.get(e.field or "", e.field)
        message = _THEIR_NAMES.sub(lambda m: _OUR_NAMES[m.group()], e.message)
        raise Invalid(message, field=field) from e


@router.get("/events", summary="Events in a date range", description=_RANGE_DESCRIPTION)
def list_events(
    core: CoreDep,
    start: Annotated[RangeTime, Query(description="Range start (inclusive).")],
    end: Annotated[RangeTime, Query(description="Range end (exclusive; a date: through it).")],
    timezone: Annotated[
        str | None,
        Query(max_length=64, description="IANA time zone of the reader.", examples=["UTC"]),
    ] = None,
    page: PageQuery = 1,
    limit: LimitQuery = 50,
) -> PageOut[CalendarEventOut]:
    """List the events overlapping a date range."""
    window = views.calendar_range(start, end, timezone)
    with core.database.read() as session:
        result = views.events_in_range(session, window, PageRequest(page, limit))
    return PageOut.of(result, [CalendarEventOut.of(e) for e in result.items])


@router.post("/events", status_code=201, summary="Create an event", description=_WRITE_DESCRIPTION)
def create_event(core: CoreDep, body: EventBody) -> CalendarEventOut:
    """Create an event; start and end are required."""
    if body.id is not None:
        raise Invalid("is assigned by Hearth: leave it out", field="id")
    _check_status(body, "confirmed")
    with _in_our_terms(), core.database.write() as session:
        values = views.write_values(session, None, body.changes(), replacing=True)
        record = service.create_event(session, values, source=SOURCE)
        created = views.calendar_event(session, record.id)
    return CalendarEventOut.of(created)


@router.get(
    "/events/entity/{entityType}/{entityId}",
    summary="Events of a contact or company",
    description=_ENTITY_DESCRIPTION,
)
def list_entity_events(
    core: CoreDep,
    entity_type: Annotated[
        str,
        Path(
            alias="entityType", description="contact or company (or account).", examples=["contact"]
        ),
    ],
    entity_id: Annotated[
        str, Path(alias="entityId", description="The record's id.", examples=["7"])
    ],
    page: PageQuery = 1,
    limit: LimitQuery = 50,
) -> PageOut[CalendarEventOut]:
    """List a contact's or company's events, newest first."""
    kind = views.entity_type_of(entity_type)
    record_id = path_id(entity_id, kind)
    with core.database.read() as session:
        result = views.events_of_entity(session, kind, record_id, PageRequest(page, limit))
    return PageOut.of(result, [CalendarEventOut.of(e) for e in result.items])


@router.get("/events/{event_id}", summary="Get an event")
def get_event(core: CoreDep, event_id: EventId) -> CalendarEventOut:
    """Load one event by id."""
    with core.database.read() as session:
        return CalendarEventOut.of(views.calendar_event(session, path_id(event_id, "event")))


@router.patch("/events/{event_id}", summary="Update an event", description=_PATCH_DESCRIPTION)
def update_event(core: CoreDep, event_id: EventId, body: EventPatch) -> CalendarEventOut:
    """Change an event: absent fields stay, null clears, lists sent are replaced."""
    return _write(core, event_id, body, replacing=False)


@router.put("/events/{event_id}", summary="Replace an event", description=_PUT_DESCRIPTION)
def replace_event(core: CoreDep, event_id: EventId, body: EventBody) -> CalendarEventOut:
    """Replace an event's fields; start and end are required."""
    return _write(core, event_id, body, replacing=True)


@router.delete("/events/{event_id}", status_code=204, summary="Delete an event")
def delete_event(core: CoreDep, event_id: EventId) -> Response:
    """Delete an event. BrightSync's deletedEvents reports it; deleting it again is a 404."""
    retention = timedelta(days=core.settings.calendar.tombstone_retention_days)
    with core.database.write() as session:
        service.delete_event(session, path_id(event_id, "event"))
        service.purge_tombstones(session, utcnow(), retention)
    return Response(status_code=204)


_NO_ACCOUNT = "no connected account: connect a Google or Microsoft 365 account to sync a calendar"
_NO_ACCOUNT_EXAMPLE = {
    "type": "/problems/no-connected-account",
    "title": "No connected account",
    "status": 409,
    "detail": _NO_ACCOUNT,
}


@router.post(
    "/sync",
    summary="Sync the calendar now",
    description=_SYNC_DESCRIPTION,
    status_code=409,
    response_class=Response,
    responses={
        409: {
            "description": "No account is connected (or sync is not available yet).",
            "content": {PROBLEM_JSON: {"example": _NO_ACCOUNT_EXAMPLE}},
        }
    },
)
def sync_calendar(core: CoreDep) -> Response:
    """Ask for a calendar sync: a 409 until an account is connected."""
    with core.database.read() as session:
        connected = views.connected_accounts(session)
    if not connected:
        return problem(
            409,
            _NO_ACCOUNT,
            type_="/problems/no-connected-account",
            title="No connected account",
        )
    return problem(
        409,
        "calendar sync is not available in this version of Hearth",
        type_="/problems/sync-unavailable",
        title="Sync unavailable",
    )


def _write(
    core: HearthCore, event_id: str, body: CalendarEventIn, *, replacing: bool
) -> CalendarEventOut:
    record_id = path_id(event_id, "event")
    if body.id is not None and body.id != record_id:
        raise Invalid(f"does not match the event in the URL ({record_id})", field="id")
    with _in_our_terms(), core.database.write() as session:
        current = views.calendar_event(session, record_id)
        _check_status(body, current.status)
        values = views.write_values(session, current.event, body.changes(), replacing=replacing)
        _save(session, record_id, values, replacing=replacing)
        written = views.calendar_event(session, record_id)
    return CalendarEventOut.of(written)


def _save(session: Session, record_id: int, values: dict[str, Any], *, replacing: bool) -> None:
    if replacing:
        service.replace_event(session, record_id, values)
    else:
        service.update_event(session, record_id, values)


def _check_status(body: CalendarEventIn, status: str) -> None:
    if body.status is not None and body.status != status:
        raise Invalid(f"is set by Hearth ({status}); to cancel an event, delete it", field="status")
