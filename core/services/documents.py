"""Documents: files the user keeps in Hearth, their content in the local blob store, their links to
contacts and companies, and the presigned URLs that move their bytes.

Life of an uploaded document:

1. :func:`create_upload` records a ``pending`` document (a safe file name, a checked content
   type, optionally a declared size and the entity it belongs to) with a fresh upload nonce.
2. The client PUTs the bytes to a presigned URL. :func:`check_upload_grant` verifies it;
   :class:`IncomingContent` writes the bytes to a temporary file in the store's folder, hashing
   them on the way; :func:`record_upload` consumes the nonce (so the URL works once), records the
   ``Blob`` and moves the file into place, all in one transaction. The document stays pending.
3. :func:`confirm_document` makes it ``ready`` and puts it on its entities' timelines.

Email attachments are documents too (``source`` ``email``, made by
:mod:`core.services.email_content`): lists show them like uploads, an entity's documents include
the attachments of the emails logged against it, and their ``related`` names the email.

Blobs are shared by every document with the same bytes. A blob's row and file go when the last
document using it is deleted: the check and the row's removal happen in the deleting transaction,
with the blob row locked (PostgreSQL) so a concurrent upload of the same bytes either sees the row
gone and writes it anew, or keeps it; the file is moved aside in that transaction and removed
once it commits (:class:`BlobRemoval`), so it never vanishes from under a row that needs it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, CompoundSelect, delete, func, or_, select, update
from sqlalchemy.orm import Session

from core import presign
from core.blobstore import BlobStore
from core.db.statements import insert_or_skip
from core.errors import Conflict, Invalid, NotFound
from core.events import note_change
from core.models import Activity, Attachment, Blob, Company, Contact, Document, RecordLink, utcnow
from core.secrets import SecretStore
from core.services import Page, PageRequest
from core.services.document_names import clean_content_type, media_range_prefix, safe_file_name
from core.services.records import delete_record, load

RECORD_TYPE = "document"
PENDING, READY, ARCHIVED = "pending", "ready", "archived"
STATUSES = (PENDING, READY, ARCHIVED)
UPLOAD_SOURCE = "upload"
ENTITY_TYPES = {"contact": "contact", "company": "company", "account": "company"}
"""What a document may be attached to (``account`` is the CRM synonym of company)."""
SIGNING_KEY_SECRET = "documents:url-signing-key"  # noqa: S105 - a name, not a secret

_ENTITY_MODELS: dict[str, type[Contact] | type[Company]] = {"contact": Contact, "company": Company}


# --- entities --------------------------------------------------------------------------------


def entity_type(value: str, field: str = "entityType") -> str:
    """The stored entity type for a client's (``account`` -> ``company``); ``Invalid`` otherwise."""
    found = ENTITY_TYPES.get(value.strip().lower())
    if found is None:
        raise Invalid(f"must be contact or company (account), not {value!r}", field=field)
    return found


def _check_entity(session: Session, kind: str, entity_id: int) -> None:
    if session.get(_ENTITY_MODELS[kind], entity_id) is None:
        raise NotFound(f"no {kind} with id {entity_id}")


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentRecord:
    """A document as the API and the GUI see it. ``related`` lists ``(type, id)`` pairs: the
    contacts and companies it is attached to, and the email it came with (``email``)."""

    id: int
    file_name: str
    content_type: str
    status: str
    size: int | None
    sha256: str | None
    source: str
    related: tuple[tuple[str, str], ...]
    created_at: datetime
    updated_at: datetime
    uploaded_at: datetime | None
    confirmed_at: datetime | None
    archived_at: datetime | None

    @property
    def has_content(self) -> bool:
        """Whether its bytes are in the store."""
        return self.sha256 is not None


