"""Companies: create, read, list, update (merge semantics), delete, and look up by domain.

A company owns any number of domains (normalised: lower case, no ``www.``); a domain belongs to
one company at most, so an email address always leads to one company.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from core.errors import Conflict, Invalid
from core.events import note_change
from core.models import Company, CompanyDomain, User
from core.normalize import domain_key, linkedin_key, name_key
from core.services import Page, PageRequest
from core.services.contacts import merge_patch
from core.services.events import touch_events_linked_to
from core.services.records import delete_record, load

SCALAR_FIELDS = ("website", "industry", "description", "phone")
EDITABLE_FIELDS = frozenset(
    {*SCALAR_FIELDS, "name", "domains", "linkedin_url", "owner_id", "custom_fields"}
)


@dataclass(frozen=True)
class CompanyRecord:
    """A company as the rest of Hearth sees it."""

    id: int
    name: str
    domains: tuple[str, ...]
    website: str | None
    linkedin_url: str | None
    industry: str | None
    description: str | None
    phone: str | None
    owner_id: int | None
    custom_fields: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime


def company_record(company: Company) -> CompanyRecord:
    """The plain record of an ORM company (its domains loaded)."""
    return CompanyRecord(
        id=company.id,
        name=company.name,
        domains=tuple(d.domain for d in company.domains),
        website=company.website,
        linkedin_url=company.linkedin_url,
        industry=company.industry,
        description=company.description,
        phone=company.phone,
        owner_id=company.owner_id,
        custom_fields=dict(company.custom_fields or {}),
        created_at=company.created_at,
        updated_at=company.updated_at,
    )


def _set_domains(session: Session, company: Company, domains: Iterable[str]) -> None:
    wanted: list[str] = []
    for index, value in enumerate(domains):
        key = domain_key(value, field=f"domains/{index}")
        if key not in wanted:
            wanted.append(key)
    if wanted:
        owner = session.execute(
            select(CompanyDomain.domain, Company.name, Company.id)
            .join(Company)
            .where(CompanyDomain.domain.in_(wanted), CompanyDomain.company_id != company.id)
            .limit(1)
        ).first()
        if owner is not None:
            raise Conflict(f"domain {owner[0]} already belongs to company {owner[2]} ({owner[1]})")
    existing = {d.domain: d for d in company.domains}
    company.domains = []
    for position, key in enumerate(wanted):
        row = existing.get(key) or CompanyDomain(domain=key)
        row.position = position
        company.domains.append(row)


def _apply(session: Session, company: Company, values: Mapping[str, Any]) -> None:
    unknown = set(values) - EDITABLE_FIELDS
    if unknown:
        raise Invalid(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    if "name" in values:
        name = (values["name"] or "").strip()
        if not name:
            raise Invalid("a company needs a name", field="name")
        company.name = name
        company.name_key = name_key(name)
    for field in SCALAR_FIELDS:
        if field in values:
            setattr(company, field, values[field])
    if "owner_id" in values:
        if values["owner_id"] is not None and session.get(User, values["owner_id"]) is None:
            raise Invalid(f"no user with id {values['owner_id']}", field="ownerId")
        company.owner_id = values["owner_id"]
    if "linkedin_url" in values:
        url = values["linkedin_url"]
        company.linkedin_key = linkedin_key(url) if url else None
        company.linkedin_url = url or None
    if "domains" in values:
        _set_domains(session, company, values["domains"] or ())
    elif "website" in values and values["website"] and not company.domains:
        # A website with no domains given: its domain is the company's first.
        _set_domains(session, company, [values["website"]])
    if "custom_fields" in values:
        patch = values["custom_fields"]
        company.custom_fields = merge_patch(company.custom_fields or {}, patch) if patch else {}


def create_company(session: Session, values: Mapping[str, Any]) -> CompanyRecord:
    """Create a company; ``name`` is required. Raises ``Invalid`` or ``Conflict`` (domain taken)."""
    if not values.get("name"):
        raise Invalid("a company needs a name", field="name")
    company = Company(custom_fields={}, domains=[])
    _apply(session, company, values)
    session.add(company)
    session.flush()
    note_change(session, "company", "created", company.id)
    return company_record(company)


def get_company(session: Session, company_id: int) -> CompanyRecord:
    """The company with this id; ``NotFound`` when there is none."""
    return company_record(load(session, Company, company_id, "company"))


def update_company(session: Session, company_id: int, changes: Mapping[str, Any]) -> CompanyRecord:
    """Apply ``changes`` with merge semantics (absent unchanged, ``None`` clears)."""
    company = load(session, Company, company_id, "company")
    if "name" in changes and changes["name"] is None:
        raise Invalid("a company needs a name; it cannot be cleared", field="name")
    _apply(session, company, changes)
    session.flush()
    note_change(session, "company", "updated", company.id)
    return company_record(company)


def delete_company(session: Session, company_id: int) -> None:
    """Delete a company; its contacts stay, without a company."""
    company = load(session, Company, company_id, "company")
    touch_events_linked_to(session, "company", company_id)
    delete_record(session, company, "company")


def list_companies(
    session: Session, page: PageRequest, *, q: str | None = None, domain: str | None = None
) -> Page[CompanyRecord]:
    """Companies by name, filtered by part of the name or a domain, or one of their domains."""
    query = select(Company)
    if q and q.strip():
        needle = name_key(q)
        query = query.where(
            or_(
                Company.name_key.contains(needle, autoescape=True),
                exists().where(
                    CompanyDomain.company_id == Company.id,
                    CompanyDomain.domain.contains(q.strip().lower(), autoescape=True),
                ),
            )
        )
    if domain:
        key = domain_key(domain)
        query = query.where(
            exists().where(CompanyDomain.company_id == Company.id, CompanyDomain.domain == key)
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Company.name_key, Company.id).offset(page.offset).limit(page.limit)
    )
    return Page([company_record(c) for c in rows], total, page.page, page.limit)


def find_companies_by_domain(session: Session, value: str) -> list[CompanyRecord]:
    """Companies owning the domain of ``value`` (a domain, URL or email address)."""
    key = domain_key(value)
    rows = session.scalars(
        select(Company)
        .where(exists().where(CompanyDomain.company_id == Company.id, CompanyDomain.domain == key))
        .order_by(Company.id)
    )
    return [company_record(c) for c in rows]
