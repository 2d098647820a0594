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
step with the links and with the email's subject, time and direction; so does the company of a
contact the email is explicitly logged against.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from core.db.statements import insert_or_skip
from core.errors import Conflict
from core.models import Activity, Email, ExternalId, RecordLink
from core.normalize import email_key
from core.services.email_model import EntityRef, LinkRecord
from core.services.matching import company_ids_of_contacts, match_addresses

RECORD_TYPE = "email"
EXPLICIT, MATCHED = "explicit", "matched"


@dataclass(frozen=True)
class LinkedEmail:
    """What an email's links and timeline entries are made from."""

    id: int
    source: str
    subject: str | None
    snippet: str | None
    direction: str
    occurred_at: datetime
    addresses: tuple[str, ...]
    """The sender's and the recipients' addresses."""

    @classmethod
    def of(cls, email: Email) -> LinkedEmail:
        """The facts of a stored (flushed) ORM email."""
        return cls(
            id=email.id,
            source=email.source,
            subject=email.subject,
            snippet=email.snippet,
            direction=email.direction,
            occurred_at=email.received_at or email.sent_at or email.created_at,
            addresses=(email.from_address or "", *(r.address for r in email.recipients)),
        )


# Built once (see core.db.statements): these run on every ingested and every read email.
_LINKS = (
    select(RecordLink.entity_type, RecordLink.entity_id, RecordLink.origin)
    .where(RecordLink.record_type == RECORD_TYPE, RecordLink.record_id == bindparam("b_email"))
    .order_by(RecordLink.id)
)
_DELETE_LINK = delete(RecordLink).where(
    RecordLink.record_type == RECORD_TYPE,
    RecordLink.record_id == bindparam("b_email"),
    RecordLink.entity_type == bindparam("b_type"),
    RecordLink.entity_id == bindparam("b_entity"),
)
_INSERT_LINK = insert(RecordLink)
_ACTIVITIES = (
    select(Activity.id, Activity.contact_id, Activity.company_id)
    .where(
        Activity.record_type == RECORD_TYPE,
        Activity.record_id == bindparam("b_email"),
        Activity.kind == "email",
    )
    .order_by(Activity.id)
)
_DELETE_ACTIVITY = delete(Activity).where(Activity.id == bindparam("b_id"))
_UPDATE_ACTIVITY = (
    update(Activity)
    .where(Activity.id == bindparam("b_id"))
    .values(
        occurred_at=bindparam("b_when"),
        title=bindparam("b_title"),
        body=bindparam("b_body"),
        data=bindparam("b_data"),
    )
)
_INSERT_ACTIVITY = insert(Activity)
_RECORD_FOR_EXTERNAL_ID = select(ExternalId.record_id).where(
    ExternalId.record_type == RECORD_TYPE,
    ExternalId.source == bindparam("b_source"),
    ExternalId.external_id == bindparam("b_external"),
)
_EXTERNAL_IDS = (
    select(ExternalId.source, ExternalId.external_id)
    .where(ExternalId.record_type == RECORD_TYPE, ExternalId.record_id == bindparam("b_email"))
    .order_by(ExternalId.id)
)
_DROP_OTHER_EXTERNAL_IDS = delete(ExternalId).where(
    ExternalId.record_type == RECORD_TYPE,
    ExternalId.record_id == bindparam("b_email"),
    ExternalId.source == bindparam("b_source"),
    ExternalId.external_id != bindparam("b_external"),
)


def links_of(session: Session, email_id: int) -> list[LinkRecord]:
    """The email's links, in the order they were made."""
    rows = session.connection().execute(_LINKS, {"b_email": email_id})
    return [LinkRecord(entity_type, entity_id, origin) for entity_type, entity_id, origin in rows]


def explicit_refs(session: Session, email_id: int) -> list[EntityRef]:
    """The records the email is explicitly logged against."""
    return [
        EntityRef(link.type, int(link.id))
        for link in links_of(session, email_id)
        if link.origin == EXPLICIT
    ]


def refresh_links(
    session: Session,
    email: LinkedEmail,
    explicit: Sequence[EntityRef] | None,
    my_keys: set[str],
    *,
    current: Sequence[LinkRecord] | None = None,
) -> list[LinkRecord]:
    """Make the email's links right: ``explicit`` replaces the explicit ones (``None`` keeps
    them); matched links follow the addresses when there are no explicit ones. Then the timeline.

    ``current`` are the email's links when the caller knows them (none, for a new email).
    Returns the links as they now are, oldest first. Pending ORM changes must be flushed first.
    """
    links = list(current) if current is not None else links_of(session, email.id)
    wanted: dict[tuple[str, str], None]
    if explicit is None:
        wanted = {(link.type, link.id): None for link in links if link.origin == EXPLICIT}
    else:
        wanted = {(ref.type, str(ref.id)): None for ref in explicit}
    origin = EXPLICIT
    if not wanted:
        origin = MATCHED
        others = [a for a in email.addresses if a and email_key(a) not in my_keys]
        contact_ids, company_ids = match_addresses(session, others)
        wanted = dict.fromkeys(
            [("contact", str(i)) for i in contact_ids] + [("company", str(i)) for i in company_ids]
        )
    kept = [link for link in links if (link.type, link.id) in wanted and link.origin == origin]
    gone = [link for link in links if link not in kept]
    connection = session.connection()
    if gone:
        connection.execute(
            _DELETE_LINK,
            [{"b_email": email.id, "b_type": link.type, "b_entity": link.id} for link in gone],
        )
    have = {(link.type, link.id) for link in kept}
    added = [LinkRecord(t, i, origin) for t, i in wanted if (t, i) not in have]
    if added:
        connection.execute(
            _INSERT_LINK,
            [
                {
                    "record_type": RECORD_TYPE,
                    "record_id": email.id,
                    "entity_type": link.type,
                    "entity_id": link.id,
                    "origin": origin,
                }
                for link in added
            ],
        )
    final = kept + added
    refresh_activities(session, email, final, new=current is not None and not current)
    return final


