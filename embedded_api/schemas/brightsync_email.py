"""BrightSync Email Sync (spec 000): the Email Logging Object as it comes in and goes out.

Choices made where the spec is loose (also in the API docs):

- Only ``subject`` (a string, possibly empty) and a body are required; "body" is ``textBody`` or
  ``htmlBody``, either one, possibly empty (mail without a subject or text exists).
- Addresses (``fromAddress``, ``toAddresses``...) may be strings (``ann@x.example`` or
  ``Ann Lee <ann@x.example>``) or objects ``{"address": ..., "name": ...}`` (``email`` is taken
  for ``address``). An address is judged on its shape only (``x@corp.local`` is fine).
- Message-IDs are accepted with or without angle brackets and answered in header form
  ``<id@host>``. ``references`` (an extension: the References header) is a string or a list.
- Timestamps: ISO 8601 with an offset, or epoch milliseconds; answered in UTC.
- ``relatedTo``: a list of ``{"type": "contact"|"company", "id": ...}``, or one such object; ids
  as numbers or strings. Answers add ``origin`` (``explicit`` or ``matched``).
- Read-only fields of an answer (``id``, ``threadId``, ``direction``, ``createdAt``...) are
  ignored on input, so an object read with GET can be sent back with PUT.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)

from core.errors import Invalid
from core.services.email_model import (
    AttachmentData,
    AttachmentRecord,
    EmailData,
    EmailRecord,
    EntityRef,
    Mailbox,
)
from embedded_api.schemas.common import (
    ApiModel,
    IdIn,
    IdOut,
    InputModel,
    RelatedToIn,
    RelatedToListIn,
    UtcOut,
)
from embedded_api.schemas.timestamps import AnyTimestamp

BRIGHTSYNC_SOURCE = "brightsync"
"""The source BrightSync's records and ``msgId`` values are kept under."""

# --- Addresses, references, attachment content -------------------------------------------------


def _parse_mailbox(value: Any) -> Mailbox:
    if isinstance(value, str):
        return Mailbox(value.strip())
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"address", "email", "name"})
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r}: an address is {{address, name}}")
        address, name = value.get("address", value.get("email")), value.get("name")
        if not isinstance(address, str):
            raise ValueError("needs an address (a string)")
        if name is not None and not isinstance(name, str):
            raise ValueError("name must be a string")
        return Mailbox(address.strip(), name)
    raise ValueError('must be an address string or {"address": ..., "name": ...}')


AddressIn = Annotated[
    Mailbox,
    PlainValidator(_parse_mailbox),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "examples": ["ann@acme.example", "Ann Lee <ann@acme.example>"]},
                {
                    "type": "object",
                    "properties": {
                        "address": {"type": "string", "description": "or `email`"},
                        "name": {"type": "string"},
                    },
                    "required": ["address"],
                },
            ]
        }
    ),
]


def _parse_references(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise ValueError("must be a References header string or a list of Message-IDs")


ReferencesIn = Annotated[
    list[str],
    PlainValidator(_parse_references),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "examples": ["<root@mail.acme.example> <parent@mail.acme.example>"],
        }
    ),
]


def _decode_base64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("must be base64 text")
    text = "".join(value.split())  # MIME wraps base64 in lines
    url_safe = "-" in text or "_" in text  # Gmail's API sends base64url
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, altchars=b"-_" if url_safe else None, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError("is not valid base64") from e


Base64Content = Annotated[
    bytes,
    PlainValidator(_decode_base64),
    WithJsonSchema(
        {
            "type": "string",
            "format": "byte",
            "description": "The file's bytes in base64 (standard or URL-safe, padding optional).",
        }
    ),
]

# --- Input -------------------------------------------------------------------------------------


