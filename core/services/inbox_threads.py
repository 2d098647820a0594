"""Conversations: the threads a contact or company took part in, and one thread's messages.

A contact's threads are those with at least one message linked to the contact. A company's are
those with a message linked to the company or to one of its contacts (as the company's timeline
holds its people's mail): a message logged against a person (``relatedTo``) is linked to that
person only, while matching by address links the company too.

Threads come newest activity first (``last_message_at``, threads with no dated message last,
ties by id); a thread's messages oldest first (``occurred_at``, then id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CompoundSelect, Select, String, cast, func, select, union_all
from sqlalchemy.orm import Session

from core.errors import Invalid, NotFound
from core.models import Company, Contact, Email, EmailThread, RecordLink
from core.services import Page, PageRequest
from core.services.inbox import InboxItem, InboxMessage, load_items, load_messages

ENTITY_TYPES = {"contact": "contact", "company": "company", "account": "company"}
"""What threads can be listed for; ``account`` is the CRM synonym of company."""

# ``record_type || ''``: a bare ``record_type = 'email'`` makes SQLite (which has no statistics)
# prefer the covering unique index (record_type, record_id, ...) and scan every email's links.
_EMAIL_LINK = RecordLink.record_type.concat("") == "email"


@dataclass(frozen=True)
class ThreadSummary:
    """A thread as a list shows it, with its newest message."""

    id: int
    subject: str | None
    message_count: int
    unread_count: int
    last_message_at: datetime | None
    latest: InboxItem | None


def check_entity_type(value: str) -> str:
    """``contact`` or ``company`` (``account`` accepted); ``Invalid`` naming ``entityType``."""
    kind = ENTITY_TYPES.get(value.strip().lower())
    if kind is None:
        raise Invalid(f"unknown type {value!r}: use contact or company", field="entityType")
    return kind


def threads_of_entity(
    session: Session, kind: str, entity_id: int, page: PageRequest
) -> Page[ThreadSummary]:
    """The threads of a contact or company (``kind`` as :func:`check_entity_type` gives it), newest
    activity first. Raises ``NotFound`` for an unknown record."""
    thread_ids = (
        select(Email.thread_id)
        .where(Email.id.in_(_linked_emails(session, kind, entity_id)), Email.thread_id.is_not(None))
        .distinct()
    )
    total = session.scalar(select(func.count()).select_from(thread_ids.subquery())) or 0
    if page.offset >= total:
        return Page([], total, page.page, page.limit)
    rows = session.execute(
        select(
            EmailThread.id,
            EmailThread.subject,
            EmailThread.message_count,
            EmailThread.last_message_at,
        )
        .where(EmailThread.id.in_(thread_ids))
        .order_by(EmailThread.last_message_at.desc().nulls_last(), EmailThread.id.desc())
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    ids = [row.id for row in rows]
    unread = dict(
        session.execute(
            select(Email.thread_id, func.count())
            .where(Email.thread_id.in_(ids), ~Email.is_read)
            .group_by(Email.thread_id)
        ).all()
    )
    latest = _latest_messages(session, ids)
    items = [
        ThreadSummary(
            id=row.id,
            subject=row.subject,
            message_count=row.message_count,
            unread_count=int(unread.get(row.id, 0)),
            last_message_at=row.last_message_at,
            latest=latest.get(row.id),
        )
        for row in rows
    ]
    return Page(items, total, page.page, page.limit)


def thread_messages(
    session: Session, thread_id: int, page: PageRequest
) -> tuple[ThreadSummary, Page[InboxMessage]]:
    """A thread and a page of its messages in full, oldest first; ``NotFound`` if unknown."""
    thread = session.get(EmailThread, thread_id)
    if thread is None:
        raise NotFound(f"no thread with id {thread_id}")
    total, unread = session.execute(
        select(func.count(), func.count().filter(~Email.is_read)).where(
            Email.thread_id == thread_id
        )
    ).one()
    ids = list(
        session.scalars(
            select(Email.id)
            .where(Email.thread_id == thread_id)
            .order_by(Email.occurred_at, Email.id)
            .offset(page.offset)
            .limit(page.limit)
        )
    )
    messages = load_messages(session, ids)
    summary = ThreadSummary(
        id=thread.id,
        subject=thread.subject,
        message_count=int(total),
        unread_count=int(unread),
        last_message_at=thread.last_message_at,
        latest=_latest_messages(session, [thread.id]).get(thread.id),
    )
    return summary, Page(messages, int(total), page.page, page.limit)


def _linked_emails(session: Session, kind: str, entity_id: int) -> CompoundSelect | Select[Any]:
    """The ids of the emails linked to the record (and, for a company, to its contacts), each
    part through the links' entity index; ``NotFound`` for an unknown record."""
    model = Contact if kind == "contact" else Company
    if session.get(model, entity_id) is None:
        raise NotFound(f"no {kind} with id {entity_id}")
    own = select(RecordLink.record_id).where(
        RecordLink.entity_type == kind, RecordLink.entity_id == str(entity_id), _EMAIL_LINK
    )
    if kind == "contact":
        return own
    people = select(cast(Contact.id, String)).where(Contact.company_id == entity_id)
    theirs = select(RecordLink.record_id).where(
        RecordLink.entity_type == "contact", RecordLink.entity_id.in_(people), _EMAIL_LINK
    )
    return union_all(own, theirs)


def _latest_messages(session: Session, thread_ids: list[int]) -> dict[int, InboxItem]:
    """Each thread's newest message (by ``occurred_at``, then id)."""
    if not thread_ids:
        return {}
    rank = (
        func.row_number()
        .over(partition_by=Email.thread_id, order_by=(Email.occurred_at.desc(), Email.id.desc()))
        .label("rank")
    )
    ranked = (
        select(Email.id, Email.thread_id, rank).where(Email.thread_id.in_(thread_ids)).subquery()
    )
    pairs = session.execute(select(ranked.c.thread_id, ranked.c.id).where(ranked.c.rank == 1)).all()
    items = {item.id: item for item in load_items(session, [email_id for _, email_id in pairs])}
    return {thread_id: items[email_id] for thread_id, email_id in pairs if email_id in items}
