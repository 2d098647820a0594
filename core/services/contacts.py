"""Contacts: create, read, list, update (merge semantics) and delete.

Values come in as a mapping of snake_case field names to Python values whose types the caller has
already checked (the API's schemas do that); this module checks meaning: addresses are addresses,
phones parse, the company and owner exist. Updates follow RFC 7396: a key that is absent leaves the
field alone, ``None`` clears it, and ``custom_fields`` is merged key by key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from core.errors import Conflict, Invalid
from core.events import note_change
from core.models import (
    Company,
    CompanyDomain,
    Contact,
    ContactEmail,
    ContactPhone,
    User,
)
from core.normalize import clean_email, domain_key, email_key, linkedin_key, name_key, phone_e164
from core.services import Page, PageRequest
from core.services.events import touch_events_linked_to
from core.services.matching import contact_ids_by_address
from core.services.records import delete_record, load

SCALAR_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "lead_score",
    "lifecycle_stage",
    "location",
    "city",
    "state",
    "country",
    "website",
    "bio",
    "last_activity_at",
)
EDITABLE_FIELDS = frozenset(
    {
        *SCALAR_FIELDS,
        "company_id",
        "owner_id",
        "email_addresses",
        "phones",
        "linkedin_url",
        "tags",
        "custom_fields",
    }
)


@dataclass(frozen=True)
class PhoneRecord:
    """A phone as written, its kind (phone, mobile, work...) and its E.164 form."""

    number: str
    kind: str
    e164: str | None


@dataclass(frozen=True)
class ContactRecord:
    """A contact as the rest of Hearth sees it."""

    id: int
    first_name: str | None
    last_name: str | None
    title: str | None
    company_id: int | None
    owner_id: int | None
    email_addresses: tuple[str, ...]
    phones: tuple[PhoneRecord, ...]
    linkedin_url: str | None
    lead_score: float | None
    lifecycle_stage: str | None
    location: str | None
    city: str | None
    state: str | None
    country: str | None
    website: str | None
    bio: str | None
    tags: tuple[str, ...]
    last_activity_at: datetime | None
    custom_fields: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime


def contact_record(contact: Contact) -> ContactRecord:
    """The plain record of an ORM contact (its emails and phones loaded)."""
    return ContactRecord(
        id=contact.id,
        first_name=contact.first_name,
        last_name=contact.last_name,
        title=contact.title,
        company_id=contact.company_id,
        owner_id=contact.owner_id,
        email_addresses=tuple(e.address for e in contact.emails),
        phones=tuple(PhoneRecord(p.number, p.kind, p.e164) for p in contact.phones),
        linkedin_url=contact.linkedin_url,
        lead_score=contact.lead_score,
        lifecycle_stage=contact.lifecycle_stage,
        location=contact.location,
        city=contact.city,
        state=contact.state,
        country=contact.country,
        website=contact.website,
        bio=contact.bio,
        tags=tuple(contact.tags or ()),
        last_activity_at=contact.last_activity_at,
        custom_fields=dict(contact.custom_fields or {}),
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )


def merge_patch(target: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7396 JSON merge patch of two objects: ``None`` deletes a key, objects merge deeply."""
    result = dict(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merge_patch(result[key], value)
        else:
            result[key] = value
    return result


def _set_emails(contact: Contact, addresses: Iterable[str]) -> None:
    wanted: dict[str, str] = {}
    for index, address in enumerate(addresses):
        cleaned = clean_email(address, field=f"emailAddresses/{index}")
        wanted.setdefault(email_key(cleaned), cleaned)
    existing = {e.address_key: e for e in contact.emails}
    contact.emails = []
    for position, (key, address) in enumerate(wanted.items()):
        row = existing.get(key) or ContactEmail(address_key=key)
        row.address = address
        row.position = position
        contact.emails.append(row)


def _set_phones(contact: Contact, phones: Iterable[Mapping[str, Any]], region: str) -> None:
    contact.phones = []
    for position, phone in enumerate(phones):
        number = str(phone.get("number") or "").strip()
        e164 = phone_e164(number, region)
        if e164 is None:
            raise Invalid(f"{number!r} is not a phone number", field=f"phones/{position}/number")
        kind = str(phone.get("kind") or "phone")
        contact.phones.append(ContactPhone(number=number, kind=kind, e164=e164, position=position))


def _check_reference(
    session: Session, model: type[Company] | type[User], value: Any, field: str
) -> None:
    if value is not None and session.get(model, value) is None:
        raise Invalid(f"no {model.__name__.lower()} with id {value}", field=field)


def _apply(session: Session, contact: Contact, values: Mapping[str, Any], region: str) -> None:
    unknown = set(values) - EDITABLE_FIELDS
    if unknown:
        raise Invalid(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    for name in SCALAR_FIELDS:
        if name in values:
            setattr(contact, name, values[name])
    if "company_id" in values:
        _check_reference(session, Company, values["company_id"], "companyId")
        contact.company_id = values["company_id"]
    if "owner_id" in values:
        _check_reference(session, User, values["owner_id"], "ownerId")
        contact.owner_id = values["owner_id"]
    if "email_addresses" in values:
        _set_emails(contact, values["email_addresses"] or ())
    if "phones" in values:
        _set_phones(contact, values["phones"] or (), region)
    if "linkedin_url" in values:
        url = values["linkedin_url"]
        contact.linkedin_key = linkedin_key(url) if url else None
        contact.linkedin_url = url or None
    if "tags" in values:
        contact.tags = list(values["tags"] or [])
    if "custom_fields" in values:
        patch = values["custom_fields"]
        contact.custom_fields = merge_patch(contact.custom_fields or {}, patch) if patch else {}
    contact.name_key = name_key(contact.first_name, contact.last_name)


def create_contact(session: Session, values: Mapping[str, Any], phone_region: str) -> ContactRecord:
    """Create a contact from ``values``. Raises ``Invalid`` naming the first bad field."""
    contact = Contact(custom_fields={}, tags=[])
    _apply(session, contact, values, phone_region)
    if not (contact.first_name or contact.last_name or contact.emails):
        raise Invalid("a contact needs a name or an email address", field="firstName")
    session.add(contact)
    session.flush()
    note_change(session, "contact", "created", contact.id)
    return contact_record(contact)


def get_contact(session: Session, contact_id: int) -> ContactRecord:
    """The contact with this id; ``NotFound`` when there is none."""
    return contact_record(load(session, Contact, contact_id, "contact"))


def update_contact(
    session: Session, contact_id: int, changes: Mapping[str, Any], phone_region: str
) -> ContactRecord:
    """Apply ``changes`` (merge semantics, see the module doc) and return the updated contact."""
    contact = load(session, Contact, contact_id, "contact")
    _apply(session, contact, changes, phone_region)
    session.flush()
    note_change(session, "contact", "updated", contact.id)
    return contact_record(contact)


def delete_contact(session: Session, contact_id: int) -> None:
    """Delete a contact with its addresses, phones, links and timeline."""
    contact = load(session, Contact, contact_id, "contact")
    touch_events_linked_to(session, "contact", contact_id)
    delete_record(session, contact, "contact")


def list_contacts(
    session: Session,
    page: PageRequest,
    *,
    q: str | None = None,
    email: str | None = None,
    domain: str | None = None,
    company_id: int | None = None,
) -> Page[ContactRecord]:
    """Contacts ordered by name, filtered by free text, an exact address, a domain or a company.

    ``q`` matches part of the name, title or any address; ``domain`` matches contacts with an
    address at that domain or working for a company that owns it.
    """
    query = select(Contact)
    if q and q.strip():
        needle = q.strip()
        query = query.where(
            or_(
                Contact.name_key.contains(name_key(needle), autoescape=True),
                Contact.title.icontains(needle, autoescape=True),
                exists().where(
                    ContactEmail.contact_id == Contact.id,
                    ContactEmail.address_key.contains(email_key(needle), autoescape=True),
                ),
            )
        )
    if email:
        owners = select(ContactEmail.contact_id).where(ContactEmail.address_key == email_key(email))
        query = query.where(Contact.id.in_(owners))
    if domain:
        key = domain_key(domain)
        query = query.where(
            or_(
                exists().where(
                    ContactEmail.contact_id == Contact.id,
                    ContactEmail.address_key.endswith("@" + key, autoescape=True),
                ),
                exists().where(
                    CompanyDomain.company_id == Contact.company_id, CompanyDomain.domain == key
                ),
            )
        )
    if company_id is not None:
        query = query.where(Contact.company_id == company_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Contact.name_key, Contact.id).offset(page.offset).limit(page.limit)
    )
    return Page([contact_record(c) for c in rows], total, page.page, page.limit)


def find_contacts_by_emails(session: Session, addresses: Sequence[str]) -> list[ContactRecord]:
    """Contacts owning any of ``addresses`` (any of their addresses, case-insensitive), by id."""
    # Through the address index first: a correlated EXISTS over contacts would scan them all.
    owners = contact_ids_by_address(session, addresses)
    ids = sorted({contact_id for found in owners.values() for contact_id in found})
    if not ids:
        return []
    rows = session.scalars(select(Contact).where(Contact.id.in_(ids)).order_by(Contact.id))
    return [contact_record(c) for c in rows]


def add_email_address(
    session: Session, contact_id: int, address: str, *, field: str = "emailAddress"
) -> tuple[ContactRecord, bool]:
    """Give a contact one more address, after those it has: ``(contact, True)``, or
    ``(contact, False)`` when it already had it (any case). Raises ``Invalid`` (naming ``field``)
    for a malformed address and ``Conflict`` when another contact has it, since an address then
    no longer says who wrote."""
    contact = load(session, Contact, contact_id, "contact")
    cleaned = clean_email(address, field=field)
    key = email_key(cleaned)
    others = [i for i in contact_ids_by_address(session, [cleaned]).get(key, []) if i != contact_id]
    if others:
        raise Conflict(f"{cleaned} is already an address of contact {others[0]}")
    if any(e.address_key == key for e in contact.emails):
        return contact_record(contact), False
    contact.emails.append(
        ContactEmail(address=cleaned, address_key=key, position=len(contact.emails))
    )
    session.flush()
    note_change(session, "contact", "updated", contact.id)
    return contact_record(contact), True
