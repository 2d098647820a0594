"""What an email is to the rest of Hearth: the data ingestion takes, the record it gives back, and
the checks every value passes before anything is written.

Field names follow the wire (``to_addresses`` is BrightSync's ``toAddresses``), so a partner's
payload maps onto :class:`EmailData` by name; error fields are the wire names too
(``toAddresses/2``, ``attachments/0/size``), as everywhere in core.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from sqlalchemy.orm import Session

from core.errors import Invalid
from core.models import Company, Contact
from core.normalize import message_id_key


@dataclass(frozen=True)
class Mailbox:
    """An address and, when known, the display name that came with it."""

    address: str
    name: str | None = None


@dataclass(frozen=True)
class AttachmentData:
    """An attachment as a caller gives it: metadata, and the decoded content when there is some.

    ``document_id`` keeps the stored content of one of the email's current attachments (a client
    sending back what it read); it is ignored when ``content`` is given.
    """

    file_name: str | None = None
    content_type: str | None = None
    size: int | None = None
    content_id: str | None = None
    inline: bool = False
    external_id: str | None = None
    content: bytes | None = None
    document_id: int | None = None


@dataclass(frozen=True)
class EntityRef:
    """A CRM record an email is logged against: ``type`` is ``contact`` or ``company``."""

    type: str
    id: int


@dataclass(frozen=True)
class EmailData:
    """One message as any ingestion path hands it over. Only ``subject`` and a body (``text_body``
    or ``html_body``; either may be empty) are required; everything else may be missing.

    Message-IDs are taken with or without angle brackets; ``references`` are the Message-IDs of the
    References header, oldest first. An empty ``related_to`` lets Hearth link by address.
    """

    subject: str | None = None
    text_body: str | None = None
    html_body: str | None = None
    from_address: str | None = None
    from_name: str | None = None
    to_addresses: tuple[Mailbox, ...] = ()
    cc_addresses: tuple[Mailbox, ...] = ()
    bcc_addresses: tuple[Mailbox, ...] = ()
    rfc822_msg_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    sync_thread_id: str | None = None
    received_at: datetime | None = None
    sent_at: datetime | None = None
    attachments: tuple[AttachmentData, ...] = ()
    related_to: tuple[EntityRef, ...] = ()

    def values(self) -> dict[str, Any]:
        """Every field by name: what ``update_email`` would take to set them all."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


FIELD_NAMES = frozenset(f.name for f in fields(EmailData))
ADDRESS_FIELDS = ("to_addresses", "cc_addresses", "bcc_addresses")
RECIPIENT_KINDS = {"to_addresses": "to", "cc_addresses": "cc", "bcc_addresses": "bcc"}
ENTITY_TYPES = {"contact": Contact, "company": Company, "account": Company}
"""What ``relatedTo`` may name (``account`` is the CRM synonym of company)."""


@dataclass(frozen=True)
class RecipientRecord:
    kind: str
    address: str
    name: str | None


@dataclass(frozen=True)
class AttachmentRecord:
    file_name: str | None
    content_type: str | None
    size: int | None
    content_id: str | None
    inline: bool
    external_id: str | None
    document_id: int | None


@dataclass(frozen=True)
class LinkRecord:
    """A CRM record the email is linked to; ``origin`` is ``explicit`` or ``matched``."""

    type: str
    id: str
    origin: str


@dataclass(frozen=True)
class EmailRecord:
    """An email as the rest of Hearth sees it. Message-IDs are bare (no angle brackets)."""

    id: int
    rfc822_msg_id: str | None
    thread_id: int | None
    source: str
    direction: str
    folder: str
    is_read: bool
    is_starred: bool
    is_archived: bool
    subject: str | None
    from_address: str | None
    from_name: str | None
    recipients: tuple[RecipientRecord, ...]
    in_reply_to: str | None
    references: tuple[str, ...]
    sync_thread_id: str | None
    received_at: datetime | None
    sent_at: datetime | None
    text_body: str | None
    html_body: str | None
    snippet: str | None
    has_attachments: bool
    attachments: tuple[AttachmentRecord, ...]
    links: tuple[LinkRecord, ...]
    external_ids: tuple[tuple[str, str], ...]
    created_at: datetime
    updated_at: datetime
    extra: Mapping[str, Any] = field(default_factory=dict)
    """What a source keeps with the email (``contactCenter``: the contact-center context)."""

    def addresses(self, kind: str) -> list[str]:
        """The recipients' addresses of one kind (``to``, ``cc``, ``bcc``), in order."""
        return [r.address for r in self.recipients if r.kind == kind]

    def external_id(self, source: str) -> str | None:
        """The first id ``source`` gave this email, if any."""
        return next((ext for src, ext in self.external_ids if src == source), None)


