"""Integrations API, documents (spec 004): ``/api/v1/integrations/documents``.

Two routers share the prefix. The API-key one manages documents and hands out presigned URLs;
the presigned one serves those URLs (``PUT``/``GET .../{id}/content``) to whoever holds them, with
no API key: the signature (:mod:`core.presign`) is the credential. Both stream: an upload goes
from the socket to a temporary file in the store in 1 MiB batches (hashed on a worker thread
while the next batch arrives), a download from the file to the socket, so memory stays flat
whatever the size.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse

from core import presign
from core.blobstore import BlobStore
from core.errors import Invalid, NotFound
from core.runtime import HearthCore
from core.services import PageRequest
from core.services import documents as service
from core.settings import DocumentSettings
from embedded_api.auth import require_api_key
from embedded_api.deps import CoreDep, quick_read
from embedded_api.routers._ids import path_id
from embedded_api.schemas.common import IdIn, PageOut
from embedded_api.schemas.integrations_documents import (
    DOCUMENT_EXAMPLE,
    ArchiveIn,
    DocumentOut,
    DownloadOut,
    StorageConfigOut,
    UploadIn,
    UploadOut,
)

PREFIX = "/api/v1/integrations/documents"
TAGS: list[str | Any] = ["Integrations: documents"]
CONTENT_PATH = re.compile(rf"{re.escape(PREFIX)}/[^/]+/content")
FLUSH_BYTES = 1024 * 1024
"""Bytes gathered from the socket before a worker thread hashes and writes them."""
SYNC_BYTES = 16 * 1024 * 1024
"""Bytes written between two background flushes to disk during an upload."""
DOWNLOAD_CHUNK_BYTES = 1024 * 1024

api = APIRouter(prefix=PREFIX, tags=TAGS, dependencies=[Depends(require_api_key)])
presigned = APIRouter(prefix=PREFIX, tags=TAGS)

_UPLOAD_DESCRIPTION = """\
Start an upload: records a `pending` document and answers where to send its bytes.

1. `POST` this with `fileName` and `contentType` (and `entityType` + `entityId` to attach it to a
   contact or company; `account` means company; `size` to declare the byte count).
2. `PUT` the raw bytes to `uploadUrl` with exactly the `headers` answered, **without** an API
   key, before `expiresAt`. The URL works once; it accepts up to `maxBytes`
   (`documents.max_upload_bytes`), streamed or with a `Content-Length`.
3. `POST /{id}/confirm` to make the document `ready`.

The file name is made safe: folders, control characters and characters Windows forbids are
removed or replaced (`../../etc/passwd` is stored as `passwd`), and the answer says the name
kept. Unknown `entityType` is a 422; an unknown entity a 404.
"""
_PUT_DESCRIPTION = """\
The upload URL from `POST /upload`: send the raw bytes as the body, with the `Content-Type`
given there. No API key: the URL's signature grants this one upload, of this document and
content type, until it expires.

- 200 with the document (still `pending` until confirmed); its `size` and `sha256` are set.
- 403: a URL that was changed, has expired, or was used already (a failed upload does not use it
  up: try again while it is valid).
- 415: another `Content-Type`. 413: more than the upload limit (nothing is kept). 400: a byte
  count other than the `size` declared.
"""
_GET_CONTENT_DESCRIPTION = """\
The download URL from `GET /{id}/download`: streams the content with its `Content-Type`, as an
attachment (`Content-Disposition` with the file name), `Range` requests supported. No API key;
403 once it has expired or if it was changed.
"""
_LIST_DESCRIPTION = """\
Documents, newest first, in the usual page envelope (`limit` 1 to 200).

- `status`: `pending`, `ready`, `archived` or `all`; by default every status but `archived`.
- `entityType` + `entityId`: the documents of a contact or company (`account`): those attached to
  it and the attachments of the emails logged against it.
- `q`: part of the file name, any case. `contentType`: `application/pdf` (any parameters) or
  `image/*`. `source`: `upload` (this API), `email` (email attachments), `demo`.

