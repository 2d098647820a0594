"""Provider connections, their sync cursors and runs, and the outbox of local changes to push."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Timestamped


class Connection(Base, Timestamped):
    """A user's OAuth account at a provider. Tokens are in the keyring, never here.

    ``status``: connected, syncing, error, needs_reauth, disconnected.
    """

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("provider", "account_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    account_email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(32), default="connected")
    scopes: Mapped[list[str]] = mapped_column(default=list)
    last_sync_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class SyncCursor(Base):
    """Where incremental sync of one resource stands (a Gmail historyId, a Calendar syncToken, a
    Graph deltaLink). Written in the same transaction as the data it covers."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("connection_id", "resource"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(String(128))
    cursor: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class SyncRun(Base):
    """One sync of a connection: its stage, counts and errors, as the GUI and status API show."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_connection_started", "connection_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(32), default="starting")
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class OutboxItem(Base, Timestamped):
    """A local change waiting to be pushed to a provider (a sent mail, a flag, an event edit).

    Durable across restarts; ``status`` pending -> done, or failed after ``attempts`` with the
    error kept. ``next_attempt_at`` spaces retries.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str | None] = mapped_column(String(32))
    record_id: Mapped[int | None]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
