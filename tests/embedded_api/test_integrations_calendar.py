"""Integrations API, calendar (spec 004) over HTTP, on SQLite and PostgreSQL: the event, ranges,
all-day events, writes and bad input, a contact's or company's events, and the same events seen
through BrightSync's ``/api/v1/events``."""

from __future__ import annotations

from tests.support.calendar_api import DELETED, EVENTS, assert_problem, counts
from tests.support.calendar_api import calendar_contact as _contact
from tests.support.factories import api_company as _company

CALENDAR = "/api/v1/integrations/calendar"
ITEMS = f"{CALENDAR}/events"


def _event(client, **fields):
    body = {"title": "Meeting", "start": "2026-07-01T10:00:00Z", "end": "2026-07-01T11:00:00Z"}
    response = client.post(ITEMS, json={**body, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def _range(client, start, end, **params):
    response = client.get(ITEMS, params={"start": start, "end": end, **params})
    assert response.status_code == 200, response.text
    return response.json()


def _ids(page):
    return [item["id"] for item in page["items"]]


# -- the event -----------------------------------------------------------------------------------


def test_the_specs_example_round_trips_with_its_attendee_linked(client):
    sarah = _contact(client, addresses=["contact@company.example"])
    response = client.post(
        ITEMS,
        json={
            "title": "Client Meeting",
            "start": "2026-07-01T14:00:00Z",
            "end": "2026-07-01T15:00:00Z",
            "description": "Quarterly review",
            "attendees": ["contact@company.example"],
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert isinstance(created["id"], str)
    assert created == {
        "id": created["id"],
        "title": "Client Meeting",
        "start": "2026-07-01T14:00:00.000Z",
        "end": "2026-07-01T15:00:00.000Z",
        "allDay": False,
        "timezone": None,
        "description": "Quarterly review",
        "location": None,
        "attendees": [
            {
                "email": "contact@company.example",
                "name": None,
                "status": "needsAction",
                "contactId": sarah["id"],
            }
        ],
        "organizer": None,
        "status": "confirmed",
        "links": [{"type": "contact", "id": sarah["id"], "origin": "matched"}],
        "createdAt": created["createdAt"],
        "updatedAt": created["createdAt"],
    }
    assert created["createdAt"].endswith("Z")
    assert client.get(f"{ITEMS}/{created['id']}").json() == created


def test_every_field_is_kept(client):
    acme = _company(client, "Acme", ["acme.example"])
    bob = _contact(client, "Bob", ["bob@elsewhere.example"])
    created = _event(
        client,
        title="Quarterly review",
        description="  Agenda:\n- pipeline\n",
        start="2026-07-01T10:00:00-04:00",
        end="2026-07-01T11:30:00-04:00",
        timezone="America/New_York",
        location="https://meet.example.com/abc",
        attendees=[
            {"email": "Ann@Acme.example", "name": "Ann", "status": "Accepted"},
            {"contactId": bob["id"], "status": "TENTATIVE"},
            "me@hearth.example",  # the organizer's address again: counted once
        ],
        organizer={"email": "me@hearth.example", "name": "Me"},
        links={"type": "account", "id": int(acme["id"])},
    )
    assert created["title"] == "Quarterly review"
    assert created["description"] == "  Agenda:\n- pipeline\n"
    assert (created["start"], created["end"]) == (
        "2026-07-01T14:00:00.000Z",
        "2026-07-01T15:30:00.000Z",
    )
    assert created["timezone"] == "America/New_York"
    assert created["location"] == "https://meet.example.com/abc"
    assert created["attendees"] == [
        {"email": "Ann@Acme.example", "name": "Ann", "status": "accepted", "contactId": None},
        {
            "email": "bob@elsewhere.example",
            "name": None,
            "status": "tentative",
            "contactId": bob["id"],
        },
    ]
    assert created["organizer"] == {
        "email": "me@hearth.example",
        "name": "Me",
        "status": "accepted",
        "contactId": None,
    }
    assert created["links"] == [
        {"type": "company", "id": acme["id"], "origin": "explicit"},
        {"type": "contact", "id": bob["id"], "origin": "matched"},
    ]


def test_offsets_round_trip_as_the_same_instant(client):
    created = _event(client, start="2026-07-01T10:00:00-07:00", end="2026-07-02T01:30:00+05:30")
    assert (created["start"], created["end"]) == (
        "2026-07-01T17:00:00.000Z",
        "2026-07-01T20:00:00.000Z",
    )
    # What comes out goes back in unchanged (PUT of a GET answer).
    again = client.put(f"{ITEMS}/{created['id']}", json=created)
    assert again.status_code == 200, again.text
    assert {**again.json(), "updatedAt": None} == {**created, "updatedAt": None}
    assert again.json()["updatedAt"] > created["updatedAt"]
    # Query bounds with offsets are instants too.
    found = _range(client, "2026-07-01T10:59:59-06:00", "2026-07-01T11:00:01-06:00")
    assert _ids(found) == [created["id"]]


def test_all_day_events_keep_their_dates_in_every_time_zone(client):
    kiritimati = _event(  # UTC+14
        client,
        start="2026-07-01",
        end="2026-07-01",
        allDay=True,
        timezone="Pacific/Kiritimati",
    )
    pago_pago = _event(  # UTC-11
        client, start="2026-07-01", end="2026-07-02", timezone="Pacific/Pago_Pago"
    )
    by_offset = _event(
        client, start="2026-07-01T00:00:00+14:00", end="2026-07-02T00:00:00+14:00", allDay=True
    )
    next_day = _event(client, start="2026-07-02", end="2026-07-03")
    for event in (kiritimati, pago_pago, by_offset):
        assert (event["start"], event["end"], event["allDay"]) == ("2026-07-01", "2026-07-02", True)
    july_1 = {kiritimati["id"], pago_pago["id"], by_offset["id"]}
    # Whoever asks for July 1, wherever they are, gets those three and not July 2's.
    for params in (
        {"start": "2026-07-01", "end": "2026-07-01"},
        {"start": "2026-07-01", "end": "2026-07-01", "timezone": "Pacific/Kiritimati"},
        {"start": "2026-07-01", "end": "2026-07-01", "timezone": "America/Los_Angeles"},
        {"start": "2026-07-01T00:00:00-07:00", "end": "2026-07-02T00:00:00-07:00"},
        {"start": "2026-07-01T00:00:00+14:00", "end": "2026-07-02T00:00:00+14:00"},
        {"start": "2026-07-01T12:00:00", "end": "2026-07-01T13:00:00", "timezone": "Asia/Tokyo"},
    ):
        assert set(_ids(_range(client, **params))) == july_1, params
    assert _ids(_range(client, "2026-07-02", "2026-07-02", timezone="Asia/Tokyo")) == [
        next_day["id"]
    ]
    assert _range(client, "2026-06-30", "2026-06-30", timezone="Pacific/Kiritimati")["total"] == 0
    # The same events through BrightSync's API: the same dates.
    bright = client.get(f"{EVENTS}/{kiritimati['id']}").json()
    assert (bright["startTime"], bright["endTime"]) == ("2026-07-01", "2026-07-02")


# -- ranges --------------------------------------------------------------------------------------


def test_range_edges(client):
    meeting = _event(client, start="2026-07-01T10:00:00Z", end="2026-07-01T11:00:00Z")
    instant = _event(client, start="2026-07-01T12:00:00Z", end="2026-07-01T12:00:00Z")
    # Ending exactly at the range's start, or starting exactly at its end: not in it.
    assert _range(client, "2026-07-01T11:00:00Z", "2026-07-01T12:00:00Z")["total"] == 0
    assert _range(client, "2026-07-01T09:00:00Z", "2026-07-01T10:00:00Z")["total"] == 0
    assert _ids(_range(client, "2026-07-01T10:59:59.999Z", "2026-07-01T11:30:00Z")) == [
        meeting["id"]
    ]
    # An event of no length: in at the range's start, out at its end.
    assert _ids(_range(client, "2026-07-01T12:00:00Z", "2026-07-01T13:00:00Z")) == [instant["id"]]
    assert _range(client, "2026-07-01T11:30:00Z", "2026-07-01T12:00:00Z")["total"] == 0
    # A date is its whole day; epoch milliseconds work too.
    assert _ids(_range(client, "2026-07-01", "2026-07-01")) == [meeting["id"], instant["id"]]
    assert _ids(_range(client, 1782900000000, 1782903600000)) == [meeting["id"]]  # 10:00-11:00Z
    assert _range(client, "2026-07-02", "2026-07-05")["total"] == 0


def test_ranges_page_with_the_standard_envelope(client):
    made = [
        _event(client, start=f"2026-07-0{day}T09:00:00Z", end=f"2026-07-0{day}T10:00:00Z")["id"]
        for day in range(1, 6)
    ]
    first = _range(client, "2026-07-01", "2026-07-31", limit=2)
    assert (first["total"], first["page"], first["limit"], first["nextPage"]) == (5, 1, 2, 2)
    seen, page = [], first
    while True:
        seen += _ids(page)
        if page["nextPage"] is None:
            break
        page = _range(client, "2026-07-01", "2026-07-31", limit=2, page=page["nextPage"])
    assert seen == made  # by start time
    for params, field in (
        ({"limit": 201}, "limit"),
        ({"limit": 0}, "limit"),
        ({"page": 0}, "page"),
    ):
        response = client.get(ITEMS, params={"start": "2026-07-01", "end": "2026-07-02", **params})
        assert_problem(response, field)


_BAD_RANGES = [
    ({"start": "2026-07-02", "end": "2026-07-01"}, "end"),
    ({"start": "2026-07-01T10:00:00Z", "end": "2026-07-01T09:00:00Z"}, "end"),
    ({"start": "2026-07-01T10:00:00Z", "end": "2026-07-01T10:00:00Z"}, "end"),
    ({"start": "2026-13-01", "end": "2026-07-01"}, "start"),
    ({"start": "yesterday", "end": "2026-07-01"}, "start"),
    ({"start": "2026-07-01T10:00:00", "end": "2026-07-02"}, "start"),
    ({"end": "2026-07-01"}, "start"),
    ({"start": "2026-07-01"}, "end"),
    ({"start": "2026-07-01", "end": "2026-07-02", "timezone": "Mars/Olympus"}, "timezone"),
]


def test_bad_ranges_are_refused_naming_the_field(client):
    for params, field in _BAD_RANGES:
        assert_problem(client.get(ITEMS, params=params), field)


# -- writes --------------------------------------------------------------------------------------


def test_patch_merges_and_keeps_what_hearth_knows_of_attendees(client):
    created = _event(
        client,
        description="Agenda",
        location="Room 1",
        timezone="Europe/Paris",
        attendees=[{"email": "ann@x.example", "name": "Ann", "status": "accepted"}],
        organizer="me@hearth.example",
    )
    url = f"{ITEMS}/{created['id']}"
    moved = client.patch(url, json={"start": "2026-07-01T10:30:00+00:00"}).json()
    assert (moved["start"], moved["end"]) == (
        "2026-07-01T10:30:00.000Z",
        "2026-07-01T11:00:00.000Z",
    )
    assert moved["description"] == "Agenda"  # absent: unchanged
    assert moved["updatedAt"] > created["updatedAt"]
    # New attendee list: Ann keeps her status and name, the organizer stays.
    changed = client.patch(url, json={"attendees": ["ANN@x.example", "bo@y.example"]}).json()
    assert changed["attendees"] == [
        {"email": "ANN@x.example", "name": "Ann", "status": "accepted", "contactId": None},
        {"email": "bo@y.example", "name": None, "status": "needsAction", "contactId": None},
    ]
    assert changed["organizer"]["email"] == "me@hearth.example"
    cleared = client.patch(
        url, json={"description": None, "location": None, "timezone": None, "attendees": None}
    ).json()
    assert (cleared["description"], cleared["location"], cleared["timezone"]) == (None, None, None)
    assert cleared["attendees"] == []
    assert cleared["organizer"]["email"] == "me@hearth.example"
    assert client.patch(url, json={"organizer": None}).json()["organizer"] is None
    # An all-day event stays all-day when only its dates move.
    day = _event(client, start="2026-07-01", end="2026-07-02")
    later = client.patch(f"{ITEMS}/{day['id']}", json={"start": "2026-07-03", "end": "2026-07-04"})
    assert (later.json()["start"], later.json()["allDay"]) == ("2026-07-03", True)


def test_put_replaces_what_this_api_shows(client):
    created = _event(client, description="Agenda", attendees=["ann@x.example"])
    response = client.put(
        f"{ITEMS}/{created['id']}",
        json={"title": "Renamed", "start": "2026-07-02T10:00:00Z", "end": "2026-07-02T11:00:00Z"},
    )
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert (replaced["title"], replaced["description"], replaced["attendees"]) == (
        "Renamed",
        None,
        [],
    )
    missing_end = client.put(f"{ITEMS}/{created['id']}", json={"start": "2026-07-02T10:00:00Z"})
    assert_problem(missing_end, "end")


_BAD_WRITES = [
    ({"start": "2026-07-01T10:00:00Z", "end": "2026-07-01T09:00:00Z"}, "end"),
    ({"start": "2026-07-32T10:00:00Z"}, "start"),
    ({"start": "2026-07-01"}, "start"),  # a date for a timed event
    ({"start": "2026-07-01T10:00:00"}, "start"),  # no offset, no timezone
    ({"end": None}, "end"),
    ({"attendees": ["ann@x.example", "not an address"]}, "attendees/1/email"),
    ({"attendees": [{"email": "ann@x.example", "status": "maybe"}]}, "attendees/0/status"),
    ({"attendees": [{"contactId": "999999"}]}, "attendees/0/contactId"),
    ({"organizer": "nobody"}, "organizer/email"),
    ({"links": [{"type": "opportunity", "id": "OPP-1"}]}, "links/0/type"),
    ({"links": [{"type": "contact", "id": "999999"}]}, "links/0/id"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"status": "cancelled"}, "status"),
    ({"colour": "red"}, "colour"),
]


def test_bad_writes_are_refused_naming_the_field_and_change_nothing(client, hearth):
    created = _event(client, attendees=["first@x.example"])
    before = counts(hearth)
    body = {"title": "Meeting", "start": "2026-07-01T10:00:00Z", "end": "2026-07-01T11:00:00Z"}
    for fields, field in _BAD_WRITES:
        assert_problem(client.post(ITEMS, json={**body, **fields}), field)
        assert_problem(client.patch(f"{ITEMS}/{created['id']}", json=fields), field)
    assert counts(hearth) == before
    assert client.get(f"{ITEMS}/{created['id']}").json() == created


def test_unknown_events_are_404(client):
    created = _event(client)
    for path in (f"{ITEMS}/999999", f"{ITEMS}/abc"):
        assert client.get(path).status_code == 404
        assert client.patch(path, json={"title": "x"}).status_code == 404
        assert client.delete(path).status_code == 404
    assert client.delete(f"{ITEMS}/{created['id']}").status_code == 204
    gone = client.get(f"{ITEMS}/{created['id']}")
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
    assert client.delete(f"{ITEMS}/{created['id']}").status_code == 404


# -- a contact's or company's events -------------------------------------------------------------


def test_a_contacts_events_by_address_and_by_link(client):
    sarah = _contact(client, addresses=["sarah@acme.example"])
    bob = _contact(client, "Bob", ["bob@elsewhere.example"])
    by_address = _event(
        client,
        start="2026-07-01T10:00:00Z",
        end="2026-07-01T11:00:00Z",
        attendees=["SARAH@acme.example"],
    )
    by_link = _event(
        client,
        start="2026-07-03T10:00:00Z",
        end="2026-07-03T11:00:00Z",
        links=[{"type": "contact", "id": sarah["id"]}],
    )
    _event(client, attendees=["bob@elsewhere.example"])
    page = client.get(f"{ITEMS}/entity/contact/{sarah['id']}").json()
    assert _ids(page) == [by_link["id"], by_address["id"]]  # newest first
    assert (page["total"], page["nextPage"]) == (2, None)
    first = client.get(f"{ITEMS}/entity/contact/{sarah['id']}", params={"limit": 1}).json()
    assert (_ids(first), first["nextPage"]) == ([by_link["id"]], 2)
    # A contact created after the meeting finds it by its address.
    carol_event = _event(client, attendees=["carol@later.example"])
    carol = _contact(client, "Carol", ["carol@later.example"])
    assert _ids(client.get(f"{ITEMS}/entity/contact/{carol['id']}").json()) == [carol_event["id"]]
    assert bob["id"] != carol["id"]


def test_a_companys_events_by_domain_and_by_link(client):
    acme = _company(client, "Acme", ["acme.example"])
    linked = _event(
        client,
        start="2026-07-05T10:00:00Z",
        end="2026-07-05T11:00:00Z",
        links=[{"type": "company", "id": acme["id"]}],
    )
    by_domain = _event(client, attendees=["someone@acme.example"])
    _event(client, attendees=["someone@acme.example.org"])
    page = client.get(f"{ITEMS}/entity/account/{acme['id']}").json()
    assert _ids(page) == [linked["id"], by_domain["id"]]
    # A company created after the meeting finds it by its domain.
    early = _event(client, attendees=["pat@initech.example"])
    initech = _company(client, "Initech", ["initech.example"])
    assert _ids(client.get(f"{ITEMS}/entity/company/{initech['id']}").json()) == [early["id"]]


def test_entity_views_refuse_unknown_types_and_ids(client):
    contact = _contact(client)
    assert_problem(client.get(f"{ITEMS}/entity/opportunity/{contact['id']}"), "entityType")
    for path in ("contact/999999", "company/999999", "contact/abc"):
        response = client.get(f"{ITEMS}/entity/{path}")
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


# -- one store: the same events on BrightSync's API ----------------------------------------------


def test_changes_here_show_in_brightsyncs_delta_and_deletions(client):
    created = _event(client, title="Here")
    since = created["updatedAt"]
    delta = client.get(EVENTS, params={"since": since}).json()
    assert [(e["id"], e["subject"]) for e in delta["items"]] == [(created["id"], "Here")]
    changed = client.patch(f"{ITEMS}/{created['id']}", json={"title": "Renamed"}).json()
    delta = client.get(EVENTS, params={"since": changed["updatedAt"]}).json()
    assert [(e["id"], e["subject"], e["lastModifiedAt"]) for e in delta["items"]] == [
        (created["id"], "Renamed", changed["updatedAt"])
    ]
    assert client.delete(f"{ITEMS}/{created['id']}").status_code == 204
    deleted = client.get(DELETED, params={"since": since}).json()
    assert [e["id"] for e in deleted["items"]] == [created["id"]]


def test_changes_there_show_here_and_survive_writes_here(client):
    response = client.post(
        EVENTS,
        json={
            "subject": "There",
            "startTime": "2026-07-01T10:00:00Z",
            "endTime": "2026-07-01T11:00:00Z",
            "private": True,
            "iCalUID": "abc@calendar.example",
            "attendees": [
                {"emailAddress": "me@hearth.example", "organizer": True, "status": "Accepted"},
                {"emailAddress": "ann@x.example", "status": "Declined", "userId": "u7"},
            ],
            "relatedTo": [{"type": "opportunity", "id": "OPP-9"}],
        },
    )
    assert response.status_code == 201, response.text
    event_id = response.json()["id"]
    here = client.get(f"{ITEMS}/{event_id}").json()
    assert here["title"] == "There"
    assert here["organizer"]["email"] == "me@hearth.example"
    assert [(a["email"], a["status"]) for a in here["attendees"]] == [("ann@x.example", "declined")]
    assert here["links"] == [{"type": "opportunity", "id": "OPP-9", "origin": "explicit"}]
    # A write here (even a PUT of what was read, links and all) leaves BrightSync's own fields.
    assert client.put(f"{ITEMS}/{event_id}", json=here).status_code == 200
    client.patch(f"{ITEMS}/{event_id}", json={"attendees": ["ann@x.example", "new@x.example"]})
    there = client.get(f"{EVENTS}/{event_id}").json()
    assert (there["private"], there["iCalUID"]) == (True, "abc@calendar.example")
    assert [
        (a["emailAddress"], a["status"], a["organizer"], a["userId"]) for a in there["attendees"]
    ] == [
        ("me@hearth.example", "Accepted", True, None),
        ("ann@x.example", "Declined", False, "u7"),
        ("new@x.example", "NeedsAction", False, None),
    ]
    assert there["relatedTo"] == [{"type": "opportunity", "id": "OPP-9", "origin": "explicit"}]
    # Deleted there: gone here.
    assert client.delete(f"{EVENTS}/{event_id}").status_code == 204
    assert client.get(f"{ITEMS}/{event_id}").status_code == 404


# -- sync and keys -------------------------------------------------------------------------------


def test_sync_says_no_account_is_connected(client):
    response = client.post(f"{CALENDAR}/sync")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/no-connected-account"
    assert "no connected account" in problem["detail"]


def test_every_endpoint_needs_a_key(anonymous, client):
    event = _event(client)
    contact = _contact(client)
    for method, path in (
        ("GET", f"{ITEMS}?start=2026-07-01&end=2026-07-02"),
        ("POST", ITEMS),
        ("GET", f"{ITEMS}/{event['id']}"),
        ("PATCH", f"{ITEMS}/{event['id']}"),
        ("PUT", f"{ITEMS}/{event['id']}"),
        ("DELETE", f"{ITEMS}/{event['id']}"),
        ("GET", f"{ITEMS}/entity/contact/{contact['id']}"),
        ("POST", f"{CALENDAR}/sync"),
    ):
        response = anonymous.request(method, path, json={"title": "x"})
        assert response.status_code == 401, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"{ITEMS}/{event['id']}").status_code == 200