def _records(session: Session, documents: Sequence[Document]) -> list[DocumentRecord]:
    """Plain records of ``documents``, with their links read in two queries for all of them."""
    ids = [document.id for document in documents]
    related: dict[int, list[tuple[str, str]]] = {document_id: [] for document_id in ids}
    if ids:
        links = session.execute(
            select(RecordLink.record_id, RecordLink.entity_type, RecordLink.entity_id)
            .where(RecordLink.record_type == RECORD_TYPE, RecordLink.record_id.in_(ids))
            .order_by(RecordLink.id)
        )
        for document_id, kind, entity_id in links:
            related[document_id].append((kind, entity_id))
        emails = session.execute(
            select(Attachment.document_id, Attachment.email_id)
            .where(Attachment.document_id.in_(ids))
            .order_by(Attachment.email_id)
            .distinct()
        )
        for attached_id, email_id in emails:
            if attached_id is not None:
                related[attached_id].append(("email", str(email_id)))
    return [
        DocumentRecord(
            id=document.id,
            file_name=document.file_name,
            content_type=document.content_type,
            status=document.status,
            size=document.size,
            sha256=document.sha256,
            source=document.source,
            related=tuple(related[document.id]),
            created_at=document.created_at,
            updated_at=document.updated_at,
            uploaded_at=document.upload_consumed_at,
            confirmed_at=document.confirmed_at,
            archived_at=document.archived_at,
        )
        for document in documents
    ]


def get_document(session: Session, document_id: int) -> DocumentRecord:
    """The document with this id; ``NotFound`` when there is none."""
    return _records(session, [load(session, Document, document_id, "document")])[0]


@dataclass(frozen=True)
class DocumentFilter:
    """Which documents a list shows.

    ``status`` one of :data:`STATUSES` or ``all``; ``None`` shows all but archived ones.
    ``entity`` ``(type, id)``: documents attached to that contact or company, and attachments of
    the emails logged against it. ``q``: part of the file name, any case. ``content_type``: a
    media type (matching any parameters) or ``type/*``. ``source``: ``upload``, ``email``, ...
    """

    status: str | None = None
    entity: tuple[str, int] | None = None
    q: str | None = None
    content_type: str | None = None
    source: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions of this filter."""
        found: list[ColumnElement[bool]] = []
        if self.status is None:
            found.append(Document.status != ARCHIVED)
        elif self.status != "all":
            if self.status not in STATUSES:
                raise Invalid(f"must be one of {', '.join(STATUSES)} or all", field="status")
            found.append(Document.status == self.status)
        if self.entity is not None:
            found.append(Document.id.in_(_documents_of(*self.entity)))
        if self.q:
            found.append(func.lower(Document.file_name).contains(self.q.lower(), autoescape=True))
        if self.content_type:
            found.append(_content_type_condition(self.content_type))
        if self.source:
            found.append(Document.source == self.source)
        return found


def _documents_of(kind: str, entity_id: int) -> CompoundSelect:
    """Ids of the documents attached to an entity, and of its emails' attachments."""
    attached = select(RecordLink.record_id).where(
        RecordLink.entity_type == kind,
        RecordLink.entity_id == str(entity_id),
        RecordLink.record_type == RECORD_TYPE,
    )
    email_links = (
        select(Attachment.document_id)
        .join(
            RecordLink,
            (RecordLink.record_type == "email") & (RecordLink.record_id == Attachment.email_id),
        )
        .where(
            RecordLink.entity_type == kind,
            RecordLink.entity_id == str(entity_id),
            Attachment.document_id.is_not(None),
        )
    )
    return attached.union(email_links)


def _content_type_condition(value: str) -> ColumnElement[bool]:
    prefix = media_range_prefix(value)
    if prefix is not None:
        return Document.content_type.startswith(prefix, autoescape=True)
    media_type = clean_content_type(value).split(";", 1)[0]
    return or_(
        Document.content_type == media_type,
        Document.content_type.startswith(media_type + ";", autoescape=True),
    )


