"""The Integrations API's email section (spec 004): ``/api/v1/integrations/email``.

The inbox, search, folder counts, flags, threads by CRM record, matching addresses to records,
and (for now refused) sending and syncing. These are the emails every path stores (BrightSync's
``/api/v1/emails``, the contact center, the user's own mail sync): one store, several views.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from starlette.responses import Response

from core.services import PageRequest
from core.services import inbox as service
from core.services.inbox_flags import set_flag
from core.services.inbox_match import match_address
from core.services.inbox_send import check_outgoing, has_connected_mailbox
from core.services.inbox_threads import check_entity_type, thread_messages, threads_of_entity
from embedded_api.auth import require_api_key
from embedded_api.deps import CoreDep
from embedded_api.problems import PROBLEM_JSON, problem
from embedded_api.routers._ids import path_id
from embedded_api.schemas.common import PageOut
from embedded_api.schemas.integrations_email import (
    FlagIn,
    FolderCountsOut,
    InboxItemOut,
    MatchIn,
    MatchOut,
    MessageOut,
    SendIn,
    ThreadOut,
    ThreadPageOut,
)

router = APIRouter(
    prefix="/api/v1/integrations/email",
    tags=["Integrations: email"],
    dependencies=[Depends(require_api_key)],
)

MAX_LIMIT = 200
Page = Annotated[int, Query(ge=1, description="Page number, from 1.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (1 to {MAX_LIMIT}).")]

_INBOX_DESCRIPTION = """\
A page of emails, newest first (received time, else sent time, else when Hearth stored it; ties
by id, so pages are stable), with the exact `total`: ask for `page=nextPage` until it is null.

**Folders** (`folder`, default `inbox`):
- `inbox`: received mail that is not archived;
- `sent`: the user's own mail that is not archived;
- `archive`: archived mail, received or sent;
- `starred`: starred mail, in any folder;
- `all`: every email.

**Unread.** `unread=true` lists only unread emails; `unread=false` (or none) lists all.

