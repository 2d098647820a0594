"""Timelines and notes: ``/api/v1/contacts/{id}/timeline``, ``/api/v1/companies/{id}/timeline``,
``POST /api/v1/contacts/{id}/notes`` and ``POST /api/v1/companies/{id}/notes``.

What a company's timeline holds (its own entries and those written for its people while they
worked there, each email or meeting once) is decided in :mod:`core.services.timeline`; the
endpoints' descriptions below say it for ``/docs``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from core.services import PageRequest
from core.services import timeline as service
from embedded_api.auth import require_api_key
from embedded_api.deps import CoreDep
from embedded_api.routers._ids import path_id
from embedded_api.schemas.common import PageOut
from embedded_api.schemas.timeline import NoteIn, TimelineItemOut
from embedded_api.schemas.timestamps import AnyTimestamp

router = APIRouter(tags=["timeline"], dependencies=[Depends(require_api_key)])

SOURCE = "api"
"""``source`` of the notes this API writes."""

_FILTERS = f"""\
Newest first; entries at the same instant by id, newest first, so pages are stable: ask for
`page=nextPage` until it is null (`limit` at most 500).

- `kind`: only these kinds ({", ".join(f"`{kind}`" for kind in service.KINDS)}), repeated or
  comma-separated (`kind=email,meeting` or `kind=email&kind=meeting`), in any case. An unknown
  kind is a 422 naming `kind`.
- `after` (inclusive) and `before` (exclusive), each optional: only entries that occurred in
  `[after, before)`, so consecutive windows neither overlap nor leave a gap; `after` must be
  earlier than `before`. ISO 8601 with an offset (`2026-07-01T10:00:00-07:00`) or epoch
  milliseconds (`1782925200000`); a time without an offset is a 422.

Each item's `record` names the email (`/api/v1/emails/{{id}}`), event (`/api/v1/events/{{id}}`)
or document behind it, and is null for a note; `contactId`/`companyId` say whom the entry was
written for; `data` holds details such as an email's `direction`. Times are UTC.
"""
_CONTACT_DESCRIPTION = f"""\
Everything that happened with the contact: emails, meetings, notes, documents, contact-center
emails, Enginy engagement and activities.

{_FILTERS}"""
_COMPANY_DESCRIPTION = f"""\
Everything that happened with the company: the entries written for the company itself and for
its people while they worked there. An email or meeting that involved several of its people is
one entry. A person's history stays with the company where it happened: someone who joined from
elsewhere does not bring it, someone who left does not take it away.