def list_documents(
    session: Session, request: PageRequest, where: DocumentFilter
) -> Page[DocumentRecord]:
    """One page of documents, newest first (ties by id), narrowed by ``where``.

    Raises ``NotFound`` for an unknown entity, ``Invalid`` for a bad filter value.
    """
    if where.entity is not None:
        _check_entity(session, *where.entity)
    conditions = where.conditions()
    total = session.scalar(select(func.count()).select_from(Document).where(*conditions)) or 0
    rows = session.scalars(
        select(Document)
        .where(*conditions)
        .order_by(Document.created_at.desc(), Document.id.desc())
        .offset(request.offset)
        .limit(request.limit)
    ).all()
    return Page(_records(session, rows), total, request.page, request.limit)


@dataclass(frozen=True)
class StorageUsage:
    """How much the store holds: bytes of content (each blob once) and documents."""

    used_bytes: int
    document_count: int


def storage_usage(session: Session) -> StorageUsage:
    """Bytes and documents in the store, from the database (two aggregates, no disk walk)."""
    used = session.scalar(select(func.coalesce(func.sum(Blob.size), 0))) or 0
    count = session.scalar(select(func.count()).select_from(Document)) or 0
    return StorageUsage(int(used), int(count))


# --- uploads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingUpload:
    """A document waiting for its content, and the nonce its upload URL is signed with."""

    document: DocumentRecord
    nonce: str


def create_upload(
    session: Session,
    *,
    file_name: str,
    content_type: str,
    size: int | None = None,
    entity: tuple[str, int] | None = None,
    max_bytes: int,
) -> PendingUpload:
    """Record a pending document, attached to ``entity`` (``(type, id)``, type as the client
    wrote it) when given. ``size``, when declared, must be what the upload then carries, and at
    most ``max_bytes``. Raises ``Invalid`` naming the field, ``NotFound`` for an unknown entity."""
    name = safe_file_name(file_name)
    media_type = clean_content_type(content_type)
    if size is not None and not 0 <= size <= max_bytes:
        raise Invalid(f"must be between 0 and {max_bytes} bytes (the upload limit)", field="size")
    link = None
    if entity is not None:
        kind = entity_type(entity[0])
        _check_entity(session, kind, entity[1])
        link = (kind, str(entity[1]))
    nonce = presign.new_nonce()
    document = Document(
        file_name=name,
        content_type=media_type,
        status=PENDING,
        size=size,
        upload_nonce=nonce,
        source=UPLOAD_SOURCE,
    )
    session.add(document)
    session.flush()
    if link is not None:
        session.add(
            RecordLink(
                record_type=RECORD_TYPE,
                record_id=document.id,
                entity_type=link[0],
                entity_id=link[1],
                origin="explicit",
            )
        )
        session.flush()
    note_change(session, RECORD_TYPE, "created", document.id)
    return PendingUpload(_records(session, [document])[0], nonce)


@dataclass(frozen=True)
class UploadTarget:
    """The document an upload URL names, once the URL checks out."""

    document_id: int
    nonce: str
    content_type: str
    declared_size: int | None


def _expiry(expires: str | None) -> int:
    if not expires or not expires.isdigit() or len(expires) > 12:
        raise presign.InvalidGrant("signature", "the URL's expiry is missing or malformed")
    return int(expires)


def check_upload_grant(
    session: Session,
    key: bytes,
    document_id: int,
    *,
    nonce: str | None,
    expires: str | None,
    signature: str | None,
    now: float,
) -> UploadTarget:
    """The document an upload URL's parts grant, or ``presign.InvalidGrant``: tampered or not
    ours (``signature``), ``expired``, or already used (``used``)."""
    document = session.get(Document, document_id)
    if document is None or not nonce or len(nonce) > 64:
        raise presign.InvalidGrant("signature", "the URL does not grant an upload")
    grant = presign.Grant(
        presign.UPLOAD, document_id, nonce, document.content_type, _expiry(expires)
    )
    presign.verify(key, grant, signature, now)
    if document.upload_nonce != nonce or document.upload_consumed_at is not None:
        raise presign.InvalidGrant("used", "the URL has been used already; ask for a new one")
    pending_size = document.size if document.sha256 is None else None
    return UploadTarget(document.id, nonce, document.content_type, pending_size)