def refresh_activities(
    session: Session, email: LinkedEmail, links: Sequence[LinkRecord], *, new: bool = False
) -> None:
    """One ``email`` activity per linked contact and per linked company, up to date. ``new``:
    the email has none yet (it was just stored)."""
    wanted: dict[tuple[int | None, int | None], None] = {}
    for link in links:
        if link.type == "contact":
            wanted[(int(link.id), None)] = None
        elif link.type == "company":
            wanted[(None, int(link.id))] = None
    logged = bool(links) and links[0].origin == EXPLICIT  # an email's links share one origin
    explicit_contacts = [c for c, _ in wanted if c is not None] if logged else []
    if explicit_contacts:
        # Logged against a person: it happened with their company too (matched links already
        # include the contacts' companies).
        companies = company_ids_of_contacts(session, explicit_contacts).values()
        wanted.update(dict.fromkeys((None, c) for c in sorted(set(companies))))
    connection = session.connection()
    existing = [] if new else connection.execute(_ACTIVITIES, {"b_email": email.id}).all()
    data = {"direction": email.direction}
    kept: set[tuple[int | None, int | None]] = set()
    stale: list[dict[str, int]] = []
    current: list[dict[str, object]] = []
    for activity_id, contact_id, company_id in existing:
        key = (contact_id, company_id)
        if key not in wanted or key in kept:
            stale.append({"b_id": activity_id})
            continue
        kept.add(key)
        current.append(
            {
                "b_id": activity_id,
                "b_when": email.occurred_at,
                "b_title": email.subject,
                "b_body": email.snippet,
                "b_data": data,
            }
        )
    if stale:
        connection.execute(_DELETE_ACTIVITY, stale)
    if current:
        connection.execute(_UPDATE_ACTIVITY, current)
    added = [
        {
            "contact_id": contact_id,
            "company_id": company_id,
            "kind": "email",
            "source": email.source,
            "occurred_at": email.occurred_at,
            "title": email.subject,
            "body": email.snippet,
            "record_type": RECORD_TYPE,
            "record_id": email.id,
            "data": data,
        }
        for contact_id, company_id in wanted
        if (contact_id, company_id) not in kept
    ]
    if added:
        connection.execute(_INSERT_ACTIVITY, added)


def record_for_external_id(session: Session, source: str, external_id: str) -> int | None:
    """The email ``source`` knows as ``external_id``, if any."""
    return (
        session.connection()
        .execute(_RECORD_FOR_EXTERNAL_ID, {"b_source": source, "b_external": external_id})
        .scalar()
    )


def external_ids_of(session: Session, email_id: int) -> list[tuple[str, str]]:
    """Every ``(source, id)`` other systems gave the email, oldest first."""
    rows = session.connection().execute(_EXTERNAL_IDS, {"b_email": email_id})
    return [(source, external_id) for source, external_id in rows]


def add_external_ids(session: Session, email_id: int, pairs: Iterable[tuple[str, str]]) -> None:
    """Record the ids; one another email already holds stays with it (an id names one record)."""
    rows = [
        {"record_type": RECORD_TYPE, "record_id": email_id, "source": s, "external_id": e}
        for s, e in pairs
    ]
    if rows:
        connection = session.connection()
        connection.execute(_insert_external_id(connection.dialect.name), rows)


def set_external_id(session: Session, email_id: int, source: str, external_id: str | None) -> None:
    """Make ``external_id`` the email's only id from ``source`` (``None``: none).

    Raises ``Conflict`` when another email holds that id.
    """
    if external_id is not None:
        holder = record_for_external_id(session, source, external_id)
        if holder is not None and holder != email_id:
            raise Conflict(f"{source} id {external_id!r} already belongs to email {holder}")
    session.connection().execute(
        _DROP_OTHER_EXTERNAL_IDS,
        {"b_email": email_id, "b_source": source, "b_external": external_id or ""},
    )
    add_external_ids(session, email_id, [(source, external_id)] if external_id else [])


@cache
def _insert_external_id(dialect: str) -> Insert:
    return insert_or_skip(dialect, ExternalId.__table__, ("record_type", "source", "external_id"))
