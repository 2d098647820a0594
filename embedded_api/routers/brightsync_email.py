"""BrightSync Email Sync (spec 000): ``/api/v1/emails``.

One email is one record: ``rfc822MsgId`` is the key (angle brackets and surrounding space do not
matter), and BrightSync's ``msgId`` is kept as an external id that also finds the record. A POST
of a message Hearth already has answers 200 with the existing record, after filling in what was
empty (see :mod:`core.services.emails`), instead of making a duplicate; a new one answers 201.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response
from sqlalchemy.orm import Session

from core.blobstore import BlobStore
from core.runtime import HearthCore
from core.services import PageRequest
from core.services import emails as service
from core.services.emails import EmailRecord
from embedded_api.auth import require_api_key
from embedded_api.deps import CoreDep, quick_read
from embedded_api.routers._ids import path_id
from embedded_api.schemas.brightsync_email import (
    BRIGHTSYNC_SOURCE,
    EMAIL_OUT_EXAMPLE,
    EmailIn,
    EmailOut,
    EmailPatch,
)
from embedded_api.schemas.common import PageOut

DESCRIPTION = """\
Emails logged by BrightSync (or any client), one record per message.

- **Key.** `rfc822MsgId` identifies a message, with or without `<>`; it is answered as
  `<id@host>`. BrightSync's `msgId` also finds the record (for messages without a Message-ID).