**Search** (`q`, up to 500 characters) looks in the subject, the body, and the sender's and
recipients' names and addresses. Every word and quoted phrase must match (`"quarterly review"
pricing`), ignoring case (and accents on SQLite). Punctuation splits words, so an address or a
domain (`sarah.chen@acme.example`, `acme.example`) finds mail from or to it. The last word also
matches as a prefix when it has three letters or more (`pric` finds pricing). There are no
operators: `AND`, `OR`, `-`, `*`, `:` are plain words or ignored, so no query is an error; a
query with no letter or digit at all answers an empty page. On PostgreSQL the first 100,000
characters of each email are searched.

Each item's `linkedEntities` are the contacts and companies it is linked to.
"""
_ITEM_EXAMPLE: dict[str, Any] = {
    "id": "812",
    "threadId": "77",
    "subject": "Re: Pricing for 50 seats",
    "snippet": "Thanks, the numbers work for us.",
    "from": {"address": "sarah.chen@techstartup.example", "name": "Sarah Chen"},
    "to": ["me@hearth-user.example"],
    "cc": ["cfo@techstartup.example"],
    "receivedAt": "2026-07-01T14:00:00.000Z",
    "sentAt": "2026-07-01T13:59:58.000Z",
    "isRead": False,
    "isStarred": True,
    "isArchived": False,
    "folder": "inbox",
    "direction": "inbound",
    "hasAttachments": False,
    "linkedEntities": [
        {"type": "contact", "id": "12", "origin": "matched"},
        {"type": "company", "id": "3", "origin": "matched"},
    ],
}
_MESSAGE_EXAMPLE: dict[str, Any] = {
    **_ITEM_EXAMPLE,
    "rfc822MsgId": "<CAF=reply@mail.gmail.com>",
    "inReplyTo": "<CAF=parent@mail.gmail.com>",
    "bcc": [],
    "textBody": "Thanks, the numbers work for us.\n\nSarah",
    "htmlBody": None,
    "attachments": [
        {
            "fileName": "quote.pdf",
            "contentType": "application/pdf",
            "size": 48213,
            "inline": False,
            "documentId": "41",
        }
    ],
}
_THREAD_EXAMPLE: dict[str, Any] = {
    "id": "77",
    "subject": "Pricing for 50 seats",
    "messageCount": 4,
    "unreadCount": 1,
    "lastMessageAt": "2026-07-01T14:00:00.000Z",
    "latest": _ITEM_EXAMPLE,
}


def _page_example(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"items": [item], "total": 1, "page": 1, "limit": 50, "nextPage": None, **extra}


def _example(value: Any) -> dict[str, Any]:
    return {"content": {"application/json": {"example": value}}}


_NOT_FOUND = {"description": "No such record (problem+json)."}
_INVALID = {"description": "An invalid parameter or field, named in `errors` (problem+json)."}
_NO_ACCOUNT_EXAMPLE = {
    "type": "/problems/no-connected-account",
    "title": "No connected account",
    "status": 409,
    "detail": "no connected account: connect a Google or Microsoft 365 mailbox to send mail",
}
_NO_ACCOUNT = {
    "description": "No mailbox is connected (`/problems/no-connected-account`), or this version "
    "of Hearth cannot send or sync through it yet (`/problems/send-unavailable`, "
    "`/problems/sync-unavailable`).",
    "content": {PROBLEM_JSON: {"example": _NO_ACCOUNT_EXAMPLE}},
}


@router.get(
    "/inbox",
    summary="List the inbox, a folder, or search results",
    description=_INBOX_DESCRIPTION,
    responses={200: _example(_page_example(_ITEM_EXAMPLE)), 422: _INVALID},
)
def list_inbox(
    core: CoreDep,
    folder: Annotated[
        Literal["inbox", "sent", "archive", "starred", "all"],
        Query(description="Which folder (see above)."),
    ] = "inbox",
    q: Annotated[
        str | None,
        Query(
            max_length=500, description="Words and quoted phrases to find.", examples=["pricing"]
        ),
    ] = None,
    unread: Annotated[bool, Query(description="Only unread emails.")] = False,
    page: Page = 1,
    limit: Limit = 50,
) -> PageOut[InboxItemOut]:
    """A page of a folder, newest first, filtered by search words and unread state."""
    with core.database.read() as session:
        result = service.list_inbox(
            session, PageRequest(page, limit), folder=folder, query=q, unread=unread
        )
    return PageOut.of(result, [InboxItemOut.of(item) for item in result.items])


@router.get(
    "/folders/counts",
    summary="Count the emails of every folder",
    description="Total and unread emails of each folder (`inbox`, `sent`, `archive`, `starred`, "
    "`all`; see `GET /inbox`), exact and read from counters the database keeps, so this costs "
    "the same at a million emails as at ten.",
    responses={
        200: _example(
            {
                "inbox": {"total": 1204, "unread": 37},
                "sent": {"total": 2210, "unread": 0},
                "archive": {"total": 18830, "unread": 4},
                "starred": {"total": 95, "unread": 2},
                "all": {"total": 22244, "unread": 41},
            }
        )
    },
)
def folder_counts(core: CoreDep) -> FolderCountsOut:
    """Total and unread emails per folder."""
    with core.database.read() as session:
        return FolderCountsOut.of(service.folder_counts(session))


_FLAG_DESCRIPTION = """\
With no body (or `{{}}`), toggles the email's {what}; with `{{"value": true}}` or
`{{"value": false}}`, sets it. Answers the email as `GET /inbox` lists it.

The change is saved at once and queued for the user's mail provider (Hearth's outbox), which
the sync engine pushes when the mailbox is connected; changing it again before then only updates
the queued change. Setting the state the email already has changes nothing. {extra}
"""
_FLAG_BODY = Body(
    openapi_examples={
        "toggle": {"summary": "Toggle (or send no body)", "value": {}},
        "set": {"summary": "Set the flag", "value": {"value": True}},
        "clear": {"summary": "Clear the flag", "value": {"value": False}},
    }
)
FlagBody = Annotated[FlagIn | None, _FLAG_BODY]
_FLAG_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _example(_ITEM_EXAMPLE),
    404: {"description": "No email with this id (problem+json)."},
    422: {"description": "`value` is not `true` or `false` (problem+json)."},
}


def _flag(core: CoreDep, email_id: str, flag: str, body: FlagIn | None) -> InboxItemOut:
    with core.database.write() as session:
        item = set_flag(
            session, path_id(email_id, "email"), flag, body.value if body is not None else None
        )
    return InboxItemOut.of(item)


@router.post(
    "/{email_id}/read",
    summary="Mark an email read or unread",
    description=_FLAG_DESCRIPTION.format(what="read state (`isRead`)", extra=""),
    responses=_FLAG_RESPONSES,
)
def mark_read(core: CoreDep, email_id: str, body: FlagBody = None) -> InboxItemOut:
    """Toggle or set the email's read state."""
    return _flag(core, email_id, "read", body)


@router.post(
    "/{email_id}/star",
    summary="Star or unstar an email",
    description=_FLAG_DESCRIPTION.format(what="star (`isStarred`)", extra=""),
    responses=_FLAG_RESPONSES,
)
def mark_starred(core: CoreDep, email_id: str, body: FlagBody = None) -> InboxItemOut:
    """Toggle or set the email's star."""
    return _flag(core, email_id, "star", body)


@router.post(
    "/{email_id}/archive",
    summary="Archive or unarchive an email",
    description=_FLAG_DESCRIPTION.format(
        what="archived state (`isArchived`)",
        extra="Archiving moves the email to `archive`; unarchiving moves it back to `inbox` "
        "(received mail) or `sent` (the user's own).",
    ),
    responses=_FLAG_RESPONSES,
)
def mark_archived(core: CoreDep, email_id: str, body: FlagBody = None) -> InboxItemOut:
    """Toggle or set the email's archived state."""
    return _flag(core, email_id, "archive", body)


@router.get(
    "/threads/{entity_type}/{entity_id}",
    summary="List the threads of a contact or company",
    description="The conversations with at least one email linked to the contact or company "
    "(`entityType` `contact`, `company` or its synonym `account`), newest activity first, "
    "each with its newest message. A company's include those of its contacts. An unknown "
    "type is a 422, an unknown id a 404.",
    responses={200: _example(_page_example(_THREAD_EXAMPLE)), 404: _NOT_FOUND, 422: _INVALID},
)
def list_entity_threads(
    core: CoreDep, entity_type: str, entity_id: str, page: Page = 1, limit: Limit = 50
) -> PageOut[ThreadOut]:
    """Threads linked to a CRM record, newest activity first."""
    kind = check_entity_type(entity_type)
    with core.database.read() as session:
        result = threads_of_entity(
            session, kind, path_id(entity_id, kind), PageRequest(page, limit)
        )
    return PageOut.of(result, [ThreadOut.of(thread) for thread in result.items])


@router.get(
    "/thread/{thread_id}",
    summary="Read a thread",
    description="The thread's messages in full (bodies, Bcc, attachments), oldest first, as a "
    "page, with the thread itself in `thread`.",
    responses={
        200: _example(_page_example(_MESSAGE_EXAMPLE, thread=_THREAD_EXAMPLE)),
        404: _NOT_FOUND,
    },
)
def read_thread(core: CoreDep, thread_id: str, page: Page = 1, limit: Limit = 50) -> ThreadPageOut:
    """A thread's messages, oldest first."""
    with core.database.read() as session:
        thread, messages = thread_messages(
            session, path_id(thread_id, "thread"), PageRequest(page, limit)
        )
    return ThreadPageOut(
        items=[MessageOut.of(message) for message in messages.items],
        total=messages.total,
        page=messages.page,
        limit=messages.limit,
        next_page=messages.page + 1 if messages.has_more else None,
        thread=ThreadOut.of(thread),
    )


_MATCH_DESCRIPTION = """\
Matches an address to a contact or company, so that its mail, already stored and to come, is
linked there (`linkedEntities`, and the record's timeline and threads).

- **contact**: the address becomes one of the contact's addresses. 409 if another contact has it.
- **company** (or `account`), `scope` `address` (default): the address goes to a contact of the
  company: the contact that has it, when it works there or for no company yet (it then joins this
  one), else a new contact with just that address (`contactId` names it). 409 when the contacts
  that have it work for another company.
- **company**, `scope` `domain`: the address's domain becomes one of the company's domains, so
  mail from or to anyone there is linked (409 if another company has the domain; 422 for a public
  mail domain such as gmail.com).

Emails already stored are re-linked now (`emailsRelinked`), except those logged against records
explicitly, which stay as logged. Matching by domain reads every stored address: seconds at a
million emails. The user's own addresses cannot be matched (422).
"""


@router.post(
    "/match",
    summary="Match an email address to a contact or company",
    description=_MATCH_DESCRIPTION,
    responses={
        200: _example(
            {
                "emailAddress": "contact@company.com",
                "entityType": "contact",
                "entityId": "42",
                "contactId": "42",
                "domain": None,
                "emailsRelinked": 17,
            }
        ),
        404: _NOT_FOUND,
        409: {"description": "The address (or domain) belongs to another record."},
        422: _INVALID,
    },
)
def match(
    core: CoreDep,
    body: Annotated[
        MatchIn,
        Body(
            openapi_examples={
                "contact": {
                    "summary": "An address of a contact",
                    "value": {
                        "emailAddress": "contact@company.com",
                        "entityType": "contact",
                        "entityId": 42,
                    },
                },
                "domain": {
                    "summary": "A whole domain to a company",
                    "value": {
                        "emailAddress": "anyone@company.com",
                        "entityType": "account",
                        "entityId": "1",
                        "scope": "domain",
                    },
                },
            }
        ),
    ],
) -> MatchOut:
    """Match an address to a CRM record; its stored emails are re-linked."""
    kind = check_entity_type(body.entity_type)
    with core.database.write() as session:
        result = match_address(
            session,
            body.email_address,
            kind,
            body.entity_id,
            scope=body.scope,
            phone_region=core.settings.crm.default_phone_region,
        )
    return MatchOut.of(result)


@router.post(
    "/send",
    summary="Send an email (needs a connected mailbox)",
    description="Checks the message: `to` (at least one address), `cc`, `bcc` (bare addresses), "
    "`subject` and `body`, a 422 naming the field (`to/1`) otherwise. Then, until a Google or "
    "Microsoft 365 mailbox is connected and delivery arrives with mail sync, answers 409.",
    status_code=409,
    response_class=Response,
    responses={409: _NO_ACCOUNT, 422: _INVALID},
)
def send(
    core: CoreDep,
    body: Annotated[
        SendIn,
        Body(
            openapi_examples={
                "message": {
                    "value": {
                        "to": ["recipient@company.com"],
                        "subject": "Follow up",
                        "body": "...",
                        "cc": [],
                        "bcc": [],
                    }
                }
            }
        ),
    ],
) -> Response:
    """Send an email through the connected mailbox (not available yet: 409)."""
    check_outgoing(body.to, body.cc, body.bcc, body.subject, body.body)
    return _unavailable(core, "send mail", "send")


@router.post(
    "/sync",
    summary="Sync mail now (needs a connected mailbox)",
    description="Starts a mail sync of the connected mailboxes. Until one is connected and mail "
    "sync arrives, answers 409.",
    status_code=409,
    response_class=Response,
    responses={409: _NO_ACCOUNT},
)
def sync(core: CoreDep) -> Response:
    """Sync mail now (not available yet: 409)."""
    return _unavailable(core, "sync mail", "sync")


def _unavailable(core: CoreDep, action: str, name: str) -> Response:
    with core.database.read() as session:
        connected = has_connected_mailbox(session)
    if not connected:
        return problem(
            409,
            f"no connected account: connect a Google or Microsoft 365 mailbox to {action}",
            type_="/problems/no-connected-account",
            title="No connected account",
        )
    return problem(
        409,
        f"Hearth cannot {action} through a connected mailbox in this version",
        type_=f"/problems/{name}-unavailable",
        title=f"{name.capitalize()} unavailable",
    )
