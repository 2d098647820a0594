"""``/api/v1/contacts``: the CRM's contacts (create, read, list, merge-patch, delete)."""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from core.errors import Invalid
from core.services import PageRequest
from core.services import contacts as service
from embedded_api.auth import require_api_key
from embedded_api.deps import CoreDep
from embedded_api.routers._ids import path_id
from embedded_api.schemas.common import IdIn, PageOut
from embedded_api.schemas.crm import ContactIn, ContactOut

router = APIRouter(
    prefix="/api/v1/contacts", tags=["contacts"], dependencies=[Depends(require_api_key)]
)

_EXAMPLE = {
    "firstName": "Sarah",
    "lastName": "Chen",
    "title": "VP of Engineering",
    "emailAddresses": ["sarah.chen@techstartup.example", "sarah@chen.example"],
    "phones": [{"number": "+1 415 555 0123", "kind": "mobile"}],
    "linkedinUrl": "https://www.linkedin.com/in/sarahchen/",
    "companyId": "12",
    "leadScore": 85,
    "lifecycleStage": "MQL",
    "customFields": {"region": "West"},
}
_PATCH_EXAMPLE = {"title": "CTO", "phones": None, "customFields": {"region": None, "tier": "A"}}

ContactBody = Annotated[ContactIn, Body(openapi_examples={"contact": {"value": _EXAMPLE}})]
ContactPatch = Annotated[
    ContactIn,
    Body(
        openapi_examples={
            "merge": {
                "summary": "Change the title, clear the phones, edit custom fields",
                "value": _PATCH_EXAMPLE,
            }
        }
    ),
]


@router.post("", status_code=201)
def create_contact(core: CoreDep, body: ContactBody) -> ContactOut:
    """Create a contact; it needs a name or an email address."""
    with core.database.write() as session:
        record = service.create_contact(
            session, body.changes(), core.settings.crm.default_phone_region
        )
    return ContactOut.of(record)


@router.get("")
def list_contacts(
    core: CoreDep,
    q: Annotated[
        str | None, Query(max_length=256, description="Part of a name, title or address")
    ] = None,
    email: Annotated[str | None, Query(max_length=320, description="An exact address")] = None,
    domain: Annotated[
        str | None, Query(max_length=2048, description="A domain, URL or address")
    ] = None,
    company_id: Annotated[IdIn | None, Query(alias="companyId")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[ContactOut]:
    """List contacts by name, filtered by text, address, domain or company."""
    with core.database.read() as session:
        result = service.list_contacts(
            session,
            PageRequest(page, limit),
            q=q,
            email=email,
            domain=domain,
            company_id=company_id,
        )
    return PageOut.of(result, [ContactOut.of(r) for r in result.items])


MAX_LOOKUP_ADDRESSES = 500
_LOOKUP_DESCRIPTION = """\
BrightSync's "Lookup Contact by Email": the contacts owning any of the addresses, as a plain JSON
list (empty when nothing matches), ordered by id.

- `emails` takes a comma-separated list, repeated parameters, or both
  (`?emails=a@x.example,b@y.example&emails=c@z.example`); at most 500 addresses.
- Every address a contact has matches, ignoring case; `Name <addr>` forms are read as the address.
- A value that is not an address simply matches nothing (BrightSync passes what it finds in mail
  headers). A `+` in an address must be sent as `%2B`; an address whose `+` arrived decoded as a
  space (`john tag@x.example`) is read with the `+` put back.
- Missing or empty `emails` is a 422 naming `emails`.
"""


def lookup_addresses(values: list[str]) -> list[str]:
    """The addresses in ``emails`` values: split on commas (and semicolons), trimmed, with
    ``Name <addr>`` reduced to the address and a ``+`` that a query string decoded as a space put
    back (an address never contains a bare space)."""
    found: list[str] = []
    for value in values:
        for item in re.split(r"[,;]", value):
            text = item.strip()
            if "<" in text:
                text = parseaddr(text)[1] or text
            elif " " in text:
                words = text.split()
                if text.count("@") == 1:
                    words = ["+".join(words)]
                found.extend(words)
                continue
            if text:
                found.append(text)
    return found


@router.get("/lookup", description=_LOOKUP_DESCRIPTION)
def lookup_contacts(
    core: CoreDep,
    emails: Annotated[
        list[str] | None,
        Query(
            description="Addresses: comma-separated and/or repeated.",
            examples=["sarah.chen@techstartup.example,SARAH@chen.example"],
        ),
    ] = None,
) -> list[ContactOut]:
    """Look contacts up by email addresses (a list, possibly empty)."""
    addresses = lookup_addresses(emails or [])
    if not addresses:
        raise Invalid("give one or more email addresses", field="emails")
    if len(addresses) > MAX_LOOKUP_ADDRESSES:
        raise Invalid(
            f"at most {MAX_LOOKUP_ADDRESSES} addresses per request (got {len(addresses)})",
            field="emails",
        )
    with core.database.read() as session:
        records = service.find_contacts_by_emails(session, addresses)
    return [ContactOut.of(r) for r in records]


@router.get("/{contact_id}")
def get_contact(core: CoreDep, contact_id: str) -> ContactOut:
    """Load one contact by id."""
    with core.database.read() as session:
        return ContactOut.of(service.get_contact(session, path_id(contact_id, "contact")))


@router.patch("/{contact_id}")
def update_contact(core: CoreDep, contact_id: str, body: ContactPatch) -> ContactOut:
    """Change a contact: absent fields stay, null clears, customFields merge key by key."""
    with core.database.write() as session:
        record = service.update_contact(
            session,
            path_id(contact_id, "contact"),
            body.changes(),
            core.settings.crm.default_phone_region,
        )
    return ContactOut.of(record)


@router.delete("/{contact_id}", status_code=204)
def delete_contact(core: CoreDep, contact_id: str) -> Response:
    """Delete a contact with its addresses, phones, links and timeline."""
    with core.database.write() as session:
        service.delete_contact(session, path_id(contact_id, "contact"))
    return Response(status_code=204)
