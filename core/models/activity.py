"""The activity timeline: what happened with a contact or company, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, utcnow


class Activity(Base):
    """One entry of a timeline: an email, a meeting, a note, an Enginy engagement or activity...

    ``kind`` names it; ``record_type``/``record_id`` point at the email/event/document behind it,
    when there is one; ``data`` keeps the details a partner sent.
    """

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_contact_time", "contact_id", "occurred_at"),
        Index("ix_activities_company_time", "company_id", "occurred_at"),
        Index("ix_activities_record", "record_type", "record_id"),
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
