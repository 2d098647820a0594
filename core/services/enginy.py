"""Enginy's contacts: sync (``POST /contacts/sync``), create (``POST /contacts``) and update
(``PUT /contacts``), each for a batch of up to :data:`MAX_BATCH` records.

- **Sync** answers the records Hearth has, with the contact's id and the properties configured in
  ``enginy.sync_properties``; an empty property is left out, never sent as null (Enginy clears a
  field it gets null for). A record whose externalId Hearth already links to a contact matches
  it; otherwise the strategies of ``enginy.match_strategies`` run in order (see
  :mod:`core.services.enginy_matching`). More than one contact matching is an error for that
  record, never a guess.
- **Create** is idempotent by externalId (kept as an :class:`core.models.ExternalId` of source
  ``enginy``), and does not duplicate a contact Hearth already has: a record that matches one
  contact is linked to it.
- **Update** applies known fields, keeps every other field as a custom field merged into what is
  stored (an update never wipes what it did not send), and writes each change of custom
  (engagement) fields on the contact's timeline. Nulls follow ``enginy.null_clears``.

Every batch is read with a few set-based queries, then checked and applied record by record in
memory, then flushed once: a record that fails (unknown crmId, a value that is not an address or a
phone number...) fails alone, with its error, and leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import null, select
from sqlalchemy.orm import Session, lazyload, selectinload

from core.errors import Invalid
from core.events import note_change
from core.models import Company, Contact, ContactEmail, ContactPhone, User
from core.normalize import clean_email, domain_key, email_key, linkedin_key, name_key, phone_e164
from core.services.enginy_activities import engagement_activity, write_activities
from core.services.enginy_companies import CompanyChoice, CompanyDirectory
from core.services.enginy_fields import (
    MAX_BATCH,
    EnginyOptions,
    RecordFields,
    changed_custom,
    check_batch,
    external_id,
    merge_custom,
    pick_properties,
    read_contact_fields,
    record_id,
)
from core.services.enginy_matching import (
    ExternalLinks,
    contact_probe,
    contacts_by_external_id,
    match_contacts,
    sync_outcome,
)
from core.services.enginy_results import Created, Matched, RecordError, Updated, field_error

__all__ = ["MAX_BATCH", "create_contacts", "sync_contacts", "update_contacts"]

_SCALARS = (
    "first_name", "last_name", "title", "location", "city", "state", "country", "website", "bio",
    "lifecycle_stage", "lead_score", "tags",
)  # fmt: skip
_UNCHANGED: Any = object()


# --- sync -----------------------------------------------------------------------------------


def sync_contacts(
    session: Session, records: Sequence[Mapping[str, Any]], options: EnginyOptions
) -> tuple[list[Matched], list[RecordError]]:
    """The records Hearth has, with their properties, and the records in error (no externalId,
    or several contacts matching). Records Hearth does not have are in neither."""
    check_batch(len(records), "contacts")
    externals: dict[int, str] = {}
    errors: list[RecordError] = []
    for index, record in enumerate(records):
        try:
            if not isinstance(record, Mapping):
                raise Invalid("each record must be a JSON object", field="record")
            externals[index] = external_id(record.get("externalId"))
        except Invalid as e:
            errors.append(field_error(index, record, e))
    linked = contacts_by_external_id(session, externals.values())
    probes = {
        index: contact_probe(records[index], options.phone_region)
        for index, ext in externals.items()
        if ext not in linked
    }
    found = match_contacts(session, probes, options.match_strategies)
    return sync_outcome(
        externals,
        linked,
        found,
        noun="contacts",
        properties_of=lambda ids: contact_properties(session, ids, options.sync_properties),
        errors=errors,
    )


_PROPERTY_COLUMNS = {
    "leadScore": Contact.lead_score,
    "lifecycleStage": Contact.lifecycle_stage,
    "lastActivityDate": Contact.last_activity_at,
    "firstName": Contact.first_name,
    "lastName": Contact.last_name,
    "title": Contact.title,
    "linkedinUrl": Contact.linkedin_url,
    "location": Contact.location,
    "city": Contact.city,
    "state": Contact.state,
    "country": Contact.country,
    "website": Contact.website,
    "bio": Contact.bio,
    "tags": Contact.tags,
}
_DERIVED = frozenset({"owner", "ownerId", "ownerName", "company", "email", "phone", "mobilePhone"})


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), 2_000):
        yield values[start : start + 2_000]


def contact_properties(
    session: Session, contact_ids: set[int], names: Sequence[str]
) -> dict[int, dict[str, Any]]:
    """The ``names`` properties of each contact (see ``enginy.sync_properties``), read with one
    query (plus one for addresses or phones when asked for); empty values are left out."""
    if not contact_ids or not names:
        return {}
    picked = [n for n in _PROPERTY_COLUMNS if n in names]
    wants_custom = any(n not in _PROPERTY_COLUMNS and n not in _DERIVED for n in names)
    columns: list[Any] = [
        Contact.id,
        Contact.owner_id,
        User.name if "ownerName" in names else null(),
        Company.name if "company" in names else null(),
        Contact.custom_fields if wants_custom else null(),
        *(_PROPERTY_COLUMNS[n] for n in picked),
    ]
    query = select(*columns)
    if "ownerName" in names:
        query = query.outerjoin(User, User.id == Contact.owner_id)
    if "company" in names:
        query = query.outerjoin(Company, Company.id == Contact.company_id)
    ids = sorted(contact_ids)
    rows: list[Any] = []
    for chunk in _chunks(ids):
        rows += session.execute(query.where(Contact.id.in_(chunk))).all()
    addresses = _first_addresses(session, ids) if "email" in names else {}
    phones = _first_phones(session, ids) if {"phone", "mobilePhone"} & set(names) else {}
    result: dict[int, dict[str, Any]] = {}
    for row in rows:
        contact_id, owner_id, owner_name, company_name, custom = row[:5]
        values: dict[str, Any] = dict(zip(picked, row[5:], strict=True))
        owner = str(owner_id) if owner_id is not None else None
        values.update(
            owner=owner,
            ownerId=owner,
            ownerName=owner_name,
            company=company_name,
            email=addresses.get(contact_id),
            phone=phones.get((contact_id, "phone")),
            mobilePhone=phones.get((contact_id, "mobile")),
        )
        result[contact_id] = pick_properties(names, values, custom)
    return result


def _first_addresses(session: Session, ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(ContactEmail.contact_id, ContactEmail.address)
            .where(ContactEmail.contact_id.in_(chunk))
            .order_by(ContactEmail.contact_id, ContactEmail.position)
        )
        for contact_id, address in rows:
            found.setdefault(contact_id, address)
    return found


def _first_phones(session: Session, ids: Sequence[int]) -> dict[tuple[int, str], str]:
    found: dict[tuple[int, str], str] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(ContactPhone.contact_id, ContactPhone.kind, ContactPhone.number)
            .where(ContactPhone.contact_id.in_(chunk))
            .order_by(ContactPhone.contact_id, ContactPhone.position)
        )
        for contact_id, kind, number in rows:
            found.setdefault((contact_id, "mobile" if kind == "mobile" else "phone"), number)
    return found


# --- checking and applying one record -------------------------------------------------------


@dataclass
class _Batch:
    """What checking a batch's records needs, read once for the whole batch."""

    options: EnginyOptions
    owners: set[int]
    companies: CompanyDirectory
    now: datetime


