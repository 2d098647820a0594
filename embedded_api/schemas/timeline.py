"""Timeline entries and notes on the wire (``/api/v1/contacts|companies/{id}/timeline|notes``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core.services.timeline import KINDS, MAX_NOTE_BODY, MAX_NOTE_TITLE, TimelineEntry
from embedded_api.schemas.common import ApiModel, IdOut, InputModel, UtcOut
from embedded_api.schemas.timestamps import AnyTimestamp


class RecordRefOut(ApiModel):
    """The record behind an entry: ``{"type": "email", "id": "812"}``; ``type`` is ``email``,
    ``event`` (a meeting, at ``/api/v1/events/{id}``) or ``document``."""

    type: str
    id: IdOut


class TimelineItemOut(ApiModel):
    """One entry of a contact's or company's timeline."""

    id: IdOut
    kind: str = Field(description=f"One of {', '.join(KINDS)}.")
    occurred_at: UtcOut = Field(description="When it happened: an email's time, a meeting's start.")
    title: str | None = Field(description="An email's or meeting's subject, a note's title.")
    body: str | None = Field(description="A note's text, an email's snippet, a meeting's location.")
    source: str = Field(description="What wrote it: api, brightsync, demo, local...")
    record: RecordRefOut | None = Field(description="The email, event or document behind it.")
    contact_id: IdOut | None = Field(description="The contact it was written for, if any.")
    company_id: IdOut | None = Field(description="The company it was written for, if any.")
    data: dict[str, Any] = Field(description="Details: an email's direction, a partner's fields.")

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineItemOut:
        """The wire form of a core timeline entry."""
        record = None
        if entry.record_type is not None and entry.record_id is not None:
            record = RecordRefOut(type=entry.record_type, id=entry.record_id)
        return cls(
            id=entry.id,
            kind=entry.kind,
            occurred_at=entry.occurred_at,
            title=entry.title,
            body=entry.body,
            source=entry.source,
            record=record,
            contact_id=entry.contact_id,
            company_id=entry.company_id,
            data=dict(entry.data),
        )


class NoteIn(InputModel):
    """A note: a title, a body or both; ``occurredAt`` defaults to now."""

    title: str | None = Field(default=None, max_length=MAX_NOTE_TITLE)
    body: str | None = Field(default=None, max_length=MAX_NOTE_BODY)
    occurred_at: AnyTimestamp | None = None