class AttachmentIn(InputModel):
    """An attachment: metadata always, ``content`` (base64) when the file itself is sent.

    Alternative names accepted: ``name``/``filename`` for ``fileName``, ``mimeType`` for
    ``contentType``, ``isInline`` for ``inline``, ``id`` for ``externalId``. When ``size`` and
    ``content`` are both given they must agree. ``documentId`` (as GET answers it) keeps the
    stored content of one of this email's attachments.
    """

    file_name: str | None = Field(
        default=None,
        max_length=255,
        validation_alias=AliasChoices("fileName", "name", "filename", "file_name"),
    )
    content_type: str | None = Field(
        default=None,
        max_length=255,
        validation_alias=AliasChoices("contentType", "mimeType", "content_type"),
    )
    size: int | None = Field(default=None, ge=0, description="Bytes (of the decoded content).")
    content_id: str | None = Field(default=None, max_length=998, description="For inline parts.")
    inline: bool = Field(default=False, validation_alias=AliasChoices("inline", "isInline"))
    external_id: str | None = Field(
        default=None,
        max_length=1024,
        validation_alias=AliasChoices("externalId", "id", "external_id"),
        description="The mailbox provider's id of the attachment.",
    )
    content: Base64Content | None = None
    document_id: IdIn | None = None

    def data(self) -> AttachmentData:
        """Core's form of the attachment."""
        return AttachmentData(
            file_name=self.file_name,
            content_type=self.content_type,
            size=self.size,
            content_id=self.content_id,
            inline=self.inline,
            external_id=self.external_id,
            content=self.content,
            document_id=self.document_id,
        )


READ_ONLY_FIELDS = frozenset(
    {
        "id",
        "threadId",
        "direction",
        "folder",
        "isRead",
        "isStarred",
        "isArchived",
        "hasAttachments",
        "snippet",
        "source",
        "recipients",
        "createdAt",
        "updatedAt",
        "contactCenter",
    }
)


class _EmailFields(InputModel):
    """The fields of the Email Logging Object (and two extensions: ``references``, ``sentAt``)."""

    # Subjects and bodies are content: kept exactly as sent.
    model_config = ConfigDict(str_strip_whitespace=False)

    msg_id: str | None = Field(
        default=None, max_length=512, description="The mailbox provider's id of the message."
    )
    sync_thread_id: str | None = Field(
        default=None, max_length=500, description="BrightSync's global thread id."
    )
    in_reply_to: str | None = Field(
        default=None, max_length=1000, description="Message-ID of the parent, `<>` optional."
    )
    references: ReferencesIn | None = None
    received_at: AnyTimestamp | None = None
    sent_at: AnyTimestamp | None = None
    rfc822_msg_id: str | None = Field(
        default=None,
        max_length=1000,
        description="The Message-ID header, `<>` optional: the email's key.",
    )
    subject: str | None = Field(default=None, max_length=10_000)
    from_address: AddressIn | None = None
    from_name: str | None = Field(default=None, max_length=256)
    to_addresses: list[AddressIn] | None = Field(default=None, max_length=1000)
    cc_addresses: list[AddressIn] | None = Field(default=None, max_length=1000)
    bcc_addresses: list[AddressIn] | None = Field(default=None, max_length=1000)
    text_body: str | None = None
    html_body: str | None = None
    attachments: list[AttachmentIn] | None = Field(default=None, max_length=100)
    related_to: RelatedToListIn | None = None

    @model_validator(mode="before")
    @classmethod
    def _ignore_read_only(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k not in READ_ONLY_FIELDS}
        return value

    def _core_value(self, name: str) -> Any:
        value = getattr(self, name)
        if value is None:
            return None
        if name == "from_address":
            return value.address
        if name in {"to_addresses", "cc_addresses", "bcc_addresses", "references"}:
            return tuple(value)
        if name == "attachments":
            return tuple(a.data() for a in value)
        if name == "related_to":
            return tuple(_entity_ref(i, r) for i, r in enumerate(value) if r.origin != "matched")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, as core's ``update_email`` takes them."""
        values = {
            name: self._core_value(name) for name in self.model_fields_set if name != "msg_id"
        }
        sender = self.from_address
        if sender is not None and sender.name and not self.from_name:
            values["from_name"] = sender.name
        if "msg_id" in self.model_fields_set:
            values["external_ids"] = {BRIGHTSYNC_SOURCE: self.msg_id}
        return values