{_FILTERS}"""
_NOTE_DESCRIPTION = """\
Write a note: a `title`, a `body` or both (surrounding spaces trimmed; at most 1,000 and 100,000
characters). `occurredAt` (ISO 8601 with an offset, or epoch milliseconds) defaults to now. A
note on a contact also shows on the timeline of the company they work for, and moves the
contact's `lastActivityAt` forward. Answers 201 with the new timeline entry (kind `note`).
"""

_NOTE_EXAMPLE: dict[str, Any] = {
    "id": "90412",
    "kind": "note",
    "occurredAt": "2026-07-01T17:30:00.000Z",
    "title": "Call with Sarah",
    "body": "Budget approved for Q3; send the revised quote by Friday.",
    "source": "api",
    "record": None,
    "contactId": "7",
    "companyId": "12",
    "data": {},
}
_PAGE_EXAMPLE: dict[str, Any] = {
    "items": [
        _NOTE_EXAMPLE,
        {
            "id": "90377",
            "kind": "meeting",
            "occurredAt": "2026-07-01T17:00:00.000Z",
            "title": "Quarterly review",
            "body": "https://meet.example.com/abc-defg",
            "source": "api",
            "record": {"type": "event", "id": "311"},
            "contactId": "7",
            "companyId": "12",
            "data": {},
        },
        {
            "id": "90301",
            "kind": "email",
            "occurredAt": "2026-06-30T14:02:11.000Z",
            "title": "Re: Pricing",
            "body": "Thanks, the numbers work for us.",
            "source": "brightsync",
            "record": {"type": "email", "id": "812"},
            "contactId": "7",
            "companyId": None,
            "data": {"direction": "inbound"},
        },
    ],
    "total": 3,
    "page": 1,
    "limit": 50,
    "nextPage": None,
}
_PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {"example": _PAGE_EXAMPLE}}},
    404: {"description": "No such record (problem+json)."},
    422: {"description": "An invalid parameter, named in `errors` (problem+json)."},
}
_NOTE_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "Written: the note's timeline entry.",
        "content": {"application/json": {"example": _NOTE_EXAMPLE}},
    },
    404: {"description": "No such record (problem+json)."},
    422: {"description": "An invalid field, named in `errors`; nothing is written."},
}

PageQuery = Annotated[int, Query(ge=1, description="Page number, from 1.")]
LimitQuery = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
KindQuery = Annotated[
    list[str] | None,
    Query(
        description="Only these kinds: repeated and/or comma-separated.",
        examples=["email,meeting"],
    ),
]
AfterQuery = Annotated[
    AnyTimestamp | None, Query(description="Only entries at or after this time (inclusive).")
]
BeforeQuery = Annotated[
    AnyTimestamp | None, Query(description="Only entries before this time (exclusive).")
]
NoteBody = Annotated[
    NoteIn,
    Body(
        openapi_examples={
            "note": {
                "summary": "A note about a call",
                "value": {
                    "title": "Call with Sarah",
                    "body": "Budget approved for Q3; send the revised quote by Friday.",
                    "occurredAt": "2026-07-01T10:30:00-07:00",
                },
            },
            "bodyOnly": {
                "summary": "Just the text, written now",
                "value": {"body": "Prefers email to calls."},
            },
        }
    ),
]


def _filter(
    kind: list[str] | None, after: AnyTimestamp | None, before: AnyTimestamp | None
) -> service.TimelineFilter:
    return service.TimelineFilter(service.parse_kinds(kind or []), after=after, before=before)


@router.get(
    "/api/v1/contacts/{contact_id}/timeline",
    description=_CONTACT_DESCRIPTION,
    responses=_PAGE_RESPONSES,
)
def get_contact_timeline(
    core: CoreDep,
    contact_id: str,
    kind: KindQuery = None,
    after: AfterQuery = None,
    before: BeforeQuery = None,
    page: PageQuery = 1,
    limit: LimitQuery = 50,
) -> PageOut[TimelineItemOut]:
    """A contact's timeline, newest first."""
    only = _filter(kind, after, before)
    with core.database.read() as session:
        result = service.contact_timeline(
            session, path_id(contact_id, "contact"), PageRequest(page, limit), only
        )
    return PageOut.of(result, [TimelineItemOut.of(e) for e in result.items])


@router.get(
    "/api/v1/companies/{company_id}/timeline",
    description=_COMPANY_DESCRIPTION,
    responses=_PAGE_RESPONSES,
)
def get_company_timeline(
    core: CoreDep,
    company_id: str,
    kind: KindQuery = None,
    after: AfterQuery = None,
    before: BeforeQuery = None,
    page: PageQuery = 1,
    limit: LimitQuery = 50,
) -> PageOut[TimelineItemOut]:
    """A company's timeline, newest first."""
    only = _filter(kind, after, before)
    with core.database.read() as session:
        result = service.company_timeline(
            session, path_id(company_id, "company"), PageRequest(page, limit), only
        )
    return PageOut.of(result, [TimelineItemOut.of(e) for e in result.items])


@router.post(
    "/api/v1/contacts/{contact_id}/notes",
    status_code=201,
    description=_NOTE_DESCRIPTION,
    responses=_NOTE_RESPONSES,
)
def create_contact_note(core: CoreDep, contact_id: str, body: NoteBody) -> TimelineItemOut:
    """Write a note on a contact's timeline."""
    with core.database.write() as session:
        entry = service.add_note(
            session,
            contact_id=path_id(contact_id, "contact"),
            title=body.title,
            body=body.body,
            occurred_at=body.occurred_at,
            source=SOURCE,
        )
    return TimelineItemOut.of(entry)


@router.post(
    "/api/v1/companies/{company_id}/notes",
    status_code=201,
    description=_NOTE_DESCRIPTION,
    responses=_NOTE_RESPONSES,
)
def create_company_note(core: CoreDep, company_id: str, body: NoteBody) -> TimelineItemOut:
    """Write a note on a company's timeline."""
    with core.database.write() as session:
        entry = service.add_note(
            session,
            company_id=path_id(company_id, "company"),
            title=body.title,
            body=body.body,
            occurred_at=body.occurred_at,
            source=SOURCE,
        )
    return TimelineItemOut.of(entry)
