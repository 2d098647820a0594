"""Calendar events and their attendees."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import NEVER_REUSE_IDS, Base


class Event(Base):
    """A calendar event.

    Timed events store instants in UTC (``start_at``/``end_at``) and the zone they were written
    in. All-day events also keep their calendar dates (``start_date``, exclusive ``end_date``), so
    they never shift a day in another timezone. ``last_modified_at`` is assigned by the server on
    every write and strictly increases, which is what delta readers page by.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_range", "start_at", "end_at"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    all_day: Mapped[bool] = mapped_column(default=False)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    timezone: Mapped[str | None] = mapped_column(String(64))
    is_private: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    ical_uid: Mapped[str | None] = mapped_column(String(1024), index=True)
    recurrence: Mapped[list[str]] = mapped_column(default=list)
    """RFC 5545 RRULE/EXRULE/RDATE/EXDATE lines of a recurring series, as providers give them."""
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), index=True
    )
    """The provider account the event came from or is pushed to; None for local-only events."""
    organizer_address: Mapped[str | None] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(32), default="local")
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    last_modified_at: Mapped[datetime] = mapped_column(index=True)

    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="Attendee.position",
        lazy="selectin",
    )


class Attendee(Base):
    """A participant of an event, with RSVP status; linked to a contact when one matches."""

    __tablename__ = "attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    email_address: Mapped[str | None] = mapped_column(String(320))
    address_key: Mapped[str | None] = mapped_column(String(320), index=True)
    name: Mapped[str | None] = mapped_column(String(256))
    user_id: Mapped[str | None] = mapped_column(String(128))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str | None] = mapped_column(String(32))
    is_organizer: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship(back_populates="attendees")