class IncomingContent:
    """Bytes arriving for a document: written to a temporary file in the store's folder and
    hashed on the way, never held in memory. :func:`record_upload` moves the file into the store;
    :meth:`discard` removes it (call it in any case: it does nothing once the file has moved).

    :meth:`write` calls come one at a time; :meth:`sync` may run on another thread meanwhile, to
    push the bytes written so far to disk while more arrive, so that :meth:`finish` (which makes
    the content durable before it is recorded) has little left to wait for.
    """

    def __init__(self, store: BlobStore) -> None:
        store.root.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=".incoming-", dir=store.root)
        self.store = store
        self.path = Path(name)
        self.size = 0
        """Bytes written so far."""
        self.synced = 0
        """Bytes known to be on disk."""
        # Unbuffered: every write reaches the OS at once, so a sync from another thread sees it.
        self._file = os.fdopen(descriptor, "wb", buffering=0)
        self._digest = hashlib.sha256()
        self._sha256: str | None = None

    def write(self, chunks: Sequence[bytes]) -> None:
        """Append ``chunks``."""
        for chunk in chunks:
            self._digest.update(chunk)
            view = memoryview(chunk)
            while view:
                view = view[self._file.write(view) or 0 :]
            self.size += len(chunk)

    def sync(self) -> None:
        """Make the bytes written so far durable (the data, not yet the file's metadata)."""
        written = self.size
        _fdatasync(self._file.fileno())
        self.synced = max(self.synced, written)

    def finish(self) -> str:
        """Make the content durable; returns its SHA-256 (hex)."""
        if self._sha256 is None:
            os.fsync(self._file.fileno())
            self._file.close()
            self._sha256 = self._digest.hexdigest()
        return self._sha256

    def place(self) -> None:
        """Move the finished file to its place in the store (replacing identical bytes)."""
        final = self.store.path_for(self.finish())
        final.parent.mkdir(exist_ok=True)
        os.replace(self.path, final)
        _fsync_directory(final.parent)

    def discard(self) -> None:
        """Forget the content (a refused or failed upload): nothing of it is kept."""
        self._file.close()
        self.path.unlink(missing_ok=True)


_fdatasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def record_upload(session: Session, document_id: int, nonce: str, content: IncomingContent) -> None:
    """Give the document the finished ``content``: consume the nonce (a second upload with it
    raises ``presign.InvalidGrant("used")``), record the ``Blob`` and move the file into the store.

    The blob row is locked before the file moves, so a deletion of the same bytes running at the
    same time (see :func:`delete_document`) either finishes first (the row is then written anew)
    or waits; if the transaction fails after the move, an unreferenced file stays (harmless).
    """
    sha256 = content.finish()
    now = utcnow()
    dialect = session.get_bind().dialect.name
    row = {"sha256": sha256, "size": content.size, "created_at": now}
    session.execute(insert_or_skip(dialect, Blob.__table__, ("sha256",)), [row])
    locked = session.scalar(select(Blob.sha256).where(Blob.sha256 == sha256).with_for_update())
    if locked is None:  # a deletion removed it while we waited for the lock
        session.execute(insert_or_skip(dialect, Blob.__table__, ("sha256",)), [row])
    consumed = session.execute(
        update(Document)
        .where(
            Document.id == document_id,
            Document.upload_nonce == nonce,
            Document.upload_consumed_at.is_(None),
        )
        .values(sha256=sha256, size=content.size, upload_consumed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if consumed.rowcount != 1:  # type: ignore[attr-defined]
        raise presign.InvalidGrant("used", "the URL has been used already; ask for a new one")
    content.place()
    note_change(session, RECORD_TYPE, "updated", document_id)


def confirm_document(session: Session, document_id: int) -> DocumentRecord:
    """Mark the document's upload complete: a pending one becomes ``ready`` and shows on the
    timelines of the contacts and companies it is attached to. Confirming again changes nothing.
    Raises ``Conflict`` when no content has arrived, ``NotFound`` for an unknown id."""
    document = load(session, Document, document_id, "document")
    if document.sha256 is None:
        raise Conflict(f"document {document_id} has no content yet: upload it first")
    if document.confirmed_at is None:
        document.confirmed_at = utcnow()
        if document.status == PENDING:
            document.status = READY
        session.flush()
        _add_timeline_entries(session, document)
        note_change(session, RECORD_TYPE, "updated", document.id)
    return _records(session, [document])[0]


def _add_timeline_entries(session: Session, document: Document) -> None:
    """One ``document`` entry per attached contact (with their company) and company."""
    links = session.execute(
        select(RecordLink.entity_type, RecordLink.entity_id).where(
            RecordLink.record_type == RECORD_TYPE, RecordLink.record_id == document.id
        )
    ).all()
    for kind, entity_id in links:
        contact_id: int | None = None
        company_id: int | None = None
        if kind == "contact":
            contact = session.get(Contact, int(entity_id))
            if contact is None:
                continue
            contact_id, company_id = contact.id, contact.company_id
        elif kind == "company":
            company_id = int(entity_id)
        else:
            continue
        entry = Activity(
            contact_id=contact_id,
            company_id=company_id,
            kind=RECORD_TYPE,
            source=document.source,
            occurred_at=document.confirmed_at or utcnow(),
            title=document.file_name,
            record_type=RECORD_TYPE,
            record_id=document.id,
            data={"contentType": document.content_type, "size": document.size},
        )
        session.add(entry)
        session.flush()
        note_change(session, "activity", "created", entry.id)


def set_archived(session: Session, document_id: int, value: bool | None) -> DocumentRecord:
    """Archive (``True``) or restore (``False``) a document; ``None`` toggles. Restoring gives
    back ``ready`` to a confirmed document and ``pending`` to one that never was."""
    document = load(session, Document, document_id, "document")
    archive = document.status != ARCHIVED if value is None else value
    if archive and document.status != ARCHIVED:
        document.status = ARCHIVED
        document.archived_at = utcnow()
    elif not archive and document.status == ARCHIVED:
        document.status = READY if document.confirmed_at is not None else PENDING
        document.archived_at = None
    session.flush()
    note_change(session, RECORD_TYPE, "updated", document.id)
    return _records(session, [document])[0]


# --- content and deletion --------------------------------------------------------------------


@dataclass(frozen=True)
class StoredContent:
    """Where a document's bytes are and how to serve them."""

    document_id: int
    path: Path
    file_name: str
    content_type: str
    size: int


def download_target(session: Session, store: BlobStore, document_id: int) -> StoredContent:
    """The document's stored content. ``NotFound`` for an unknown id, ``Conflict`` when no
    content has arrived yet."""
    document = load(session, Document, document_id, "document")
    if document.sha256 is None:
        raise Conflict(f"document {document_id} has no content yet")
    return StoredContent(
        document.id,
        store.path_for(document.sha256),
        document.file_name,
        document.content_type,
        document.size or 0,
    )


def check_download_grant(
    session: Session,
    store: BlobStore,
    key: bytes,
    document_id: int,
    *,
    expires: str | None,
    signature: str | None,
    now: float,
) -> StoredContent:
    """The content a download URL's parts grant, or ``presign.InvalidGrant``. A grant for a
    document that has since been deleted or has no content is refused the same way."""
    document = session.get(Document, document_id)
    if document is None or document.sha256 is None:
        raise presign.InvalidGrant("signature", "the URL does not grant a download")
    grant = presign.Grant(
        presign.DOWNLOAD, document_id, "", document.content_type, _expiry(expires)
    )
    presign.verify(key, grant, signature, now)
    return download_target(session, store, document_id)


class BlobRemoval:
    """Blob files to remove when the transaction that dropped their rows commits.

    :meth:`take` moves a file aside at once (inside the transaction), so a concurrent upload of
    the same bytes, which moves its file into place only after locking the re-written row, is
    never undone by a late delete. Use it through :func:`removing_blobs`."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self._moved: list[tuple[Path, Path]] = []

    def take(self, sha256: str) -> None:
        """Move the blob's file aside (restored by :meth:`restore`, removed by :meth:`finish`)."""
        final = self.store.path_for(sha256)
        aside = final.with_name(f".deleting-{secrets.token_hex(8)}")
        try:
            os.replace(final, aside)
        except FileNotFoundError:
            return
        self._moved.append((final, aside))

    def restore(self) -> None:
        """Put the files back (the transaction rolled back)."""
        for final, aside in reversed(self._moved):
            with contextlib.suppress(OSError):
                os.replace(aside, final)
        self._moved.clear()

    def finish(self) -> None:
        """Remove the files for good (the transaction committed)."""
        for _, aside in self._moved:
            with contextlib.suppress(OSError):
                aside.unlink()
        self._moved.clear()


@contextlib.contextmanager
def removing_blobs(store: BlobStore) -> Iterator[BlobRemoval]:
    """A :class:`BlobRemoval` that restores its files if the block raises and removes them when
    it ends well. Open it *outside* the write transaction, so it ends after the commit::

        with removing_blobs(store) as removal, database.write() as session:
            delete_document(session, document_id, removal)
    """
    removal = BlobRemoval(store)
    try:
        yield removal
    except BaseException:
        removal.restore()
        raise
    removal.finish()


def delete_document(session: Session, document_id: int, removal: BlobRemoval) -> None:
    """Delete a document with its links and timeline entries (an email attachment that used it
    keeps its metadata, without content). Its blob goes too when no other document uses it."""
    document = load(session, Document, document_id, "document")
    sha256 = document.sha256
    session.execute(
        delete(Activity).where(
            Activity.record_type == RECORD_TYPE, Activity.record_id == document_id
        )
    )
    delete_record(session, document, RECORD_TYPE)
    if sha256 is not None:
        _drop_blob_if_unused(session, sha256, removal)


def _drop_blob_if_unused(session: Session, sha256: str, removal: BlobRemoval) -> None:
    # Locking the row first makes a concurrent upload of these bytes wait (PostgreSQL; SQLite
    # has one writer at a time), so the count below cannot miss it.
    locked = session.scalar(select(Blob.sha256).where(Blob.sha256 == sha256).with_for_update())
    if locked is None:
        return
    users = session.scalar(
        select(func.count()).select_from(Document).where(Document.sha256 == sha256)
    )
    if users:
        return
    session.execute(delete(Blob).where(Blob.sha256 == sha256))
    removal.take(sha256)


# --- the signing key -------------------------------------------------------------------------

_key_lock = threading.Lock()


def url_signing_key(store: SecretStore) -> bytes:
    """The key presigned URLs are signed with, made on first use and kept in the secret store
    (never in the database, the config or a log). Replacing it voids every URL handed out."""
    with _key_lock:
        text = store.get(SIGNING_KEY_SECRET)
        if text:
            with contextlib.suppress(binascii.Error, ValueError):
                key = base64.b64decode(text, validate=True)
                if len(key) >= presign.KEY_BYTES:
                    return key
        key = presign.new_key()
        store.set(SIGNING_KEY_SECRET, base64.b64encode(key).decode("ascii"))
        return key


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX); Windows cannot open directories and needs no such step."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
