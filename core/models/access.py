"""Who may call the embedded API, and what the contact center may post to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Timestamped, utcnow


class ApiKey(Base):
    """An API key, stored only as its SHA-256 (keys are 256-bit random, so no slow hash is needed).

    ``prefix`` is the first characters of the key, shown in listings so a user can tell keys apart.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class ContactCenterTarget(Base, Timestamped):
    """A tenant/org/category triple the contact-center platform may post emails to."""

    __tablename__ = "contact_center_targets"
    __table_args__ = (UniqueConstraint("tenant_name", "org_name", "cat_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_name: Mapped[str] = mapped_column(String(128))
    org_name: Mapped[str] = mapped_column(String(128))
    cat_name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)


class IntakeItem(Base, Timestamped):
    """A partner payload accepted (202) and waiting to become an email; durable across crashes.

    ``status`` pending -> done, or failed with ``error`` kept for the user to see and retry.
    """

    __tablename__ = "intake_queue"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_intake_queue_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(256))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    email_id: Mapped[int | None]
    processed_at: Mapped[datetime | None]
