"""BrightSync Calendar Sync (spec 002): the Event and Attendee objects, and the times they take.

Event times (:data:`EventTimeIn`) take what :data:`~embedded_api.schemas.timestamps.AnyTimestamp`
takes and also dates and times without an offset; what those mean is decided in
:mod:`core.services.event_times`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    field_validator,
)
from pydantic.config import JsonDict

from core.services.events import AttendeeRecord, DeletedEventRecord, EventRecord, LinkRecord
from embedded_api.schemas.common import (
    ApiModel,
    IdIn,
    IdOut,
    InputModel,
    PageOut,
    RelatedToListIn,
    TextId,
    UtcOut,
    explicit_related,
    format_utc,
)
from embedded_api.schemas.timestamps import parse_time

EventTimeIn = Annotated[
    date | datetime,
    PlainValidator(parse_time),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
                {"type": "integer", "description": "epoch milliseconds"},
            ],
            "description": (
                "Timed events: ISO 8601 with an offset, epoch milliseconds, or a local time "
                "without offset read in timeZone. All-day events: a date (2026-07-01), or a "
                "date-time whose date as written is taken."
            ),
            "examples": ["2026-07-01T10:00:00-07:00", "2026-07-01", 1782925200000],
        },
        mode="validation",
    ),
]
"""An event's start or end as a client wrote it (a date, or a datetime, aware or naive)."""


def _format_event_time(value: date) -> str:
    if isinstance(value, datetime):
        return format_utc(value)
    return value.isoformat()


EventTimeOut = Annotated[
    date | datetime,
    PlainSerializer(_format_event_time, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": "UTC date-time of a timed event; date (YYYY-MM-DD) of an all-day one.",
            "examples": ["2026-07-01T17:00:00.000Z", "2026-07-01"],
        },
        mode="serialization",
    ),
]


STATUS_NAMES = {
    "accepted": "Accepted",
    "declined": "Declined",
    "tentative": "Tentative",
    "needsAction": "NeedsAction",
}
"""How canonical attendee statuses are written on the wire, as the spec's examples do."""


# -- in ------------------------------------------------------------------------------------------


class AttendeeIn(InputModel):
    """A participant. ``status``: Accepted, Declined, Tentative or NeedsAction (any case; also
    None/NotResponded, TentativelyAccepted, Organizer, NEEDS-ACTION); absent means NeedsAction.
    Without ``contactId`` the attendee is linked to the contact owning ``emailAddress``."""

    user_id: TextId | None = None
    email_address: str | None = Field(default=None, max_length=320)
    contact_id: IdIn | None = None
    status: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=256)
    organizer: bool | None = None

    def changes(self) -> dict[str, Any]:
        """This attendee's fields, snake_case, for core's services."""
        return {
            "user_id": self.user_id,
            "email_address": self.email_address,
            "contact_id": self.contact_id,
            "status": self.status,
            "name": self.name,
            "is_organizer": bool(self.organizer),
        }


class EventIn(InputModel):
    """Fields of an event. POST and PUT need ``startTime`` and ``endTime``; on PATCH absent
    fields stay and null clears (``startTime``, ``endTime`` and ``allDay`` cannot be null).
    Texts are kept exactly as sent (no trimming). ``id`` may be echoed back on PUT/PATCH (it
    must match the URL); ``lastModifiedAt`` and ``createdAt`` are set by Hearth and ignored."""

    model_config = ConfigDict(str_strip_whitespace=False)

    id: IdIn | None = None
    subject: str | None = Field(default=None, max_length=4096)
    description: str | None = Field(default=None, max_length=1_000_000)
    start_time: EventTimeIn | None = None
    end_time: EventTimeIn | None = None
    time_zone: str | None = Field(default=None, max_length=64, description="An IANA name.")
    location: str | None = Field(default=None, max_length=4096)
    all_day: bool | None = None
    private: bool | None = None
    attendees: list[AttendeeIn] | None = Field(default=None, max_length=1000)
    parent_id: IdIn | None = None
    related_to: RelatedToListIn | None = Field(
        default=None,
        description="A list, or a single object. Besides contact and company, another type "
        "names a partner's record by the partner's id.",
    )
    ical_uid: str | None = Field(default=None, alias="iCalUID", max_length=1024)
    last_modified_at: Any = Field(default=None, description="Ignored: set by Hearth.")
    created_at: Any = Field(default=None, description="Ignored: set by Hearth.")

    @field_validator("time_zone")
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, snake_case, for core's services."""
        sent = self.model_fields_set
        values: dict[str, Any] = {
            core_name: getattr(self, name)
            for name, core_name in _CORE_NAMES.items()
            if name in sent
        }
        if "attendees" in sent:
            values["attendees"] = (
                None if self.attendees is None else [a.changes() for a in self.attendees]
            )
        if "related_to" in sent:
            values["related_to"] = (
                None
                if self.related_to is None
                else [
                    {"type": item.type, "id": item.id} for item in explicit_related(self.related_to)
                ]
            )
        return values


_CORE_NAMES = {
    "subject": "subject",
    "description": "description",
    "start_time": "start_time",
    "end_time": "end_time",
    "time_zone": "timezone",
    "location": "location",
    "all_day": "all_day",
    "private": "is_private",
    "parent_id": "parent_id",
    "ical_uid": "ical_uid",
}


