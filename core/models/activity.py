"""The activity timeline, tasks, and tombstones of deleted records for delta readers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import NEVER_REUSE_IDS, Base, Timestamped, utcnow


class Activity(Base):
    """One entry of a timeline: an email, a meeting, a note, an Enginy engagement or activity...

    ``kind`` names it (``email``, ``meeting``, ``note``, ``document``, ``contact_center_email``,
    ``enginy_engagement``, ``enginy_activity``); ``record_type``/``record_id`` point at the
    email/event/document behind it, when there is one; ``data`` keeps the details (an email's
    ``direction``, what a partner sent).
    """

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_contact_time", "contact_id", "occurred_at"),
        Index("ix_activities_company_time", "company_id", "occurred_at"),
        Index("ix_activities_record", "record_type", "record_id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(48))
    source: Mapped[str] = mapped_column(String(32), default="local")
    occurred_at: Mapped[datetime]
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    record_type: Mapped[str | None] = mapped_column(String(32))
    record_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Task(Base, Timestamped):
    """A to-do for the user about a contact or company (Enginy's tasks, the user's own).

    ``status`` open or done; ``completed_at`` set when done.
    """

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_status_due", "status", "due_at"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    priority: Mapped[str | None] = mapped_column(String(16))
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(32), default="local")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Tombstone(Base):
    """What remains of a deleted record (event, contact, company...): enough for a delta reader
    (``deletedEvents?since=``, contacts updated since) to delete its copy. Kept for a retention
    period (a setting), then purged."""

    __tablename__ = "tombstones"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id"),
        Index("ix_tombstones_type_deleted", "record_type", "deleted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int]
    deleted_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Identifiers a reader may need (e.g. an event's iCalUID), never the deleted content."""