Email attachments are documents too (`source: email`, `relatedTo` naming the email).
"""

_DOCUMENT_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {"example": DOCUMENT_EXAMPLE}}},
    404: {"description": "No document with this id (problem+json)."},
}
_UPLOAD_EXAMPLES = {
    "account": {
        "summary": "A contract for a company (account)",
        "value": {
            "fileName": "contract.pdf",
            "contentType": "application/pdf",
            "entityType": "account",
            "entityId": 1,
        },
    },
    "sized": {
        "summary": "A contact's photo, size declared",
        "value": {
            "fileName": "sarah.jpg",
            "contentType": "image/jpeg",
            "entityType": "contact",
            "entityId": "7",
            "size": 48211,
        },
    },
    "alone": {
        "summary": "Not attached to anything",
        "value": {"fileName": "price-list.csv", "contentType": "text/csv"},
    },
}
_UPLOAD_OUT_EXAMPLE = {
    "id": "41",
    "fileName": "contract.pdf",
    "uploadUrl": "http://127.0.0.1:8765/api/v1/integrations/documents/41/content"
    "?nonce=3q2-7wEXAMPLEnonce0123456789ab&expires=1782918000"
    "&signature=6oB0EXAMPLEsignatureXq1m0c9Qk2mH1s4u7hYwVZb3",
    "method": "PUT",
    "headers": {"Content-Type": "application/pdf"},
    "expiresAt": "2026-07-01T15:00:00.000Z",
    "maxBytes": 209715200,
}
_ARCHIVE_EXAMPLES = {
    "toggle": {"summary": "No body: archive, or restore an archived document", "value": None},
    "archive": {"summary": "Archive", "value": {"value": True}},
    "restore": {"summary": "Restore", "value": {"value": False}},
}


def upload_body_limit(settings: DocumentSettings) -> Callable[[str], int | None]:
    """For :class:`embedded_api.middleware.BodySizeLimit`: upload URLs take documents up to
    ``documents.max_upload_bytes``; every other path keeps the server's limit."""

    def limit_for(path: str) -> int | None:
        return settings.max_upload_bytes if CONTENT_PATH.fullmatch(path) else None

    return limit_for


def _store(core: HearthCore) -> BlobStore:
    return BlobStore(core.paths.documents_dir)


def _signing_key(request: Request, core: HearthCore) -> bytes:
    """The URL-signing key, read from the secret store once per app (may block: keyring)."""
    key = _cached_key(request)
    if key is None:
        key = service.url_signing_key(core.secrets)
        request.app.state.document_url_key = key
    return key


def _cached_key(request: Request) -> bytes | None:
    key: bytes | None = getattr(request.app.state, "document_url_key", None)
    return key


async def _signing_key_async(request: Request, core: HearthCore) -> bytes:
    key = _cached_key(request)
    if key is None:
        key = await run_in_threadpool(_signing_key, request, core)
    return key


def _base_url(request: Request, core: HearthCore) -> str:
    return core.settings.server.public_url.rstrip("/") or str(request.base_url).rstrip("/")


def _entity(entity_type: str | None, entity_id: int | None) -> tuple[str, int] | None:
    if entity_type is None and entity_id is None:
        return None
    if entity_type is None:
        raise Invalid("give entityType with entityId", field="entityType")
    if entity_id is None:
        raise Invalid("give entityId with entityType", field="entityId")
    return service.entity_type(entity_type), entity_id


def _forbidden(error: presign.InvalidGrant) -> HTTPException:
    return HTTPException(403, str(error))


# --- documents (API key) ---------------------------------------------------------------------


@api.get("/config", summary="Get document storage configuration status")
def get_storage_config(core: CoreDep) -> StorageConfigOut:
    """Where documents are kept, the upload limit, and how much is stored."""
    with core.database.read() as session:
        usage = service.storage_usage(session)
    settings = core.settings.documents
    return StorageConfigOut(
        configured=True,
        storage="local",
        location=str(core.paths.documents_dir.resolve()),
        max_upload_bytes=settings.max_upload_bytes,
        used_bytes=usage.used_bytes,
        document_count=usage.document_count,
        upload_url_ttl_seconds=settings.url_ttl_seconds,
        download_url_ttl_seconds=settings.download_url_ttl_seconds,
    )


@api.post(
    "/upload",
    status_code=201,
    summary="Initiate a document upload (returns presigned URL)",
    description=_UPLOAD_DESCRIPTION,
    responses={
        201: {"content": {"application/json": {"example": _UPLOAD_OUT_EXAMPLE}}},
        404: {"description": "No such contact or company (problem+json)."},
        422: {"description": "Invalid input, naming the field; nothing is written."},
    },
)
def start_upload(
    request: Request,
    core: CoreDep,
    body: Annotated[UploadIn, Body(openapi_examples=_UPLOAD_EXAMPLES)],
) -> UploadOut:
    """Record a pending document and answer its presigned upload URL."""
    settings = core.settings.documents
    entity = _entity(body.entity_type, body.entity_id)
    key = _signing_key(request, core)
    with core.database.write() as session:
        pending = service.create_upload(
            session,
            file_name=body.file_name,
            content_type=body.content_type,
            size=body.size,
            entity=entity,
            max_bytes=settings.max_upload_bytes,
        )
    document = pending.document
    expires = int(time.time()) + settings.url_ttl_seconds
    grant = presign.Grant(
        presign.UPLOAD, document.id, pending.nonce, document.content_type, expires
    )
    query = urlencode(
        {"nonce": pending.nonce, "expires": expires, "signature": presign.sign(key, grant)}
    )
    return UploadOut(
        id=document.id,
        file_name=document.file_name,
        upload_url=f"{_base_url(request, core)}{PREFIX}/{document.id}/content?{query}",
        method="PUT",
        headers={"Content-Type": document.content_type},
        expires_at=datetime.fromtimestamp(expires, UTC),
        max_bytes=document.size if document.size is not None else settings.max_upload_bytes,
    )


