"""Email: threads, messages, their recipients and attachments.

One message is one row whatever path brought it (provider sync, BrightSync, contact center):
``rfc822_msg_id`` (normalised, without angle brackets) is its key, and the ids other systems gave
it live in :class:`core.models.crm.ExternalId`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Computed, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import NEVER_REUSE_IDS, Base, Timestamped


class EmailThread(Base, Timestamped):
    """A conversation. ``thread_key`` is the grouping key (a sync thread id, a conversation id, or
    the root Message-ID), so messages arriving by different paths meet in one thread."""

    __tablename__ = "email_threads"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_key: Mapped[str] = mapped_column(String(512), unique=True)
    subject: Mapped[str | None] = mapped_column(Text)
    last_message_at: Mapped[datetime | None] = mapped_column(index=True)
    """``received_at`` of the thread's newest message."""
    message_count: Mapped[int] = mapped_column(default=0)


class Email(Base, Timestamped):
    """One email message with its flags, addresses and bodies."""

    __tablename__ = "emails"
    __table_args__ = (
        Index("ix_emails_thread_received", "thread_id", "received_at"),
        # The inbox's orders (newest first, ties by id): a folder, its unread mail and starred
        # mail ("all" merges the folders), each index a page more to write per new email. The
        # partial indexes stay small; their conditions are written as SQLAlchemy renders
        # ~Email.is_read and Email.is_starred == true(), or no query could use them.
        # ix_emails_folder_time replaced ix_emails_folder_received (folder, received_at).
        Index("ix_emails_folder_time", "folder", "occurred_at", "id"),
        Index(
            "ix_emails_unread_folder_time",
            "folder",
            "occurred_at",
            "id",
            sqlite_where=text("is_read = 0"),
            postgresql_where=text("NOT is_read"),
        ),
        Index(
            "ix_emails_starred_time",
            "occurred_at",
            "id",
            "folder",
            "is_read",
            sqlite_where=text("is_starred = 1"),
            postgresql_where=text("is_starred"),
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rfc822_msg_id: Mapped[str | None] = mapped_column(String(998), unique=True)
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_threads.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(32), default="local")
    """Where the record first came from: local, brightsync, contact_center, google, microsoft."""
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), index=True
    )
    """The mailbox the message lives in, for write-back (flags, archive) to the provider."""
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    folder: Mapped[str] = mapped_column(String(32), default="inbox")
    """inbox, sent, archive, drafts, trash (archive is also a flag, see ``is_archived``)."""
    is_read: Mapped[bool] = mapped_column(default=False)
    is_starred: Mapped[bool] = mapped_column(default=False)
    is_archived: Mapped[bool] = mapped_column(default=False)
    subject: Mapped[str | None] = mapped_column(Text)
    from_address: Mapped[str | None] = mapped_column(String(320))
    from_key: Mapped[str | None] = mapped_column(String(320), index=True)
    from_name: Mapped[str | None] = mapped_column(String(256))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    """The parent's Message-ID, normalised like ``rfc822_msg_id`` (no angle brackets)."""
    references: Mapped[str | None] = mapped_column(Text)
    """The References header as sent: ``<a@x> <b@y>``."""
    sync_thread_id: Mapped[str | None] = mapped_column(String(512))
    received_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    snippet: Mapped[str | None] = mapped_column(String(300))
    has_attachments: Mapped[bool] = mapped_column(default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Source-specific data kept visible: contact-center metadata, agent/participant ids, ..."""
    occurred_at: Mapped[datetime] = mapped_column(
        Computed("coalesce(received_at, sent_at, created_at)")
    )
    """When the message happened, as the inbox orders it: received, else sent, else stored.
    Computed by the database, so no writer can get it wrong (VIRTUAL on SQLite, STORED on
    PostgreSQL: see the migration)."""
    search_text: Mapped[str | None] = mapped_column(Text)
    """What full-text search sees besides the subject and the text body: the sender's and the
    recipients' names and addresses, and the visible text of an HTML body when there is no text
    body. Written with the email (see ``core.services.email_content.search_text_of``)."""

    recipients: Mapped[list[EmailRecipient]] = relationship(
        back_populates="email",
        cascade="all, delete-orphan",
        order_by="EmailRecipient.position",
        lazy="selectin",
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="email",
        cascade="all, delete-orphan",
        order_by="Attachment.position",
        lazy="selectin",
    )


class EmailFolderCount(Base):
    """How many emails a folder holds, unread, starred, and starred and unread.

    Kept by database triggers on ``emails`` (insert, delete, and changes of ``folder``,
    ``is_read``, ``is_starred``), so every writer keeps it exact, bulk loaders and plain SQL
    included. A folder's figures are the sum of its rows: on PostgreSQL each transaction adds
    its changes to one of a few ``shard`` rows, so concurrent writers seldom wait for one
    another (a shard's figures may go negative; only the sum means anything). SQLite, with one
    writer at a time, uses shard 0 alone.
    """

    __tablename__ = "email_folder_counts"

    folder: Mapped[str] = mapped_column(String(32), primary_key=True)
    shard: Mapped[int] = mapped_column(primary_key=True, default=0)
    total: Mapped[int] = mapped_column(default=0)
    unread: Mapped[int] = mapped_column(default=0)
    starred: Mapped[int] = mapped_column(default=0)
    starred_unread: Mapped[int] = mapped_column(default=0)


SEARCH_INDEX_OBJECTS = frozenset(
    {
        "emails_fts",
        "emails_fts_data",
        "emails_fts_idx",
        "emails_fts_docsize",
        "emails_fts_config",
        "ix_emails_search",
    }
)
"""The full-text index's own objects, made by the migrations rather than the models (an FTS5
table and its shadow tables on SQLite, an expression GIN index on PostgreSQL)."""


def described_by_models(name: str | None, type_: str, parent_names: Any) -> bool:
    """Whether a database object is one the models describe: Alembic's ``include_name`` hook,
    so autogenerate and schema comparisons leave the full-text index alone."""
    return name not in SEARCH_INDEX_OBJECTS


class EmailRecipient(Base):
    """A To/Cc/Bcc address of an email; ``address_key`` is lower-cased for matching."""

    __tablename__ = "email_recipients"
    __table_args__ = (Index("ix_email_recipients_email", "email_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("emails.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(320))
    address_key: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str | None] = mapped_column(String(256))
    position: Mapped[int] = mapped_column(default=0)

    email: Mapped[Email] = relationship(back_populates="recipients")


class Attachment(Base):
    """An attachment's metadata; its content, when we have it, is a document in the store."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("email_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("emails.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str | None] = mapped_column(String(512))
    content_type: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None]
    content_id: Mapped[str | None] = mapped_column(String(998))
    is_inline: Mapped[bool] = mapped_column(default=False)
    provider_attachment_id: Mapped[str | None] = mapped_column(String(1024))
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )

    email: Mapped[Email] = relationship(back_populates="attachments")