@dataclass
class ContactPlan:
    """What one record changes on a contact, checked; ``_UNCHANGED`` where it changes nothing."""

    columns: dict[str, Any] = field(default_factory=dict)
    emails: Any = _UNCHANGED
    phones: Any = _UNCHANGED
    company: Any = _UNCHANGED
    custom: dict[str, Any] = field(default_factory=dict)


def _plan_emails(known: Mapping[str, Any], current: list[tuple[str, str]]) -> Any:
    """The addresses after the update: a new ``email`` becomes the first, the others stay."""
    if "email" not in known:
        return _UNCHANGED
    if known["email"] is None:
        return current[1:] if current else _UNCHANGED
    address = clean_email(known["email"], field="email")
    key = email_key(address)
    if current and current[0][1] == key:
        return _UNCHANGED
    return [(address, key), *(item for item in current if item[1] != key)]


def _plan_phones(
    known: Mapping[str, Any], current: list[tuple[str, str, str | None]], region: str
) -> Any:
    """The phones after the update: ``phone``/``mobilePhone`` replace the first of their kind."""
    phones = list(current)
    changed = False
    for name, kind in (("phone", "phone"), ("mobile_phone", "mobile")):
        if name not in known:
            continue
        number = known[name]
        if number is None:
            kept = [p for p in phones if p[1] != kind]
            changed |= len(kept) != len(phones)
            phones = kept
            continue
        e164 = phone_e164(number, region)
        if e164 is None:
            raise Invalid(f"{number!r} is not a phone number", field=_ENGINY_NAMES[name])
        if any(p[2] == e164 for p in phones):
            continue
        mine = [i for i, p in enumerate(phones) if p[1] == kind]
        if mine:
            phones[mine[0]] = (number, kind, e164)
        else:
            phones.append((number, kind, e164))
        changed = True
    return phones if changed else _UNCHANGED


_ENGINY_NAMES = {"phone": "phone", "mobile_phone": "mobilePhone"}


