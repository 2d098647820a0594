"""Documents of the Integrations API (spec 004) on the wire: ``/api/v1/integrations/documents``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core.services.documents import STATUSES, DocumentRecord
from embedded_api.schemas.common import ApiModel, IdIn, IdOut, InputModel, UtcOut

DOCUMENT_EXAMPLE: dict[str, Any] = {
    "id": "41",
    "fileName": "contract.pdf",
    "contentType": "application/pdf",
    "status": "ready",
    "size": 248133,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "source": "upload",
    "relatedTo": [{"type": "company", "id": "1"}],
    "createdAt": "2026-07-01T14:00:00.000Z",
    "updatedAt": "2026-07-01T14:00:05.000Z",
    "uploadedAt": "2026-07-01T14:00:04.000Z",
    "confirmedAt": "2026-07-01T14:00:05.000Z",
    "archivedAt": None,
}


class RelatedOut(ApiModel):
    """A record the document belongs to: ``contact``, ``company``, or the ``email`` it came with."""

    type: str
    id: str


class DocumentOut(ApiModel):
    """A document. ``status`` is ``pending`` (waiting for its content or for confirmation),
    ``ready`` or ``archived``; ``size`` is the declared size until the content arrives."""

    id: IdOut
    file_name: str = Field(
        description="The file name, made safe (no folders, no control characters)."
    )
    content_type: str
    status: str = Field(description=f"One of {', '.join(STATUSES)}.")
    size: int | None = Field(description="Bytes: the content's, or the declared size before it.")
    sha256: str | None = Field(description="SHA-256 (hex) of the content, once it has arrived.")
    source: str = Field(description="`upload` (this API), `email` (an email attachment), `demo`.")
    related_to: list[RelatedOut]
    created_at: UtcOut
    updated_at: UtcOut
    uploaded_at: UtcOut | None = Field(description="When the content arrived.")
    confirmed_at: UtcOut | None
    archived_at: UtcOut | None

    @classmethod
    def of(cls, record: DocumentRecord) -> DocumentOut:
        """The wire form of a core document."""
        return cls(
            id=record.id,
            file_name=record.file_name,
            content_type=record.content_type,
            status=record.status,
            size=record.size,
            sha256=record.sha256,
            source=record.source,
            related_to=[RelatedOut(type=kind, id=entity_id) for kind, entity_id in record.related],
            created_at=record.created_at,
            updated_at=record.updated_at,
            uploaded_at=record.uploaded_at,
            confirmed_at=record.confirmed_at,
            archived_at=record.archived_at,
        )


class UploadIn(InputModel):
    """A document to upload. ``entityType`` (`contact`, `company` or its synonym `account`) and
    ``entityId`` attach it to a CRM record; give both or neither. ``size``, if given, is checked
    against the upload limit now and against the bytes that arrive."""

    file_name: str = Field(min_length=1, max_length=4096)
    content_type: str = Field(min_length=1, max_length=255)
    entity_type: str | None = Field(default=None, min_length=1, max_length=64)
    entity_id: IdIn | None = None
    size: int | None = Field(default=None, ge=0)


class UploadOut(ApiModel):
    """Where and how to send the bytes: ``PUT`` them to ``uploadUrl`` with ``headers``, without
    an API key."""

    id: IdOut = Field(description="The new document's id.")
    file_name: str = Field(description="The name the document was stored under (made safe).")
    upload_url: str = Field(description="Presigned URL: one upload, before expiresAt.")
    method: str = Field(description="Always PUT.")
    headers: dict[str, str] = Field(description="Headers the PUT must carry, exactly.")
    expires_at: UtcOut
    max_bytes: int = Field(description="The largest content the URL accepts.")


class DownloadOut(ApiModel):
    """A short-lived URL that serves the document's content to anyone holding it (no API key)."""

    url: str
    expires_at: UtcOut
    file_name: str
    content_type: str
    size: int


class ArchiveIn(InputModel):
    """``{"value": true}`` archives, ``{"value": false}`` restores; no body toggles."""

    value: bool | None = None


class StorageConfigOut(ApiModel):
    """Where documents are kept and how much they take."""

    configured: bool = Field(description="Always true: the local store needs no setup.")
    storage: str = Field(description="`local`: the documents folder of Hearth's data directory.")
    location: str = Field(description="The folder holding the content.")
    max_upload_bytes: int = Field(
        description="Largest document accepted (documents.max_upload_bytes)."
    )
    used_bytes: int = Field(description="Bytes of content stored (shared content counted once).")
    document_count: int
    upload_url_ttl_seconds: int
    download_url_ttl_seconds: int
