"""What an email is attached to: the CRM records it is logged against, the timeline entries that
show it there, and the ids other systems gave it.

Links (``RecordLink`` with record type ``email``) are either *explicit* (a partner's
``relatedTo``, the user) or *matched*: the contacts owning any of the email's addresses (sender
and recipients, the user's own excepted, ignoring case) and those contacts' companies plus the
companies owning the addresses' domains. An email has one kind or the other: when it is logged
against records, that is where it belongs; only when nobody said does Hearth link it by address.
Matched links are recomputed whenever the addresses or the explicit links change, and never
touch explicit ones.

Each linked contact and company gets one ``Activity`` (kind ``email``) on its timeline, kept in
step with the links and with the email's subject, time and direction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.errors import Conflict
from core.models import Activity, Email, ExternalId, RecordLink
from core.normalize import email_key
from core.services.email_model import EntityRef
from core.services.matching import match_addresses

RECORD_TYPE = "email"
EXPLICIT, MATCHED = "explicit", "matched"


def links_of(session: Session, email_id: int) -> list[RecordLink]:
    """The email's links, in the order they were made."""
    return list(
        session.scalars(
            select(RecordLink)
            .where(RecordLink.record_type == RECORD_TYPE, RecordLink.record_id == email_id)
            .order_by(RecordLink.id)
        )
    )


def explicit_refs(session: Session, email_id: int) -> list[EntityRef]:
    """The records the email is explicitly logged against."""
    return [
        EntityRef(link.entity_type, int(link.entity_id))
        for link in links_of(session, email_id)
        if link.origin == EXPLICIT
    ]


def refresh_links(
    session: Session, email: Email, explicit: Sequence[EntityRef] | None, my_keys: set[str]
) -> None:
    """Make the email's links right: ``explicit`` replaces the explicit ones (``None`` keeps
    them); matched links follow the addresses when there are no explicit ones. Then the timeline.
    """
    links = links_of(session, email.id)
    wanted: dict[tuple[str, str], None]
    if explicit is None:
        wanted = {(k.entity_type, k.entity_id): None for k in links if k.origin == EXPLICIT}
    else:
        wanted = {(ref.type, str(ref.id)): None for ref in explicit}
    origin = EXPLICIT
    if not wanted:
        origin = MATCHED
        addresses = [email.from_address or ""] + [r.address for r in email.recipients]
        others = [a for a in addresses if a and email_key(a) not in my_keys]
        contact_ids, company_ids = match_addresses(session, others)
        wanted = dict.fromkeys(
            [("contact", str(i)) for i in contact_ids] + [("company", str(i)) for i in company_ids]
        )
    have = {(link.entity_type, link.entity_id): link for link in links}
    for key, link in have.items():
        if key not in wanted or link.origin != origin:
            session.delete(link)
    session.flush()
    for entity_type, entity_id in wanted:
        existing = have.get((entity_type, entity_id))
        if existing is None or existing.origin != origin:
            session.add(
                RecordLink(
                    record_type=RECORD_TYPE,
                    record_id=email.id,
                    entity_type=entity_type,
                    entity_id=entity_id,
                    origin=origin,
                )
            )
    session.flush()
    refresh_activities(session, email)


def refresh_activities(session: Session, email: Email) -> None:
    """One ``email`` activity per linked contact and per linked company, up to date."""
    wanted: dict[tuple[int | None, int | None], None] = {}
    for link in links_of(session, email.id):
        if link.entity_type == "contact":
            wanted[(int(link.entity_id), None)] = None
        elif link.entity_type == "company":
            wanted[(None, int(link.entity_id))] = None
    existing = session.scalars(
        select(Activity).where(
            Activity.record_type == RECORD_TYPE,
            Activity.record_id == email.id,
            Activity.kind == "email",
        )
    ).all()
    occurred_at = email.received_at or email.sent_at or email.created_at
    data = {"direction": email.direction}
    kept: set[tuple[int | None, int | None]] = set()
    for activity in existing:
        key = (activity.contact_id, activity.company_id)
        if key not in wanted or key in kept:
            session.delete(activity)
            continue
        kept.add(key)
        activity.occurred_at = occurred_at
        activity.title = email.subject
        activity.body = email.snippet
        if activity.data != data:
            activity.data = data
    for contact_id, company_id in wanted:
        if (contact_id, company_id) not in kept:
            session.add(
                Activity(
                    contact_id=contact_id,
                    company_id=company_id,
                    kind="email",
                    source=email.source,
                    occurred_at=occurred_at,
                    title=email.subject,
                    body=email.snippet,
                    record_type=RECORD_TYPE,
                    record_id=email.id,
                    data=data,
                )
            )
    session.flush()


def record_for_external_id(session: Session, source: str, external_id: str) -> int | None:
    """The email ``source`` knows as ``external_id``, if any."""
    return session.scalar(
        select(ExternalId.record_id).where(
            ExternalId.record_type == RECORD_TYPE,
            ExternalId.source == source,
            ExternalId.external_id == external_id,
        )
    )


def external_ids_of(session: Session, email_id: int) -> list[tuple[str, str]]:
    """Every ``(source, id)`` other systems gave the email, oldest first."""
    rows = session.execute(
        select(ExternalId.source, ExternalId.external_id)
        .where(ExternalId.record_type == RECORD_TYPE, ExternalId.record_id == email_id)
        .order_by(ExternalId.id)
    )
    return [(source, external_id) for source, external_id in rows]


def add_external_ids(session: Session, email_id: int, pairs: Iterable[tuple[str, str]]) -> None:
    """Record the ids; one another email already holds stays with it (an id names one record)."""
    for source, external_id in pairs:
        if record_for_external_id(session, source, external_id) is None:
            session.add(
                ExternalId(
                    record_type=RECORD_TYPE,
                    record_id=email_id,
                    source=source,
                    external_id=external_id,
                )
            )
    session.flush()


def set_external_id(session: Session, email_id: int, source: str, external_id: str | None) -> None:
    """Make ``external_id`` the email's only id from ``source`` (``None``: none).

    Raises ``Conflict`` when another email holds that id.
    """
    if external_id is not None:
        holder = record_for_external_id(session, source, external_id)
        if holder is not None and holder != email_id:
            raise Conflict(f"{source} id {external_id!r} already belongs to email {holder}")
    session.execute(
        delete(ExternalId).where(
            ExternalId.record_type == RECORD_TYPE,
            ExternalId.record_id == email_id,
            ExternalId.source == source,
            ExternalId.external_id != (external_id or ""),
        )
    )
    add_external_ids(session, email_id, [(source, external_id)] if external_id else [])