def plan_contact(contact: Contact | None, fields: RecordFields, batch: _Batch) -> ContactPlan:
    """Check one record's fields against ``contact`` (``None`` when creating one) and work out
    what changes. Raises ``Invalid`` naming the field at fault."""
    known = fields.known
    plan = ContactPlan(custom=dict(fields.custom))
    for name in _SCALARS:
        if name in known:
            plan.columns[name] = [] if name == "tags" and known[name] is None else known[name]
    if "owner_id" in known:
        owner = known["owner_id"]
        if owner is not None and owner not in batch.owners:
            raise Invalid(f"no user with id {owner} (see GET /users)", field="ownerId")
        plan.columns["owner_id"] = owner
    if "linkedin_url" in known:
        url = known["linkedin_url"]
        key = linkedin_key(url) if url else None
        if key is not None and len(key) > 512:
            raise Invalid("is too long to be a LinkedIn URL", field="linkedinUrl")
        plan.columns["linkedin_url"], plan.columns["linkedin_key"] = url, key
    # A contact's addresses and phones are read only when the record is about them: most
    # updates (engagement fields) are not, and a batch then never loads them.
    first = plan.columns.get("first_name", contact.first_name if contact else None)
    last = plan.columns.get("last_name", contact.last_name if contact else None)
    if "email" in known or not (first or last):
        current_emails = [(e.address, e.address_key) for e in contact.emails] if contact else []
        plan.emails = _plan_emails(known, current_emails)
        emails = current_emails if plan.emails is _UNCHANGED else plan.emails
        if not (first or last or emails):
            raise Invalid("a contact needs a name (firstName, lastName or fullName) or an email")
    if "phone" in known or "mobile_phone" in known:
        current_phones = [(p.number, p.kind, p.e164) for p in contact.phones] if contact else []
        plan.phones = _plan_phones(known, current_phones, batch.options.phone_region)
    if "company_name" in known or "company_domain" in known:
        plan.company = _plan_company(known, contact.company_id if contact else None, batch)
    return plan


def _plan_company(known: Mapping[str, Any], current: int | None, batch: _Batch) -> CompanyChoice:
    name = known.get("company_name")
    raw_domain = known.get("company_domain")
    domain = domain_key(raw_domain, field="domain") if raw_domain else None
    if name is None and "company_name" in known and domain is None:
        return None  # cleared (null_clears on)
    return batch.companies.choose(name, domain, current)


def apply_contact(contact: Contact, plan: ContactPlan, batch: _Batch) -> dict[str, Any]:
    """Write a checked plan onto ``contact``; returns the custom fields that changed."""
    for name, value in plan.columns.items():
        setattr(contact, name, value)
    if "first_name" in plan.columns or "last_name" in plan.columns:
        contact.name_key = name_key(contact.first_name, contact.last_name)[:512]
    if plan.emails is not _UNCHANGED:
        rows = {e.address_key: e for e in contact.emails}
        contact.emails = [
            _email_row(rows.get(key), address, key, position)
            for position, (address, key) in enumerate(plan.emails)
        ]
    if plan.phones is not _UNCHANGED:
        contact.phones = [
            ContactPhone(number=number, kind=kind, e164=e164, position=position)
            for position, (number, kind, e164) in enumerate(plan.phones)
        ]
    if plan.company is not _UNCHANGED:
        contact.company_id = batch.companies.company_id(plan.company)
    stored = contact.custom_fields or {}
    changed = changed_custom(stored, plan.custom)
    if changed:
        contact.custom_fields = merge_custom(stored, changed)
    return changed


def _email_row(row: ContactEmail | None, address: str, key: str, position: int) -> ContactEmail:
    row = row or ContactEmail(address_key=key)
    row.address = address
    row.position = position
    return row


def _batch(
    session: Session, read: Iterable[RecordFields], options: EnginyOptions, now: datetime
) -> _Batch:
    fields = list(read)
    owner_ids = {f.known["owner_id"] for f in fields if f.known.get("owner_id") is not None}
    owners = (
        set(session.scalars(select(User.id).where(User.id.in_(owner_ids)))) if owner_ids else set()
    )
    refs = []
    for f in fields:
        if f.known.get("company_name") or f.known.get("company_domain"):
            try:
                domain = (
                    domain_key(f.known["company_domain"]) if f.known.get("company_domain") else None
                )
            except Invalid:
                domain = None
            refs.append((f.known.get("company_name"), domain))
    return _Batch(options, owners, CompanyDirectory(session, refs), now)


# --- create and update ----------------------------------------------------------------------


