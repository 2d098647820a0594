"""Threads: which conversation an email belongs to, and each thread's subject, size and time.

A thread's ``thread_key`` is ``sync:<syncThreadId>`` for BrightSync's global threads. Otherwise it
is the conversation's root Message-ID as far as the first message to arrive knew it (its first
References entry, else its In-Reply-To, else its own Message-ID): a reply that arrives before its
original waits in a thread the original will find. A message with no Message-ID and no parent
gets ``email:<id>``; a Message-ID too long for the key column is replaced by its SHA-256.

Placing an email (:func:`place_email`):

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

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import Email, EmailThread
from core.services.email_content import references_of

SYNC_PREFIX = "sync:"
_MAX_KEY = 512  # EmailThread.thread_key
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def place_email(session: Session, email: Email) -> set[int]:
    """Put ``email`` (flushed, so it has an id) in its thread, merging threads that turn out to be
    one conversation. Returns the ids of the threads whose figures need :func:`refresh_threads`
    (including the email's previous thread when it moves)."""
    touched: set[int] = set()
    if email.thread_id is not None:
        touched.add(email.thread_id)
    candidates = _candidates(session, email)
    target: EmailThread | None
    if email.sync_thread_id:
        key = SYNC_PREFIX + email.sync_thread_id
        target = _by_key(session, key)
        if target is None:
            target = next((t for t in candidates if not _claimed(t)), None)
            if target is not None:
                target.thread_key = key
            else:
                target = _create(session, key)
    else:
        target = candidates[0] if candidates else _create(session, _root_key(email))
    for thread in candidates:
        if thread.id != target.id and not _claimed(thread):
            session.execute(
                update(Email).where(Email.thread_id == thread.id).values(thread_id=target.id)
            )
            touched.discard(thread.id)
            session.delete(thread)
    email.thread_id = target.id
    touched.add(target.id)
    session.flush()
    return touched


def refresh_threads(session: Session, thread_ids: Iterable[int]) -> None:
    """Recount the threads' messages and reset their subject and time; delete empty ones."""
    for thread_id in sorted(set(thread_ids)):
        thread = session.get(EmailThread, thread_id)
        if thread is None:
            continue
        when = func.coalesce(Email.received_at, Email.sent_at)
        count, last = session.execute(
            select(func.count(Email.id), func.max(when)).where(Email.thread_id == thread_id)
        ).one()
        if not count:
            session.delete(thread)
            continue
        first_subject = session.scalar(
            select(Email.subject)
            .where(Email.thread_id == thread_id, Email.subject.is_not(None), Email.subject != "")
            .order_by(when.is_(None), when, Email.id)
            .limit(1)
        )
        thread.message_count = count
        thread.last_message_at = last
        thread.subject = base_subject(first_subject)
    session.flush()


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


def _claimed(thread: EmailThread) -> bool:
    return thread.thread_key.startswith(SYNC_PREFIX)


def _named_ids(email: Email) -> list[str]:
    """The Message-IDs the email names: its parent first, then its References from the newest."""
    named: list[str] = []
    for message_id in [email.in_reply_to, *reversed(references_of(email))]:
        if message_id and message_id != email.rfc822_msg_id and message_id not in named:
            named.append(message_id)
    return named


def _candidates(session: Session, email: Email) -> list[EmailThread]:
    named = _named_ids(email)
    thread_ids: list[int] = []
    if named:
        rows = session.execute(
            select(Email.rfc822_msg_id, Email.thread_id).where(
                Email.rfc822_msg_id.in_(named), Email.id != email.id, Email.thread_id.is_not(None)
            )
        ).all()
        by_message: dict[str | None, int | None] = dict(rows)
        thread_ids.extend(t for m in named if (t := by_message.get(m)) is not None)
    keys = [message_thread_key(k) for k in (email.rfc822_msg_id, *named) if k]
    if keys:
        keyed = dict(
            session.execute(
                select(EmailThread.thread_key, EmailThread.id).where(
                    EmailThread.thread_key.in_(keys)
                )
            ).all()
        )
        thread_ids.extend(keyed[k] for k in keys if k in keyed)
    ordered = list(dict.fromkeys(thread_ids))
    threads = [session.get(EmailThread, thread_id) for thread_id in ordered]
    return [t for t in threads if t is not None]


def _root_key(email: Email) -> str:
    references = references_of(email)
    root = references[0] if references else email.in_reply_to or email.rfc822_msg_id
    return message_thread_key(root) if root else f"email:{email.id}"


def _by_key(session: Session, key: str) -> EmailThread | None:
    return session.scalar(select(EmailThread).where(EmailThread.thread_key == key))


def _create(session: Session, key: str) -> EmailThread:
    """A new thread, or the one another transaction just created with the same key."""
    try:
        with session.begin_nested():
            thread = EmailThread(thread_key=key, message_count=0)
            session.add(thread)
    except IntegrityError:
        existing = _by_key(session, key)
        if existing is None:
            raise
        return existing
    return thread
