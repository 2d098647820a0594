"""Who an event involves: its attendees, the CRM records it is linked to, and their timelines.

- **Attendees** carry an RSVP status from a small vocabulary (:data:`STATUSES`) and are linked to
  a contact: the one a client names (``contact_id``, which must exist), or else the contact owning
  the attendee's address (any of a contact's addresses, ignoring case). When several contacts
  share the address the attendee is linked to none of them: guessing would put the meeting on the
  wrong person's timeline.
- **Links** (:class:`core.models.RecordLink`, ``record_type`` ``"event"``) are ``explicit`` (what
  a client sent as ``relatedTo``) or ``matched``: every contact owning an attendee's address (all
  of them when several share it, since each did receive the invitation), the attendees' named
  contacts, their companies and the companies owning the attendees' domains. Matched links are
  recomputed on every write; an entity that is both keeps one, explicit, link.
- **Timeline**: an ``Activity`` of kind ``"meeting"`` for each linked contact (with the contact's
  company), and one for each linked company none of those contacts works for, kept in step with
  the event's subject and start on every write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.errors import Invalid
from core.models import Activity, Attendee, Company, Contact, Event, RecordLink
from core.normalize import clean_email, domain_of, email_key
from core.services.event_clock import EVENT_RECORD_TYPE
from core.services.matching import (
    company_ids_by_domain,
    company_ids_of_contacts,
    contact_ids_by_address,
)

STATUSES = ("accepted", "declined", "tentative", "needsAction")
"""The canonical RSVP statuses attendees are stored with."""

# Spellings accepted for each status, compared without case, spaces, '-' or '_': the spec's
# examples, iCalendar's PARTSTAT, Microsoft Graph's response types and Google's responseStatus.
_STATUS_SPELLINGS = {
    "accepted": "accepted",
    "organizer": "accepted",
    "declined": "declined",
    "tentative": "tentative",
    "tentativelyaccepted": "tentative",
    "needsaction": "needsAction",
    "none": "needsAction",
    "notresponded": "needsAction",
}
_STATUS_NOISE = re.compile(r"[\s_-]+")

ENTITY_ALIASES = {"account": "company", "contacts": "contact", "companies": "company"}
"""Other names partners use for Hearth's own entity types (the spec says Account for company)."""
_ENTITY_TYPE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_CHECKED_ENTITIES: dict[str, type[Contact] | type[Company]] = {
    "contact": Contact,
    "company": Company,
}
MEETING_KIND = "meeting"


def canonical_status(value: str | None, field: str) -> str:
    """The canonical status for a spelling (see :data:`STATUSES`); ``None`` means needsAction.

    Raises ``Invalid`` naming ``field`` for anything else.
    """
    if value is None:
        return "needsAction"
    status = _STATUS_SPELLINGS.get(_STATUS_NOISE.sub("", value).lower() or "none")
    if status is None:
        raise Invalid(
            f"unknown status {value!r}: use Accepted, Declined, Tentative or NeedsAction",
            field=field,
        )
    return status


def build_attendees(session: Session, items: Sequence[Mapping[str, Any]]) -> list[Attendee]:
    """Attendee rows from client values (``email_address``, ``name``, ``user_id``,
    ``contact_id``, ``status``, ``is_organizer``), checked and linked to contacts.

    An attendee needs an address, a contact or a user id; one named by ``contact_id`` alone gets
    the contact's first address. Raises ``Invalid`` naming ``attendees/N/...``.
    """
    named = {item.get("contact_id") for item in items} - {None}
    found = {
        contact.id: contact
        for contact in session.scalars(select(Contact).where(Contact.id.in_(named)))
    }
    rows: list[Attendee] = []
    for index, item in enumerate(items):
        field = f"attendees/{index}"
        contact_id = item.get("contact_id")
        if contact_id is not None and contact_id not in found:
            raise Invalid(f"no contact with id {contact_id}", field=f"{field}/contactId")
        address = item.get("email_address") or None
        if address is not None:
            address = clean_email(address, field=f"{field}/emailAddress")
        elif contact_id is not None and found[contact_id].emails:
            address = found[contact_id].emails[0].address
        status = canonical_status(item.get("status"), f"{field}/status")
        if address is None and contact_id is None and not item.get("user_id"):
            raise Invalid("an attendee needs an emailAddress, a contactId or a userId", field=field)
        rows.append(
            Attendee(
                position=index,
                email_address=address,
                address_key=email_key(address) if address else None,
                name=item.get("name") or None,
                user_id=item.get("user_id") or None,
                contact_id=contact_id,
                status=status,
                is_organizer=bool(item.get("is_organizer")),
            )
        )
    _link_attendees_by_address(session, [row for row in rows if row.contact_id is None])
    return rows


def _link_attendees_by_address(session: Session, rows: Sequence[Attendee]) -> None:
    owners = contact_ids_by_address(session, [r.email_address for r in rows if r.email_address])
    for row in rows:
        ids = owners.get(row.address_key or "", [])
        if len(ids) == 1:  # an address several contacts share names none of them
            row.contact_id = ids[0]


