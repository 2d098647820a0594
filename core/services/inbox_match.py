"""Matching an address to a CRM record by hand, so its mail, past and future, shows there.

Hearth links email by address through contacts (every address a contact has) and through company
domains (:mod:`core.services.matching`). A manual match is stored as one of those, so new mail
follows it through the ordinary ingestion with nothing else to consult:

- **contact**: the address becomes one of the contact's addresses (``Conflict`` when another
  contact has it);
- **company**, scope ``address`` (the default): the address is given to a contact of the company:
  the contact that has it, if it works there or for no company yet (it then joins this one), else
  a new contact with only that address. ``Conflict`` when the contacts having it work elsewhere;
- **company**, scope ``domain``: the address's domain becomes one of the company's domains, so
  every address there matches (``Conflict`` when another company owns the domain; ``Invalid`` for
  public mail domains such as gmail.com, which belong to no company).

Then the links of the emails already stored from or to the address (or the domain) are
recomputed, those logged against records explicitly excepted: they stay where they were logged.
The user's own addresses cannot be matched: Hearth never links mail by them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from core.errors import Conflict, Invalid
from core.models import Company, CompanyDomain, Contact, Email, EmailRecipient
from core.normalize import clean_email, domain_of, email_key
from core.services.contacts import add_email_address, create_contact
from core.services.email_content import my_address_keys
from core.services.email_links import EXPLICIT, LinkedEmail, refresh_links
from core.services.inbox import links_of_emails
from core.services.matching import company_ids_by_domain, contact_ids_by_address
from core.services.records import load

SCOPES = ("address", "domain")
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "gmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "web.de",
        "yahoo.com",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
    }
)
"""Domains whose addresses belong to anyone: never a company's domain."""
_CHUNK = 500


@dataclass(frozen=True)
class MatchResult:
    """What a match did: the contact that now has the address (none for a domain match), the
    domain now the company's (for a domain match), and how many stored emails were re-linked."""

    email_address: str
    entity_type: str
    entity_id: int
    contact_id: int | None
    domain: str | None
    emails_relinked: int


def match_address(
    session: Session,
    address: str,
    kind: str,
    entity_id: int,
    *,
    scope: str = "address",
    phone_region: str = "US",
) -> MatchResult:
    """Match ``address`` to the contact or company (``kind`` ``contact`` or ``company``), as the
    module doc describes; returns what was done. Raises ``Invalid`` (naming ``emailAddress`` or
    ``scope``), ``NotFound`` for an unknown record, ``Conflict`` as described."""
    cleaned = clean_email(address, field="emailAddress")
    key = email_key(cleaned)
    if scope not in SCOPES:
        raise Invalid(f"unknown scope {scope!r}: use address or domain", field="scope")
    if key in my_address_keys(session):
        raise Invalid("is one of your own addresses, which never link mail", field="emailAddress")
    if kind == "contact":
        if scope == "domain":
            raise Invalid("a domain can be matched to a company only", field="scope")
        add_email_address(session, entity_id, cleaned)
        relinked = relink_emails(session, emails_with_address(session, key))
        return MatchResult(cleaned, kind, entity_id, entity_id, None, relinked)
    load(session, Company, entity_id, "company")
    if scope == "domain":
        domain = _add_domain(session, entity_id, cleaned)
        relinked = relink_emails(session, emails_at_domain(session, domain))
        return MatchResult(cleaned, kind, entity_id, None, domain, relinked)
    contact_id = _contact_at_company(session, cleaned, entity_id, phone_region)
    relinked = relink_emails(session, emails_with_address(session, key))
    return MatchResult(cleaned, kind, entity_id, contact_id, None, relinked)


def _contact_at_company(session: Session, address: str, company_id: int, region: str) -> int:
    """The contact that has ``address`` and works at the company, after making it so."""
    owners = contact_ids_by_address(session, [address]).get(email_key(address), [])
    if not owners:
        values = {"email_addresses": [address], "company_id": company_id}
        return create_contact(session, values, region).id
    contacts = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(owners)))}
    for contact_id in owners:
        if contacts[contact_id].company_id == company_id:
            return contact_id
    for contact_id in owners:
        contact = contacts[contact_id]
        if contact.company_id is None:
            contact.company_id = company_id
            session.flush()
            return contact_id
    first = contacts[owners[0]]
    raise Conflict(
        f"{address} is an address of contact {first.id}, who works for company "
        f"{first.company_id}: match it to that contact, or change the contact's company"
    )


def _add_domain(session: Session, company_id: int, address: str) -> str:
    domain = domain_of(address)
    if domain is None:
        raise Invalid("has no domain", field="emailAddress")
    if domain in PUBLIC_MAIL_DOMAINS:
        raise Invalid(
            f"{domain} is a public mail domain, no company's: match the address instead",
            field="emailAddress",
        )
    owner = company_ids_by_domain(session, [domain]).get(domain)
    if owner is not None and owner != company_id:
        raise Conflict(f"{domain} is already a domain of company {owner}")
    if owner is None:
        taken = session.scalars(
            select(CompanyDomain.id).where(CompanyDomain.company_id == company_id)
        ).all()
        position = len(taken)
        session.add(CompanyDomain(company_id=company_id, domain=domain, position=position))
        session.flush()
    return domain


def emails_with_address(session: Session, key: str) -> list[int]:
    """The emails from or to an address (its lower-case key)."""
    query = union(
        select(Email.id).where(Email.from_key == key),
        select(EmailRecipient.email_id).where(EmailRecipient.address_key == key),
    )
    return sorted(session.scalars(select(query.subquery().c[0])))


def emails_at_domain(session: Session, domain: str) -> list[int]:
    """The emails from or to any address at ``domain`` (reads every address: seconds at a
    million emails)."""
    suffix = "%@" + domain
    query = union(
        select(Email.id).where(Email.from_key.like(suffix)),
        select(EmailRecipient.email_id).where(EmailRecipient.address_key.like(suffix)),
    )
    return sorted(session.scalars(select(query.subquery().c[0])))


def relink_emails(session: Session, email_ids: Sequence[int]) -> int:
    """Recompute the matched links (and timeline entries) of these emails, those with explicit
    links excepted; returns how many were recomputed. Reads the emails in chunks, a few queries
    per chunk, then :func:`core.services.email_links.refresh_links` for each."""
    my_keys = my_address_keys(session)
    done = 0
    for chunk in _chunks(email_ids):
        links = links_of_emails(session, chunk)
        facts = session.execute(
            select(
                Email.id,
                Email.source,
                Email.subject,
                Email.snippet,
                Email.direction,
                Email.occurred_at,
                Email.from_address,
            ).where(Email.id.in_(chunk))
        ).all()
        recipients: dict[int, list[str]] = defaultdict(list)
        for email_id, address in session.execute(
            select(EmailRecipient.email_id, EmailRecipient.address)
            .where(EmailRecipient.email_id.in_(chunk))
            .order_by(EmailRecipient.email_id, EmailRecipient.position)
        ):
            recipients[email_id].append(address)
        for row in facts:
            current = links.get(row.id, [])
            if any(link.origin == EXPLICIT for link in current):
                continue
            email = LinkedEmail(
                id=row.id,
                source=row.source,
                subject=row.subject,
                snippet=row.snippet,
                direction=row.direction,
                occurred_at=row.occurred_at,
                addresses=(row.from_address or "", *recipients.get(row.id, ())),
            )
            # With no links the email may still have timeline entries to find: let it look.
            refresh_links(session, email, None, my_keys, current=current or None)
            done += 1
    return done


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])