@api.get("", summary="List documents with pagination and filtering", description=_LIST_DESCRIPTION)
def list_documents(
    core: CoreDep,
    status: Annotated[str | None, Query(max_length=16, examples=["ready"])] = None,
    entity_type: Annotated[
        str | None, Query(alias="entityType", max_length=64, examples=["company"])
    ] = None,
    entity_id: Annotated[IdIn | None, Query(alias="entityId")] = None,
    q: Annotated[str | None, Query(max_length=256, description="Part of the file name")] = None,
    content_type: Annotated[
        str | None, Query(alias="contentType", max_length=255, examples=["application/pdf"])
    ] = None,
    source: Annotated[str | None, Query(max_length=32, examples=["upload"])] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[DocumentOut]:
    """List documents, newest first, narrowed by status, entity, name, type or source."""
    where = service.DocumentFilter(
        status=status,
        entity=_entity(entity_type, entity_id),
        q=q,
        content_type=content_type,
        source=source,
    )
    with core.database.read() as session:
        result = service.list_documents(session, PageRequest(page, limit), where)
    return PageOut.of(result, [DocumentOut.of(r) for r in result.items])


@api.get(
    "/entity/{entityType}/{entityId}",
    summary="Get documents for a specific CRM entity",
    responses={404: {"description": "No such contact or company (problem+json)."}},
)
def list_entity_documents(
    core: CoreDep,
    entity_type: Annotated[str, Path(alias="entityType", examples=["account"])],
    entity_id: Annotated[str, Path(alias="entityId", examples=["1"])],
    status: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str | None, Query(max_length=256)] = None,
    content_type: Annotated[str | None, Query(alias="contentType", max_length=255)] = None,
    source: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[DocumentOut]:
    """The documents of a contact or company (`account`): attached to it, or attachments of the
    emails logged against it; newest first, with the list's filters."""
    kind = service.entity_type(entity_type)
    where = service.DocumentFilter(
        status=status,
        entity=(kind, path_id(entity_id, kind)),
        q=q,
        content_type=content_type,
        source=source,
    )
    with core.database.read() as session:
        result = service.list_documents(session, PageRequest(page, limit), where)
    return PageOut.of(result, [DocumentOut.of(r) for r in result.items])


@api.get("/{document_id}", summary="Get a specific document", responses=_DOCUMENT_RESPONSE)
def get_document(core: CoreDep, document_id: str) -> DocumentOut:
    """Load one document by id."""
    with core.database.read() as session:
        return DocumentOut.of(service.get_document(session, path_id(document_id, "document")))


@api.post(
    "/{document_id}/confirm",
    summary="Confirm that upload has completed",
    responses={
        **_DOCUMENT_RESPONSE,
        409: {"description": "No content has been uploaded yet (problem+json)."},
    },
)
def confirm_upload(core: CoreDep, document_id: str) -> DocumentOut:
    """Make an uploaded document `ready` (and show it on its entities' timelines); idempotent."""
    with core.database.write() as session:
        record = service.confirm_document(session, path_id(document_id, "document"))
    return DocumentOut.of(record)


@api.get(
    "/{document_id}/download",
    summary="Get download URL for a document",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "url": "http://127.0.0.1:8765/api/v1/integrations/documents/41/content"
                        "?expires=1782914700&signature=Yk3EXAMPLEsignaturePq8s0c9Qk2mH1s4u7hYwVZ",
                        "expiresAt": "2026-07-01T14:05:00.000Z",
                        "fileName": "contract.pdf",
                        "contentType": "application/pdf",
                        "size": 248133,
                    }
                }
            }
        },
        404: {"description": "No document with this id (problem+json)."},
        409: {"description": "No content has been uploaded yet (problem+json)."},
    },
)
def get_download_url(request: Request, core: CoreDep, document_id: str) -> DownloadOut:
    """A short-lived URL (documents.download_url_ttl_seconds) that serves the content without
    an API key."""
    key = _signing_key(request, core)
    with core.database.read() as session:
        content = service.download_target(session, _store(core), path_id(document_id, "document"))
    expires = int(time.time()) + core.settings.documents.download_url_ttl_seconds
    grant = presign.Grant(presign.DOWNLOAD, content.document_id, "", content.content_type, expires)
    query = urlencode({"expires": expires, "signature": presign.sign(key, grant)})
    return DownloadOut(
        url=f"{_base_url(request, core)}{PREFIX}/{content.document_id}/content?{query}",
        expires_at=datetime.fromtimestamp(expires, UTC),
        file_name=content.file_name,
        content_type=content.content_type,
        size=content.size,
    )


