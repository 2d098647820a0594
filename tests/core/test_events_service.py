"""Calendar events in core: the modification clock, what written times mean, attendee statuses,
paging by change time and purging old tombstones; on SQLite and PostgreSQL where storage counts."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.errors import Invalid
from core.models import Event, Tombstone
from core.services.event_clock import last_change_time, next_change_time, whole_milliseconds
from core.services.event_links import canonical_status
from core.services.event_times import EventSpan, resolve_span
from core.services.events import (
    create_event,
    delete_event,
    events_changed_since,
    events_deleted_since,
    purge_tombstones,
    update_event,
)

MS = timedelta(milliseconds=1)
NOON = datetime(2026, 7, 1, 12, tzinfo=UTC)
PDT = timezone(timedelta(hours=-7))


def _values(**fields):
    return {
        "subject": "Meeting",
        "start_time": datetime(2026, 7, 1, 10, tzinfo=UTC),
        "end_time": datetime(2026, 7, 1, 11, tzinfo=UTC),
        **fields,
    }


def _raw_event(moment: datetime, **fields) -> Event:
    """An event written around the services, as an import or the demo would."""
    return Event(
        start_at=NOON,
        end_at=NOON,
        created_at=moment,
        last_modified_at=moment,
        extra={},
        recurrence=[],
        **fields,
    )


# -- the clock -----------------------------------------------------------------------------------


def test_times_in_one_transaction_are_whole_milliseconds_apart(database):
    now = datetime(2026, 7, 1, 12, 0, 0, 123_456, tzinfo=UTC)
    with database.write() as session:
        times = [next_change_time(session, now) for _ in range(5)]
    assert times[0] == datetime(2026, 7, 1, 12, 0, 0, 123_000, tzinfo=UTC)
    assert [b - a for a, b in itertools.pairwise(times)] == [MS] * 4


def test_the_clock_continues_from_what_was_committed(database):
    with database.write() as session:
        create_event(session, _values())  # stamped by the wall clock, now
    with database.read() as session:
        last = last_change_time(session)
    assert last is not None
    with database.write() as session:
        same_ms = next_change_time(session, last)
    with database.write() as session:
        went_back = next_change_time(session, last - timedelta(hours=1))
    with database.write() as session:
        later = next_change_time(session, last + timedelta(seconds=5, microseconds=999))
    # Same millisecond and a wall clock gone back still move forward; nothing was written, so
    # the last two continue from what the database holds.
    assert same_ms == went_back == last + MS
    assert later == last + timedelta(seconds=5)


def test_the_clock_counts_deletions_and_data_written_around_it(database):
    now = datetime(2026, 7, 1, 12, tzinfo=UTC)
    imported = datetime(2026, 7, 1, 12, 0, 5, 250_777, tzinfo=UTC)  # microseconds, like the demo
    with database.write() as session:
        session.add(_raw_event(imported))
    with database.write() as session:
        assert next_change_time(session, now) == datetime(2026, 7, 1, 12, 0, 5, 251_000, tzinfo=UTC)
    deleted = datetime(2026, 7, 1, 12, 0, 9, tzinfo=UTC)
    with database.write() as session:
        session.add(Tombstone(record_type="event", record_id=99, deleted_at=deleted))
        session.add(Tombstone(record_type="contact", record_id=1, deleted_at=deleted + MS * 500))
    with database.write() as session:
        assert next_change_time(session, now) == deleted + MS  # contacts have their own times


def test_the_clock_needs_a_transaction(database):
    with database.read() as session, pytest.raises(RuntimeError):
        next_change_time(session)


def test_threads_writing_at_once_get_distinct_times(database):
    stamps: list[datetime] = []
    failures: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(10):
                with database.write() as session:
                    stamps.append(create_event(session, _values()).last_modified_at)
        except BaseException as e:  # reported below, on the test's thread
            failures.append(e)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(set(stamps)) == 80
    with database.read() as session:
        feed = session.execute(
            select(Event.id, Event.last_modified_at).order_by(Event.last_modified_at)
        ).all()
    # Times were issued in commit order, which is id order here (each write makes one event).
    assert [row.id for row in feed] == sorted(row.id for row in feed)


# -- paging by change time -----------------------------------------------------------------------


def test_a_page_never_ends_inside_a_millisecond(database):
    base = datetime(2026, 7, 1, 12, tzinfo=UTC)
    offsets_us = [0, 1_000, 2_000, 2_100, 2_200, 2_300, 3_000, 4_000]  # four share 12:00:00.002
    with database.write() as session:
        session.add_all(_raw_event(base + timedelta(microseconds=us)) for us in offsets_us)
    with database.read() as session:
        first = events_changed_since(session, base, 3)
        assert [e.last_modified_at for e in first.items] == [
            base + timedelta(microseconds=us) for us in offsets_us[:6]
        ]
        assert first.next_since == base + 3 * MS
        assert first.total == 8
        second = events_changed_since(session, first.next_since, 3)
        assert len(second.items) == 2
        assert second.next_since is None
        just_the_group = events_changed_since(session, base + 2 * MS, 2)
        assert len(just_the_group.items) == 4  # a millisecond bigger than the page
        assert just_the_group.next_since == base + 3 * MS
        ends_on_group = events_changed_since(session, base + MS, 2)
        assert len(ends_on_group.items) == 5
        assert ends_on_group.next_since == base + 3 * MS


def test_deletions_are_listed_in_order_with_their_uid(database):
    with database.write() as session:
        first = create_event(session, _values(ical_uid="uid-1"))
        second = create_event(session, _values())
    with database.write() as session:
        delete_event(session, first.id)
    with database.write() as session:
        delete_event(session, second.id)
    with database.read() as session:
        page = events_deleted_since(session, None, 50)
        later = events_deleted_since(session, page.items[1].deleted_at, 50)
    assert [(d.id, d.ical_uid) for d in page.items] == [(first.id, "uid-1"), (second.id, None)]
    assert page.items[0].deleted_at > second.last_modified_at
    assert [d.id for d in later.items] == [second.id]


def test_a_change_after_a_read_is_found_from_the_readers_cursor(database):
    with database.write() as session:
        events = [create_event(session, _values(subject=f"e{n}")) for n in range(4)]
    with database.read() as session:
        page = events_changed_since(session, events[0].last_modified_at, 2)
    with database.write() as session:
        update_event(session, events[0].id, {"subject": "changed"})
    with database.read() as session:
        assert page.next_since is not None
        rest = events_changed_since(session, page.next_since, 10)
    assert [e.id for e in rest.items] == [events[2].id, events[3].id, events[0].id]
    assert rest.items[-1].subject == "changed"


# -- tombstones ----------------------------------------------------------------------------------


def test_tombstones_are_purged_after_the_retention_period_exactly(database):
    now = datetime(2026, 10, 1, tzinfo=UTC)
    retention = timedelta(days=90)
    ages = {
        1: retention + timedelta(days=30),
        2: retention + MS,
        3: retention,
        4: retention - MS,
        5: timedelta(0),
    }
    with database.write() as session:
        session.add_all(
            Tombstone(record_type="event", record_id=rid, deleted_at=now - age)
            for rid, age in ages.items()
        )
        session.add(Tombstone(record_type="contact", record_id=1, deleted_at=now - 2 * retention))
    with database.write() as session:
        assert purge_tombstones(session, now, retention) == 2
    with database.write() as session:
        assert purge_tombstones(session, now, retention) == 0
    with database.read() as session:
        left = session.execute(select(Tombstone.record_type, Tombstone.record_id)).all()
    assert sorted(left) == [("contact", 1), ("event", 3), ("event", 4), ("event", 5)]


# -- what written times mean ---------------------------------------------------------------------


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _all_day(first: str, after_last: str) -> EventSpan:
    start, end = _day(first), _day(after_last)
    return EventSpan(
        True,
        datetime.combine(start, datetime.min.time(), tzinfo=UTC),
        datetime.combine(end, datetime.min.time(), tzinfo=UTC),
        start,
        end,
    )


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (_day("2026-07-01"), _day("2026-07-01"), _all_day("2026-07-01", "2026-07-02")),
        (_day("2026-07-01"), _day("2026-07-02"), _all_day("2026-07-01", "2026-07-02")),
        (_day("2026-07-01"), _day("2026-07-04"), _all_day("2026-07-01", "2026-07-04")),
        (
            datetime(2026, 7, 1, tzinfo=PDT),
            datetime(2026, 7, 1, tzinfo=PDT),
            _all_day("2026-07-01", "2026-07-02"),
        ),
        (
            datetime(2026, 7, 1, 23, tzinfo=PDT),  # July 2 in UTC: the date as written counts
            datetime(2026, 7, 2, tzinfo=PDT),
            _all_day("2026-07-01", "2026-07-02"),
        ),
        (
            datetime(2026, 7, 1),
            datetime(2026, 7, 2, 23, 59, 59),  # an inclusive end during the day
            _all_day("2026-07-01", "2026-07-03"),
        ),
        (datetime(2026, 7, 1, 9), _day("2026-07-03"), _all_day("2026-07-01", "2026-07-03")),
    ],
)
def test_all_day_spans(start, end, expected):
    assert resolve_span(start, end, True, None) == expected


def test_timed_spans_are_instants():
    paris = ZoneInfo("Europe/Paris")
    # An offset wins over the zone; a local time is read in the zone (CEST in July, CET in January).
    summer = resolve_span(
        datetime(2026, 7, 1, 10, tzinfo=PDT), datetime(2026, 7, 1, 21), False, paris
    )
    assert summer == EventSpan(
        False, datetime(2026, 7, 1, 17, tzinfo=UTC), datetime(2026, 7, 1, 19, tzinfo=UTC)
    )
    winter = resolve_span(datetime(2026, 1, 15, 9), datetime(2026, 1, 15, 9), False, paris)
    assert winter == EventSpan(
        False, datetime(2026, 1, 15, 8, tzinfo=UTC), datetime(2026, 1, 15, 8, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (_day("2026-07-01"), datetime(2026, 7, 1, 10, tzinfo=UTC), "startTime"),
        (datetime(2026, 7, 1, 10), datetime(2026, 7, 1, 11, tzinfo=UTC), "startTime"),
        (datetime(2026, 7, 1, 10, tzinfo=UTC), datetime(2026, 7, 1, 11), "endTime"),
        (datetime(2026, 7, 1, 10, tzinfo=UTC), datetime(2026, 7, 1, 9, tzinfo=UTC), "endTime"),
    ],
)
def test_timed_spans_refuse_what_they_cannot_place(start, end, field):
    with pytest.raises(Invalid) as error:
        resolve_span(start, end, False, None)
    assert error.value.field == field


def test_all_day_end_before_start_is_refused():
    with pytest.raises(Invalid) as error:
        resolve_span(_day("2026-07-02"), _day("2026-07-01"), True, None)
    assert error.value.field == "endTime"


def test_millisecond_truncation():
    moment = datetime(2026, 7, 1, 12, 0, 0, 999_999, tzinfo=UTC)
    assert whole_milliseconds(moment) == datetime(2026, 7, 1, 12, 0, 0, 999_000, tzinfo=UTC)


# -- attendee statuses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("Accepted", "accepted"),
        ("declined", "declined"),
        ("TENTATIVE", "tentative"),
        ("tentatively_accepted", "tentative"),
        ("NeedsAction", "needsAction"),
        ("needs-action", "needsAction"),
        ("None", "needsAction"),
        ("NotResponded", "needsAction"),
        ("", "needsAction"),
        (None, "needsAction"),
    ],
)
def test_statuses_are_read_in_any_spelling(written, status):
    assert canonical_status(written, "attendees/0/status") == status


@pytest.mark.parametrize("written", ["maybe", "yes", "delegated", "accepted!"])
def test_unknown_statuses_name_the_field(written):
    with pytest.raises(Invalid) as error:
        canonical_status(written, "attendees/3/status")
    assert error.value.field == "attendees/3/status"
