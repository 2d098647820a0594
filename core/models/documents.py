"""Documents and the content-addressed blobs behind them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import NEVER_REUSE_IDS, Base, Timestamped


class Blob(Base):
    """Stored content, addressed by its SHA-256; shared by every document with the same bytes."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    created_at: Mapped[datetime]


class Document(Base, Timestamped):
    """A file the user keeps in Hearth, attached to entities through ``RecordLink``.

    ``status`` moves pending -> ready (content confirmed) and may become archived. The upload
    nonce makes a presigned upload URL single-use.
    """

    __tablename__ = "documents"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255), default="application/octet-stream")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    size: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(
        ForeignKey("blobs.sha256", ondelete="RESTRICT"), index=True
    )
    upload_nonce: Mapped[str | None] = mapped_column(String(64))
    upload_consumed_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(32), default="upload")