# -- out -----------------------------------------------------------------------------------------


class AttendeeOut(ApiModel):
    """A participant; ``contactId`` is a number, as the spec's Long."""

    user_id: str | None
    email_address: str | None
    contact_id: int | None
    status: str = Field(description="Accepted, Declined, Tentative or NeedsAction.")
    name: str | None
    organizer: bool

    @classmethod
    def of(cls, record: AttendeeRecord) -> AttendeeOut:
        """The wire form of a core attendee."""
        status = record.status or "needsAction"
        return cls(
            user_id=record.user_id,
            email_address=record.email_address,
            contact_id=record.contact_id,
            status=STATUS_NAMES.get(status, status),
            name=record.name,
            organizer=record.is_organizer,
        )


class EventRelatedToOut(ApiModel):
    """A linked CRM record: ``origin`` ``explicit`` (sent as relatedTo) or ``matched`` (an
    attendee's contact, their company, the company owning an attendee's domain)."""

    type: str
    id: str
    origin: str

    @classmethod
    def of(cls, record: LinkRecord) -> EventRelatedToOut:
        """The wire form of a core link."""
        return cls(type=record.entity_type, id=record.entity_id, origin=record.origin)


_EVENT_EXAMPLE: JsonDict = {
    "id": "42",
    "subject": "Quarterly review",
    "description": "Agenda: pipeline, renewals",
    "startTime": "2026-07-01T17:00:00.000Z",
    "endTime": "2026-07-01T18:00:00.000Z",
    "timeZone": "America/Los_Angeles",
    "location": "https://meet.example.com/abc-defg",
    "allDay": False,
    "private": False,
    "attendees": [
        {
            "userId": None,
            "emailAddress": "sarah.chen@techstartup.example",
            "contactId": 7,
            "status": "Accepted",
            "name": "Sarah Chen",
            "organizer": False,
        }
    ],
    "parentId": None,
    "relatedTo": [
        {"type": "contact", "id": "7", "origin": "explicit"},
        {"type": "company", "id": "12", "origin": "matched"},
    ],
    "iCalUID": "7kq3v1@calendar.example",
    "createdAt": "2026-06-20T09:15:02.114Z",
    "lastModifiedAt": "2026-06-21T16:40:11.503Z",
}


class EventOut(ApiModel):
    """A calendar event: spec 002's Event object, plus ``timeZone``, ``iCalUID``, ``createdAt``.

    ``id`` is a string; ``parentId`` and attendees' ``contactId`` are numbers. A timed event's
    ``startTime``/``endTime`` are UTC (``...Z``); an all-day event's are dates, ``endTime``
    exclusive (a one-day event on July 1 ends ``2026-07-02``), so they never shift a day.
    ``lastModifiedAt`` is set by Hearth on every write and strictly increases.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [_EVENT_EXAMPLE]})

    id: IdOut
    subject: str | None
    description: str | None
    start_time: EventTimeOut
    end_time: EventTimeOut
    time_zone: str | None
    location: str | None
    all_day: bool
    private: bool
    attendees: list[AttendeeOut]
    parent_id: int | None
    related_to: list[EventRelatedToOut]
    ical_uid: str | None = Field(alias="iCalUID")
    created_at: UtcOut
    last_modified_at: UtcOut

    @classmethod
    def of(cls, record: EventRecord) -> EventOut:
        """The wire form of a core event."""
        all_day = record.all_day and record.start_date is not None
        return cls(
            id=record.id,
            subject=record.subject,
            description=record.description,
            start_time=record.start_date if all_day else record.start_at,
            end_time=record.end_date if all_day else record.end_at,
            time_zone=record.timezone,
            location=record.location,
            all_day=record.all_day,
            private=record.is_private,
            attendees=[AttendeeOut.of(a) for a in record.attendees],
            parent_id=record.parent_id,
            related_to=[EventRelatedToOut.of(link) for link in record.related_to],
            ical_uid=record.ical_uid,
            created_at=record.created_at,
            last_modified_at=record.last_modified_at,
        )


_NEXT_SINCE = (
    "Delta reads only: the `since` that asks for the next page; null on the last page "
    "(and outside delta reads)."
)


class EventPageOut(PageOut[EventOut]):
    """A page of events: the shared envelope, plus ``nextSince`` for delta reads."""

    next_since: UtcOut | None = Field(default=None, description=_NEXT_SINCE)


class DeletedEventOut(ApiModel):
    """A deleted event: its id, when it was deleted, and its iCalUID when it had one."""

    id: IdOut
    deleted_at: UtcOut
    ical_uid: str | None = Field(alias="iCalUID")

    @classmethod
    def of(cls, record: DeletedEventRecord) -> DeletedEventOut:
        """The wire form of a core tombstone."""
        return cls(id=record.id, deleted_at=record.deleted_at, ical_uid=record.ical_uid)


class DeletedEventPageOut(PageOut[DeletedEventOut]):
    """A page of deleted events, paged with ``since=nextSince``."""

    next_since: UtcOut | None = Field(default=None, description=_NEXT_SINCE)
