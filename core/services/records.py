"""What every CRM record shares: loading by id, and deleting with its links and a tombstone.

Deleting a record leaves a :class:`core.models.Tombstone`, so delta readers (BrightSync's
``deletedEvents``, "updated since" look-ups) learn about the deletion; links that pointed at the
record go with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.events import note_change
from core.models import RecordLink, Tombstone, utcnow

Row = TypeVar("Row")


def load(session: Session, model: type[Row], record_id: int, noun: str) -> Row:
    """The ``model`` row with this id; ``NotFound`` ("no contact with id 7") when there is none."""
    row = session.get(model, record_id)
    if row is None:
        raise NotFound(f"no {noun} with id {record_id}")
    return row


def delete_record(
    session: Session,
    row: Any,
    record_type: str,
    data: dict[str, Any] | None = None,
    deleted_at: datetime | None = None,
) -> None:
    """Delete ``row`` (a contact, company, event...), the links to it, and leave a tombstone.

    ``data`` is what a reader needs to recognise the record later (e.g. an event's iCalUID);
    ``deleted_at`` is the tombstone's time (default: now), for records whose deletions readers
    page through by a clock of their own (events: :mod:`core.services.event_clock`).
    """
    record_id: int = row.id
    session.execute(
        delete(RecordLink).where(
            RecordLink.entity_type == record_type, RecordLink.entity_id == str(record_id)
        )
    )
    session.execute(
        delete(RecordLink).where(
            RecordLink.record_type == record_type, RecordLink.record_id == record_id
        )
    )
    session.delete(row)
    existing = session.scalar(
        select(Tombstone).where(
            Tombstone.record_type == record_type, Tombstone.record_id == record_id
        )
    )
    if existing is None:
        session.add(
            Tombstone(
                record_type=record_type,
                record_id=record_id,
                deleted_at=deleted_at or utcnow(),
                data=data or {},
            )
        )
    session.flush()
    note_change(session, record_type, "deleted", record_id)
