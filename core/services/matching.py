"""Matching addresses and domains to CRM records: the one place every ingestion path asks.

Emails, events and partner payloads link to contacts by *every* address a contact has (ignoring
case) and to companies by domain. These functions answer in bulk, one query per call, so an
email with twenty recipients or a batch of a thousand costs the same few round trips.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Executable, Result, bindparam, select
from sqlalchemy.orm import Session

from core.errors import Invalid
from core.models import CompanyDomain, Contact, ContactEmail
from core.normalize import domain_of, email_key

_CHUNK = 500  # stay well under SQLite's bound-parameter limit


# Built once: matching runs on every ingested email and event (see core.db.statements).
_OWNERS_OF_ADDRESSES = (
    select(ContactEmail.address_key, ContactEmail.contact_id)
    .where(ContactEmail.address_key.in_(bindparam("b_keys", expanding=True)))
    .order_by(ContactEmail.address_key, ContactEmail.contact_id)
)
_OWNERS_OF_DOMAINS = select(CompanyDomain.domain, CompanyDomain.company_id).where(
    CompanyDomain.domain.in_(bindparam("b_domains", expanding=True))
)
_COMPANIES_OF_CONTACTS = select(Contact.id, Contact.company_id).where(
    Contact.id.in_(bindparam("b_ids", expanding=True)), Contact.company_id.is_not(None)
)
_CONTACTS_AND_COMPANIES_OF_ADDRESSES = (
    select(ContactEmail.contact_id, Contact.company_id)
    .join(Contact, Contact.id == ContactEmail.contact_id)
    .where(ContactEmail.address_key.in_(bindparam("b_keys", expanding=True)))
)


def _rows(
    session: Session, statement: Executable, params: dict[str, Any]
) -> Result[*tuple[Any, ...]]:
    # Flushed first, then on the connection: the ORM's execution path costs more than these
    # small queries, and what the session holds unflushed must still be seen.
    session.flush()
    return session.connection().execute(statement, params)


def _chunks(values: list[str] | list[int]) -> Iterable[list[str] | list[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def contact_ids_by_address(session: Session, addresses: Iterable[str]) -> dict[str, list[int]]:
    """For each address (as its lower-case key) the ids of the contacts owning it, ascending.

    Addresses nobody owns are absent from the result; an address two contacts share maps to both
    (callers decide whether that is ambiguous).
    """
    keys = sorted({email_key(a) for a in addresses if a and a.strip()})
    found: dict[str, list[int]] = defaultdict(list)
    for chunk in _chunks(keys):
        rows = _rows(session, _OWNERS_OF_ADDRESSES, {"b_keys": chunk})
        for key, contact_id in rows:
            found[key].append(contact_id)
    return dict(found)


def company_ids_by_domain(session: Session, domains: Iterable[str]) -> dict[str, int]:
    """For each normalised domain the id of the company owning it (a domain has one owner)."""
    keys = sorted({d for d in domains if d})
    found: dict[str, int] = {}
    for chunk in _chunks(keys):
        rows = _rows(session, _OWNERS_OF_DOMAINS, {"b_domains": chunk})
        for domain, company_id in rows:
            found[domain] = company_id
    return found


def company_ids_of_contacts(session: Session, contact_ids: Iterable[int]) -> dict[int, int]:
    """For each contact that works for a company, that company's id."""
    ids = sorted(set(contact_ids))
    found: dict[int, int] = {}
    for chunk in _chunks(ids):
        rows = _rows(session, _COMPANIES_OF_CONTACTS, {"b_ids": chunk})
        for contact_id, company_id in rows:
            if company_id is not None:
                found[contact_id] = company_id
    return found


def _domain_or_none(address: str) -> str | None:
    try:
        return domain_of(address)
    except Invalid:
        return None


def match_addresses(session: Session, addresses: Iterable[str]) -> tuple[list[int], list[int]]:
    """The contacts owning any of ``addresses``, and their companies plus the companies owning the
    addresses' domains: ``(contact_ids, company_ids)``, each ascending and without repeats."""
    wanted = [a for a in addresses if a and a.strip()]
    keys = sorted({email_key(a) for a in wanted})
    contact_ids: set[int] = set()
    company_ids: set[int] = set()
    for chunk in _chunks(keys):
        for contact_id, company_id in _rows(
            session, _CONTACTS_AND_COMPANIES_OF_ADDRESSES, {"b_keys": chunk}
        ):
            contact_ids.add(contact_id)
            if company_id is not None:
                company_ids.add(company_id)
    domains = {_domain_or_none(a) for a in wanted}
    company_ids.update(company_ids_by_domain(session, [d for d in domains if d]).values())
    return sorted(contact_ids), sorted(company_ids)