def _entity_ref(index: int, item: RelatedToIn) -> EntityRef:
    if not item.id.isdigit() or not 1 <= int(item.id) < 2**63:
        raise Invalid("must be the id of a Hearth contact or company", f"relatedTo/{index}/id")
    return EntityRef(item.type, int(item.id))


class EmailIn(_EmailFields):
    """An email to log (POST) or the whole new content of one (PUT). ``subject`` and a body
    (``textBody`` or ``htmlBody``) are required; see the module notes for accepted variants."""

    subject: str = Field(max_length=10_000)

    def email_data(self) -> EmailData:
        """Core's form of the whole email (fields not sent are empty)."""
        values = self.changes()
        values.pop("external_ids", None)
        for name in ("to_addresses", "cc_addresses", "bcc_addresses", "references"):
            values[name] = values.get(name) or ()
        values["attachments"] = values.get("attachments") or ()
        values["related_to"] = values.get("related_to") or ()
        return EmailData(**values)

    def external_ids(self) -> list[tuple[str, str]]:
        """The ids BrightSync gave the message (its ``msgId``)."""
        return [(BRIGHTSYNC_SOURCE, self.msg_id)] if self.msg_id else []


class EmailPatch(_EmailFields):
    """Changes to an email (RFC 7396): absent fields stay, ``null`` clears. ``subject`` cannot be
    cleared, nor both bodies; ``rfc822MsgId`` can be changed but not cleared."""


# --- Output ------------------------------------------------------------------------------------


def _bracketed(message_id: str | None) -> str | None:
    return f"<{message_id}>" if message_id else None


class AttachmentOut(ApiModel):
    """An attachment's metadata; ``documentId`` is set when Hearth keeps its content."""

    file_name: str | None
    content_type: str | None
    size: int | None
    content_id: str | None
    inline: bool
    external_id: str | None
    document_id: IdOut | None

    @classmethod
    def of(cls, record: AttachmentRecord) -> AttachmentOut:
        return cls(
            file_name=record.file_name,
            content_type=record.content_type,
            size=record.size,
            content_id=record.content_id,
            inline=record.inline,
            external_id=record.external_id,
            document_id=record.document_id,
        )


class RelatedToOut(ApiModel):
    """A linked record; ``origin`` is ``explicit`` (relatedTo) or ``matched`` (by address)."""

    type: str
    id: str
    origin: str


class RecipientOut(ApiModel):
    """A recipient with the name that came with the address."""

    kind: str = Field(description="to, cc or bcc")
    address: str
    name: str | None


EMAIL_OUT_EXAMPLE: dict[str, Any] = {
    "id": "1042",
    "msgId": "18f2a9c4e5b6d7a8",
    "syncThreadId": "bs-thread-7f3c2a",
    "inReplyTo": "<CAF=parent@mail.gmail.com>",
    "references": ["<CAF=parent@mail.gmail.com>"],
    "receivedAt": "2026-07-01T14:00:00.000Z",
    "sentAt": "2026-07-01T13:59:58.000Z",
    "rfc822MsgId": "<CAF=reply@mail.gmail.com>",
    "subject": "Re: Pricing for 50 seats",
    "fromAddress": "sarah.chen@techstartup.example",
    "fromName": "Sarah Chen",
    "toAddresses": ["me@hearth-user.example"],
    "ccAddresses": [],
    "bccAddresses": [],
    "recipients": [{"kind": "to", "address": "me@hearth-user.example", "name": None}],
    "textBody": "Thanks, the numbers work for us.",
    "htmlBody": None,
    "attachments": [
        {
            "fileName": "quote.pdf",
            "contentType": "application/pdf",
            "size": 48213,
            "contentId": None,
            "inline": False,
            "externalId": None,
            "documentId": "77",
        }
    ],
    "relatedTo": [
        {"type": "contact", "id": "12", "origin": "matched"},
        {"type": "company", "id": "3", "origin": "matched"},
    ],
    "threadId": "311",
    "direction": "inbound",
    "folder": "inbox",
    "isRead": False,
    "isStarred": False,
    "isArchived": False,
    "hasAttachments": True,
    "snippet": "Thanks, the numbers work for us.",
    "source": "brightsync",
    "createdAt": "2026-07-01T14:00:05.120Z",
    "updatedAt": "2026-07-01T14:00:05.120Z",
}