@api.post(
    "/{document_id}/archive",
    summary="Archive a document",
    description='`{"value": true}` archives, `{"value": false}` restores, no body toggles. '
    "Archived documents leave the default list (ask for `status=archived`); restoring one "
    "gives it back its status (`ready`, or `pending` if it was never confirmed).",
    responses=_DOCUMENT_RESPONSE,
)
def archive_document(
    core: CoreDep,
    document_id: str,
    body: Annotated[ArchiveIn | None, Body(openapi_examples=_ARCHIVE_EXAMPLES)] = None,
) -> DocumentOut:
    """Archive or restore a document (no body toggles)."""
    value = body.value if body is not None else None
    with core.database.write() as session:
        record = service.set_archived(session, path_id(document_id, "document"), value)
    return DocumentOut.of(record)


@api.delete(
    "/{document_id}",
    status_code=204,
    summary="Delete a document",
    responses={404: {"description": "No document with this id (problem+json)."}},
)
def delete_document(core: CoreDep, document_id: str) -> Response:
    """Delete a document, its links and timeline entries; its content goes too unless another
    document has the same bytes."""
    wanted = path_id(document_id, "document")
    with service.removing_blobs(_store(core)) as removal, core.database.write() as session:
        service.delete_document(session, wanted, removal)
    return Response(status_code=204)


# --- presigned URLs (no API key) -------------------------------------------------------------


def _grant_id(document_id: str) -> int:
    try:
        return path_id(document_id, "document")
    except NotFound as e:
        raise HTTPException(403, "the URL does not grant access to a document") from e


_SIGNED_QUERY = {
    "nonce": Query(description="Part of the upload grant."),
    "expires": Query(description="Expiry, epoch seconds (signed)."),
    "signature": Query(description="HMAC-SHA256 of the grant, base64url."),
}


@presigned.put(
    "/{document_id}/content",
    summary="Upload a document's content (presigned URL, no API key)",
    description=_PUT_DESCRIPTION,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses={
        403: {"description": "Changed, expired or used URL (problem+json)."},
        413: {"description": "Larger than the upload limit; nothing kept."},
        415: {"description": "Not the Content-Type the URL was made for."},
    },
)
async def upload_content(
    request: Request,
    core: CoreDep,
    document_id: str,
    nonce: Annotated[str | None, _SIGNED_QUERY["nonce"]] = None,
    expires: Annotated[str | None, _SIGNED_QUERY["expires"]] = None,
    signature: Annotated[str | None, _SIGNED_QUERY["signature"]] = None,
) -> DocumentOut:
    """Receive a document's bytes through its presigned upload URL."""
    wanted = _grant_id(document_id)
    key = await _signing_key_async(request, core)
    now = time.time()
    try:
        target = await quick_read(
            core,
            lambda session: service.check_upload_grant(
                session, key, wanted, nonce=nonce, expires=expires, signature=signature, now=now
            ),
        )
    except presign.InvalidGrant as e:
        raise _forbidden(e) from e
    _check_content_type(request.headers.get("content-type"), target.content_type)
    limit = core.settings.documents.max_upload_bytes
    _check_declared_length(request.headers.get("content-length"), target.declared_size, limit)
    content = await run_in_threadpool(service.IncomingContent, _store(core))
    try:
        await _receive(request, content, limit)
        if target.declared_size is not None and content.size != target.declared_size:
            raise HTTPException(
                400, f"received {content.size} bytes; the upload declared {target.declared_size}"
            )
        record = await run_in_threadpool(_record_upload, core, target, content)
    except presign.InvalidGrant as e:
        raise _forbidden(e) from e
    finally:
        await run_in_threadpool(content.discard)
    return DocumentOut.of(record)


