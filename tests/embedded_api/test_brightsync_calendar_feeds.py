"""BrightSync Calendar Sync (spec 002) over HTTP, on SQLite and PostgreSQL: the feeds. The
``lastModifiedAt`` clock, ``events?since=`` deltas, intervals, paging and ``/deletedEvents``."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from core.models import Tombstone
from tests.support.calendar_api import DELETED, EVENTS, calendar_contact
from tests.support.calendar_api import assert_problem as _assert_problem
from tests.support.calendar_api import at as _at
from tests.support.calendar_api import create_event as _event
from tests.support.calendar_api import delta as _delta
from tests.support.calendar_api import stamp as _stamp

# -- lastModifiedAt and the delta ----------------------------------------------------------------


def test_quick_writes_get_distinct_increasing_modification_times(client):
    first = _event(client)
    stamps = [first["lastModifiedAt"]]
    for n in range(49):
        if n % 2:
            stamps.append(_event(client, subject=f"e{n}")["lastModifiedAt"])
        else:
            url = f"{EVENTS}/{first['id']}"
            stamps.append(client.patch(url, json={"subject": f"s{n}"}).json()["lastModifiedAt"])
    assert len(set(stamps)) == 50
    times = [_at(s) for s in stamps]
    assert times == sorted(times)
    assert all(b - a >= timedelta(milliseconds=1) for a, b in itertools.pairwise(times))


def test_since_is_inclusive(client):
    events = [_event(client, subject=f"e{n}") for n in range(5)]
    middle = events[2]
    found = client.get(EVENTS, params={"since": middle["lastModifiedAt"]}).json()
    assert [e["id"] for e in found["items"]] == [e["id"] for e in events[2:]]
    assert found["total"] == 3
    just_after = _stamp(_at(middle["lastModifiedAt"]) + timedelta(milliseconds=1))
    found = client.get(EVENTS, params={"since": just_after}).json()
    assert [e["id"] for e in found["items"]] == [e["id"] for e in events[3:]]
    as_millis = int(_at(middle["lastModifiedAt"]).timestamp() * 1000)
    found = client.get(EVENTS, params={"since": as_millis}).json()
    assert [e["id"] for e in found["items"]] == [e["id"] for e in events[2:]]


def test_concurrent_writers_get_distinct_times_and_a_reader_misses_nothing(server, api_key):
    headers = {"Authorization": f"Bearer {api_key}"}
    stamps: list[str] = []
    errors: list[str] = []
    writing = threading.Event()
    writing.set()

    def write(n: int) -> None:
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            for i in range(8):
                response = http.post(
                    EVENTS,
                    json={
                        "subject": f"w{n}-{i}",
                        "startTime": "2026-07-01T10:00:00Z",
                        "endTime": "2026-07-01T11:00:00Z",
                    },
                )
                if response.status_code != 201:
                    errors.append(response.text)
                    return
                stamps.append(response.json()["lastModifiedAt"])
                response = http.patch(
                    f"{EVENTS}/{response.json()['id']}", json={"location": f"room {i}"}
                )
                stamps.append(response.json()["lastModifiedAt"])

    seen: dict[str, str] = {}

    def read_from(http: httpx.Client, since: str) -> str:
        while True:
            body = http.get(EVENTS, params={"since": since, "limit": 7}).json()
            for item in body["items"]:
                seen[item["id"]] = max(seen.get(item["id"], ""), item["lastModifiedAt"])
            if body["nextSince"] is not None:
                since = body["nextSince"]
            elif body["items"]:
                return body["items"][-1]["lastModifiedAt"]  # inclusive: read again next time
            else:
                return since

    def read() -> None:
        since = "0"
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            while writing.is_set():
                since = read_from(http, since)
            read_from(http, since)  # once more after the last write

    writers = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    reader = threading.Thread(target=read)
    reader.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    writing.clear()
    reader.join()
    assert not errors
    assert len(stamps) == 96
    assert len(set(stamps)) == 96
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
        everything = [e for page in _delta(http, 0, limit=500) for e in page["items"]]
    feed = [_at(e["lastModifiedAt"]) for e in everything]
    assert feed == sorted(feed)
    assert len(set(feed)) == len(feed) == 48
    # The reader, paging by lastModifiedAt while writers wrote, saw every event's last version.
    assert seen == {e["id"]: e["lastModifiedAt"] for e in everything}


def test_a_large_delta_pages_by_next_since(client):
    events = [_event(client, subject=f"e{n}") for n in range(120)]
    pages = _delta(client, 0)
    assert [len(p["items"]) for p in pages] == [50, 50, 20]
    assert [p["total"] for p in pages] == [120, 70, 20]
    ids = [e["id"] for p in pages for e in p["items"]]
    assert ids == [e["id"] for e in events]
    response = client.get(EVENTS, params={"since": 0, "page": 2})
    problem = _assert_problem(response, "page")
    assert "nextSince" in problem["detail"]


def test_an_event_changed_while_paging_comes_again_and_nothing_is_missed(client):
    events = [_event(client, subject=f"e{n}") for n in range(120)]
    first = client.get(EVENTS, params={"since": 0, "limit": 50}).json()
    read = [e["id"] for e in first["items"]]
    # Meanwhile: an event already read is changed, one not read yet is changed, one is deleted.
    client.patch(f"{EVENTS}/{events[0]['id']}", json={"subject": "changed early"})
    client.patch(f"{EVENTS}/{events[60]['id']}", json={"subject": "changed late"})
    assert client.delete(f"{EVENTS}/{events[10]['id']}").status_code == 204
    rest = _delta(client, first["nextSince"])
    read += [e["id"] for p in rest for e in p["items"]]
    assert set(read) == {e["id"] for e in events}  # none missed
    assert read.count(events[0]["id"]) == 2  # the change read again, later
    later = [e for p in rest for e in p["items"] if e["id"] == events[0]["id"]]
    assert later[0]["subject"] == "changed early"
    assert read.count(events[60]["id"]) == 1  # moved to the end, still read once
    assert read[-1] == events[60]["id"]


def test_a_large_interval_pages_by_page_number(client):
    base = datetime(2026, 7, 1, tzinfo=UTC)
    inside = [
        _event(
            client,
            startTime=_stamp(base + timedelta(minutes=10 * n)),
            endTime=_stamp(base + timedelta(minutes=10 * n + 5)),
        )
        for n in range(120)
    ]
    _event(client, startTime="2026-06-30T10:00:00Z", endTime="2026-06-30T11:00:00Z")
    _event(client, startTime="2026-07-03T10:00:00Z", endTime="2026-07-03T11:00:00Z")
    params = {"startAt": "2026-07-01T00:00:00Z", "endAt": "2026-07-02T00:00:00Z", "limit": 50}
    ids, page, totals = [], 1, []
    while page is not None:
        body = client.get(EVENTS, params={**params, "page": page}).json()
        ids += [e["id"] for e in body["items"]]
        totals.append(body["total"])
        assert body["nextSince"] is None
        page = body["nextPage"]
    assert ids == [e["id"] for e in inside]  # by start time
    assert totals == [120, 120, 120]


def test_an_interval_holds_the_events_that_overlap_it(client):
    def event(start, end):
        return _event(client, startTime=f"2026-07-01T{start}Z", endTime=f"2026-07-01T{end}Z")["id"]

    ends_at_start = event("09:00:00", "10:00:00")
    crosses_start = event("09:30:00", "10:30:00")
    inside = event("10:15:00", "10:45:00")
    spans = event("08:00:00", "12:00:00")
    instant_at_start = event("10:00:00", "10:00:00")
    instant_at_end = event("11:00:00", "11:00:00")
    starts_at_end = event("11:00:00", "12:00:00")
    found = client.get(
        EVENTS, params={"startAt": "2026-07-01T10:00:00Z", "endAt": "2026-07-01T11:00:00Z"}
    ).json()
    assert {e["id"] for e in found["items"]} == {crosses_start, inside, spans, instant_at_start}
    assert ends_at_start not in {e["id"] for e in found["items"]}
    assert instant_at_end not in {e["id"] for e in found["items"]}
    assert starts_at_end not in {e["id"] for e in found["items"]}
    ordered = [e["id"] for e in found["items"]]
    assert ordered == [spans, crosses_start, instant_at_start, inside]


def test_since_and_an_interval_combine(client):
    early = _event(client, startTime="2026-07-01T10:00:00Z", endTime="2026-07-01T11:00:00Z")
    _event(client, startTime="2026-08-01T10:00:00Z", endTime="2026-08-01T11:00:00Z")
    late = _event(client, startTime="2026-07-01T12:00:00Z", endTime="2026-07-01T13:00:00Z")
    found = client.get(
        EVENTS,
        params={
            "since": early["lastModifiedAt"],
            "startAt": "2026-07-01T00:00:00Z",
            "endAt": "2026-07-02T00:00:00Z",
        },
    ).json()
    assert [e["id"] for e in found["items"]] == [early["id"], late["id"]]
    found = client.get(
        EVENTS,
        params={
            "since": late["lastModifiedAt"],
            "startAt": "2026-07-01T00:00:00Z",
            "endAt": "2026-07-02T00:00:00Z",
        },
    ).json()
    assert [e["id"] for e in found["items"]] == [late["id"]]


def test_all_events_without_a_filter_by_start(client):
    later = _event(client, startTime="2026-08-01T10:00:00Z", endTime="2026-08-01T11:00:00Z")
    sooner = _event(client, startTime="2026-07-01T10:00:00Z", endTime="2026-07-01T11:00:00Z")
    body = client.get(EVENTS).json()
    assert [e["id"] for e in body["items"]] == [sooner["id"], later["id"]]
    assert (body["total"], body["page"], body["limit"], body["nextPage"]) == (2, 1, 50, None)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"startAt": "2026-07-01T00:00:00Z"}, "endAt"),
        ({"endAt": "2026-07-01T00:00:00Z"}, "startAt"),
        ({"startAt": "2026-07-02T00:00:00Z", "endAt": "2026-07-01T00:00:00Z"}, "endAt"),
        ({"startAt": "2026-07-01T00:00:00Z", "endAt": "2026-07-01T00:00:00Z"}, "endAt"),
        ({"startAt": "yesterday", "endAt": "2026-07-01T00:00:00Z"}, "startAt"),
        ({"startAt": "2026-07-01T00:00:00", "endAt": "2026-07-02T00:00:00Z"}, "startAt"),
        ({"startAt": "2026-07-01", "endAt": "2026-07-02T00:00:00Z"}, "startAt"),
        ({"since": "last week"}, "since"),
        ({"since": "2026-07-01T00:00:00"}, "since"),
        ({"since": "0", "limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
    ],
)
def test_bad_query_parameters_are_a_422_naming_them(client, params, field):
    _assert_problem(client.get(EVENTS, params=params), field)


# -- deletions -----------------------------------------------------------------------------------


def test_deleted_events_are_listed_since_a_time(client):
    kept = _event(client)
    gone = [_event(client, subject=f"gone {n}", iCalUID=f"uid-{n}") for n in range(5)]
    for event in gone:
        assert client.delete(f"{EVENTS}/{event['id']}").status_code == 204
    assert client.get(f"{EVENTS}/{gone[0]['id']}").status_code == 404
    assert client.delete(f"{EVENTS}/{gone[0]['id']}").status_code == 404
    everything = client.get(DELETED).json()
    assert [d["id"] for d in everything["items"]] == [e["id"] for e in gone]
    assert everything["items"][0]["iCalUID"] == "uid-0"
    stamps = [_at(d["deletedAt"]) for d in everything["items"]]
    assert stamps == sorted(set(stamps))
    assert stamps[0] > _at(gone[-1]["lastModifiedAt"])  # the same clock as lastModifiedAt
    third = everything["items"][2]
    since = client.get(DELETED, params={"since": third["deletedAt"]}).json()
    assert [d["id"] for d in since["items"]] == [e["id"] for e in gone[2:]]  # inclusive
    # Paged by nextSince.
    pages, cursor = [], None
    while True:
        params = {"limit": 2} if cursor is None else {"limit": 2, "since": cursor}
        body = client.get(DELETED, params=params).json()
        pages.append([d["id"] for d in body["items"]])
        cursor = body["nextSince"]
        if cursor is None:
            break
    assert pages == [[e["id"] for e in gone[i : i + 2]] for i in (0, 2, 4)]
    assert client.get(f"{EVENTS}/{kept['id']}").status_code == 200
    assert [e["id"] for e in client.get(EVENTS).json()["items"]] == [kept["id"]]


def test_deleted_events_are_kept_for_the_retention_period(hearth, client):
    retention = timedelta(days=hearth.settings.calendar.tombstone_retention_days)
    assert retention == timedelta(days=90)
    now = datetime.now(UTC)
    with hearth.database.write() as session:
        session.add_all(
            [
                Tombstone(
                    record_type="event",
                    record_id=900_001,
                    deleted_at=now - retention - timedelta(hours=1),
                ),
                Tombstone(
                    record_type="event",
                    record_id=900_002,
                    deleted_at=now - retention + timedelta(hours=1),
                ),
                Tombstone(record_type="contact", record_id=900_003, deleted_at=now - 2 * retention),
            ]
        )
    listed = client.get(DELETED, params={"since": 0}).json()
    assert [d["id"] for d in listed["items"]] == ["900001", "900002"]  # purged on deletion only
    assert client.delete(f"{EVENTS}/{_event(client)['id']}").status_code == 204
    listed = client.get(DELETED, params={"since": 0}).json()
    assert [d["id"] for d in listed["items"]][:1] == ["900002"]
    assert len(listed["items"]) == 2
    with hearth.database.read() as session:
        kinds = session.scalars(select(Tombstone.record_type).order_by(Tombstone.id)).all()
    assert kinds == ["event", "contact", "event"]  # other records' tombstones are not touched


@pytest.mark.parametrize("deleted", ["contact", "company"])
def test_deleting_a_linked_contact_or_company_shows_the_events_changed(client, deleted):
    acme = client.post(
        "/api/v1/companies", json={"name": "Acme", "domains": ["acme.example"]}
    ).json()
    sarah = calendar_contact(client, companyId=acme["id"])
    linked = _event(client, attendees=[{"emailAddress": "sarah@acme.example"}])
    other = _event(client, subject="Unrelated", attendees=[{"emailAddress": "x@elsewhere.example"}])
    assert {(r["type"], r["id"]) for r in linked["relatedTo"]} >= {
        ("contact", sarah["id"]),
        ("company", acme["id"]),
    }
    target = sarah if deleted == "contact" else acme
    path = "/api/v1/contacts" if deleted == "contact" else "/api/v1/companies"
    assert client.delete(f"{path}/{target['id']}").status_code == 204

    changed = _delta(client, other["lastModifiedAt"])
    items = [e for page in changed for e in page["items"] if e["id"] != other["id"]]
    assert [e["id"] for e in items] == [linked["id"]]
    (event,) = items
    assert _at(event["lastModifiedAt"]) > _at(other["lastModifiedAt"])
    assert (deleted, target["id"]) not in {(r["type"], r["id"]) for r in event["relatedTo"]}
    if deleted == "contact":
        assert event["attendees"][0]["contactId"] is None