# Column sizes: a longer value is refused by name here rather than failing in the database.
_MAX_LENGTHS = {
    "from_name": 256,
    "sync_thread_id": 500,
    "rfc822_msg_id": 998,
    "in_reply_to": 998,
}
_MAX_ADDRESS, _MAX_NAME = 320, 256
_ATTACHMENT_LIMITS = (
    ("file_name", "fileName", 255),
    ("content_type", "contentType", 255),
    ("content_id", "contentId", 998),
    ("external_id", "externalId", 1024),
)
MAX_EXTERNAL_ID = 512

# Mail headers carry addresses no public validator accepts (``x@corp.local``, ``root@localhost``):
# an address is judged only on its shape, local@domain with no spaces or brackets.
_ADDRESS = re.compile(r"^[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+$")
_DOMAIN = re.compile(r"^(?!-)[\w-]+(\.(?!-)[\w-]+)*\.?$")
_MESSAGE_ID_TOKEN = re.compile(r"<([^<>]*)>")


def wire_name(name: str) -> str:
    """The API's name of a field: ``to_addresses`` -> ``toAddresses``."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def clean_mailbox(mailbox: Mailbox, field: str) -> Mailbox:
    """A checked mailbox; ``"Ann Lee <ann@x.example>"`` is split into name and address."""
    address = (mailbox.address or "").strip()
    name = without_nul(mailbox.name.strip()) if mailbox.name else None
    if "<" in address:
        parsed_name, parsed_address = parseaddr(address)
        if not parsed_address:
            raise Invalid(f"{address!r} is not an email address", field=field)
        address, name = parsed_address, name or parsed_name.strip() or None
    if not _ADDRESS.match(address) or not _DOMAIN.match(address.rpartition("@")[2]):
        raise Invalid(f"{address!r} is not an email address", field=field)
    if len(address) > _MAX_ADDRESS:
        raise Invalid(f"at most {_MAX_ADDRESS} characters", field=field)
    if name is not None and len(name) > _MAX_NAME:
        raise Invalid(f"a name has at most {_MAX_NAME} characters", field=field)
    return Mailbox(address, name or None)


def parse_references(values: Iterable[str]) -> tuple[str, ...]:
    """Message-IDs from References values: ``<a@x> <b@y>`` strings or single ids, bracketed or
    bare, in order and without repeats."""
    found: list[str] = []
    for value in values:
        text = without_nul(value) or ""
        tokens = _MESSAGE_ID_TOKEN.findall(text) or re.split(r"[\s,]+", text)
        for token in tokens:
            key = message_id_key(token)
            if key and key not in found:
                found.append(key)
    return tuple(found)


def without_nul(text: str | None) -> str | None:
    """``text`` without NUL characters: mail sometimes carries them, PostgreSQL cannot store them,
    and they show nothing."""
    return text.replace("\x00", "") if text else text


def _check_text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("must be a string", field=wire_name(name))
    value = without_nul(value)
    limit = _MAX_LENGTHS.get(name)
    if limit is not None and len(value) > limit:
        raise Invalid(f"at most {limit} characters", field=wire_name(name))
    return value


def _check_message_id(name: str, value: str | None) -> str | None:
    key = message_id_key(value)
    if key is not None and len(key) > _MAX_LENGTHS[name]:
        raise Invalid(f"at most {_MAX_LENGTHS[name]} characters", field=wire_name(name))
    return key


def _check_attachment(attachment: AttachmentData, field: str) -> AttachmentData:
    attachment = replace(
        attachment,
        file_name=without_nul(attachment.file_name),
        content_type=without_nul(attachment.content_type),
        content_id=without_nul(attachment.content_id),
        external_id=without_nul(attachment.external_id),
    )
    for attribute, wire, limit in _ATTACHMENT_LIMITS:
        value = getattr(attachment, attribute)
        if value is not None and len(value) > limit:
            raise Invalid(f"at most {limit} characters", field=f"{field}/{wire}")
    if attachment.size is not None and attachment.size < 0:
        raise Invalid("must be 0 or more", field=f"{field}/size")
    if attachment.content is not None:
        actual = len(attachment.content)
        if attachment.size is not None and attachment.size != actual:
            raise Invalid(
                f"says {attachment.size} bytes but the content has {actual}", field=f"{field}/size"
            )
    return attachment


def _check_related(session: Session, refs: Sequence[EntityRef]) -> tuple[EntityRef, ...]:
    checked: list[EntityRef] = []
    for index, ref in enumerate(refs):
        kind = (ref.type or "").strip().lower()
        model = ENTITY_TYPES.get(kind)
        if model is None:
            raise Invalid(
                f"unknown type {ref.type!r}: use contact or company",
                field=f"relatedTo/{index}/type",
            )
        if session.get(model, ref.id) is None:
            raise Invalid(f"no {kind} with id {ref.id}", field=f"relatedTo/{index}/id")
        entity = EntityRef("company" if model is Company else kind, ref.id)
        if entity not in checked:
            checked.append(entity)
    return tuple(checked)


def _check_timestamp(name: str, value: Any) -> datetime | None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise Invalid("must be a timestamp with a timezone", field=wire_name(name))
    return value


def _check_mailboxes(name: str, value: Any) -> tuple[Mailbox, ...]:
    return tuple(clean_mailbox(m, f"{wire_name(name)}/{i}") for i, m in enumerate(value or ()))


def _check_attachments(name: str, value: Any) -> tuple[AttachmentData, ...]:
    return tuple(_check_attachment(a, f"attachments/{i}") for i, a in enumerate(value or ()))


def _check_sync_thread_id(name: str, value: Any) -> str | None:
    text = _check_text(name, value)
    return text.strip() or None if text is not None else None


_CHECKS = {
    "rfc822_msg_id": lambda name, value: _check_message_id(name, _check_text(name, value)),
    "in_reply_to": lambda name, value: _check_message_id(name, _check_text(name, value)),
    "to_addresses": _check_mailboxes,
    "cc_addresses": _check_mailboxes,
    "bcc_addresses": _check_mailboxes,
    "references": lambda name, value: parse_references(value or ()),
    "attachments": _check_attachments,
    "received_at": _check_timestamp,
    "sent_at": _check_timestamp,
    "sync_thread_id": _check_sync_thread_id,
}


def check_values(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    """The given fields checked and normalised (Message-IDs bare, addresses split from names,
    relatedTo types lower-case and their records existing). Raises ``Invalid`` naming the field.

    Only the keys present are checked: this serves a full :class:`EmailData` and a partial update
    alike. ``None`` stays ``None`` (clearing); list fields given as ``None`` become empty.
    """
    unknown = set(values) - FIELD_NAMES
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"unknown field {name}", field=name)
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if name == "related_to":
            checked[name] = _check_related(session, value or ())
        elif name != "from_address":  # below, as it may bring a name
            checked[name] = _CHECKS.get(name, _check_text)(name, value)
    if "from_address" in values:
        checked["from_address"] = None
        if values["from_address"] is not None:
            text = _check_text("from_address", values["from_address"]) or ""
            mailbox = clean_mailbox(Mailbox(text), "fromAddress")
            checked["from_address"] = mailbox.address
            if mailbox.name and not checked.get("from_name"):
                checked["from_name"] = mailbox.name  # "Ann Lee <ann@x.example>"
    return checked


def check_required(subject: str | None, text_body: str | None, html_body: str | None) -> None:
    """An email needs a subject and a body (text or HTML); empty strings are fine, as in mail."""
    if subject is None:
        raise Invalid("an email needs a subject (it may be empty)", field="subject")
    if text_body is None and html_body is None:
        raise Invalid("an email needs a body: textBody or htmlBody (it may be empty)", "textBody")
