"""BrightSync Calendar Sync (spec 002) over HTTP, on SQLite and PostgreSQL: the Event object,
all-day events, bad input, updates, links and ``/api/v1/events/{id}``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.models import Activity
from tests.support.calendar_api import DELETED, EVENTS
from tests.support.calendar_api import assert_problem as _assert_problem
from tests.support.calendar_api import calendar_contact as _contact
from tests.support.calendar_api import counts as _counts
from tests.support.calendar_api import create_event as _event
from tests.support.calendar_api import delta as _delta
from tests.support.factories import api_company as _company

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