- **Repeat posts.** Posting a message Hearth already has (same key, whichever path stored it,
  e.g. the user's own mail sync) answers **200** with that record instead of a duplicate. A repeat
  post never overwrites or removes anything; it only fills in: empty fields (subject, bodies,
  sender, timestamps, `rfc822MsgId`, `inReplyTo`, `references`, `syncThreadId`); a recipient list
  (to, cc or bcc) that has no address yet; attachments when there are none, and content for a
  stored attachment without content (same position and file name); a new `msgId`; further
  `relatedTo` records. It also links contacts created since by address.
- **Required.** `subject` (may be empty) and a body: `textBody` or `htmlBody` (either; may be
  empty). Everything else is optional.
- **Addresses.** Strings (`ann@x.example`, `Ann Lee <ann@x.example>`) or objects
  `{"address", "name"}` (`email` is taken for `address`); answered as strings in
  `toAddresses`/`ccAddresses`/`bccAddresses`, and with names in `recipients`.
- **Timestamps.** ISO 8601 with an offset, or epoch milliseconds; answered in UTC.
- **Links.** `relatedTo` (a list, or one object) logs the email against contacts and companies
  (`origin: explicit`). Without it, Hearth links the contacts owning any of the addresses (any
  case) and their companies, plus companies owning the addresses' domains (`origin: matched`),
  and keeps those links up to date. Each linked record shows the email on its timeline.
- **Threads.** Emails group by `syncThreadId`, else by `inReplyTo`/`references` (in any arrival
  order); `threadId` is Hearth's thread.
- **Attachments.** Metadata always; `content` (base64) is stored in Hearth's documents and the
  attachment answers its `documentId`.
"""

router = APIRouter(
    prefix="/api/v1/emails",
    tags=["BrightSync email"],
    dependencies=[Depends(require_api_key)],
)

_FULL_EXAMPLE: dict[str, Any] = {
    "msgId": "18f2a9c4e5b6d7a8",
    "syncThreadId": "bs-thread-7f3c2a",
    "inReplyTo": "<CAF=parent@mail.gmail.com>",
    "receivedAt": "2026-07-01T07:00:00-07:00",
    "rfc822MsgId": "<CAF=reply@mail.gmail.com>",
    "subject": "Re: Pricing for 50 seats",
    "fromAddress": "sarah.chen@techstartup.example",
    "fromName": "Sarah Chen",
    "toAddresses": ["me@hearth-user.example"],
    "ccAddresses": [{"address": "cfo@techstartup.example", "name": "Dana Ruiz"}],
    "bccAddresses": [],
    "textBody": "Thanks, the numbers work for us.",
    "htmlBody": "<p>Thanks, the numbers work for us.</p>",
    "attachments": [
        {
            "fileName": "quote.txt",
            "contentType": "text/plain",
            "size": 11,
            "content": "NTAgc2VhdHMgT0s=",
        }
    ],
    "relatedTo": [{"type": "contact", "id": "12"}],
}
_MINIMAL_EXAMPLE = {"subject": "Intro call", "textBody": "Nice talking to you today."}
_VARIANTS_EXAMPLE = {
    "rfc822MsgId": "intro-2026-07-01@mail.acme.example",
    "receivedAt": 1782914400000,
    "subject": "Intro",
    "htmlBody": "<p>Hello</p>",
    "fromAddress": "Ann Lee <ann@acme.example>",
    "toAddresses": [{"email": "me@hearth-user.example"}],
    "relatedTo": {"type": "company", "id": 3},
}
_POST_EXAMPLES = {
    "brightsync": {"summary": "Every field BrightSync sends", "value": _FULL_EXAMPLE},
    "minimal": {"summary": "Only what is required: subject and a body", "value": _MINIMAL_EXAMPLE},
    "variants": {
        "summary": "Other accepted forms: epoch ms, name-addr, address objects, one relatedTo",
        "value": _VARIANTS_EXAMPLE,
    },
}
_PATCH_EXAMPLES = {
    "link": {
        "summary": "Log the email against a newly created contact",
        "value": {"relatedTo": [{"type": "contact", "id": "57"}]},
    },
    "merge": {
        "summary": "Change the subject, clear the HTML body, leave the rest",
        "value": {"subject": "Pricing (final)", "htmlBody": None},
    },
}

EmailBody = Annotated[EmailIn, Body(openapi_examples=_POST_EXAMPLES)]
_PUT_EXAMPLES = {"replace": {"summary": "The whole new content", "value": _FULL_EXAMPLE}}
EmailPutBody = Annotated[EmailIn, Body(openapi_examples=_PUT_EXAMPLES)]
EmailPatchBody = Annotated[EmailPatch, Body(openapi_examples=_PATCH_EXAMPLES)]

_EMAIL_RESPONSE: dict[str, Any] = {"content": {"application/json": {"example": EMAIL_OUT_EXAMPLE}}}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No email with this id (problem+json)."}
}


def _blobs(core: HearthCore) -> BlobStore:
    return BlobStore(core.paths.documents_dir)


@router.post(
    "",
    status_code=201,
    summary="Log an email (a repeat answers 200 with the existing one)",
    description=DESCRIPTION,
    responses={
        201: {"description": "Logged: the new email.", **_EMAIL_RESPONSE},
        200: {
            "description": "Already logged (same rfc822MsgId or msgId): the existing email, "
            "with empty fields filled in. No duplicate is made.",
            "model": EmailOut,
        },
        422: {"description": "Invalid input, naming the field; nothing is written."},
    },
)
async def create_email(core: CoreDep, body: EmailBody, response: Response) -> EmailOut:
    """Log an email; a message already logged answers 200 with the existing record."""
    data, external_ids, blobs = body.email_data(), body.external_ids(), _blobs(core)

    def ingest(session: Session) -> tuple[EmailRecord, bool]:
        return service.ingest_email(
            session, data, source=BRIGHTSYNC_SOURCE, external_ids=external_ids, blobs=blobs
        )

    # Group commit: posts that arrive together share a transaction (core.db.batching).
    record, created = await asyncio.wrap_future(core.database.submit_write(ingest))
    response.status_code = 201 if created else 200
    if created:
        response.headers["Location"] = f"{router.prefix}/{record.id}"
    return EmailOut.of(record)


@router.get("")
def find_emails(
    core: CoreDep,
    rfc822_msg_id: Annotated[
        str,
        Query(
            alias="rfc822MsgId",
            min_length=1,
            max_length=1000,
            description="The Message-ID, with or without `<>`.",
            examples=["<CAF=reply@mail.gmail.com>"],
        ),
    ],
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[EmailOut]:
    """Look an email up by its rfc822MsgId: a page of zero or one emails."""
    with core.database.read() as session:
        result = service.find_emails_by_message_id(session, rfc822_msg_id, PageRequest(page, limit))
    return PageOut.of(result, [EmailOut.of(r) for r in result.items])


@router.get("/{email_id}", responses={200: _EMAIL_RESPONSE, **_NOT_FOUND})
async def get_email(core: CoreDep, email_id: str) -> EmailOut:
    """Load one email by Hearth's id."""
    wanted = path_id(email_id, "email")
    return EmailOut.of(await quick_read(core, lambda session: service.get_email(session, wanted)))


@router.patch(
    "/{email_id}",
    responses={
        **_NOT_FOUND,
        409: {"description": "The new rfc822MsgId or msgId belongs to another email."},
    },
)
def update_email(core: CoreDep, email_id: str, body: EmailPatchBody) -> EmailOut:
    """Change an email: absent fields stay, null clears; relatedTo replaces the explicit links
    (null or [] links by address again)."""
    with core.database.write() as session:
        record = service.update_email(
            session, path_id(email_id, "email"), body.changes(), blobs=_blobs(core)
        )
    return EmailOut.of(record)


@router.put(
    "/{email_id}",
    responses={
        **_NOT_FOUND,
        409: {"description": "The new rfc822MsgId or msgId belongs to another email."},
    },
)
def replace_email(core: CoreDep, email_id: str, body: EmailPutBody) -> EmailOut:
    """Replace an email's content: fields not sent are cleared (msgId and relatedTo included),
    except rfc822MsgId, which is kept when not sent and changed when another is sent."""
    with core.database.write() as session:
        record = service.replace_email(
            session,
            path_id(email_id, "email"),
            body.email_data(),
            external_ids={BRIGHTSYNC_SOURCE: body.msg_id},
            blobs=_blobs(core),
        )
    return EmailOut.of(record)
