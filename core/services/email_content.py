"""Writing an email's content onto its row: fields, recipients, attachments (their content kept in
the document store) and what is derived from them (sender key, direction, folder, snippet).

Attachment content is written to the :class:`core.blobstore.BlobStore` before the transaction
commits and recorded as a ``Blob`` and a ``Document`` (status ``ready``, source ``email``) that the
attachment points to. A transaction that fails afterwards may leave a blob file nobody references
(content-addressed, so harmless and collectable), never a row pointing at missing content.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.blobstore import BlobStore
from core.errors import Invalid
from core.models import Attachment, Blob, Document, Email, EmailRecipient, RecordLink, User, utcnow
from core.normalize import email_key
from core.services.email_model import (
    ADDRESS_FIELDS,
    RECIPIENT_KINDS,
    AttachmentData,
    Mailbox,
)

SCALAR_FIELDS = (
    "subject",
    "text_body",
    "html_body",
    "from_address",
    "from_name",
    "rfc822_msg_id",
    "in_reply_to",
    "sync_thread_id",
    "received_at",
    "sent_at",
)
THREADING_FIELDS = frozenset({"rfc822_msg_id", "in_reply_to", "references", "sync_thread_id"})
"""Fields whose change may move an email to another thread."""
MATCHING_FIELDS = frozenset({"from_address", *ADDRESS_FIELDS})
"""Fields whose change may change which contacts and companies match the email."""

_MY_ADDRESSES = select(User.email).where(User.is_me.is_(True), User.email.is_not(None))

SNIPPET_LENGTH = 200
_KIND_ORDER = ("to", "cc", "bcc")
_HIDDEN_HTML = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def apply_values(
    session: Session, email: Email, values: Mapping[str, Any], blobs: BlobStore | None
) -> set[str]:
    """Set the checked fields in ``values`` on ``email``; returns the names of those that changed.

    ``email`` must be in the session (attachment rows need its id).
    """
    changed: set[str] = set()
    for name in SCALAR_FIELDS:
        if name in values and getattr(email, name) != values[name]:
            setattr(email, name, values[name])
            changed.add(name)
    if "references" in values:
        text = " ".join(f"<{ref}>" for ref in values["references"]) or None
        if email.references != text:
            email.references = text
            changed.add("references")
    for name in ADDRESS_FIELDS:
        if name in values and set_recipients(email, RECIPIENT_KINDS[name], values[name]):
            changed.add(name)
    if "attachments" in values:
        set_attachments(session, email, values["attachments"], blobs)
        changed.add("attachments")
    return changed


def references_of(email: Email) -> list[str]:
    """The bare Message-IDs of the email's References header, oldest first."""
    return [token.strip("<>") for token in (email.references or "").split() if token.strip("<>")]


def mailboxes_of(email: Email, kind: str) -> list[Mailbox]:
    """The email's recipients of one kind (``to``, ``cc``, ``bcc``)."""
    return [Mailbox(r.address, r.name) for r in email.recipients if r.kind == kind]


def set_recipients(email: Email, kind: str, mailboxes: Sequence[Mailbox]) -> bool:
    """Replace the recipients of one kind; returns whether anything changed."""
    current = [r for r in email.recipients if r.kind == kind]
    if [(r.address, r.name) for r in current] == [(m.address, m.name) for m in mailboxes]:
        return False
    if [r.address for r in current] == [m.address for m in mailboxes] and not any(
        m.name for m in mailboxes
    ):
        return False  # the same addresses, sent without names: nothing to change
    # A bare address keeps the name Hearth knows for it on this email: a client sending back
    # the addresses it read (as strings) is not asking to forget the names.
    known = {r.address_key: r.name for r in email.recipients if r.name}
    rows: list[EmailRecipient] = []
    for index, mailbox in enumerate(mailboxes):
        row = current[index] if index < len(current) else EmailRecipient(kind=kind)
        row.address = mailbox.address
        row.address_key = email_key(mailbox.address)
        row.name = mailbox.name or known.get(row.address_key)
        rows.append(row)
    others = [r for r in email.recipients if r.kind != kind]
    ordered = sorted(others + rows, key=lambda r: _KIND_ORDER.index(r.kind))
    for position, row in enumerate(ordered):
        row.position = position
    email.recipients = ordered
    return True


def set_attachments(
    session: Session, email: Email, attachments: Sequence[AttachmentData], blobs: BlobStore | None
) -> None:
    """Replace the email's attachments; documents only the old ones used are deleted."""
    current = list(email.attachments)
    old_documents = {a.document_id for a in current if a.document_id is not None}
    rows: list[Attachment] = []
    for index, data in enumerate(attachments):
        row = current[index] if index < len(current) else Attachment(position=index)
        document_id: int | None = None
        size = data.size
        if data.content is not None:
            document_id = store_content(session, data, blobs)
            size = len(data.content)
        elif data.document_id is not None:
            if data.document_id not in old_documents:
                raise Invalid(
                    "not the document of one of this email's attachments",
                    field=f"attachments/{index}/documentId",
                )
            document_id = data.document_id
        row.position = index
        row.file_name = data.file_name
        row.content_type = data.content_type
        row.size = size
        row.content_id = data.content_id
        row.is_inline = data.inline
        row.provider_attachment_id = data.external_id
        row.document_id = document_id
        rows.append(row)
    email.attachments = rows
    email.has_attachments = bool(rows)
    session.flush()
    _drop_unused_documents(session, old_documents - {r.document_id for r in rows})


