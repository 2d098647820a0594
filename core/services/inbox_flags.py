"""Read, starred, archived: the user's flags on an email, changed here and queued for the mailbox.

A change is written locally at once and recorded in the outbox (:class:`core.models.OutboxItem`)
for the sync engine to push to the mail provider, with the email's Message-ID and the ids its
sources gave it. The outbox holds one pending item per email and flag: changing a flag again
before the item is pushed updates that item to the latest state (toggling twice leaves an item
whose value is the original state, which is harmless to push).

Archiving moves the email to the ``archive`` folder; unarchiving moves it back to ``inbox`` or
``sent`` by its direction, so folders and flags always agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.errors import Invalid, NotFound
from core.events import note_change
from core.models import Email, OutboxItem, utcnow
from core.services.email_links import external_ids_of
from core.services.inbox import InboxItem, load_items

FLAGS = {"read": "is_read", "star": "is_starred", "archive": "is_archived"}
"""The flags by the name the API uses, with their column."""
OUTBOX_KINDS = {"read": "email.read", "star": "email.starred", "archive": "email.archived"}
"""The outbox item kind of each flag's change. Its payload: ``value`` (the state to push),
``previous`` (the state before the first pending change), ``rfc822_msg_id`` and
``external_ids`` (``[{"source", "id"}]``, e.g. the Gmail or Graph id)."""


def set_flag(session: Session, email_id: int, flag: str, value: bool | None = None) -> InboxItem:
    """Set ``flag`` (``read``, ``star``, ``archive``) to ``value``, or toggle it when ``value``
    is ``None``; returns the email as the inbox shows it. Raises ``NotFound`` for an unknown
    email. Setting a flag to the state it has changes nothing and queues nothing."""
    column = FLAGS.get(flag)
    if column is None:
        raise Invalid(f"unknown flag {flag!r}: use {', '.join(FLAGS)}", field="flag")
    row = session.execute(
        select(
            Email.id,
            Email.direction,
            Email.folder,
            Email.connection_id,
            Email.rfc822_msg_id,
            getattr(Email, column),
        )
        .where(Email.id == email_id)
        .with_for_update()  # two toggles at once must not read the same state (PostgreSQL)
    ).first()
    if row is None:
        raise NotFound(f"no email with id {email_id}")
    current = bool(row[-1])
    wanted = (not current) if value is None else value
    if wanted != current:
        changes: dict[str, Any] = {column: wanted, "updated_at": utcnow()}
        if flag == "archive":
            changes["folder"] = "archive" if wanted else _home_folder(row.direction)
        session.execute(update(Email).where(Email.id == email_id).values(**changes))
        _queue(session, row, flag, wanted, current)
        note_change(session, "email", "updated", email_id)
    return load_items(session, [email_id])[0]


def _home_folder(direction: str) -> str:
    return "sent" if direction == "outbound" else "inbox"


def _queue(session: Session, email: Any, flag: str, value: bool, previous: bool) -> None:
    kind = OUTBOX_KINDS[flag]
    pending = session.scalars(
        select(OutboxItem)
        .where(
            OutboxItem.kind == kind,
            OutboxItem.record_type == "email",
            OutboxItem.record_id == email.id,
            OutboxItem.status == "pending",
        )
        .order_by(OutboxItem.id)
        .limit(1)
    ).first()
    if pending is not None:
        pending.payload = {**pending.payload, "value": value}
        return
    external = [{"source": s, "id": i} for s, i in external_ids_of(session, email.id)]
    session.add(
        OutboxItem(
            connection_id=email.connection_id,
            kind=kind,
            record_type="email",
            record_id=email.id,
            payload={
                "value": value,
                "previous": previous,
                "rfc822_msg_id": email.rfc822_msg_id,
                "external_ids": external,
            },
            status="pending",
        )
    )
    session.flush()
