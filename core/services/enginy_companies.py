"""Enginy's companies: create (idempotent by externalId), sync (match and return properties),
update (merge, never wipe), and contact-company associations.

Companies match by domain (``www.``, protocol, path and case ignored), then LinkedIn page, then
name (case, accents, punctuation and legal suffixes ignored); see
:mod:`core.services.enginy_matching`. Unknown fields are kept as custom fields, merged key by key.
Every batch is read with a few set-based queries, checked record by record, and written at once:
a bad record fails alone and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Invalid
from core.events import note_change
from core.models import Company, CompanyDomain, Contact, User
from core.normalize import domain_key, linkedin_key, name_key
from core.services.enginy_activities import engagement_activity, write_activities
from core.services.enginy_fields import (
    EnginyOptions,
    RecordFields,
    changed_custom,
    check_batch,
    external_id,
    merge_custom,
    pick_properties,
    read_company_fields,
    record_id,
)
from core.services.enginy_matching import (
    ExternalLinks,
    companies_by_external_id,
    company_key,
    company_name_variants,
    company_probe,
    match_companies,
    sync_outcome,
)
from core.services.enginy_results import (
    AssociationError,
    Created,
    Matched,
    RecordError,
    Updated,
    field_error,
)


@dataclass(frozen=True)
class NewCompany:
    """A company a contact names that Hearth does not have yet: created when the record is
    written."""

    name: str
    domain: str | None


CompanyChoice = int | NewCompany | None
"""Which company a contact works for after an update: an id, one to create, or none."""


class CompanyDirectory:
    """The companies a batch of contacts names, looked up once, and made when missing.

    Contacts name their company by ``company`` (a name) and/or ``domain``. The domain decides
    when Hearth has it; otherwise the name (folded, legal suffix ignored) must name exactly one
    company, or none (then a new one is made, once per batch however many contacts name it).
    """

    def __init__(self, session: Session, refs: Iterable[tuple[str | None, str | None]]) -> None:
        self.session = session
        names: set[str] = set()
        domains: set[str] = set()
        for name, domain in refs:
            key = company_key(name) if name else None
            if key:
                names.add(key)
            if domain:
                domains.add(domain)
        self.by_domain: dict[str, int] = {}
        for chunk in _chunks(sorted(domains)):
            rows = session.execute(
                select(CompanyDomain.domain, CompanyDomain.company_id)
                .where(CompanyDomain.domain.in_(chunk))
                .order_by(CompanyDomain.company_id.desc())
            )
            self.by_domain.update(dict(rows.all()))  # the oldest owner wins
        self.by_name: dict[str, list[int]] = {}
        variants = sorted({v for key in names for v in company_name_variants(key)})
        for chunk in _chunks(variants):
            rows = session.execute(
                select(Company.name_key, Company.id).where(Company.name_key.in_(chunk))
            )
            for folded, company_id in rows:
                key = company_key(folded)
                if key:
                    self.by_name.setdefault(key, []).append(company_id)
        self._made: dict[str, int] = {}

    def choose(self, name: str | None, domain: str | None, current: int | None) -> CompanyChoice:
        """The company for a contact naming ``name``/``domain`` (normalised domain), working for
        ``current`` now. Raises ``Invalid`` when the name fits several companies."""
        if domain and domain in self.by_domain:
            return self.by_domain[domain]
        key = company_key(name) if name else None
        if not key or not name:
            return current
        found = sorted(set(self.by_name.get(key, ())))
        if len(found) == 1:
            return found[0]
        if current in found:
            return current
        if found:
            raise Invalid(
                f"{len(found)} companies are called {name!r} (crmIds "
                f"{', '.join(map(str, found[:5]))}); send its domain to say which",
                field="company",
            )
        return NewCompany(name, domain)

    def company_id(self, choice: CompanyChoice) -> int | None:
        """The id of the chosen company, making it first if it is new (once per batch)."""
        if not isinstance(choice, NewCompany):
            return choice
        key = company_key(choice.name) or choice.name
        if key not in self._made:
            company = Company(
                name=choice.name,
                name_key=name_key(choice.name)[:256],
                custom_fields={},
                domains=[CompanyDomain(domain=choice.domain, position=0)] if choice.domain else [],
            )
            self.session.add(company)
            self.session.flush()
            note_change(self.session, "company", "created", company.id)
            self._made[key] = company.id
            self.by_name[key] = [company.id]
            if choice.domain:
                self.by_domain[choice.domain] = company.id
        return self._made[key]


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), 2_000):
        yield values[start : start + 2_000]


# --- reading one company record -------------------------------------------------------------


@dataclass
class CompanyPlan:
    """What one record changes on a company, checked: columns, domain, custom fields."""

    columns: dict[str, Any]
    domain: str | None
    custom: dict[str, Any]


def plan_company(
    fields: RecordFields, company: Company | None, owners: set[int], taken: Mapping[str, int]
) -> CompanyPlan:
    """Check a record's fields against ``company`` (``None`` when creating). ``owners`` are the
    existing user ids among the batch's ``ownerId`` values; ``taken`` maps domains to the
    company owning them. Raises ``Invalid`` naming the field."""
    known = dict(fields.known)
    columns: dict[str, Any] = {}
    if "name" in known:
        if not known["name"]:
            raise Invalid("a company needs a name; it cannot be cleared", field="name")
        columns["name"] = known["name"]
        columns["name_key"] = name_key(known["name"])[:256]
    elif company is None:
        raise Invalid("is required to create a company", field="name")
    for name in ("website", "industry", "description", "phone"):
        if name in known:
            columns[name] = known[name]
    if "linkedin_url" in known:
        url = known["linkedin_url"]
        columns["linkedin_key"] = linkedin_key(url) if url else None
        columns["linkedin_url"] = url
        if columns["linkedin_key"] and len(columns["linkedin_key"]) > 512:
            raise Invalid("is too long to be a LinkedIn URL", field="linkedinUrl")
    if "owner_id" in known:
        owner = known["owner_id"]
        if owner is not None and owner not in owners:
            raise Invalid(f"no user with id {owner} (see GET /users)", field="ownerId")
        columns["owner_id"] = owner
    return CompanyPlan(columns, _plan_domain(known, company, taken), fields.custom)


def _plan_domain(
    known: Mapping[str, Any], company: Company | None, taken: Mapping[str, int]
) -> str | None:
    """The domain a record adds: its ``domain`` (which must be a domain), or when creating, the
    domain of its ``website`` if it has one. A domain of another company is refused."""
    if known.get("domain"):
        domain: str | None = domain_key(known["domain"], field="domain")
    elif company is None and known.get("website"):
        try:
            domain = domain_key(known["website"], field="website")
        except Invalid:
            return None
    else:
        return None
    owner = taken.get(domain) if domain else None
    if owner is not None and (company is None or owner != company.id):
        raise Invalid(f"domain {domain} already belongs to company {owner}", field="domain")
    return domain


def apply_company(company: Company, plan: CompanyPlan) -> dict[str, Any]:
    """Write a checked plan onto ``company``; returns the custom fields that changed."""
    for name, value in plan.columns.items():
        setattr(company, name, value)
    if plan.domain and plan.domain not in {d.domain for d in company.domains}:
        # The new domain becomes the main one; the others stay (mail from them still matches).
        kept = list(company.domains)
        company.domains = [CompanyDomain(domain=plan.domain, position=0), *kept]
        for position, row in enumerate(company.domains):
            row.position = position
    stored = company.custom_fields or {}
    changed = changed_custom(stored, plan.custom)
    if changed:
        company.custom_fields = merge_custom(stored, changed)
    return changed


def _existing_owners(session: Session, records: Iterable[RecordFields]) -> set[int]:
    wanted = {r.known["owner_id"] for r in records if r.known.get("owner_id") is not None}
    if not wanted:
        return set()
    return set(session.scalars(select(User.id).where(User.id.in_(wanted))))


def _taken_domains(session: Session, records: Iterable[RecordFields]) -> dict[str, int]:
    wanted = set()
    for fields in records:
        for name in ("domain", "website"):
            value = fields.known.get(name)
            if value:
                with contextlib.suppress(Invalid):
                    wanted.add(domain_key(value))
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(wanted)):
        rows = session.execute(
            select(CompanyDomain.domain, CompanyDomain.company_id).where(
                CompanyDomain.domain.in_(chunk)
            )
        )
        found.update(dict(rows.all()))
    return found


# --- the endpoints' services ----------------------------------------------------------------


def create_companies(
    session: Session, records: Sequence[Mapping[str, Any]], options: EnginyOptions
) -> tuple[list[Created], list[RecordError]]:
    """``POST /companies``: one company per record, idempotent by ``externalId``.

    A record whose externalId Hearth knows gets that company back; one that matches an existing
    company (domain, LinkedIn page, name) is linked to it instead of duplicating it; otherwise a
    company is created (``name`` required). Nothing is overwritten on a company that exists.
    """
    check_batch(len(records), "companies")
    read: dict[int, tuple[str, RecordFields]] = {}
    errors: list[RecordError] = []
    for index, record in enumerate(records):
        try:
            ext = external_id(record.get("externalId") if isinstance(record, Mapping) else None)
            read[index] = (ext, read_company_fields(record, clear=False))
        except Invalid as e:
            errors.append(field_error(index, record, e))
    links = ExternalLinks(session, "company", (ext for ext, _ in read.values()))
    probes = {i: company_probe(records[i]) for i, (ext, _) in read.items() if not links.record(ext)}
    found = match_companies(session, probes)
    owners = _existing_owners(session, (f for _, f in read.values()))
    taken = _taken_domains(session, (f for _, f in read.values()))
    results: list[Created] = []
    for index, (ext, fields) in read.items():
        try:
            company_id = links.record(ext)
            if company_id is None:
                finding = found.get(index)
                if finding is not None and finding.unique is None:
                    raise Invalid(finding.ambiguity("companies"), field="externalId")
                company_id = finding.unique if finding else None
                if company_id is None:
                    company_id = _new_company(session, fields, owners, taken)
                links.link(ext, company_id)
            results.append(Created(index, ext, company_id))
        except Invalid as e:
            errors.append(field_error(index, records[index], e))
    return results, sorted(errors, key=lambda e: e.index)


def _new_company(
    session: Session, fields: RecordFields, owners: set[int], taken: dict[str, int]
) -> int:
    plan = plan_company(fields, None, owners, taken)
    company = Company(custom_fields={}, domains=[])
    apply_company(company, plan)
    session.add(company)
    session.flush()
    if plan.domain:
        taken[plan.domain] = company.id
    note_change(session, "company", "created", company.id)
    return company.id


def sync_companies(
    session: Session, records: Sequence[Mapping[str, Any]], options: EnginyOptions
) -> tuple[list[Matched], list[RecordError]]:
    """``POST /companies/sync``: the records Hearth has (by externalId, then domain, LinkedIn
    page, name), with ``enginy.company_sync_properties``; ambiguous ones go to errors."""
    check_batch(len(records), "companies")
    externals: dict[int, str] = {}
    errors: list[RecordError] = []
    for index, record in enumerate(records):
        try:
            if not isinstance(record, Mapping):
                raise Invalid("each record must be a JSON object", field="record")
            externals[index] = external_id(record.get("externalId"))
        except Invalid as e:
            errors.append(field_error(index, record, e))
    known = companies_by_external_id(session, externals.values())
    probes = {i: company_probe(records[i]) for i, ext in externals.items() if ext not in known}
    found = match_companies(session, probes)
    return sync_outcome(
        externals,
        known,
        found,
        noun="companies",
        properties_of=lambda ids: company_properties(session, ids, options.company_sync_properties),
        errors=errors,
    )


_COMPANY_COLUMNS = {
    "name": Company.name,
    "website": Company.website,
    "linkedinUrl": Company.linkedin_url,
    "industry": Company.industry,
    "description": Company.description,
    "phone": Company.phone,
}


def company_properties(
    session: Session, company_ids: set[int], names: Sequence[str]
) -> dict[int, dict[str, Any]]:
    """The ``names`` properties of each company, leaving out what is empty (never ``None``)."""
    if not company_ids or not names:
        return {}
    picked = [n for n in _COMPANY_COLUMNS if n in names]
    query = select(
        Company.id,
        Company.owner_id,
        Company.custom_fields,
        User.name,
        *(_COMPANY_COLUMNS[n] for n in picked),
    ).outerjoin(User, User.id == Company.owner_id)
    ids = sorted(company_ids)
    rows: list[Any] = []
    for chunk in _chunks(ids):
        rows += session.execute(query.where(Company.id.in_(chunk))).all()
    domains: dict[int, str] = {}
    if "domain" in names:
        for chunk in _chunks(ids):
            found = session.execute(
                select(CompanyDomain.company_id, CompanyDomain.domain)
                .where(CompanyDomain.company_id.in_(chunk))
                .order_by(CompanyDomain.company_id, CompanyDomain.position)
            )
            for company_id, domain in found:
                domains.setdefault(company_id, domain)
    result: dict[int, dict[str, Any]] = {}
    for row in rows:
        company_id, owner_id, custom, owner_name = row[:4]
        values: dict[str, Any] = dict(zip(picked, row[4:], strict=True))
        values.update(
            owner=str(owner_id) if owner_id is not None else None,
            ownerName=owner_name,
            domain=domains.get(company_id),
        )
        result[company_id] = pick_properties(names, values, custom)
    return result


def update_companies(
    session: Session, records: Sequence[Mapping[str, Any]], options: EnginyOptions, now: datetime
) -> list[Updated]:
    """``PUT /companies``: apply each record to the company its ``crmId`` names.

    Known fields are set (a new domain is added as the main one), unknown ones merged into the
    custom fields; nulls follow ``enginy.null_clears``. A change of custom (engagement) fields
    is also written to the company's timeline. A bad record fails alone.
    """
    check_batch(len(records), "companies")
    read: dict[int, tuple[int | None, RecordFields]] = {}
    results: dict[int, Updated] = {}
    for index, record in enumerate(records):
        crm = record.get("crmId") if isinstance(record, Mapping) else None
        try:
            if crm is None:
                raise Invalid("is required (the crmId Hearth returned for this company)", "crmId")
            read[index] = (record_id(crm), read_company_fields(record, options.null_clears))
        except Invalid as e:
            results[index] = Updated.failed(index, crm, e)
    ids = {company_id for company_id, _ in read.values() if company_id is not None}
    query = select(Company).where(Company.id.in_(ids)).with_for_update()
    companies = {c.id: c for c in session.scalars(query)}
    owners = _existing_owners(session, (f for _, f in read.values()))
    taken = _taken_domains(session, (f for _, f in read.values()))
    touched = []
    entries: list[dict[str, Any]] = []
    for index, (company_id, fields) in read.items():
        crm = records[index].get("crmId")
        company = companies.get(company_id) if company_id is not None else None
        if company is None:
            results[index] = Updated(index, crm, False, "Company not found")
            continue
        try:
            plan = plan_company(fields, company, owners, taken)
        except Invalid as e:
            results[index] = Updated.failed(index, crm, e)
            continue
        changed = apply_company(company, plan)
        if plan.domain:
            taken[plan.domain] = company.id
        if changed:
            entries.append(engagement_activity(None, company.id, records[index], changed, now))
        touched.append(company.id)
        results[index] = Updated(index, crm, True, None, now)
    session.flush()
    write_activities(session, entries)
    if touched:
        note_change(session, "company", "updated", *touched)
    return [results[i] for i in sorted(results)]


def associate(
    session: Session, pairs: Sequence[Mapping[str, Any]]
) -> tuple[int, list[AssociationError]]:
    """``POST /associations``: each contact works for the company paired with it.

    Returns how many links were made (an existing one is skipped silently) and the pairs that
    failed (an unknown contact or company, a missing id).
    """
    check_batch(len(pairs), "associations")
    wanted: dict[int, tuple[Any, Any]] = {}
    errors: list[AssociationError] = []
    for index, pair in enumerate(pairs):
        if not isinstance(pair, Mapping):
            errors.append(AssociationError(index, None, None, "must be a JSON object"))
            continue
        contact = _any_of(pair, "contactCRMId", "contactCrmId", "contactId")
        company = _any_of(pair, "companyCRMId", "companyCrmId", "companyId")
        if contact is None or company is None:
            missing = "contactCRMId" if contact is None else "companyCRMId"
            errors.append(AssociationError(index, contact, company, f"{missing}: is required"))
            continue
        wanted[index] = (contact, company)
    contact_ids = {record_id(c) for c, _ in wanted.values()} - {None}
    company_ids = {record_id(c) for _, c in wanted.values()} - {None}
    contacts = {
        c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(contact_ids)))
    }
    existing = set(session.scalars(select(Company.id).where(Company.id.in_(company_ids))))
    created = 0
    touched = []
    for index, (contact_ref, company_ref) in wanted.items():
        contact_id, company_id = record_id(contact_ref), record_id(company_ref)
        contact = contacts.get(contact_id) if contact_id is not None else None
        if contact is None or company_id not in existing:
            noun = "Contact" if contact is None else "Company"
            errors.append(AssociationError(index, contact_ref, company_ref, f"{noun} not found"))
            continue
        if contact.company_id != company_id:
            contact.company_id = company_id
            created += 1
            touched.append(contact.id)
    session.flush()
    if touched:
        note_change(session, "contact", "updated", *touched)
    return created, sorted(errors, key=lambda e: e.index)


def _any_of(pair: Mapping[str, Any], *names: str) -> Any:
    return next((pair[n] for n in names if pair.get(n) not in (None, "")), None)