def _check_content_type(header: str | None, expected: str) -> None:
    try:
        sent = service.clean_content_type(header or "")
    except Invalid:
        sent = None
    if sent != expected:
        raise HTTPException(415, f"this URL accepts Content-Type: {expected} only")


def _check_declared_length(header: str | None, declared_size: int | None, limit: int) -> None:
    if header is None or not header.isdigit():
        return
    if int(header) > limit:
        raise HTTPException(413, f"documents are limited to {limit} bytes")
    if declared_size is not None and int(header) != declared_size:
        raise HTTPException(
            400, f"Content-Length is {header}; the upload declared {declared_size} bytes"
        )


async def _receive(request: Request, content: service.IncomingContent, limit: int) -> None:
    """Stream the body into ``content``: batches of about 1 MiB go to a worker thread (hashing
    and writing) while the next batch arrives, so at most two are in memory; every 16 MiB
    another thread pushes what is written to disk, so the final fsync has little left to do."""
    received = 0
    batch: list[bytes] = []
    batch_size = 0
    writing: asyncio.Future[None] | None = None
    syncing: asyncio.Future[None] | None = None
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise HTTPException(413, f"documents are limited to {limit} bytes")
            batch.append(chunk)
            batch_size += len(chunk)
            if batch_size >= FLUSH_BYTES:
                if writing is not None:
                    await writing
                writing = asyncio.ensure_future(run_in_threadpool(content.write, batch))
                batch, batch_size = [], 0
                if content.size - content.synced >= SYNC_BYTES and (
                    syncing is None or syncing.done()
                ):
                    syncing = asyncio.ensure_future(run_in_threadpool(content.sync))
        if writing is not None:
            await writing
            writing = None
        if batch:
            await run_in_threadpool(content.write, batch)
    finally:
        # On a failure mid-way, let the threads end before the file is discarded.
        await asyncio.gather(
            *(f for f in (writing, syncing) if f is not None), return_exceptions=True
        )


def _record_upload(
    core: HearthCore, target: service.UploadTarget, content: service.IncomingContent
) -> service.DocumentRecord:
    with core.database.write() as session:
        service.record_upload(session, target.document_id, target.nonce, content)
    with core.database.read() as session:
        return service.get_document(session, target.document_id)


@presigned.get(
    "/{document_id}/content",
    summary="Download a document's content (presigned URL, no API key)",
    description=_GET_CONTENT_DESCRIPTION,
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        403: {"description": "Changed or expired URL (problem+json)."},
    },
)
async def download_content(
    request: Request,
    core: CoreDep,
    document_id: str,
    expires: Annotated[str | None, _SIGNED_QUERY["expires"]] = None,
    signature: Annotated[str | None, _SIGNED_QUERY["signature"]] = None,
) -> Response:
    """Stream a document's bytes through its presigned download URL."""
    wanted = _grant_id(document_id)
    key = await _signing_key_async(request, core)
    now = time.time()
    store = _store(core)
    try:
        content = await quick_read(
            core,
            lambda session: service.check_download_grant(
                session, store, key, wanted, expires=expires, signature=signature, now=now
            ),
        )
    except presign.InvalidGrant as e:
        raise _forbidden(e) from e
    try:
        stat = await run_in_threadpool(os.stat, content.path)
    except FileNotFoundError as e:
        raise NotFound(f"the content of document {wanted} is missing from the store") from e
    headers = {
        "Content-Type": content.content_type,
        "Content-Disposition": content_disposition(content.file_name),
        "X-Content-Type-Options": "nosniff",
        # Opened in a browser tab anyway, the content runs nothing and loads nothing.
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return _ContentFile(content.path, headers=headers, stat_result=stat)


class _ContentFile(FileResponse):
    # Larger reads than Starlette's 64 KiB: a quarter of the hops to the worker thread.
    chunk_size = DOWNLOAD_CHUNK_BYTES


_FALLBACK_SAFE = re.compile(r"[^A-Za-z0-9 ._()+,-]")


def content_disposition(file_name: str) -> str:
    """``attachment`` with the file name twice (RFC 6266): an ASCII ``filename`` for old clients
    and the exact UTF-8 ``filename*``. Neither can break out of the header: the ASCII one keeps
    only harmless characters, the UTF-8 one is percent-encoded."""
    try:
        name = service.safe_file_name(file_name)
    except Invalid:
        name = "download"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = _FALLBACK_SAFE.sub("_", ascii_name).strip(" .") or "download"
    encoded = quote(name, safe="!#$&+^`|")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


router = APIRouter()
router.include_router(api)
router.include_router(presigned)