def fill_attachment_content(
    session: Session, email: Email, attachments: Sequence[AttachmentData], blobs: BlobStore | None
) -> bool:
    """Give stored attachments that have no content the content a later post carries (same
    position, same file name or none); returns whether any was filled. Nothing is replaced."""
    filled = False
    for row, data in zip(email.attachments, attachments, strict=False):
        same_name = not row.file_name or not data.file_name or row.file_name == data.file_name
        if row.document_id is None and data.content is not None and same_name:
            row.document_id = store_content(session, data, blobs)
            row.size = len(data.content)
            row.file_name = row.file_name or data.file_name
            row.content_type = row.content_type or data.content_type
            filled = True
    return filled


def store_content(session: Session, data: AttachmentData, blobs: BlobStore | None) -> int:
    """Write an attachment's content to the store and record it; returns the document's id."""
    if blobs is None or data.content is None:
        raise ValueError("attachment content needs content and a blob store")
    sha256, size = blobs.put_bytes(data.content)
    if session.get(Blob, sha256) is None:
        try:
            with session.begin_nested():
                session.add(Blob(sha256=sha256, size=size, created_at=utcnow()))
        except IntegrityError:
            pass  # another transaction recorded the same content first: it is shared
    document = Document(
        file_name=data.file_name or "attachment",
        content_type=data.content_type or "application/octet-stream",
        status="ready",
        size=size,
        sha256=sha256,
        confirmed_at=utcnow(),
        source="email",
    )
    session.add(document)
    session.flush()
    return document.id


def _drop_unused_documents(session: Session, document_ids: Iterable[int | None]) -> None:
    """Delete documents made for attachments that are gone, unless something still uses them.

    Their blobs stay: content is shared and collected separately.
    """
    for document_id in document_ids:
        if document_id is None:
            continue
        document = session.get(Document, document_id)
        if document is None or document.source != "email":
            continue
        used = session.scalar(
            select(func.count())
            .select_from(Attachment)
            .where(Attachment.document_id == document_id)
        )
        linked = session.scalar(
            select(func.count())
            .select_from(RecordLink)
            .where(RecordLink.record_type == "document", RecordLink.record_id == document_id)
        )
        if not used and not linked:
            session.delete(document)


def my_address_keys(session: Session) -> set[str]:
    """The user's own addresses (users with ``is_me``), lower-cased."""
    rows = session.connection().execute(_MY_ADDRESSES).scalars()
    return {email_key(address) for address in rows if address}


def derive(email: Email, my_keys: set[str], *, new: bool) -> None:
    """Set what follows from the content: sender key, direction and folder, snippet, the text
    search sees.

    Outbound when the sender is one of the user's addresses; the folder follows the direction
    while it is ``inbox`` or ``sent`` (an archived email stays archived). A new outbound email is
    read, as the user wrote it.
    """
    derived = derived_fields(
        email.from_address,
        email.text_body,
        email.html_body,
        my_keys,
        from_name=email.from_name,
        mailboxes=[(r.address, r.name) for r in email.recipients],
    )
    email.from_key = derived["from_key"]
    email.direction = derived["direction"]
    if new or email.folder in {"inbox", "sent"}:
        email.folder = derived["folder"]
    if new:
        email.is_read = derived["is_read"]
    email.snippet = derived["snippet"]
    if email.search_text != derived["search_text"]:  # an unchanged value leaves the index alone
        email.search_text = derived["search_text"]
    email.has_attachments = bool(email.attachments)


def derived_fields(
    from_address: str | None,
    text_body: str | None,
    html_body: str | None,
    my_keys: set[str],
    *,
    from_name: str | None = None,
    mailboxes: Iterable[tuple[str, str | None]] = (),
) -> dict[str, Any]:
    """The columns :func:`derive` sets on a new email, by name. ``mailboxes`` are the
    recipients' ``(address, name)``."""
    from_key = email_key(from_address) if from_address else None
    outbound = from_key is not None and from_key in my_keys
    has_text = bool(text_body and text_body.strip())
    visible = "" if has_text else html_to_text(html_body or "")
    return {
        "from_key": from_key,
        "direction": "outbound" if outbound else "inbound",
        "folder": "sent" if outbound else "inbox",
        "is_read": outbound,
        "snippet": _flat_start(text_body if has_text and text_body else visible),
        "search_text": search_text_of(from_name, from_address, mailboxes, visible),
    }


def search_text_of(
    from_name: str | None,
    from_address: str | None,
    mailboxes: Iterable[tuple[str, str | None]],
    html_text: str = "",
) -> str | None:
    """What full-text search reads besides the subject and the text body (``Email.search_text``):
    the sender's and recipients' names and addresses, then ``html_text``, the visible text of an
    HTML body (given only when the email has no text body, which search reads as it is)."""
    parts = [from_name, from_address]
    for address, name in mailboxes:
        parts += (name, address)
    people = " ".join(part for part in parts if part)
    visible = " ".join(html_text.split())
    return f"{people}\n{visible}".strip() or None


def make_snippet(text_body: str | None, html_body: str | None) -> str | None:
    """The start of the message as one line: the text body, else the HTML body's text."""
    source = text_body if text_body and text_body.strip() else html_to_text(html_body or "")
    return _flat_start(source)


def _flat_start(text: str) -> str | None:
    return " ".join(text.split())[:SNIPPET_LENGTH] or None


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body, roughly: hidden parts and tags dropped, entities decoded."""
    return html.unescape(_TAG.sub(" ", _HIDDEN_HTML.sub(" ", markup)))
