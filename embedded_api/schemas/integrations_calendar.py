"""Integrations API, calendar (spec 004): the event as a calendar client reads and writes it.

The same events as BrightSync's ``/api/v1/events``
(:mod:`embedded_api.schemas.brightsync_calendar`), in the Integrations API's words: ``title``,
``start`` and ``end`` rather than ``subject``, ``startTime`` and ``endTime``, attendees as
addresses, an ``organizer`` apart, ``links`` rather than ``relatedTo``, and every id a string.
What the times mean is :mod:`core.services.event_times`' business, what the writes mean
:mod:`core.services.calendar_views`'.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
)
from pydantic.config import JsonDict

from core.services.calendar_views import CalendarEvent, organizer_of
from core.services.events import AttendeeRecord, LinkRecord
from embedded_api.schemas.brightsync_calendar import EventTimeIn, EventTimeOut, TextId
from embedded_api.schemas.common import ApiModel, IdIn, IdOut, InputModel, UtcOut
from embedded_api.schemas.timestamps import parse_time

RangeTime = Annotated[
    date | datetime,
    PlainValidator(parse_time),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "format": "date-time"},
                {"type": "integer", "description": "epoch milliseconds"},
            ],
            "description": (
                "A date (the whole day) or a date-time with an offset (or without one, read in "
                "timezone), or epoch milliseconds."
            ),
            "examples": ["2026-07-01", "2026-07-01T00:00:00-07:00", 1782889200000],
        },
        mode="validation",
    ),
]
"""A bound of a reader's range as written: a date, or a datetime (aware, or naive)."""


# -- in ------------------------------------------------------------------------------------------


def _address_alone(value: Any) -> Any:
    """An attendee may be written as its address alone."""
    return {"email": value} if isinstance(value, str) else value