class EmailOut(ApiModel):
    """A logged email: every field of the Email Logging Object, plus Hearth's own state."""

    model_config = ConfigDict(json_schema_extra={"examples": [EMAIL_OUT_EXAMPLE]})

    id: IdOut
    msg_id: str | None = Field(description="BrightSync's msgId (the first, if several).")
    sync_thread_id: str | None
    in_reply_to: str | None = Field(description="`<id@host>`")
    references: list[str] = Field(description="The References header's ids, oldest first.")
    received_at: UtcOut | None
    sent_at: UtcOut | None
    rfc822_msg_id: str | None = Field(description="`<id@host>`")
    subject: str | None
    from_address: str | None
    from_name: str | None
    to_addresses: list[str]
    cc_addresses: list[str]
    bcc_addresses: list[str]
    recipients: list[RecipientOut] = Field(description="All recipients, with their names.")
    text_body: str | None
    html_body: str | None
    attachments: list[AttachmentOut]
    related_to: list[RelatedToOut]
    thread_id: IdOut | None
    direction: str = Field(description="`outbound` when the sender is the user, else `inbound`")
    folder: str
    is_read: bool
    is_starred: bool
    is_archived: bool
    has_attachments: bool
    snippet: str | None
    source: str = Field(description="What first brought the email: brightsync, google, ...")
    created_at: UtcOut
    updated_at: UtcOut
    contact_center: dict[str, Any] | None = Field(
        default=None,
        description="For an email a contact-center platform logged (POST /contacts/email): what "
        "it sent with it (agent, participant, conversation, language, metadataMap).",
    )

    @classmethod
    def of(cls, record: EmailRecord) -> EmailOut:
        """The wire form of a core email."""
        return cls(
            id=record.id,
            msg_id=record.external_id(BRIGHTSYNC_SOURCE),
            sync_thread_id=record.sync_thread_id,
            in_reply_to=_bracketed(record.in_reply_to),
            references=[f"<{ref}>" for ref in record.references],
            received_at=record.received_at,
            sent_at=record.sent_at,
            rfc822_msg_id=_bracketed(record.rfc822_msg_id),
            subject=record.subject,
            from_address=record.from_address,
            from_name=record.from_name,
            to_addresses=record.addresses("to"),
            cc_addresses=record.addresses("cc"),
            bcc_addresses=record.addresses("bcc"),
            recipients=[
                RecipientOut(kind=r.kind, address=r.address, name=r.name) for r in record.recipients
            ],
            text_body=record.text_body,
            html_body=record.html_body,
            attachments=[AttachmentOut.of(a) for a in record.attachments],
            related_to=[
                RelatedToOut(type=link.type, id=link.id, origin=link.origin)
                for link in record.links
            ],
            thread_id=record.thread_id,
            direction=record.direction,
            folder=record.folder,
            is_read=record.is_read,
            is_starred=record.is_starred,
            is_archived=record.is_archived,
            has_attachments=record.has_attachments,
            snippet=record.snippet,
            source=record.source,
            created_at=record.created_at,
            updated_at=record.updated_at,
            contact_center=record.extra.get("contactCenter"),
        )
