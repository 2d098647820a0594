"""Enginy on the timeline: campaign activities (``POST /activities``), engagement updates (from
``PUT /contacts`` and ``PUT /companies``), and the users Enginy may assign as owners.

An activity (a LinkedIn message, an InMail, a connection request, an email) becomes an
:class:`core.models.Activity` of kind ``enginy_activity``, once: an activity whose
``metadata.messageId`` Hearth has seen answers the entry already written. An engagement update
(a change of the campaign fields Enginy's users map, such as ``genesy_engagement_status``)
becomes an entry of kind ``enginy_engagement``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.errors import Invalid, NotFound
from core.events import note_change
from core.models import Activity, Company, Contact, ExternalId, User
from core.services.enginy_fields import SOURCE, parse_instant

ACTIVITY_KIND = "enginy_activity"
ENGAGEMENT_KIND = "enginy_engagement"
ACTIVITY_TYPES = ("EMAIL", "LINKEDIN", "LINKEDIN_INMAIL", "LINKEDIN_CONNECTION")
DIRECTIONS = ("INBOUND", "OUTBOUND")
_EXTERNAL_TYPE = "activity"
_TITLE_HINTS = ("engagement", "status")


def engagement_activity(
    contact_id: int | None,
    company_id: int | None,
    record: Mapping[str, Any],
    changed: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The timeline entry of an engagement update: ``changed`` are the custom fields it changed
    (``None`` = removed), ``record`` what Enginy sent (kept in ``data``, less its crmId).

    It happened at the latest ISO 8601 time among the changed values (``genesy_last_engaged_at``),
    or ``now`` when there is none. Its title is the first changed status (``Message Replied
    (2/3) - LINKEDIN``) when there is one. Returned as the row's values, for
    :func:`write_activities`.
    """
    times = [t for t in (parse_instant(v) for v in changed.values()) if t is not None]
    status = next(
        (
            value
            for name, value in changed.items()
            if isinstance(value, str) and any(hint in name.lower() for hint in _TITLE_HINTS)
        ),
        None,
    )
    lines = [
        f"{name}: {'(cleared)' if value is None else value}" for name, value in changed.items()
    ]
    return {
        "contact_id": contact_id,
        "company_id": company_id,
        "kind": ENGAGEMENT_KIND,
        "source": SOURCE,
        "occurred_at": max(times) if times else now,
        "title": f"Enginy: {status}" if status else "Enginy engagement update",
        "body": "\n".join(lines),
        "record_type": None,
        "record_id": None,
        "data": {k: v for k, v in record.items() if k != "crmId"},
        "created_at": now,
    }


