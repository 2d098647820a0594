"""Sending mail and syncing it on demand: both go through the user's connected mailbox.

Delivery and manual sync arrive with the provider sync (Google, Microsoft 365); until then the
API refuses both with a 409. An outgoing message is checked in full first, so a client learns
about a bad address before it learns about the mailbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Invalid
from core.models import Connection
from core.normalize import clean_email

MAX_RECIPIENTS = 500
CONNECTED = ("connected", "syncing")
"""Connection statuses of a mailbox that can send and sync."""


@dataclass(frozen=True)
class OutgoingEmail:
    """A message to send, its addresses checked."""

    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    subject: str
    body: str


def check_outgoing(
    to: Sequence[str], cc: Sequence[str], bcc: Sequence[str], subject: str, body: str
) -> OutgoingEmail:
    """The message with its addresses checked; ``Invalid`` naming the field (``to/1``) for a
    missing ``to`` or a malformed address. Give bare addresses (``Name <address>`` is refused)."""
    if not to:
        raise Invalid("needs at least one recipient", field="to")
    lists: dict[str, tuple[str, ...]] = {}
    for name, addresses in (("to", to), ("cc", cc), ("bcc", bcc)):
        if len(addresses) > MAX_RECIPIENTS:
            raise Invalid(f"at most {MAX_RECIPIENTS} addresses", field=name)
        lists[name] = tuple(
            clean_email(address, field=f"{name}/{index}") for index, address in enumerate(addresses)
        )
    return OutgoingEmail(lists["to"], lists["cc"], lists["bcc"], subject, body)


def has_connected_mailbox(session: Session) -> bool:
    """Whether a mail account is connected (and not failing or disconnected)."""
    connected = session.scalar(
        select(Connection.id).where(Connection.status.in_(CONNECTED)).limit(1)
    )
    return connected is not None
