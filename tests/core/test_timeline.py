"""Timelines in core: what a company's timeline holds, stable order and paging, filters, notes,
and (on SQLite) query plans that stay within one index range on a contact with 10,000 entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, insert

from core.errors import Invalid, NotFound
from core.events import ChangeEvent
from core.models import Activity
from core.services import PageRequest
from core.services.companies import create_company
from core.services.contacts import create_contact, update_contact
from core.services.timeline import (
    TimelineFilter,
    add_note,
    company_timeline,
    contact_timeline,
    parse_kinds,
)

NOON = datetime(2026, 7, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _company(session, name="Acme"):
    return create_company(session, {"name": name}).id


def _contact(session, company_id=None, name="Sarah"):
    return create_contact(session, {"first_name": name, "company_id": company_id}, "US").id


def _entry(session, contact_id=None, company_id=None, *, kind="note", at=NOON, record=None):
    """An entry as a writer (email or meeting links, partner ingestion) would add it."""
    record_type, record_id = record or (None, None)
    row = Activity(
        contact_id=contact_id,
        company_id=company_id,
        kind=kind,
        source="test",
        occurred_at=at,
        title=f"{kind} at {at:%H:%M}",
        record_type=record_type,
        record_id=record_id,
        data={},
    )
    session.add(row)
    session.flush()
    return row.id


def _ids(page):
    return [entry.id for entry in page.items]


def _all(session, timeline, owner_id, only=None):
    return timeline(session, owner_id, PageRequest(1, 500), only)


# -- what a company's timeline holds ---------------------------------------------------------------


def test_a_company_shows_each_email_and_meeting_once_however_many_of_its_people_took_part(
    database,
):
    with database.write() as session:
        acme = _company(session)
        sarah, dana = _contact(session, acme), _contact(session, acme, "Dana")
        # The email writer: one entry per linked contact (no company) and one per company.
        _entry(session, sarah, kind="email", record=("email", 1))
        _entry(session, dana, kind="email", record=("email", 1))
        email = _entry(session, None, acme, kind="email", record=("email", 1))
        # The meeting writer: one entry per attendee contact, with their company.
        meeting = _entry(session, sarah, acme, kind="meeting", at=NOON + HOUR, record=("event", 1))
        _entry(session, dana, acme, kind="meeting", at=NOON + HOUR, record=("event", 1))
        # Notes are no repeats of each other, even at the same time.
        notes = [_entry(session, sarah, acme, at=NOON - HOUR) for _ in range(2)]
    with database.read() as session:
        page = _all(session, company_timeline, acme)
        assert _ids(page) == [meeting, email, notes[1], notes[0]]
        assert page.total == 4
        assert _ids(_all(session, company_timeline, acme, TimelineFilter(("meeting",)))) == [
            meeting
        ]
        assert _all(session, company_timeline, acme, TimelineFilter(("meeting",))).total == 1
        assert len(_all(session, contact_timeline, sarah).items) == 4  # email, meeting, 2 notes


def test_a_persons_history_stays_with_the_company_where_it_happened(database):
    with database.write() as session:
        acme, globex = _company(session), _company(session, "Globex")
        sarah = _contact(session, acme)
        at_acme = _entry(session, sarah, acme, kind="meeting", record=("event", 7))
        update_contact(session, sarah, {"company_id": globex}, "US")
        at_globex = _entry(session, sarah, globex, kind="meeting", at=NOON + HOUR)
        alone = _entry(session, sarah, None, kind="enginy_engagement", at=NOON + 2 * HOUR)
    with database.read() as session:
        assert _ids(_all(session, company_timeline, acme)) == [at_acme]
        assert _ids(_all(session, company_timeline, globex)) == [at_globex]
        assert _ids(_all(session, contact_timeline, sarah)) == [alone, at_globex, at_acme]


def test_unknown_contact_or_company_is_not_found(database):
    with database.read() as session:
        with pytest.raises(NotFound, match="no contact with id 404"):
            contact_timeline(session, 404, PageRequest())
        with pytest.raises(NotFound, match="no company with id 404"):
            company_timeline(session, 404, PageRequest())


# -- order, paging, filters ----------------------------------------------------------------------


def test_pages_are_newest_first_ties_by_newest_id_each_entry_once(database):
    with database.write() as session:
        acme = _company(session)
        sarah = _contact(session, acme)
        written = [
            (NOON + (index % 3) * HOUR, _entry(session, sarah, acme, at=NOON + (index % 3) * HOUR))
            for index in range(23)
        ]
    expected = [entry_id for _, entry_id in sorted(written, reverse=True)]
    with database.read() as session:
        for timeline, owner in ((contact_timeline, sarah), (company_timeline, acme)):
            pages = [timeline(session, owner, PageRequest(n, 5)) for n in range(1, 7)]
            assert [entry for page in pages for entry in _ids(page)] == expected
            assert [page.has_more for page in pages] == [True] * 4 + [False] * 2
            assert {page.total for page in pages} == {23}


def test_after_is_inclusive_before_exclusive_and_kinds_combine(database):
    with database.write() as session:
        sarah = _contact(session)
        ten = _entry(session, sarah, at=NOON - 2 * HOUR)
        eleven = _entry(session, sarah, kind="email", at=NOON - HOUR, record=("email", 3))
        twelve = _entry(session, sarah, at=NOON)
    pdt = timezone(timedelta(hours=-7))
    with database.read() as session:

        def ids(**only):
            return _ids(_all(session, contact_timeline, sarah, TimelineFilter(**only)))

        assert ids(after=NOON - HOUR) == [twelve, eleven]
        assert ids(before=NOON - HOUR) == [ten]
        assert ids(after=(NOON - 2 * HOUR).astimezone(pdt), before=NOON) == [eleven, ten]
        assert ids(kinds=("note",), after=NOON - HOUR) == [twelve]
        assert ids(kinds=("email", "note")) == [twelve, eleven, ten]


def test_kinds_are_read_leniently_but_must_exist():
    assert parse_kinds(["Email, MEETING,,", " note ", "email"]) == ("email", "meeting", "note")
    assert parse_kinds([]) == ()
    with pytest.raises(Invalid) as caught:
        parse_kinds(["email,calls"])
    assert caught.value.field == "kind"
    assert "'calls'" in caught.value.message


@pytest.mark.parametrize(
    ("only", "field"),
    [
        ({"after": datetime(2026, 7, 1)}, "after"),  # naive on purpose
        ({"before": datetime(2026, 7, 1)}, "before"),
        ({"after": NOON, "before": NOON}, "after"),
        ({"after": NOON + HOUR, "before": NOON}, "after"),
    ],
)
def test_a_filter_refuses_times_that_name_no_instant_or_no_interval(only, field):
    with pytest.raises(Invalid) as caught:
        TimelineFilter(**only)
    assert caught.value.field == field


# -- notes ---------------------------------------------------------------------------------------


def test_a_note_on_a_contact_is_also_on_their_company_and_published_once_committed(database):
    seen: list[ChangeEvent] = []
    database.events.subscribe(seen.append)
    with database.write() as session:
        acme = _company(session)
        sarah = _contact(session, acme)
    seen.clear()
    with database.write() as session:
        note = add_note(session, contact_id=sarah, title="  Call  ", occurred_at=NOON)
        assert seen == []
    assert seen == [
        ChangeEvent("activity", "created", (note.id,)),
        ChangeEvent("contact", "updated", (sarah,)),  # its last activity moved
    ]
    assert (note.kind, note.title, note.body, note.company_id) == ("note", "Call", None, acme)
    with database.read() as session:
        assert _all(session, company_timeline, acme).items == [note]
        assert _all(session, contact_timeline, sarah).items == [note]


def test_a_note_needs_text_an_owner_and_an_aware_time(database):
    with database.write() as session:
        sarah = _contact(session)
        with pytest.raises(ValueError, match="exactly one"):
            add_note(session, body="x")
        with pytest.raises(ValueError, match="exactly one"):
            add_note(session, contact_id=sarah, company_id=1, body="x")
        with pytest.raises(NotFound):
            add_note(session, company_id=404, body="x")
        for values, field in (
            ({"title": " ", "body": "\n"}, "body"),
            ({"body": "x" * 100_001}, "body"),
            ({"title": "x" * 1_001}, "title"),
            ({"body": "x", "occurred_at": datetime(2026, 7, 1)}, "occurredAt"),
        ):
            with pytest.raises(Invalid) as caught:
                add_note(session, contact_id=sarah, **values)
            assert caught.value.field == field
        note = add_note(session, contact_id=sarah, body="No company: none on the note")
        assert note.company_id is None


# -- query plans (SQLite) ------------------------------------------------------------------------


def _seed_busy_contact(database, entries=10_000, others=30_000):
    """A contact with ``entries`` entries at Acme among ``others`` of other people elsewhere."""
    with database.write() as session:
        acme, globex = _company(session), _company(session, "Globex")
        sarah, dana = _contact(session, acme), _contact(session, globex, "Dana")
        rows = [
            {
                "contact_id": sarah if i % 5 else None,
                "company_id": acme,
                "kind": ("email", "meeting", "note")[i % 3],
                "occurred_at": NOON - timedelta(minutes=i // 2),  # pairs at the same minute
                "record_type": "email" if i % 3 == 0 else None,
                "record_id": i if i % 3 == 0 else None,
                "data": {},
            }
            for i in range(entries)
        ]
        rows += [
            {"contact_id": dana, "company_id": globex, "kind": "email", "data": {}}
            | {"occurred_at": NOON - timedelta(seconds=i), "record_type": "email", "record_id": i}
            for i in range(others)
        ]
        session.execute(insert(Activity), rows)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    return sarah, acme


def _plans(database, call):
    """The SQLite query plan of each statement ``call`` runs on the activities table."""
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, *_):
        statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", capture)
    try:
        with database.read() as session:
            result = call(session)
    finally:
        event.remove(database.engine, "before_cursor_execute", capture)
    plans = []
    with database.engine.connect() as connection:
        for statement, parameters in statements:
            if "FROM activities" in statement:
                rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                plans.append(" | ".join(row[-1] for row in rows))
    return result, plans


def test_a_busy_contacts_timeline_reads_one_index_range(sqlite_database):
    sarah, acme = _seed_busy_contact(sqlite_database)
    window = TimelineFilter(("email", "note"), after=NOON - 48 * HOUR)
    cases = [
        (lambda s: contact_timeline(s, sarah, PageRequest()), "ix_activities_contact_time"),
        (lambda s: contact_timeline(s, sarah, PageRequest(60, 50), window), "contact_time"),
        (lambda s: company_timeline(s, acme, PageRequest()), "ix_activities_company_time"),
        (lambda s: company_timeline(s, acme, PageRequest(3), window), "company_time"),
    ]
    for call, index in cases:
        page, plans = _plans(sqlite_database, call)
        assert len(plans) == 2, plans  # the count, then the page
        for plan in plans:
            assert index in plan, plan
            assert "SCAN" not in plan, plan  # no full pass over the table or an index
            assert "TEMP B-TREE" not in plan, plan  # the index gives the order: no sort
        assert page.items
    page, plans = _plans(sqlite_database, lambda s: contact_timeline(s, sarah, PageRequest()))
    assert "COVERING INDEX ix_activities_contact_time" in plans[0]  # counts without the rows
    assert page.total == 8_000
    times = [entry.occurred_at for entry in page.items]
    assert times == sorted(times, reverse=True)
    assert page.items[0].occurred_at == NOON