def write_activities(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert timeline entries made by :func:`engagement_activity`, in one statement (a batch
    of a thousand engagement updates is a thousand entries; ORM objects would cost more than
    the whole rest of the update)."""
    if not rows:
        return
    ids = session.scalars(insert(Activity).returning(Activity.id), rows).all()
    note_change(session, "activity", "created", *ids)


@dataclass(frozen=True)
class ActivityInput:
    """An activity as Enginy logs it (the API has checked the types)."""

    type: str
    subject: str | None
    body: str | None
    direction: str | None
    owner_id: int | None
    occurred_at: datetime | None
    contact_id: int | None
    company_id: int | None
    metadata: Mapping[str, Any]
    extra: Mapping[str, Any]


@dataclass(frozen=True)
class ActivityRecord:
    """A logged activity, as Enginy gets it back."""

    id: int
    type: str
    subject: str | None
    direction: str | None
    occurred_at: datetime
    contact_id: int | None
    company_id: int | None


def _record(activity: Activity) -> ActivityRecord:
    data = activity.data or {}
    return ActivityRecord(
        id=activity.id,
        type=str(data.get("type", "")),
        subject=activity.title,
        direction=data.get("direction"),
        occurred_at=activity.occurred_at,
        contact_id=activity.contact_id,
        company_id=activity.company_id,
    )


def _message_id(metadata: Mapping[str, Any]) -> str | None:
    value = metadata.get("messageId")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    if len(value.strip()) > 512:
        raise Invalid("at most 512 characters", field="metadata/messageId")
    return value.strip()


def log_activity(
    session: Session, activity: ActivityInput, now: datetime
) -> tuple[ActivityRecord, bool]:
    """Write an Enginy activity on the contact's (and company's) timeline; ``(record, created)``.

    The contact's company is filled in when only the contact is given. A repeat of an activity
    with the same ``metadata.messageId`` answers the first one (``created`` false). Raises
    ``Invalid`` for a bad type or direction, or when it names neither contact nor company,
    ``NotFound`` when the contact, company or owner does not exist.
    """
    if activity.type not in ACTIVITY_TYPES:
        raise Invalid(f"must be one of {', '.join(ACTIVITY_TYPES)}", field="type")
    if activity.direction is not None and activity.direction not in DIRECTIONS:
        raise Invalid(f"must be one of {', '.join(DIRECTIONS)}", field="direction")
    if activity.contact_id is None and activity.company_id is None:
        raise Invalid("give the contactId or companyId it belongs to", field="contactId")
    message_id = _message_id(activity.metadata)
    if message_id is not None:
        existing = session.scalar(
            select(Activity)
            .join(ExternalId, ExternalId.record_id == Activity.id)
            .where(
                ExternalId.record_type == _EXTERNAL_TYPE,
                ExternalId.source == SOURCE,
                ExternalId.external_id == message_id,
            )
        )
        if existing is not None:
            return _record(existing), False
    contact = _check_references(session, activity)
    company_id = activity.company_id or (contact.company_id if contact else None)
    occurred = activity.occurred_at or now
    data: dict[str, Any] = {**activity.extra, "type": activity.type}
    if activity.direction:
        data["direction"] = activity.direction
    if activity.owner_id is not None:
        data["ownerId"] = str(activity.owner_id)
    if activity.metadata:
        data["metadata"] = dict(activity.metadata)
    row = Activity(
        contact_id=activity.contact_id,
        company_id=company_id,
        kind=ACTIVITY_KIND,
        source=SOURCE,
        occurred_at=occurred,
        title=activity.subject,
        body=activity.body,
        data=data,
    )
    session.add(row)
    session.flush()
    if message_id is not None:
        session.add(
            ExternalId(
                record_type=_EXTERNAL_TYPE, record_id=row.id, source=SOURCE, external_id=message_id
            )
        )
    if contact is not None and (
        contact.last_activity_at is None or contact.last_activity_at < occurred
    ):
        contact.last_activity_at = occurred
    session.flush()
    note_change(session, "activity", "created", row.id)
    return _record(row), True


def _check_references(session: Session, activity: ActivityInput) -> Contact | None:
    """The activity's contact; ``NotFound`` for a contact, company or owner Hearth lacks."""
    contact: Contact | None = None
    if activity.contact_id is not None:
        contact = session.get(Contact, activity.contact_id)
        if contact is None:
            raise NotFound(f"Contact not found: no contact with crmId {activity.contact_id}")
    if activity.company_id is not None and session.get(Company, activity.company_id) is None:
        raise NotFound(f"Company not found: no company with crmId {activity.company_id}")
    if activity.owner_id is not None and session.get(User, activity.owner_id) is None:
        raise NotFound(f"User not found: no user with id {activity.owner_id} (see GET /users)")
    return contact


@dataclass(frozen=True)
class UserRecord:
    """A user Enginy may assign as owner."""

    id: int
    name: str
    email: str | None


def list_users(session: Session) -> list[UserRecord]:
    """Hearth's users, the local user ("me") first, then by name."""
    rows = session.execute(
        select(User.id, User.name, User.email).order_by(User.is_me.desc(), User.name, User.id)
    )
    return [UserRecord(user_id, name, email) for user_id, name, email in rows]