def create_contacts(
    session: Session, records: Sequence[Mapping[str, Any]], options: EnginyOptions, now: datetime
) -> tuple[list[Created], list[RecordError]]:
    """``POST /contacts``: one contact per record, idempotent by ``externalId`` (see the module
    doc). A record that matches several contacts is an error rather than a third one."""
    check_batch(len(records), "contacts")
    read: dict[int, tuple[str, RecordFields]] = {}
    errors: list[RecordError] = []
    for index, record in enumerate(records):
        try:
            ext = external_id(record.get("externalId") if isinstance(record, Mapping) else None)
            read[index] = (ext, read_contact_fields(record, clear=False))
        except Invalid as e:
            errors.append(field_error(index, record, e))
    links = ExternalLinks(session, "contact", (ext for ext, _ in read.values()))
    probes = {
        i: contact_probe(records[i], options.phone_region)
        for i, (ext, _) in read.items()
        if links.record(ext) is None
    }
    found = match_contacts(session, probes, options.match_strategies)
    batch = _batch(session, (f for _, f in read.values()), options, now)
    results: list[Created] = []
    made: list[int] = []
    for index, (ext, fields) in read.items():
        try:
            contact_id = links.record(ext)
            if contact_id is None:
                finding = found.get(index)
                if finding is not None and finding.unique is None:
                    raise Invalid(finding.ambiguity("contacts"), field="externalId")
                contact_id = finding.unique if finding else None
                if contact_id is None:
                    contact = Contact(custom_fields={}, tags=[], emails=[], phones=[])
                    plan = plan_contact(None, fields, batch)
                    apply_contact(contact, plan, batch)
                    session.add(contact)
                    session.flush()
                    contact_id = contact.id
                    made.append(contact_id)
                links.link(ext, contact_id)
            results.append(Created(index, ext, contact_id))
        except Invalid as e:
            errors.append(field_error(index, records[index], e))
    session.flush()
    if made:
        note_change(session, "contact", "created", *made)
    return results, sorted(errors, key=lambda e: e.index)


def update_contacts(
    session: Session, records: Sequence[Mapping[str, Any]], options: EnginyOptions, now: datetime
) -> list[Updated]:
    """``PUT /contacts``: apply each record to the contact its ``crmId`` names (see the module
    doc); one result per record, in request order."""
    check_batch(len(records), "contacts")
    read: dict[int, tuple[int | None, RecordFields]] = {}
    results: dict[int, Updated] = {}
    for index, record in enumerate(records):
        crm = record.get("crmId") if isinstance(record, Mapping) else None
        try:
            if not isinstance(record, Mapping):
                raise Invalid("each record must be a JSON object", field="record")
            if crm is None or crm == "":
                raise Invalid("is required (the crmId Hearth returned for this contact)", "crmId")
            read[index] = (record_id(crm), read_contact_fields(record, options.null_clears))
        except Invalid as e:
            results[index] = Updated.failed(index, crm, e)
    contacts = _load_contacts(session, read.values())
    batch = _batch(session, (f for _, f in read.values()), options, now)
    touched: list[int] = []
    entries: list[dict[str, Any]] = []
    for index, (contact_id, fields) in read.items():
        crm = records[index].get("crmId")
        contact = contacts.get(contact_id) if contact_id is not None else None
        if contact is None:
            results[index] = Updated(index, crm, False, "Contact not found")
            continue
        try:
            plan = plan_contact(contact, fields, batch)
        except Invalid as e:
            results[index] = Updated.failed(index, crm, e)
            continue
        changed = apply_contact(contact, plan, batch)
        if changed:
            entries.append(
                engagement_activity(contact.id, contact.company_id, records[index], changed, now)
            )
        touched.append(contact.id)
        results[index] = Updated(index, crm, True, None, now)
    session.flush()
    write_activities(session, entries)
    if touched:
        note_change(session, "contact", "updated", *touched)
    return [results[i] for i in sorted(results)]


def _load_contacts(
    session: Session, read: Iterable[tuple[int | None, RecordFields]]
) -> dict[int, Contact]:
    """The batch's contacts in one query, with their addresses and phones only when some record
    may need them (selectin is then two more queries; otherwise they load only if touched)."""
    wanted = list(read)
    ids = sorted({contact_id for contact_id, _ in wanted if contact_id is not None})
    details = any(
        name in fields.known
        for _, fields in wanted
        for name in ("email", "phone", "mobile_phone", "first_name", "last_name")
    )
    loader = selectinload if details else lazyload
    contacts: dict[int, Contact] = {}
    for chunk in _chunks(ids):
        query = (
            select(Contact)
            .where(Contact.id.in_(chunk))
            .options(loader(Contact.emails), loader(Contact.phones))
            .with_for_update()  # PostgreSQL: custom fields are read, merged and written back
        )
        contacts.update((c.id, c) for c in session.scalars(query))
    return contacts
