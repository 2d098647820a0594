"""``/api/v1/companies``: the CRM's companies (create, read, list, merge-patch, delete)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from core.services import PageRequest
from core.services import companies as service
from embedded_api.auth import require_api_key
from embedded_api.deps import CoreDep
from embedded_api.routers._ids import path_id
from embedded_api.schemas.common import PageOut
from embedded_api.schemas.crm import CompanyIn, CompanyOut

router = APIRouter(
    prefix="/api/v1/companies", tags=["companies"], dependencies=[Depends(require_api_key)]
)

_EXAMPLE = {
    "name": "TechStartup",
    "domains": ["techstartup.example", "https://www.techstartup-labs.example/about"],
    "website": "https://techstartup.example",
    "industry": "Software",
}
CompanyBody = Annotated[CompanyIn, Body(openapi_examples={"company": {"value": _EXAMPLE}})]
CompanyPatch = Annotated[
    CompanyIn,
    Body(openapi_examples={"merge": {"value": {"industry": None, "domains": ["acme.example"]}}}),
]


@router.post("", status_code=201)
def create_company(core: CoreDep, body: CompanyBody) -> CompanyOut:
    """Create a company; a domain may belong to one company only (409 otherwise)."""
    with core.database.write() as session:
        record = service.create_company(session, body.changes())
    return CompanyOut.of(record)


@router.get("")
def list_companies(
    core: CoreDep,
    q: Annotated[str | None, Query(max_length=256, description="Part of a name or domain")] = None,
    domain: Annotated[
        str | None, Query(max_length=2048, description="A domain, URL or address")
    ] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[CompanyOut]:
    """List companies by name, filtered by text or domain."""
    with core.database.read() as session:
        result = service.list_companies(session, PageRequest(page, limit), q=q, domain=domain)
    return PageOut.of(result, [CompanyOut.of(r) for r in result.items])


@router.get("/lookup")
def lookup_companies(
    core: CoreDep,
    domain: Annotated[
        str,
        Query(
            min_length=1,
            max_length=2048,
            description="A domain (`www.` and case ignored), a URL or an email address.",
            examples=["techstartup.example", "https://www.TechStartup.example/about"],
        ),
    ],
) -> list[CompanyOut]:
    """Look companies up by domain: a plain JSON list, empty when no company owns the domain
    (a domain belongs to one company at most). 422 naming `domain` when it is not a domain."""
    with core.database.read() as session:
        records = service.find_companies_by_domain(session, domain)
    return [CompanyOut.of(r) for r in records]


@router.get("/{company_id}")
def get_company(core: CoreDep, company_id: str) -> CompanyOut:
    """Load one company by id."""
    with core.database.read() as session:
        return CompanyOut.of(service.get_company(session, path_id(company_id, "company")))


@router.patch("/{company_id}")
def update_company(core: CoreDep, company_id: str, body: CompanyPatch) -> CompanyOut:
    """Change a company: absent fields stay, null clears, customFields merge key by key."""
    with core.database.write() as session:
        record = service.update_company(session, path_id(company_id, "company"), body.changes())
    return CompanyOut.of(record)


@router.delete("/{company_id}", status_code=204)
def delete_company(core: CoreDep, company_id: str) -> Response:
    """Delete a company; its contacts stay, without a company."""
    with core.database.write() as session:
        service.delete_company(session, path_id(company_id, "company"))
    return Response(status_code=204)
