"""The Integrations API's email section (spec 004) on the wire: inbox items, threads, folder
counts, flags, matching and sending."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool

from core.services.email_model import LinkRecord
from core.services.inbox import FOLDERS, FolderCount, InboxItem, InboxMessage
from core.services.inbox_match import MatchResult
from core.services.inbox_send import MAX_RECIPIENTS
from core.services.inbox_threads import ThreadSummary
from embedded_api.schemas.common import ApiModel, IdIn, IdOut, InputModel, PageOut, UtcOut

# --- Out ---------------------------------------------------------------------------------------


class MailboxOut(ApiModel):
    """An address with its display name, when there is one."""

    address: str
    name: str | None


class LinkedEntityOut(ApiModel):
    """A CRM record the email is linked to: ``origin`` is ``explicit`` (logged against it, or
    matched by hand) or ``matched`` (by address or domain, kept up to date by Hearth)."""

    type: str = Field(description="`contact` or `company`.")
    id: str
    origin: str

    @classmethod
    def of(cls, link: LinkRecord) -> LinkedEntityOut:
        """The wire form of a core link."""
        return cls(type=link.type, id=link.id, origin=link.origin)


class InboxItemOut(ApiModel):
    """An email as the inbox lists it."""

    id: IdOut
    thread_id: IdOut | None = Field(description="Its thread (`GET /thread/{threadId}`).")
    subject: str | None
    snippet: str | None = Field(description="The start of the body, on one line.")
    sender: MailboxOut | None = Field(alias="from", description="The sender.")
    to: list[str]
    cc: list[str]
    received_at: UtcOut | None
    sent_at: UtcOut | None
    is_read: bool
    is_starred: bool
    is_archived: bool
    folder: str = Field(description="Where it is stored: `inbox`, `sent` or `archive`.")
    direction: str = Field(description="`inbound`, or `outbound` for the user's own mail.")
    has_attachments: bool
    linked_entities: list[LinkedEntityOut]

    @classmethod
    def of(cls, item: InboxItem) -> InboxItemOut:
        """The wire form of a core inbox item."""
        return cls(**_item_fields(item))


class AttachmentOut(ApiModel):
    """An attachment's metadata; ``documentId`` names its stored content, when Hearth has it."""

    file_name: str | None
    content_type: str | None
    size: int | None
    inline: bool
    document_id: IdOut | None


class MessageOut(InboxItemOut):
    """An email in full: the list fields plus its bodies, Bcc and attachments."""

    rfc822_msg_id: str | None = Field(description="The Message-ID, as `<id@host>`.")
    in_reply_to: str | None
    bcc: list[str]
    text_body: str | None
    html_body: str | None
    attachments: list[AttachmentOut]

    @classmethod
    def of(cls, item: InboxItem) -> MessageOut:
        """The wire form of a core message."""
        assert isinstance(item, InboxMessage)
        return cls(
            **_item_fields(item),
            rfc822_msg_id=f"<{item.rfc822_msg_id}>" if item.rfc822_msg_id else None,
            in_reply_to=f"<{item.in_reply_to}>" if item.in_reply_to else None,
            bcc=list(item.bcc),
            text_body=item.text_body,
            html_body=item.html_body,
            attachments=[
                AttachmentOut(
                    file_name=a.file_name,
                    content_type=a.content_type,
                    size=a.size,
                    inline=a.inline,
                    document_id=a.document_id,
                )
                for a in item.attachments
            ],
        )


def _item_fields(item: InboxItem) -> dict[str, Any]:
    sender = item.sender
    return {
        "id": item.id,
        "thread_id": item.thread_id,
        "subject": item.subject,
        "snippet": item.snippet,
        "sender": MailboxOut(address=sender.address, name=sender.name) if sender else None,
        "to": list(item.to),
        "cc": list(item.cc),
        "received_at": item.received_at,
        "sent_at": item.sent_at,
        "is_read": item.is_read,
        "is_starred": item.is_starred,
        "is_archived": item.is_archived,
        "folder": item.folder,
        "direction": item.direction,
        "has_attachments": item.has_attachments,
        "linked_entities": [LinkedEntityOut.of(link) for link in item.links],
    }


class FolderCountOut(ApiModel):
    total: int
    unread: int


class FolderCountsOut(ApiModel):
    """Total and unread emails per folder (``all`` is every email; ``starred`` spans folders)."""

    inbox: FolderCountOut
    sent: FolderCountOut
    archive: FolderCountOut
    starred: FolderCountOut
    all: FolderCountOut

    @classmethod
    def of(cls, counts: dict[str, FolderCount]) -> FolderCountsOut:
        """The wire form of core's counts."""
        return cls(
            **{
                name: FolderCountOut(total=counts[name].total, unread=counts[name].unread)
                for name in FOLDERS
            }
        )


class ThreadOut(ApiModel):
    """A conversation, with its newest message."""

    id: IdOut
    subject: str | None = Field(description="The first message's, without Re:/Fwd:.")
    message_count: int
    unread_count: int
    last_message_at: UtcOut | None = Field(description="When its newest message came.")
    latest: InboxItemOut | None = Field(description="Its newest message.")

    @classmethod
    def of(cls, thread: ThreadSummary) -> ThreadOut:
        """The wire form of a core thread summary."""
        return cls(
            id=thread.id,
            subject=thread.subject,
            message_count=thread.message_count,
            unread_count=thread.unread_count,
            last_message_at=thread.last_message_at,
            latest=InboxItemOut.of(thread.latest) if thread.latest else None,
        )


class ThreadPageOut(PageOut[MessageOut]):
    """A page of a thread's messages, oldest first, with the thread itself."""

    thread: ThreadOut


class MatchOut(ApiModel):
    """What a match did."""

    email_address: str
    entity_type: str = Field(description="`contact` or `company`.")
    entity_id: IdOut
    contact_id: IdOut | None = Field(description="The contact that now has the address.")
    domain: str | None = Field(description="The domain now the company's (scope `domain`).")
    emails_relinked: int = Field(description="Stored emails whose links were recomputed.")

    @classmethod
    def of(cls, result: MatchResult) -> MatchOut:
        """The wire form of a core match result."""
        return cls(
            email_address=result.email_address,
            entity_type=result.entity_type,
            entity_id=result.entity_id,
            contact_id=result.contact_id,
            domain=result.domain,
            emails_relinked=result.emails_relinked,
        )


# --- In ----------------------------------------------------------------------------------------


class FlagIn(InputModel):
    """``{"value": true}`` or ``{"value": false}`` sets the flag; no body (or ``{}``, or a null
    value) toggles it."""

    value: StrictBool | None = Field(default=None, description="The state to set.")


class MatchIn(InputModel):
    """An address to match to a contact or company (``account``)."""

    email_address: str = Field(min_length=1, max_length=320)
    entity_type: str = Field(min_length=1, max_length=32, description="`contact` or `company`.")
    entity_id: IdIn
    scope: Literal["address", "domain"] = Field(
        default="address",
        description="For a company: match this address (`address`) or its whole domain.",
    )


Recipients = list[str]


class SendIn(InputModel):
    """A message to send. Texts are kept as given (no trimming)."""

    model_config = ConfigDict(str_strip_whitespace=False)

    to: Recipients = Field(min_length=1, max_length=MAX_RECIPIENTS)
    cc: Recipients = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    bcc: Recipients = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    subject: str = Field(max_length=998)
    body: str = Field(max_length=5_000_000)
