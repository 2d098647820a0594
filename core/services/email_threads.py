"""Threads: which conversation an email belongs to, and each thread's subject, size and time.

A thread's ``thread_key`` is ``sync:<syncThreadId>`` for BrightSync's global threads. Otherwise it
is the conversation's root Message-ID as far as the first message to arrive knew it (its first
References entry, else its In-Reply-To, else its own Message-ID): a reply that arrives before its
original waits in a thread the original will find. A message with no Message-ID and no parent
gets ``email:<id>``; a Message-ID too long for the key column is replaced by its SHA-256.

Placing an email (:func:`place_email`, given its :class:`ThreadingHeaders`):

1. The candidates, in order: the threads of stored messages the email names (In-Reply-To, then
   References from the newest), then threads keyed by its own Message-ID or one it names (orphans
   that arrived first and wait for it).
2. With a syncThreadId: the thread ``sync:<id>`` if there is one; else the first candidate no
   sync id has claimed, which takes that key (the conversation is adopted); else a new thread.
   Without one: the first candidate, else a new thread.
3. Every other candidate no sync id has claimed is the same conversation: its messages move to
   the chosen thread and it is deleted. Two threads claimed by sync ids are never merged:
   BrightSync said they are apart.

A thread's ``subject`` is its earliest message's without ``Re:``/``Fwd:`` prefixes,
``last_message_at`` its newest message's time (received, else sent), ``message_count`` its size;
a thread left empty is deleted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from core.db.statements import insert_or_skip
from core.models import Email, EmailThread

SYNC_PREFIX = "sync:"
_MAX_KEY = 512  # EmailThread.thread_key
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class ThreadingHeaders:
    """What placing an email in a thread looks at (Message-IDs bare)."""

    email_id: int
    thread_id: int | None
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    sync_thread_id: str | None


@dataclass(frozen=True)
class FirstMessage:
    """A new email's figures, for a thread it is the first message of: its subject and time
    (received, else sent) as :func:`refresh_threads` would count them."""

    subject: str | None
    when: datetime | None


# Built once (see core.db.statements): placing and counting run on every ingested email.
_WHEN = func.coalesce(Email.received_at, Email.sent_at)
_PARENT_THREADS = (
    select(Email.rfc822_msg_id, EmailThread.id, EmailThread.thread_key)
    .join(EmailThread, EmailThread.id == Email.thread_id)
    .where(
        Email.rfc822_msg_id.in_(bindparam("b_ids", expanding=True)),
        Email.id != bindparam("b_email"),
    )
)
_KEYED_THREADS = select(EmailThread.thread_key, EmailThread.id).where(
    EmailThread.thread_key.in_(bindparam("b_keys", expanding=True))
)
_THREAD_BY_KEY = select(EmailThread.id).where(EmailThread.thread_key == bindparam("b_key"))
_CLAIM = (
    update(EmailThread)
    .where(EmailThread.id == bindparam("b_thread"))
    .values(thread_key=bindparam("b_key"))
)
_MOVE_MESSAGES = (
    update(Email).where(Email.thread_id == bindparam("b_from")).values(thread_id=bindparam("b_to"))
)
_DELETE_THREAD = delete(EmailThread).where(EmailThread.id == bindparam("b_thread"))
_FIRST_SUBJECT = (
    select(Email.subject)
    .where(
        Email.thread_id == bindparam("b_thread"),
        Email.subject.is_not(None),
        Email.subject != "",
    )
    .order_by(_WHEN.is_(None), _WHEN, Email.id)
    .limit(1)
    .scalar_subquery()
)
_FIGURES = select(func.count(Email.id), func.max(_WHEN), _FIRST_SUBJECT).where(
    Email.thread_id == bindparam("b_thread")
)
_SET_FIGURES = (
    update(EmailThread)
    .where(EmailThread.id == bindparam("b_thread"))
    .values(
        message_count=bindparam("b_count"),
        last_message_at=bindparam("b_last"),
        subject=bindparam("b_subject"),
    )
)


def place_email(
    session: Session, headers: ThreadingHeaders, first: FirstMessage | None = None
) -> tuple[int, set[int]]:
    """Choose the email's thread, creating one or merging threads that turn out to be one
    conversation. Returns the thread's id (the caller stores it on the email) and the ids of the
    threads whose figures need :func:`refresh_threads` (including the email's previous thread
    when it moves). ``first``: the figures of a new email, so a thread made for it starts with
    them and needs no recount. Pending ORM changes must be flushed first."""
    connection = session.connection()
    touched: set[int] = set()
    if headers.thread_id is not None:
        touched.add(headers.thread_id)
    candidates = _candidates(session, headers)
    target: int
    fresh = False
    if headers.sync_thread_id:
        key = SYNC_PREFIX + headers.sync_thread_id
        found = connection.execute(_THREAD_BY_KEY, {"b_key": key}).scalar()
        if found is not None:
            target = found
        else:
            adopted = next((t for t, k in candidates.items() if not _claimed(k)), None)
            if adopted is not None:
                connection.execute(_CLAIM, {"b_thread": adopted, "b_key": key})
                candidates[adopted] = key
                target = adopted
            else:
                target, fresh = _create(session, key, first)
    elif candidates:
        target = next(iter(candidates))
    else:
        target, fresh = _create(session, _root_key(headers), first)
    for thread_id, key in candidates.items():
        if thread_id != target and not _claimed(key):
            connection.execute(_MOVE_MESSAGES, {"b_from": thread_id, "b_to": target})
            connection.execute(_DELETE_THREAD, {"b_thread": thread_id})
            touched.discard(thread_id)
    if not fresh:  # a thread made for this email has its figures already
        touched.add(target)
    return target, touched


def refresh_threads(session: Session, thread_ids: Iterable[int]) -> None:
    """Recount the threads' messages and reset their subject and time; delete empty ones.
    Pending ORM changes must be flushed first."""
    connection = session.connection()
    for thread_id in sorted(set(thread_ids)):
        count, last, first_subject = connection.execute(_FIGURES, {"b_thread": thread_id}).one()
        if not count:
            connection.execute(_DELETE_THREAD, {"b_thread": thread_id})
            continue
        connection.execute(
            _SET_FIGURES,
            {
                "b_thread": thread_id,
                "b_count": count,
                "b_last": last,
                "b_subject": base_subject(first_subject),
            },
        )


def base_subject(subject: str | None) -> str | None:
    """A subject without reply and forward prefixes: ``Re: Fwd: Pricing`` -> ``Pricing``."""
    if subject is None:
        return None
    return _REPLY_PREFIX.sub("", subject).strip() or subject.strip() or None


def message_thread_key(message_id: str) -> str:
    """The thread key a Message-ID gives: itself, or a hash of it when too long for the column
    (Message-IDs may have 998 characters, keys 512)."""
    if len(message_id) <= _MAX_KEY:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode()).hexdigest()


def _claimed(thread_key: str) -> bool:
    return thread_key.startswith(SYNC_PREFIX)


def _named_ids(headers: ThreadingHeaders) -> list[str]:
    """The Message-IDs the email names: its parent first, then its References from the newest."""
    named: list[str] = []
    for message_id in [headers.in_reply_to, *reversed(headers.references)]:
        if message_id and message_id != headers.message_id and message_id not in named:
            named.append(message_id)
    return named


def _candidates(session: Session, headers: ThreadingHeaders) -> dict[int, str]:
    """The candidate threads, in order, with their keys."""
    connection = session.connection()
    named = _named_ids(headers)
    found: dict[int, str] = {}
    if named:
        rows = connection.execute(
            _PARENT_THREADS, {"b_ids": named, "b_email": headers.email_id}
        ).all()
        by_message = {message_id: (thread_id, key) for message_id, thread_id, key in rows}
        for message_id in named:
            if message_id in by_message:
                thread_id, key = by_message[message_id]
                found.setdefault(thread_id, key)
    keys = [message_thread_key(k) for k in (headers.message_id, *named) if k]
    if keys:
        keyed = dict(connection.execute(_KEYED_THREADS, {"b_keys": keys}).all())
        for key in keys:
            if key in keyed:
                found.setdefault(keyed[key], key)
    return found


@cache
def _insert_thread(dialect: str) -> Insert:
    table = EmailThread.__table__
    return insert_or_skip(dialect, table, ("thread_key",)).returning(table.c.id)


def _root_key(headers: ThreadingHeaders) -> str:
    references = headers.references
    root = references[0] if references else headers.in_reply_to or headers.message_id
    return message_thread_key(root) if root else f"email:{headers.email_id}"


def _create(session: Session, key: str, first: FirstMessage | None) -> tuple[int, bool]:
    """A new thread (with ``first``'s figures when given) and True, or the one another
    transaction just created with the same key and False."""
    connection = session.connection()
    figures: dict[str, object] = {"message_count": 0, "subject": None, "last_message_at": None}
    if first is not None:
        figures = {
            "message_count": 1,
            "subject": base_subject(first.subject or None),
            "last_message_at": first.when,
        }
    created = connection.execute(
        _insert_thread(connection.dialect.name), {"thread_key": key, **figures}
    ).scalar()
    if created is not None:
        return int(created), first is not None
    return int(connection.execute(_THREAD_BY_KEY, {"b_key": key}).scalar_one()), False
