"""BrightSync Calendar Sync (spec 002) over HTTP, on SQLite and PostgreSQL: ``/api/v1/events``,
``/api/v1/events/{id}`` and ``/api/v1/deletedEvents``."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from core.models import Activity, Attendee, Event, RecordLink, Tombstone
from tests.support.factories import api_company as _company

EVENTS = "/api/v1/events"
DELETED = "/api/v1/deletedEvents"


# -- helpers -------------------------------------------------------------------------------------


def _contact(client, first="Sarah", addresses=("sarah@acme.example",), **fields):
    body = {"firstName": first, "emailAddresses": list(addresses), **fields}
    response = client.post("/api/v1/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _event(client, **fields):
    body = {
        "subject": "Meeting",
        "startTime": "2026-07-01T10:00:00Z",
        "endTime": "2026-07-01T11:00:00Z",
        **fields,
    }
    response = client.post(EVENTS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _counts(hearth) -> dict[str, int]:
    with hearth.database.read() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Event, Attendee, RecordLink, Activity, Tombstone)
        }


def _delta(client, since, limit=50, **params):
    """Every page of a delta read from ``since``, following nextSince."""
    pages = []
    while True:
        response = client.get(EVENTS, params={"since": since, "limit": limit, **params})
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        assert body["nextPage"] is None
        if body["nextSince"] is None:
            return pages
        since = body["nextSince"]


def _assert_problem(response, field, status=422):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == field, problem
    return problem


# -- the objects ---------------------------------------------------------------------------------


def test_create_and_get_round_trip_every_field(client):
    acme = _company(client)
    sarah = _contact(client, companyId=acme["id"])
    bob = _contact(client, "Bob", ["bob@elsewhere.example"])
    parent = _event(client, subject="Series")
    created = _event(
        client,
        subject="Quarterly review",
        description="  Agenda:\n- pipeline\n",
        startTime="2026-07-01T10:00:00-07:00",
        endTime="2026-07-01T11:30:00-07:00",
        timeZone="America/Los_Angeles",
        location="https://meet.example.com/abc",
        allDay=False,
        private=True,
        attendees=[
            {"emailAddress": "SARAH@acme.example", "status": "accepted", "name": "Sarah Chen"},
            {"contactId": int(bob["id"]), "status": "Tentative"},
            {"userId": 17, "emailAddress": "me@hearth.example", "organizer": True},
        ],
        parentId=parent["id"],
        relatedTo=[{"type": "contact", "id": bob["id"]}, {"type": "opportunity", "id": "OPP-9"}],
        iCalUID="abc123@calendar.example",
    )
    assert isinstance(created["id"], str)
    assert created["subject"] == "Quarterly review"
    assert created["description"] == "  Agenda:\n- pipeline\n"  # verbatim, never trimmed
    assert created["startTime"] == "2026-07-01T17:00:00.000Z"
    assert created["endTime"] == "2026-07-01T18:30:00.000Z"
    assert created["timeZone"] == "America/Los_Angeles"
    assert created["location"] == "https://meet.example.com/abc"
    assert created["allDay"] is False
    assert created["private"] is True
    assert created["parentId"] == int(parent["id"])  # a number, as the spec's Long
    assert created["iCalUID"] == "abc123@calendar.example"
    assert created["attendees"] == [
        {
            "userId": None,
            "emailAddress": "SARAH@acme.example",
            "contactId": int(sarah["id"]),
            "status": "Accepted",
            "name": "Sarah Chen",
            "organizer": False,
        },
        {
            "userId": None,
            "emailAddress": "bob@elsewhere.example",  # from the contact named
            "contactId": int(bob["id"]),
            "status": "Tentative",
            "name": None,
            "organizer": False,
        },
        {
            "userId": "17",
            "emailAddress": "me@hearth.example",
            "contactId": None,
            "status": "NeedsAction",
            "name": None,
            "organizer": True,
        },
    ]
    assert created["relatedTo"] == [
        {"type": "contact", "id": bob["id"], "origin": "explicit"},
        {"type": "opportunity", "id": "OPP-9", "origin": "explicit"},
        {"type": "contact", "id": sarah["id"], "origin": "matched"},
        {"type": "company", "id": acme["id"], "origin": "matched"},
    ]
    assert created["createdAt"] == created["lastModifiedAt"]
    assert created["lastModifiedAt"].endswith("Z")
    assert client.get(f"{EVENTS}/{created['id']}").json() == created


def test_offsets_round_trip_as_the_same_instant(client):
    created = _event(
        client, startTime="2026-07-01T10:00:00-07:00", endTime="2026-07-02T01:30:00+05:30"
    )
    assert created["startTime"] == "2026-07-01T17:00:00.000Z"
    assert created["endTime"] == "2026-07-01T20:00:00.000Z"
    # What comes out goes back in unchanged.
    again = client.put(f"{EVENTS}/{created['id']}", json=created).json()
    assert (again["startTime"], again["endTime"]) == (created["startTime"], created["endTime"])
    # Query bounds with offsets are instants too.
    found = client.get(
        EVENTS,
        params={"startAt": "2026-07-01T10:59:59-06:00", "endAt": "2026-07-01T11:00:01-06:00"},
    ).json()
    assert [e["id"] for e in found["items"]] == [created["id"]]


def test_epoch_milliseconds_are_accepted_as_numbers_and_digit_strings(client):
    start = int(datetime(2026, 7, 1, 17, tzinfo=UTC).timestamp() * 1000)
    by_number = _event(client, startTime=start, endTime=start + 1_800_000)
    by_string = _event(client, startTime=str(start), endTime=str(start + 1_800_000))
    for event in (by_number, by_string):
        assert event["startTime"] == "2026-07-01T17:00:00.000Z"
        assert event["endTime"] == "2026-07-01T17:30:00.000Z"
    found = client.get(EVENTS, params={"startAt": start, "endAt": start + 1}).json()
    assert {e["id"] for e in found["items"]} == {by_number["id"], by_string["id"]}


def test_local_times_are_read_in_the_events_time_zone(client):
    created = _event(
        client,
        startTime="2026-01-15T09:00:00",  # winter: CET, UTC+1
        endTime="2026-07-01T09:00:00",  # summer: CEST, UTC+2
        timeZone="Europe/Paris",
    )
    assert created["startTime"] == "2026-01-15T08:00:00.000Z"
    assert created["endTime"] == "2026-07-01T07:00:00.000Z"
    response = client.post(
        EVENTS, json={"startTime": "2026-07-01T09:00:00", "endTime": "2026-07-01T10:00:00"}
    )
    problem = _assert_problem(response, "startTime")
    assert "offset" in problem["detail"]


# -- all-day events ------------------------------------------------------------------------------


def test_an_all_day_event_made_of_dates_keeps_its_dates(client):
    created = _event(client, allDay=True, startTime="2026-07-01", endTime="2026-07-01")
    assert (created["startTime"], created["endTime"]) == ("2026-07-01", "2026-07-02")
    assert created["allDay"] is True
    assert client.get(f"{EVENTS}/{created['id']}").json() == created
    # Read back and written again (PUT), the dates do not move.
    again = client.put(f"{EVENTS}/{created['id']}", json=created).json()
    assert (again["startTime"], again["endTime"]) == ("2026-07-01", "2026-07-02")


@pytest.mark.parametrize(
    "start", ["2026-07-01T00:00:00-07:00", "2026-07-01T00:00:00+14:00", "2026-07-01T23:00:00-11:00"]
)
def test_an_all_day_event_takes_its_date_as_written_in_any_offset(client, start):
    created = _event(client, allDay=True, startTime=start, endTime=start)
    assert (created["startTime"], created["endTime"]) == ("2026-07-01", "2026-07-02")
    assert client.get(f"{EVENTS}/{created['id']}").json()["startTime"] == "2026-07-01"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-07-01", "2026-07-02", ("2026-07-01", "2026-07-02")),  # exclusive end: one day
        ("2026-07-01", "2026-07-03", ("2026-07-01", "2026-07-03")),  # two days
        ("2026-07-01T00:00:00Z", "2026-07-01T23:59:59Z", ("2026-07-01", "2026-07-02")),
        ("2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z", ("2026-07-01", "2026-07-02")),
        ("2026-07-01T00:00:00-07:00", "2026-07-02T00:00:00-07:00", ("2026-07-01", "2026-07-02")),
    ],
)
def test_all_day_ends_are_exclusive_and_inclusive_ends_are_understood(client, start, end, expected):
    created = _event(client, allDay=True, startTime=start, endTime=end)
    assert (created["startTime"], created["endTime"]) == expected


def test_two_dates_without_all_day_make_an_all_day_event(client):
    created = _event(client, startTime="2026-07-01", endTime="2026-07-02")
    assert created["allDay"] is True
    assert created["startTime"] == "2026-07-01"
    _assert_problem(
        client.post(EVENTS, json={"allDay": False, "startTime": "2026-07-01", "endTime": 1}),
        "startTime",
    )


def test_patching_an_all_day_events_times_keeps_it_all_day(client):
    created = _event(client, allDay=True, startTime="2026-07-01", endTime="2026-07-02")
    url = f"{EVENTS}/{created['id']}"
    moved = client.patch(
        url, json={"startTime": "2026-07-05T00:00:00-07:00", "endTime": "2026-07-06T00:00:00-07:00"}
    ).json()
    assert moved["allDay"] is True  # absent: unchanged
    assert (moved["startTime"], moved["endTime"]) == ("2026-07-05", "2026-07-06")
    longer = client.patch(url, json={"endTime": "2026-07-08"}).json()
    assert (longer["startTime"], longer["endTime"]) == ("2026-07-05", "2026-07-08")
    timed = _event(client)
    made_all_day = client.patch(
        f"{EVENTS}/{timed['id']}", json={"startTime": "2026-07-01", "endTime": "2026-07-01"}
    ).json()
    assert made_all_day["allDay"] is True
    assert (made_all_day["startTime"], made_all_day["endTime"]) == ("2026-07-01", "2026-07-02")


def test_all_day_events_are_found_by_their_utc_dates(client):
    day = _event(client, allDay=True, startTime="2026-07-01", endTime="2026-07-01")

    def ids(start, end):
        found = client.get(EVENTS, params={"startAt": start, "endAt": end}).json()
        return [e["id"] for e in found["items"]]

    assert ids("2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z") == [day["id"]]
    assert ids("2026-07-01T23:59:59Z", "2026-07-03T00:00:00Z") == [day["id"]]
    assert ids("2026-07-02T00:00:00Z", "2026-07-03T00:00:00Z") == []
    assert ids("2026-06-30T00:00:00Z", "2026-07-01T00:00:00Z") == []


def test_patching_all_day_takes_the_dates_the_owner_sees(client):
    created = _event(
        client,
        startTime="2026-07-01T18:00:00-07:00",  # 01:00Z on July 2
        endTime="2026-07-01T19:00:00-07:00",
        timeZone="America/Los_Angeles",
    )
    patched = client.patch(f"{EVENTS}/{created['id']}", json={"allDay": True}).json()
    assert (patched["startTime"], patched["endTime"]) == ("2026-07-01", "2026-07-02")
    timed = client.patch(
        f"{EVENTS}/{created['id']}",
        json={"allDay": False, "startTime": "2026-07-03T09:00:00Z", "endTime": 1783069200000},
    ).json()
    assert timed["allDay"] is False
    assert (timed["startTime"], timed["endTime"]) == (
        "2026-07-03T09:00:00.000Z",
        "2026-07-03T09:00:00.000Z",
    )


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"endTime": "2026-07-01T09:59:59Z"}, "endTime"),
        ({"allDay": True, "startTime": "2026-07-02", "endTime": "2026-07-01"}, "endTime"),
        ({"attendees": [{"emailAddress": "a@x.example", "status": "maybe"}]}, "attendees/0/status"),
        (
            {"attendees": [{"emailAddress": "a@x.example"}, {"userId": "u", "status": "yes"}]},
            "attendees/1/status",
        ),
        ({"attendees": [{"emailAddress": "not an address"}]}, "attendees/0/emailAddress"),
        ({"attendees": [{"name": "Nobody"}]}, "attendees/0"),
        ({"attendees": [{"contactId": "abc"}]}, "attendees/0/contactId"),
        ({"attendees": [{"contactId": 999999}]}, "attendees/0/contactId"),
        ({"attendees": [{"emailAddress": "a@x.example", "status": 3}]}, "attendees/0/status"),
        ({"startTime": "tomorrow at ten"}, "startTime"),
        ({"startTime": "2026-13-01T10:00:00Z"}, "startTime"),
        ({"startTime": 1.5}, "startTime"),
        ({"startTime": True}, "startTime"),
        ({"endTime": "2026-07-01T11:00:00"}, "endTime"),
        ({"startTime": None}, "startTime"),
        ({"timeZone": "Mars/Olympus_Mons"}, "timeZone"),
        ({"timeZone": "../../etc/passwd"}, "timeZone"),
        ({"parentId": "abc"}, "parentId"),
        ({"parentId": 999999}, "parentId"),
        ({"parentId": -1}, "parentId"),
        ({"relatedTo": {"type": "contact", "id": "999999"}}, "relatedTo/0/id"),
        ({"relatedTo": [{"type": "company", "id": "acme"}]}, "relatedTo/0/id"),
        ({"relatedTo": [{"type": "no such type!", "id": "1"}]}, "relatedTo/0/type"),
        ({"relatedTo": [{"type": "contact", "id": True}]}, "relatedTo/0/id"),
        ({"relatedTo": "contact 5"}, "relatedTo"),
        ({"allDay": "sometimes"}, "allDay"),
        ({"id": "5"}, "id"),
        ({"colour": "red"}, "colour"),
        ({"subject": 5}, "subject"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(hearth, client, body, field):
    _event(client)  # something to compare with
    before = _counts(hearth)
    full = {"startTime": "2026-07-01T10:00:00Z", "endTime": "2026-07-01T11:00:00Z", **body}
    _assert_problem(client.post(EVENTS, json=full), field)
    assert _counts(hearth) == before


def test_a_rejected_update_changes_nothing(hearth, client):
    sarah = _contact(client)
    created = _event(
        client,
        attendees=[{"emailAddress": "sarah@acme.example"}],
        relatedTo={"type": "contact", "id": sarah["id"]},
    )
    before = _counts(hearth)
    url = f"{EVENTS}/{created['id']}"
    bad_patches = [
        {"subject": "changed", "attendees": [{"emailAddress": "x@y.example", "status": "?"}]},
        {"subject": "changed", "relatedTo": [{"type": "contact", "id": "999999"}]},
        {"subject": "changed", "endTime": "2026-07-01T09:00:00Z"},
        {"subject": "changed", "parentId": created["id"]},
        {"subject": "changed", "allDay": None},
        {"subject": "changed", "endTime": None},
        {"subject": "changed", "id": "999"},
    ]
    for patch in bad_patches:
        assert client.patch(url, json=patch).status_code == 422, patch
        assert client.put(url, json={**created, **patch}).status_code == 422, patch
    assert client.put(url, json={"subject": "no times"}).status_code == 422
    assert _counts(hearth) == before
    assert client.get(url).json() == created


def test_unknown_ids_are_404(hearth, client):
    before = _counts(hearth)
    for event_id in ("999999", "abc", "-1", "1.5", "99999999999999999999"):
        url = f"{EVENTS}/{event_id}"
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers["content-type"] == "application/problem+json"
        assert client.patch(url, json={"subject": "x"}).status_code == 404
        body = {"startTime": "2026-07-01T10:00:00Z", "endTime": "2026-07-01T11:00:00Z"}
        assert client.put(url, json=body).status_code == 404
        assert client.delete(url).status_code == 404
    assert _counts(hearth) == before


def test_the_api_needs_a_key(anonymous):
    for path in (EVENTS, f"{EVENTS}/1", DELETED):
        assert anonymous.get(path).status_code == 401


# -- updates -------------------------------------------------------------------------------------


def test_patch_follows_merge_semantics(client):
    parent = _event(client)
    created = _event(
        client,
        subject="Review",
        description="Agenda",
        location="Room 1",
        timeZone="UTC",
        private=True,
        parentId=parent["id"],
        attendees=[{"emailAddress": "a@x.example"}, {"emailAddress": "b@x.example"}],
        relatedTo={"type": "deal", "id": "D-1"},
        iCalUID="uid-1",
    )
    url = f"{EVENTS}/{created['id']}"
    patched = client.patch(
        url,
        json={
            "subject": "Review v2",
            "location": None,
            "timeZone": None,
            "private": None,
            "parentId": None,
            "attendees": [{"emailAddress": "c@x.example", "status": "Declined"}],
        },
    ).json()
    assert patched["subject"] == "Review v2"
    assert patched["location"] is None
    assert patched["timeZone"] is None
    assert patched["private"] is False
    assert patched["parentId"] is None
    assert [a["emailAddress"] for a in patched["attendees"]] == ["c@x.example"]
    assert patched["attendees"][0]["status"] == "Declined"
    # absent: unchanged
    assert patched["description"] == "Agenda"
    assert patched["relatedTo"] == [{"type": "deal", "id": "D-1", "origin": "explicit"}]
    assert patched["iCalUID"] == "uid-1"
    assert (patched["startTime"], patched["endTime"]) == (created["startTime"], created["endTime"])
    assert patched["createdAt"] == created["createdAt"]
    assert patched["lastModifiedAt"] > created["lastModifiedAt"]
    cleared = client.patch(url, json={"relatedTo": None, "attendees": None}).json()
    assert cleared["relatedTo"] == []
    assert cleared["attendees"] == []
    assert client.get(url).json() == cleared


def test_patch_moves_one_end_or_changes_the_zone_without_moving_the_instants(client):
    created = _event(client, startTime="2026-07-01T10:00:00Z", endTime="2026-07-01T11:00:00Z")
    url = f"{EVENTS}/{created['id']}"
    longer = client.patch(url, json={"endTime": "2026-07-01T12:00:00Z"}).json()
    assert (longer["startTime"], longer["endTime"]) == (
        "2026-07-01T10:00:00.000Z",
        "2026-07-01T12:00:00.000Z",
    )
    zoned = client.patch(url, json={"timeZone": "Asia/Tokyo"}).json()
    assert zoned["timeZone"] == "Asia/Tokyo"
    assert (zoned["startTime"], zoned["endTime"]) == (longer["startTime"], longer["endTime"])
    _assert_problem(client.patch(url, json={"startTime": "2026-07-01T13:00:00Z"}), "endTime")


def test_put_replaces_every_field(client):
    created = _event(
        client,
        subject="Review",
        description="Agenda",
        location="Room 1",
        private=True,
        attendees=[{"emailAddress": "a@x.example"}],
        relatedTo={"type": "deal", "id": "D-1"},
        iCalUID="uid-1",
    )
    url = f"{EVENTS}/{created['id']}"
    replaced = client.put(
        url, json={"startTime": "2026-07-02T10:00:00Z", "endTime": "2026-07-02T10:30:00Z"}
    ).json()
    assert replaced["id"] == created["id"]
    assert replaced["createdAt"] == created["createdAt"]
    for field in ("subject", "description", "location", "iCalUID", "timeZone", "parentId"):
        assert replaced[field] is None, field
    assert replaced["private"] is False
    assert replaced["attendees"] == []
    assert replaced["relatedTo"] == []
    assert replaced["startTime"] == "2026-07-02T10:00:00.000Z"
    # The whole object read back can be sent back (id, lastModifiedAt and createdAt included).
    echoed = client.put(url, json=created).json()
    unchanged = ("lastModifiedAt",)
    assert {k: v for k, v in echoed.items() if k not in unchanged} == {
        k: v for k, v in created.items() if k not in unchanged
    }


def test_parent_must_be_another_existing_event(client):
    first = _event(client)
    second = _event(client, parentId=int(first["id"]))
    assert second["parentId"] == int(first["id"])
    _assert_problem(
        client.patch(f"{EVENTS}/{first['id']}", json={"parentId": first["id"]}), "parentId"
    )
    _assert_problem(
        client.patch(f"{EVENTS}/{first['id']}", json={"parentId": second["id"]}), "parentId"
    )


def test_deleting_a_parent_is_a_change_to_its_children(client):
    parent = _event(client)
    child = _event(client, parentId=parent["id"])
    assert client.delete(f"{EVENTS}/{parent['id']}").status_code == 204
    orphan = client.get(f"{EVENTS}/{child['id']}").json()
    assert orphan["parentId"] is None
    assert orphan["lastModifiedAt"] > child["lastModifiedAt"]
    changed = _delta(client, child["lastModifiedAt"])[0]["items"]
    assert [e["id"] for e in changed] == [child["id"]]
    assert changed[0]["lastModifiedAt"] > child["lastModifiedAt"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Accepted", "Accepted"),
        ("ACCEPTED", "Accepted"),
        ("declined", "Declined"),
        ("Tentative", "Tentative"),
        ("tentativelyAccepted", "Tentative"),
        ("NeedsAction", "NeedsAction"),
        ("NEEDS-ACTION", "NeedsAction"),
        ("None", "NeedsAction"),
        ("notResponded", "NeedsAction"),
        ("organizer", "Accepted"),
        (None, "NeedsAction"),
    ],
)
def test_attendee_statuses_are_read_in_any_case(client, written, expected):
    created = _event(client, attendees=[{"emailAddress": "a@x.example", "status": written}])
    assert created["attendees"][0]["status"] == expected


# -- links and the timeline ----------------------------------------------------------------------


def test_related_to_takes_a_list_or_one_object_with_ids_as_numbers_or_strings(client):
    acme = _company(client)
    sarah = _contact(client)
    as_list = _event(
        client,
        relatedTo=[
            {"type": "Contact", "id": int(sarah["id"])},
            {"type": "account", "id": acme["id"]},
            {"type": "contact", "id": sarah["id"]},  # the same again
            {"type": "opportunity", "id": 77},
        ],
    )
    assert as_list["relatedTo"] == [
        {"type": "contact", "id": sarah["id"], "origin": "explicit"},
        {"type": "company", "id": acme["id"], "origin": "explicit"},
        {"type": "opportunity", "id": "77", "origin": "explicit"},
    ]
    single = _event(client, relatedTo={"type": "company", "id": int(acme["id"])})
    assert single["relatedTo"] == [{"type": "company", "id": acme["id"], "origin": "explicit"}]


def test_matched_links_sent_back_are_recomputed_not_stored(client):
    sarah = _contact(client)
    created = _event(client, attendees=[{"emailAddress": "sarah@acme.example"}])
    assert created["relatedTo"] == [{"type": "contact", "id": sarah["id"], "origin": "matched"}]
    url = f"{EVENTS}/{created['id']}"
    echoed = client.patch(url, json={"relatedTo": created["relatedTo"]}).json()
    assert echoed["relatedTo"] == created["relatedTo"]
    gone = client.patch(url, json={"relatedTo": created["relatedTo"], "attendees": []}).json()
    assert gone["relatedTo"] == []  # it was only ever a match


def test_attendees_link_to_contacts_by_address_ignoring_case(client):
    acme = _company(client, "Acme", ["acme.example"])
    globex = _company(client, "Globex", ["globex.example"])
    sarah = _contact(client, "Sarah", ["Sarah.Chen@Acme.example"], companyId=acme["id"])
    shared_a = _contact(client, "Ann", ["team@shared.example"])
    shared_b = _contact(client, "Ben", ["TEAM@shared.example"])
    named = _contact(client, "Named", ["named@else.example"])
    created = _event(
        client,
        attendees=[
            {"emailAddress": "sarah.chen@ACME.EXAMPLE"},
            {"emailAddress": "team@shared.example"},  # two owners: linked to neither
            {"emailAddress": "stranger@globex.example"},  # no contact; Globex owns the domain
            {"emailAddress": "sarah.chen@acme.example", "contactId": named["id"]},
        ],
    )
    assert [a["contactId"] for a in created["attendees"]] == [
        int(sarah["id"]),
        None,
        None,
        int(named["id"]),  # the contact named wins over the address
    ]
    matched = {(r["type"], r["id"]) for r in created["relatedTo"] if r["origin"] == "matched"}
    assert matched == {
        ("contact", sarah["id"]),
        ("contact", shared_a["id"]),
        ("contact", shared_b["id"]),
        ("contact", named["id"]),
        ("company", acme["id"]),
        ("company", globex["id"]),
    }


def test_linked_contacts_get_the_meeting_on_their_timeline(hearth, client):
    acme = _company(client)
    sarah = _contact(client, companyId=acme["id"])
    other = _company(client, "Other", ["other.example"])
    created = _event(
        client,
        subject="Kick-off",
        attendees=[{"emailAddress": "sarah@acme.example"}],
        relatedTo={"type": "company", "id": other["id"]},
    )

    def timeline():
        with hearth.database.read() as session:
            rows = session.execute(
                select(
                    Activity.contact_id, Activity.company_id, Activity.kind, Activity.title
                ).where(Activity.record_type == "event", Activity.record_id == int(created["id"]))
            ).all()
        return sorted((tuple(row) for row in rows), key=lambda row: (row[0] or 0, row[1] or 0))

    sarah_id, acme_id, other_id = int(sarah["id"]), int(acme["id"]), int(other["id"])
    assert timeline() == [
        (None, other_id, "meeting", "Kick-off"),
        (sarah_id, acme_id, "meeting", "Kick-off"),
    ]
    url = f"{EVENTS}/{created['id']}"
    client.patch(url, json={"subject": "Kick-off (moved)", "relatedTo": None})
    assert timeline() == [(sarah_id, acme_id, "meeting", "Kick-off (moved)")]
    client.patch(url, json={"attendees": []})
    assert timeline() == []
    client.patch(url, json={"attendees": [{"emailAddress": "sarah@acme.example"}]})
    assert client.delete(url).status_code == 204
    assert timeline() == []


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


# -- the OpenAPI document -----------------------------------------------------------------------


def test_the_openapi_document_describes_the_endpoints_with_examples(client):
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    assert set(paths[EVENTS]) == {"get", "post"}
    assert set(paths[f"{EVENTS}/{{event_id}}"]) == {"get", "patch", "put", "delete"}
    assert set(paths[DELETED]) == {"get"}
    create = paths[EVENTS]["post"]
    examples = create["requestBody"]["content"]["application/json"]["examples"]
    assert {"timed", "allDay", "epochMillis", "localTime"} <= set(examples)
    assert "exclusive" in create["description"]
    listing = paths[EVENTS]["get"]
    assert "nextSince" in listing["description"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert {"startAt", "endAt", "since", "page", "limit"} <= set(params)
    assert "anyOf" in params["since"]["schema"]
    schemas = document["components"]["schemas"]
    assert schemas["EventOut"]["examples"][0]["attendees"][0]["status"] == "Accepted"
    assert "iCalUID" in schemas["EventOut"]["properties"]
