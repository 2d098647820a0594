"""The calendar's modification clock: the times stamped on changes to events, strictly increasing.

Delta readers (BrightSync's ``events?since=`` and ``deletedEvents?since=``) page by these times.
So two changes must never share one, even when made in the same millisecond or by concurrent
requests, and a change must never commit with a time earlier than one a reader has already seen.

Every write that changes an event (its ``last_modified_at``) or deletes one (its tombstone's
``deleted_at``) takes its time from :func:`next_change_time`, inside its write transaction:

- times are whole milliseconds (what the API shows) and each is at least 1 ms after the last one
  issued, so two changes never look alike on the wire, and the wall clock going back (NTP, a
  laptop waking up) never makes time run backwards;
- the last time issued is read from the database (the newest event change and event tombstone),
  so the clock survives restarts and is shared by every process and thread using the database;
- the first call in a transaction takes the clock's lock, held until the transaction ends. On
  SQLite the write transaction (``BEGIN IMMEDIATE``) already admits one writer at a time; on
  PostgreSQL a transaction-scoped advisory lock does the same for event writers. So times are
  issued in commit order: a reader that has seen time T never later finds a change committed with
  a time before T.

Code that writes events any other way (bulk imports, provider sync) must stamp them from here too,
or delta readers may miss its changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Event, Tombstone, utcnow

RESOLUTION = timedelta(milliseconds=1)
"""The smallest step between two change times: what the API's timestamps show."""

EVENT_RECORD_TYPE = "event"
"""``record_type`` of events in tombstones, links and the timeline."""

# Any constant identifies the lock; this one spells "HEARTHEV" and fits PostgreSQL's bigint.
_ADVISORY_LOCK_ID = 0x4845_4152_5448_4556
_STATE_KEY = "hearth.event_clock"


def whole_milliseconds(moment: datetime) -> datetime:
    """``moment`` truncated to the millisecond (as the API writes it)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def next_change_time(session: Session, now: datetime | None = None) -> datetime:
    """The time to stamp the next change to calendar events in this write transaction.

    Whole milliseconds, at least :data:`RESOLUTION` after every time issued before (in this
    transaction or any committed one), and ``now`` (default: the wall clock) when that is later.
    Takes the clock's lock on first use in a transaction; the lock is held until it ends, so keep
    event writes short. Must be called inside a write transaction (``Database.write()``).
    """
    transaction = session.get_transaction()
    if transaction is None:
        raise RuntimeError("next_change_time needs a transaction: call it inside Database.write()")
    state = session.info.get(_STATE_KEY)
    if state is not None and state[0] is transaction:
        last: datetime | None = state[1]
    else:
        _lock(session)
        last = last_change_time(session)
    candidate = whole_milliseconds(now if now is not None else utcnow())
    issued = (
        candidate if last is None or candidate > last else whole_milliseconds(last) + RESOLUTION
    )
    session.info[_STATE_KEY] = (transaction, issued)
    return issued


def last_change_time(session: Session) -> datetime | None:
    """The newest change to events committed (or made in this transaction): ``None`` at first."""
    newest_change = select(func.max(Event.last_modified_at)).scalar_subquery()
    newest_deletion = (
        select(func.max(Tombstone.deleted_at))
        .where(Tombstone.record_type == EVENT_RECORD_TYPE)
        .scalar_subquery()
    )
    with session.no_autoflush:  # a half-built event must not be flushed to answer this
        change, deletion = session.execute(select(newest_change, newest_deletion)).one()
    times = [t for t in (change, deletion) if t is not None]
    return max(times) if times else None


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Released by PostgreSQL itself at commit or rollback, whatever happens to this process.
        session.execute(select(func.pg_advisory_xact_lock(_ADVISORY_LOCK_ID)))
