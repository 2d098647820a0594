"""Emails: the one ingestion function every path uses, and reading and editing what it stored.

One message is one record whatever brought it (BrightSync, the user's own mail sync, the
contact-center intake). :func:`ingest_email` finds an existing record by, in order:

1. the normalised RFC 5322 Message-ID (:func:`core.normalize.message_id_key`: ``" <a@x> "`` and
   ``"a@x"`` are one message; case is kept);
2. any ``(source, external_id)`` already recorded for an email (``ExternalId``), unless the
   record and the message have different Message-IDs: those are two messages.

A repeat ingestion never overwrites or removes anything stored. It fills in:

- fields that are empty (missing or ``""``): subject, bodies, sender address and name,
  timestamps, Message-ID, In-Reply-To, References, syncThreadId;
- a recipient list (to, cc, bcc each on its own) that has no address yet;
- the attachments, when the record has none; content for a stored attachment that has none
  (same position, same file name or none);
- external ids it does not have yet (an id another email holds stays with that one);
- further records it is logged against (``relatedTo`` adds explicit links; see
  :mod:`core.services.email_links` for explicit versus matched links).

Every write then re-places the email in its thread (:mod:`core.services.email_threads`) when its
threading fields changed, refreshes the thread's figures, recomputes the matched links (so a
contact created since is linked) and the timeline, and notes the change.

Updates (:func:`update_email`) follow RFC 7396: absent unchanged, ``None`` clears. The subject
and a body (text or HTML) cannot both be cleared away, and the Message-ID, being the key, can be
changed (``Conflict`` if another email has it) but not cleared. :func:`replace_email` sets every
field, clearing those not given, except the Message-ID, which it keeps when none is given.

Functions take the caller's session and never commit; they raise ``Invalid`` naming the field
(wire names: ``toAddresses/1``), ``NotFound`` or ``Conflict``. Attachment content needs ``blobs``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from core.blobstore import BlobStore
from core.db.statements import insert_or_skip
from core.errors import Conflict, Invalid, NotFound
from core.events import note_change
from core.models import Attachment, Email, EmailRecipient, utcnow
from core.normalize import email_key, message_id_key
from core.services import Page, PageRequest
from core.services.email_content import (
    SCALAR_FIELDS,
    THREADING_FIELDS,
    apply_values,
    derive,
    derived_fields,
    fill_attachment_content,
    mailboxes_of,
    my_address_keys,
    references_of,
    store_content,
)
from core.services.email_links import (
    LinkedEmail,
    add_external_ids,
    explicit_refs,
    external_ids_of,
    links_of,
    record_for_external_id,
    refresh_links,
    set_external_id,
)
from core.services.email_model import (
    ADDRESS_FIELDS,
    MAX_EXTERNAL_ID,
    RECIPIENT_KINDS,
    AttachmentData,
    AttachmentRecord,
    EmailData,
    EmailRecord,
    EntityRef,
    LinkRecord,
    Mailbox,
    RecipientRecord,
    check_required,
    check_values,
)
from core.services.email_threads import (
    FirstMessage,
    ThreadingHeaders,
    place_email,
    refresh_threads,
)
from core.services.records import load

__all__ = [
    "AttachmentData",
    "EmailData",
    "EmailRecord",
    "EntityRef",
    "Mailbox",
    "find_emails_by_message_id",
    "get_email",
    "ingest_email",
    "replace_email",
    "update_email",
]


def ingest_email(
    session: Session,
    data: EmailData,
    *,
    source: str,
    external_ids: Sequence[tuple[str, str]] = (),
    blobs: BlobStore | None = None,
) -> tuple[EmailRecord, bool]:
    """Store a message once: ``(record, True)`` when it is new, ``(record, False)`` when it was
    already there (after filling in what the module doc lists).

    ``source`` (``brightsync``, ``google``, ...) is kept on a new record; ``external_ids`` are the
    ``(source, id)`` pairs other systems know the message by. The whole of ``data`` is checked
    first, so bad input changes nothing, even on a repeat.
    """
    session.flush()  # the statements below run on the connection, past the ORM
    values = check_values(session, data.values())
    check_required(values["subject"], values["text_body"], values["html_body"])
    _check_new_attachments(values["attachments"])
    pairs = _checked_pairs(external_ids)
    my_keys = my_address_keys(session)
    existing = _find_existing(session, values["rfc822_msg_id"], pairs)
    if existing is None:
        record = _store_new(session, values, pairs, source=source, blobs=blobs, my_keys=my_keys)
        if record is not None:
            note_change(session, "email", "created", record.id)
            return record, True
        # Another transaction stored the same Message-ID meanwhile: a repeat after all.
        existing = _find_existing(session, values["rfc822_msg_id"], pairs)
        if existing is None:
            raise RuntimeError("the email's Message-ID clashed but no email has it")
    _fill(session, existing, values, pairs, blobs=blobs, my_keys=my_keys)
    note_change(session, "email", "updated", existing.id)
    return _record(session, existing), False


def get_email(session: Session, email_id: int) -> EmailRecord:
    """The email with this id; ``NotFound`` when there is none."""
    return read_email(session, email_id)


def find_emails_by_message_id(
    session: Session, message_id: str, page: PageRequest
) -> Page[EmailRecord]:
    """The email with this Message-ID (brackets and surrounding space ignored): zero or one."""
    key = message_id_key(message_id)
    if key is None:
        raise Invalid("must be a Message-ID", field="rfc822MsgId")
    query = select(Email).where(Email.rfc822_msg_id == key)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Email.id).offset(page.offset).limit(page.limit))
    return Page([_record(session, e) for e in rows], total, page.page, page.limit)


def update_email(
    session: Session,
    email_id: int,
    changes: Mapping[str, Any],
    *,
    blobs: BlobStore | None = None,
) -> EmailRecord:
    """Apply ``changes`` (:class:`EmailData` field names; RFC 7396 merge) to an email.

    ``changes["external_ids"]``, when given, maps a source to the one id it knows the email by
    (``None`` removes that source's ids); ``Conflict`` if another email holds the id.
    ``related_to`` replaces the explicit links (empty: link by address again).
    """
    email = load(session, Email, email_id, "email")
    changes = dict(changes)
    external: Mapping[str, str | None] = changes.pop("external_ids", None) or {}
    values = check_values(session, changes)
    _check_key_change(session, email, values)
    check_required(
        values.get("subject", email.subject),
        values.get("text_body", email.text_body),
        values.get("html_body", email.html_body),
    )
    for source, external_id in external.items():
        checked = _checked_pairs([(source, external_id)] if external_id else [])
        set_external_id(session, email.id, source, checked[0][1] if checked else None)
    my_keys = my_address_keys(session)
    changed = apply_values(session, email, values, blobs)
    derive(email, my_keys, new=False)
    rethread = bool(changed & THREADING_FIELDS)
    _after_write(session, email, values.get("related_to"), rethread, my_keys)
    note_change(session, "email", "updated", email.id)
    return _record(session, email)


def replace_email(
    session: Session,
    email_id: int,
    data: EmailData,
    *,
    external_ids: Mapping[str, str | None] | None = None,
    blobs: BlobStore | None = None,
) -> EmailRecord:
    """Replace an email's content with ``data`` (PUT): fields ``data`` leaves empty are cleared,
    and the explicit links become ``data.related_to`` (none: link by address). The Message-ID is
    kept when ``data`` has none, changed when it has another (``Conflict`` if taken).
    ``external_ids`` as in :func:`update_email`. Flags, folder and thread are Hearth's own state
    and stay (the thread changes only if the threading headers do)."""
    values = data.values()
    if values["rfc822_msg_id"] is None:
        del values["rfc822_msg_id"]
    return update_email(
        session, email_id, {**values, "external_ids": dict(external_ids or {})}, blobs=blobs
    )


def _checked_pairs(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    checked: list[tuple[str, str]] = []
    for source, external_id in pairs:
        text = (external_id or "").strip()
        if len(text) > MAX_EXTERNAL_ID:
            raise Invalid(f"at most {MAX_EXTERNAL_ID} characters", field=f"externalIds/{source}")
        if text and (source, text) not in checked:
            checked.append((source, text))
    return checked


_EMAIL_BY_MESSAGE_ID = select(Email.id).where(Email.rfc822_msg_id == bindparam("b_key"))


def _find_existing(
    session: Session, key: str | None, pairs: Sequence[tuple[str, str]]
) -> Email | None:
    if key is not None:
        # The id first: loading an ORM object costs more, and a new message has none.
        found = session.connection().execute(_EMAIL_BY_MESSAGE_ID, {"b_key": key}).scalar()
        if found is not None:
            return session.get(Email, found)
    for source, external_id in pairs:
        record_id = record_for_external_id(session, source, external_id)
        candidate = session.get(Email, record_id) if record_id is not None else None
        if candidate is None:
            continue
        # Two different Message-IDs are two messages, whatever the external id says.
        if key is None or candidate.rfc822_msg_id is None or candidate.rfc822_msg_id == key:
            return candidate
    return None


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and len(value) == 0)


def _fill(
    session: Session,
    email: Email,
    values: Mapping[str, Any],
    pairs: Sequence[tuple[str, str]],
    *,
    blobs: BlobStore | None,
    my_keys: set[str],
) -> None:
    fill: dict[str, Any] = {}
    for name in (*SCALAR_FIELDS, "references"):
        stored = references_of(email) if name == "references" else getattr(email, name)
        if _empty(stored) and not _empty(values[name]):
            fill[name] = values[name]
    for name in ADDRESS_FIELDS:
        if values[name] and not mailboxes_of(email, RECIPIENT_KINDS[name]):
            fill[name] = values[name]
    if values["attachments"]:
        if email.attachments:
            fill_attachment_content(session, email, values["attachments"], blobs)
        else:
            fill["attachments"] = values["attachments"]
    changed = apply_values(session, email, fill, blobs)
    explicit: list[EntityRef] | None = None
    if values["related_to"]:
        current = explicit_refs(session, email.id)
        added = [ref for ref in values["related_to"] if ref not in current]
        if added:
            explicit = current + added
    derive(email, my_keys, new=False)
    add_external_ids(session, email.id, pairs)
    _after_write(session, email, explicit, bool(changed & THREADING_FIELDS), my_keys)


def _check_key_change(session: Session, email: Email, values: Mapping[str, Any]) -> None:
    if "rfc822_msg_id" not in values:
        return
    key = values["rfc822_msg_id"]
    if key is None:
        if email.rfc822_msg_id is not None:
            raise Invalid(
                "the Message-ID is this email's key: it can be changed but not cleared",
                field="rfc822MsgId",
            )
        return
    holder = session.scalar(
        select(Email.id).where(Email.rfc822_msg_id == key, Email.id != email.id)
    )
    if holder is not None:
        raise Conflict(f"Message-ID <{key}> already belongs to email {holder}")


def _after_write(
    session: Session,
    email: Email,
    explicit: Sequence[EntityRef] | None,
    rethread: bool,
    my_keys: set[str],
) -> None:
    session.flush()
    if rethread or email.thread_id is None:
        email.thread_id, touched = place_email(session, _headers(email))
        session.flush()
    else:
        touched = {email.thread_id}
    refresh_threads(session, touched)
    refresh_links(session, LinkedEmail.of(email), explicit, my_keys)


def _headers(email: Email) -> ThreadingHeaders:
    return ThreadingHeaders(
        email_id=email.id,
        thread_id=email.thread_id,
        message_id=email.rfc822_msg_id,
        in_reply_to=email.in_reply_to,
        references=tuple(references_of(email)),
        sync_thread_id=email.sync_thread_id,
    )


# A new email is written with Core statements built once: the hot path of every ingestion
# (see core.db.statements). Updates and repeats go through the ORM objects.
_INSERT_RECIPIENTS = insert(EmailRecipient)
_INSERT_ATTACHMENTS = insert(Attachment)
_SET_THREAD = (
    update(Email)
    .where(Email.id == bindparam("b_email"))
    .values(thread_id=bindparam("b_thread"), updated_at=bindparam("b_now"))
)


@cache
def _insert_email(dialect: str) -> Insert:
    table = Email.__table__
    return insert_or_skip(dialect, table, ("rfc822_msg_id",)).returning(table.c.id)


def _check_new_attachments(attachments: Sequence[AttachmentData]) -> None:
    """A new email has no stored attachment content a ``documentId`` could keep."""
    for index, attachment in enumerate(attachments):
        if attachment.document_id is not None and attachment.content is None:
            raise Invalid(
                "not the document of one of this email's attachments",
                field=f"attachments/{index}/documentId",
            )


def _store_new(
    session: Session,
    values: Mapping[str, Any],
    pairs: Sequence[tuple[str, str]],
    *,
    source: str,
    blobs: BlobStore | None,
    my_keys: set[str],
) -> EmailRecord | None:
    """Write a new email and everything that hangs on it; ``None`` if another transaction
    stored its Message-ID first."""
    connection = session.connection()
    now = utcnow()
    recipients = [
        RecipientRecord(RECIPIENT_KINDS[name], mailbox.address, mailbox.name)
        for name in ADDRESS_FIELDS
        for mailbox in values[name]
    ]
    derived = derived_fields(
        values["from_address"],
        values["text_body"],
        values["html_body"],
        my_keys,
        from_name=values["from_name"],
        mailboxes=[(r.address, r.name) for r in recipients],
    )
    references = " ".join(f"<{ref}>" for ref in values["references"]) or None
    row = {name: values[name] for name in SCALAR_FIELDS}
    row.update(
        derived,
        references=references,
        source=source,
        has_attachments=bool(values["attachments"]),
        extra={},
        created_at=now,
        updated_at=now,
    )
    email_id = connection.execute(_insert_email(connection.dialect.name), row).scalar()
    if email_id is None:
        return None
    if recipients:
        connection.execute(
            _INSERT_RECIPIENTS,
            [
                {
                    "email_id": email_id,
                    "kind": r.kind,
                    "address": r.address,
                    "address_key": email_key(r.address),
                    "name": r.name,
                    "position": position,
                }
                for position, r in enumerate(recipients)
            ],
        )
    attachments = _store_attachments(session, email_id, values["attachments"], blobs)
    add_external_ids(session, email_id, pairs)
    thread_id, touched = place_email(
        session,
        ThreadingHeaders(
            email_id=email_id,
            thread_id=None,
            message_id=values["rfc822_msg_id"],
            in_reply_to=values["in_reply_to"],
            references=values["references"],
            sync_thread_id=values["sync_thread_id"],
        ),
        FirstMessage(values["subject"], values["received_at"] or values["sent_at"]),
    )
    connection.execute(_SET_THREAD, {"b_email": email_id, "b_thread": thread_id, "b_now": now})
    refresh_threads(session, touched)
    received_at, sent_at = _utc(values["received_at"]), _utc(values["sent_at"])
    links = refresh_links(
        session,
        LinkedEmail(
            id=email_id,
            source=source,
            subject=values["subject"],
            snippet=derived["snippet"],
            direction=derived["direction"],
            occurred_at=received_at or sent_at or now,
            addresses=(values["from_address"] or "", *(r.address for r in recipients)),
        ),
        values["related_to"],
        my_keys,
        current=[],
    )
    return EmailRecord(
        id=email_id,
        rfc822_msg_id=values["rfc822_msg_id"],
        thread_id=thread_id,
        source=source,
        direction=derived["direction"],
        folder=derived["folder"],
        is_read=derived["is_read"],
        is_starred=False,
        is_archived=False,
        subject=values["subject"],
        from_address=values["from_address"],
        from_name=values["from_name"],
        recipients=tuple(recipients),
        in_reply_to=values["in_reply_to"],
        references=tuple(values["references"]),
        sync_thread_id=values["sync_thread_id"],
        received_at=received_at,
        sent_at=sent_at,
        text_body=values["text_body"],
        html_body=values["html_body"],
        snippet=derived["snippet"],
        has_attachments=bool(attachments),
        attachments=tuple(attachments),
        links=tuple(links),
        external_ids=tuple(external_ids_of(session, email_id)) if pairs else (),
        created_at=now,
        updated_at=now,
    )


def _store_attachments(
    session: Session,
    email_id: int,
    attachments: Sequence[AttachmentData],
    blobs: BlobStore | None,
) -> list[AttachmentRecord]:
    """A new email's attachments, their content (when sent) kept in the document store."""
    records = [
        AttachmentRecord(
            file_name=data.file_name,
            content_type=data.content_type,
            size=len(data.content) if data.content is not None else data.size,
            content_id=data.content_id,
            inline=data.inline,
            external_id=data.external_id,
            document_id=store_content(session, data, blobs) if data.content is not None else None,
        )
        for data in attachments
    ]
    if records:
        session.connection().execute(
            _INSERT_ATTACHMENTS,
            [
                {
                    "email_id": email_id,
                    "position": position,
                    "file_name": a.file_name,
                    "content_type": a.content_type,
                    "size": a.size,
                    "content_id": a.content_id,
                    "is_inline": a.inline,
                    "provider_attachment_id": a.external_id,
                    "document_id": a.document_id,
                }
                for position, a in enumerate(records)
            ],
        )
    return records


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def _record(session: Session, email: Email) -> EmailRecord:
    return _build_record(
        email,
        email.recipients,
        email.attachments,
        links_of(session, email.id),
        external_ids_of(session, email.id),
    )


_EMAIL_ROW = select(Email.__table__).where(Email.id == bindparam("b_email"))
_RECIPIENT_ROWS = (
    select(EmailRecipient.kind, EmailRecipient.address, EmailRecipient.name)
    .where(EmailRecipient.email_id == bindparam("b_email"))
    .order_by(EmailRecipient.position)
)
_ATTACHMENT_ROWS = (
    select(Attachment.__table__)
    .where(Attachment.email_id == bindparam("b_email"))
    .order_by(Attachment.position)
)


def read_email(session: Session, email_id: int) -> EmailRecord:
    """The email with this id, read with statements built once (no ORM objects: the hot read
    path of ``GET /emails/{id}``); ``NotFound`` when there is none."""
    connection = session.connection()
    params = {"b_email": email_id}
    row = connection.execute(_EMAIL_ROW, params).first()
    if row is None:
        raise NotFound(f"no email with id {email_id}")
    recipients = connection.execute(_RECIPIENT_ROWS, params).all()
    attachments = connection.execute(_ATTACHMENT_ROWS, params).all() if row.has_attachments else []
    return _build_record(
        row,
        recipients,
        attachments,
        links_of(session, email_id),
        external_ids_of(session, email_id),
    )


def _build_record(
    email: Any,
    recipients: Sequence[Any],
    attachments: Sequence[Any],
    links: Sequence[LinkRecord],
    external_ids: Sequence[tuple[str, str]],
) -> EmailRecord:
    # ``email`` is an ORM Email or a row of the emails table: both name their columns alike.
    return EmailRecord(
        id=email.id,
        rfc822_msg_id=email.rfc822_msg_id,
        thread_id=email.thread_id,
        source=email.source,
        direction=email.direction,
        folder=email.folder,
        is_read=email.is_read,
        is_starred=email.is_starred,
        is_archived=email.is_archived,
        subject=email.subject,
        from_address=email.from_address,
        from_name=email.from_name,
        recipients=tuple(RecipientRecord(r.kind, r.address, r.name) for r in recipients),
        in_reply_to=email.in_reply_to,
        references=tuple(references_of(email)),
        sync_thread_id=email.sync_thread_id,
        received_at=email.received_at,
        sent_at=email.sent_at,
        text_body=email.text_body,
        html_body=email.html_body,
        snippet=email.snippet,
        has_attachments=email.has_attachments,
        attachments=tuple(
            AttachmentRecord(
                file_name=a.file_name,
                content_type=a.content_type,
                size=a.size,
                content_id=a.content_id,
                inline=a.is_inline,
                external_id=a.provider_attachment_id,
                document_id=a.document_id,
            )
            for a in attachments
        ),
        links=tuple(links),
        external_ids=tuple(external_ids),
        created_at=email.created_at,
        updated_at=email.updated_at,
        extra=dict(email.extra or {}),
    )