class CalendarAttendeeIn(InputModel):
    """A participant: an address (``"ann@x.example"``) or ``{email, name, status}``.

    ``status``: accepted, declined, tentative or needsAction (any case; Accepted, NEEDS-ACTION,
    TentativelyAccepted, None... understood); absent, an attendee already on the event keeps
    theirs and a new one needs action. ``name`` absent keeps the name Hearth has. ``contactId``
    names the contact this attendee is (it must exist); without it the attendee is linked to the
    contact owning the address. One of ``email`` and ``contactId`` is needed.
    """

    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=256)
    status: str | None = Field(default=None, max_length=64)
    contact_id: IdIn | None = None

    def values(self) -> dict[str, Any]:
        """The fields sent, snake_case, for core's services (absent ones stay absent)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


CalendarAttendeeItem = Annotated[CalendarAttendeeIn, BeforeValidator(_address_alone)]


class CalendarLinkIn(InputModel):
    """A CRM record the event is logged against: ``contact`` or ``company`` (``account`` is a
    synonym), by Hearth id. Items sent back with ``origin: "matched"`` are Hearth's own matches,
    recomputed on every write: they store nothing."""

    type: str = Field(min_length=1, max_length=64)
    id: TextId
    origin: Literal["explicit", "matched"] | None = None


_PASSED = {
    "title": "subject",
    "start": "start_time",
    "end": "end_time",
    "all_day": "all_day",
    "timezone": "timezone",
    "description": "description",
    "location": "location",
}


class CalendarEventIn(InputModel):
    """An event's fields. POST and PUT need ``start`` and ``end``; on PATCH absent fields stay
    and null clears (``start``, ``end`` and ``allDay`` cannot be null). Texts are kept exactly
    as sent. What Hearth sets may be sent back as it was read: ``id`` (must match the URL),
    ``status`` (must be the event's), ``createdAt`` and ``updatedAt`` (ignored)."""

    model_config = ConfigDict(str_strip_whitespace=False)

    id: IdIn | None = None
    title: str | None = Field(default=None, max_length=4096)
    start: EventTimeIn | None = None
    end: EventTimeIn | None = None
    all_day: bool | None = None
    timezone: str | None = Field(
        default=None, max_length=64, description="An IANA name, e.g. America/New_York."
    )
    description: str | None = Field(default=None, max_length=1_000_000)
    location: str | None = Field(default=None, max_length=4096)
    attendees: list[CalendarAttendeeItem] | None = Field(
        default=None,
        max_length=1000,
        description="Addresses, or {email, name, status, contactId} objects.",
        examples=[
            ["ann@x.example", {"email": "bob@x.example", "name": "Bob", "status": "tentative"}]
        ],
    )
    organizer: CalendarAttendeeItem | None = Field(
        default=None,
        description="An address, or an {email, name, status, contactId} object.",
        examples=["me@hearth.example"],
    )
    links: list[CalendarLinkIn] | None = Field(
        default=None, max_length=200, description="A list, or a single object."
    )
    status: str | None = Field(default=None, max_length=32, description="Read-only.")
    created_at: Any = Field(default=None, description="Ignored: set by Hearth.")
    updated_at: Any = Field(default=None, description="Ignored: set by Hearth.")

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, in :func:`core.services.calendar_views.write_values`'
        terms."""
        sent = self.model_fields_set
        values: dict[str, Any] = {
            core: getattr(self, name) for name, core in _PASSED.items() if name in sent
        }
        if isinstance(values.get("timezone"), str):
            values["timezone"] = values["timezone"].strip()
        if "attendees" in sent:
            values["attendees"] = [a.values() for a in self.attendees or []]
        if "organizer" in sent:
            values["organizer"] = self.organizer.values() if self.organizer else None
        if "links" in sent:
            values["links"] = [link.model_dump() for link in self.links or []]
        return values

    @field_validator("links", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        """One link object is a list of one, as ``relatedTo`` on BrightSync's API."""
        return [value] if isinstance(value, dict) else value


# -- out -----------------------------------------------------------------------------------------


class CalendarAttendeeOut(ApiModel):
    """A participant. ``email`` is null only for one a partner gave by contact or CRM user
    alone; ``contactId`` is the contact it is (a string), null when none matches."""

    email: str | None
    name: str | None
    status: str = Field(description="accepted, declined, tentative or needsAction.")
    contact_id: IdOut | None

    @classmethod
    def of(cls, record: AttendeeRecord) -> CalendarAttendeeOut:
        """The wire form of a core attendee."""
        return cls(
            email=record.email_address,
            name=record.name,
            status=record.status or "needsAction",
            contact_id=record.contact_id,
        )


class CalendarLinkOut(ApiModel):
    """A linked CRM record: ``origin`` ``explicit`` (sent as a link) or ``matched`` (an
    attendee's contact, their company, the company owning an attendee's domain, found when the
    event was written). Partners may link other types (BrightSync's ``opportunity``)."""

    type: str
    id: str
    origin: Literal["explicit", "matched"]

    @classmethod
    def of(cls, record: LinkRecord) -> CalendarLinkOut:
        """The wire form of a core link."""
        origin: Literal["explicit", "matched"] = (
            "explicit" if record.origin == "explicit" else "matched"
        )
        return cls(type=record.entity_type, id=record.entity_id, origin=origin)


_EXAMPLE: JsonDict = {
    "id": "42",
    "title": "Client Meeting",
    "start": "2026-07-01T14:00:00.000Z",
    "end": "2026-07-01T15:00:00.000Z",
    "allDay": False,
    "timezone": "America/New_York",
    "description": "Quarterly review",
    "location": "https://meet.example.com/abc-defg",
    "attendees": [
        {
            "email": "contact@company.example",
            "name": "Sarah Chen",
            "status": "accepted",
            "contactId": "7",
        }
    ],
    "organizer": {
        "email": "me@hearth.example",
        "name": "Me",
        "status": "accepted",
        "contactId": None,
    },
    "status": "confirmed",
    "links": [
        {"type": "contact", "id": "7", "origin": "matched"},
        {"type": "company", "id": "12", "origin": "explicit"},
    ],
    "createdAt": "2026-06-20T09:15:02.114Z",
    "updatedAt": "2026-06-21T16:40:11.503Z",
}


class CalendarEventOut(ApiModel):
    """A calendar event. A timed event's ``start``/``end`` are UTC (``...Z``); an all-day
    event's are dates, ``end`` exclusive (a one-day event on July 1 ends ``2026-07-02``), the
    same days in every time zone. ``attendees`` are the participants other than the
    ``organizer``. ``status`` is the stored status, ``confirmed`` for every event written
    today; a deleted event is gone (BrightSync's ``deletedEvents`` reports it). ``updatedAt`` is
    BrightSync's ``lastModifiedAt``: set on every write, strictly increasing."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: IdOut
    title: str | None
    start: EventTimeOut
    end: EventTimeOut
    all_day: bool
    timezone: str | None
    description: str | None
    location: str | None
    attendees: list[CalendarAttendeeOut]
    organizer: CalendarAttendeeOut | None
    status: str
    links: list[CalendarLinkOut]
    created_at: UtcOut
    updated_at: UtcOut

    @classmethod
    def of(cls, view: CalendarEvent) -> CalendarEventOut:
        """The wire form of a core event."""
        record = view.event
        all_day = record.all_day and record.start_date is not None
        organizer = organizer_of(record)
        return cls(
            id=record.id,
            title=record.subject,
            start=record.start_date if all_day else record.start_at,
            end=record.end_date if all_day else record.end_at,
            all_day=record.all_day,
            timezone=record.timezone,
            description=record.description,
            location=record.location,
            attendees=[CalendarAttendeeOut.of(a) for a in record.attendees if a is not organizer],
            organizer=CalendarAttendeeOut.of(organizer) if organizer is not None else None,
            status=view.status,
            links=[CalendarLinkOut.of(link) for link in record.related_to],
            created_at=record.created_at,
            updated_at=record.last_modified_at,
        )