def explicit_links(session: Session, items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """``(entity_type, entity_id)`` pairs from a client's ``relatedTo`` items, checked, in order,
    without repeats. Types are folded to lower case (``account`` means company); contacts and
    companies must exist, other types (a partner's opportunity...) are kept as given."""
    pairs: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        raw_type = str(item.get("type") or "").strip().lower()
        entity_type = ENTITY_ALIASES.get(raw_type, raw_type)
        if not _ENTITY_TYPE.match(entity_type):
            raise Invalid(
                "must be contact, company or another record type name",
                field=f"relatedTo/{index}/type",
            )
        entity_id = str(item.get("id") or "").strip()
        if not entity_id or len(entity_id) > 128:
            raise Invalid("must be a record id", field=f"relatedTo/{index}/id")
        model = _CHECKED_ENTITIES.get(entity_type)
        if model is not None:
            known = entity_id.isdigit() and len(entity_id) <= 18
            if not known or session.get(model, int(entity_id)) is None:
                raise Invalid(
                    f"no {entity_type} with id {entity_id}", field=f"relatedTo/{index}/id"
                )
            entity_id = str(int(entity_id))
        if (entity_type, entity_id) not in pairs:
            pairs.append((entity_type, entity_id))
    return pairs


def event_links(session: Session, event_ids: Iterable[int]) -> dict[int, list[RecordLink]]:
    """Each event's links, explicit ones first, each group in the order it was made."""
    ids = sorted(set(event_ids))
    found: dict[int, list[RecordLink]] = {event_id: [] for event_id in ids}
    if not ids:
        return found
    rows = session.scalars(
        select(RecordLink)
        .where(RecordLink.record_type == EVENT_RECORD_TYPE, RecordLink.record_id.in_(ids))
        .order_by(RecordLink.record_id, RecordLink.origin, RecordLink.id)
    )
    for link in rows:  # "explicit" sorts before "matched"
        found[link.record_id].append(link)
    return found


def set_links(session: Session, event: Event, explicit: Sequence[tuple[str, str]] | None) -> None:
    """Make ``event``'s links ``explicit`` (``None``: keep the explicit ones it has) plus the
    matched ones, recomputed from its attendees now. The event must have its id."""
    if explicit is None:
        explicit = [
            (link.entity_type, link.entity_id)
            for link in event_links(session, [event.id])[event.id]
            if link.origin == "explicit"
        ]
    wanted: dict[tuple[str, str], str] = dict.fromkeys(explicit, "explicit")
    for pair in _matched_entities(session, event.attendees):
        wanted.setdefault(pair, "matched")
    # Rewritten whole, so links come back in the order the client gave them; their ids are
    # internal and a handful of rows per event.
    session.execute(
        delete(RecordLink).where(
            RecordLink.record_type == EVENT_RECORD_TYPE, RecordLink.record_id == event.id
        )
    )
    session.add_all(
        RecordLink(
            record_type=EVENT_RECORD_TYPE,
            record_id=event.id,
            entity_type=entity_type,
            entity_id=entity_id,
            origin=origin,
        )
        for (entity_type, entity_id), origin in wanted.items()
    )


def _matched_entities(session: Session, attendees: Sequence[Attendee]) -> list[tuple[str, str]]:
    addresses = [a.email_address for a in attendees if a.email_address]
    owners = contact_ids_by_address(session, addresses)
    contact_ids = {a.contact_id for a in attendees if a.contact_id is not None}
    contact_ids.update(cid for ids in owners.values() for cid in ids)
    company_ids = set(company_ids_of_contacts(session, contact_ids).values())
    domains = {_domain_or_none(a) for a in addresses}
    company_ids.update(company_ids_by_domain(session, [d for d in domains if d]).values())
    return [("contact", str(cid)) for cid in sorted(contact_ids)] + [
        ("company", str(cid)) for cid in sorted(company_ids)
    ]


def _domain_or_none(address: str) -> str | None:
    try:
        return domain_of(address)
    except Invalid:  # checked addresses can still have a domain no company could own
        return None


def set_timeline(session: Session, event: Event, source: str) -> None:
    """Keep the ``meeting`` activities of ``event`` in step with its links, subject and start."""
    links = event_links(session, [event.id])[event.id]
    contact_ids = [int(link.entity_id) for link in links if link.entity_type == "contact"]
    companies = company_ids_of_contacts(session, contact_ids)
    wanted: list[tuple[int | None, int | None]] = [(c, companies.get(c)) for c in contact_ids]
    covered = set(companies.values())
    for link in links:
        if link.entity_type == "company" and int(link.entity_id) not in covered:
            wanted.append((None, int(link.entity_id)))
    existing = {
        (activity.contact_id, activity.company_id): activity
        for activity in session.scalars(
            select(Activity).where(
                Activity.record_type == EVENT_RECORD_TYPE, Activity.record_id == event.id
            )
        )
    }
    for contact_id, company_id in wanted:
        activity = existing.pop((contact_id, company_id), None)
        if activity is None:
            activity = Activity(
                contact_id=contact_id,
                company_id=company_id,
                kind=MEETING_KIND,
                source=source,
                record_type=EVENT_RECORD_TYPE,
                record_id=event.id,
                data={},
            )
            session.add(activity)
        activity.occurred_at = event.start_at
        activity.title = event.subject
        activity.body = event.location
    for stale in existing.values():
        session.delete(stale)


def delete_timeline(session: Session, event_id: int) -> None:
    """Remove an event's activities from every timeline."""
    session.execute(
        delete(Activity).where(
            Activity.record_type == EVENT_RECORD_TYPE, Activity.record_id == event_id
        )
    )
