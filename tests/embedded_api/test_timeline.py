"""Contact and company timelines and notes over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.models import Activity
from tests.support.factories import api_company as _company
from tests.support.factories import api_contact as _contact

T10 = "2026-07-01T10:00:00Z"
T11 = "2026-07-01T11:00:00Z"
T12 = "2026-07-01T12:00:00Z"


SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])
"""For input checks, answered before the database is asked: PostgreSQL would add nothing."""


def _paths(*records):
    """The API paths of contacts and companies (``fullName`` tells a contact)."""
    return [f"/api/v1/{'contacts' if 'fullName' in r else 'companies'}/{r['id']}" for r in records]


def _timeline(client, entity, entity_id, expected=200, **params):
    response = client.get(f"/api/v1/{entity}/{entity_id}/timeline", params=params)
    assert response.status_code == expected, response.text
    return response.json()


def _note(client, entity, entity_id, expected=201, **body):
    response = client.post(f"/api/v1/{entity}/{entity_id}/notes", json=body)
    assert response.status_code == expected, response.text
    return response.json()


def _titles(page):
    return [item["title"] for item in page["items"]]


def _problem(response, field, status=422):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == field, problem
    return problem


@pytest.fixture
def acme(client):
    return _company(client, "Acme", ["acme.example"])


@pytest.fixture
def sarah(client, acme):
    return _contact(client, emailAddresses=["sarah@acme.example"], companyId=acme["id"])


# -- order and paging ----------------------------------------------------------------------------


def test_newest_first_and_entries_at_the_same_time_newest_written_first(client, sarah):
    _note(client, "contacts", sarah["id"], title="ten", occurredAt=T10)
    _note(client, "contacts", sarah["id"], title="twelve", occurredAt=T12)
    _note(client, "contacts", sarah["id"], title="eleven a", occurredAt=T11)
    _note(client, "contacts", sarah["id"], title="eleven b", occurredAt="2026-07-01T04:00:00-07:00")
    page = _timeline(client, "contacts", sarah["id"])
    assert _titles(page) == ["twelve", "eleven b", "eleven a", "ten"]
    assert (page["total"], page["page"], page["limit"], page["nextPage"]) == (4, 1, 50, None)


def test_items_carry_their_fields_in_the_api_conventions(client, sarah, acme):
    note = _note(
        client,
        "contacts",
        int(sarah["id"]),
        title=" Call ",
        body="Budget approved.",
        occurredAt=1782900000000,
    )
    assert note == {
        "id": note["id"],
        "kind": "note",
        "occurredAt": "2026-07-01T10:00:00.000Z",
        "title": "Call",
        "body": "Budget approved.",
        "source": "api",
        "record": None,
        "contactId": sarah["id"],
        "companyId": acme["id"],
        "data": {},
    }
    assert note["id"].isdigit()
    assert _timeline(client, "contacts", sarah["id"])["items"] == [note]


def test_pages_cover_every_entry_once_up_to_the_last(client, sarah):
    for n in range(5):
        _note(client, "contacts", sarah["id"], title=f"n{n}", occurredAt=T10)
    everything = _titles(_timeline(client, "contacts", sarah["id"]))
    pages = [_timeline(client, "contacts", sarah["id"], page=n, limit=2) for n in (1, 2, 3)]
    assert [p["nextPage"] for p in pages] == [2, 3, None]
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    walked = [title for p in pages for title in _titles(p)]
    assert walked == everything == ["n4", "n3", "n2", "n1", "n0"]
    beyond = _timeline(client, "contacts", sarah["id"], page=4, limit=2)
    assert (beyond["items"], beyond["total"], beyond["nextPage"]) == ([], 5, None)
    assert len(_timeline(client, "contacts", sarah["id"], limit=500)["items"]) == 5


@SQLITE_ONLY
def test_paging_out_of_bounds_is_a_422_naming_the_parameter(client, sarah, acme):
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
    ):
        for path in _paths(sarah, acme):
            _problem(client.get(f"{path}/timeline", params=params), field)


# -- filters -------------------------------------------------------------------------------------


def test_filter_by_kind_repeated_or_comma_separated_in_any_case(client, sarah):
    _note(client, "contacts", sarah["id"], title="A note", occurredAt=T10)
    response = client.post(
        "/api/v1/emails",
        json={"subject": "Pricing", "textBody": "Hi", "fromAddress": "sarah@acme.example"},
    )
    assert response.status_code == 201, response.text
    response = client.post(
        "/api/v1/events",
        json={
            "subject": "Review",
            "startTime": T11,
            "endTime": T12,
            "attendees": [{"emailAddress": "sarah@acme.example"}],
        },
    )
    assert response.status_code == 201, response.text

    def kinds(**params):
        return sorted(
            i["kind"] for i in _timeline(client, "contacts", sarah["id"], **params)["items"]
        )

    assert kinds() == ["email", "meeting", "note"]
    assert kinds(kind="note") == ["note"]
    assert kinds(kind="email,meeting") == ["email", "meeting"]
    assert kinds(kind=["EMAIL", " meeting , "]) == ["email", "meeting"]
    assert kinds(kind="document") == []
    assert _timeline(client, "contacts", sarah["id"], kind="email")["total"] == 1


@SQLITE_ONLY
def test_an_unknown_kind_is_a_422_naming_kind(client, sarah, acme):
    for kind in ("emails", "email,call", "note;email", ["note", "Notes"]):
        for path in _paths(sarah, acme):
            problem = _problem(client.get(f"{path}/timeline", params={"kind": kind}), "kind")
            assert "contact_center_email" in problem["errors"][0]["message"]


def test_after_is_inclusive_and_before_exclusive_in_any_offset_or_epoch_ms(client, sarah, acme):
    for title, at in (("ten", T10), ("eleven", T11), ("twelve", T12)):
        _note(client, "contacts", sarah["id"], title=title, occurredAt=at)
    for entity, entity_id in (("contacts", sarah["id"]), ("companies", acme["id"])):
        assert _titles(_timeline(client, entity, entity_id, after=T11)) == ["twelve", "eleven"]
        assert _titles(_timeline(client, entity, entity_id, before=T11)) == ["ten"]
        window = _timeline(
            client, entity, entity_id, after="2026-07-01T03:00:00-07:00", before=1782907200000
        )
        assert (_titles(window), window["total"]) == (["eleven", "ten"], 2)


@SQLITE_ONLY
def test_bad_times_are_a_422_naming_the_parameter(client, sarah, acme):
    for params, field in (
        ({"before": "2026-07-01T10:00:00"}, "before"),
        ({"after": "yesterday"}, "after"),
        ({"after": "2026-07-01"}, "after"),
        ({"after": T12, "before": T10}, "after"),
        ({"after": T10, "before": T10}, "after"),
    ):
        for path in _paths(sarah, acme):
            _problem(client.get(f"{path}/timeline", params=params), field)


# -- what shows where ----------------------------------------------------------------------------


def test_an_email_with_a_known_contact_shows_on_theirs_and_their_companys(client, sarah, acme):
    response = client.post(
        "/api/v1/emails",
        json={
            "subject": "Pricing",
            "textBody": "Here are the numbers.",
            "fromAddress": "Sarah@Acme.example",
            "toAddresses": ["someone@elsewhere.example"],
            "receivedAt": "2026-07-01T07:00:00-07:00",
        },
    )
    assert response.status_code == 201, response.text
    email = response.json()
    for entity, entity_id in (("contacts", sarah["id"]), ("companies", acme["id"])):
        page = _timeline(client, entity, entity_id)
        assert page["total"] == 1, entity
        (item,) = page["items"]
        assert item["kind"] == "email"
        assert item["record"] == {"type": "email", "id": email["id"]}
        assert (item["title"], item["occurredAt"]) == ("Pricing", "2026-07-01T14:00:00.000Z")
        assert item["data"]["direction"] == email["direction"]


def test_an_email_logged_against_a_contact_shows_on_their_companys_too(client, sarah, acme):
    response = client.post(
        "/api/v1/emails",
        json={
            "subject": "Logged by hand",
            "textBody": "Notes from the call.",
            "fromAddress": "someone@elsewhere.example",
            "relatedTo": [{"type": "contact", "id": sarah["id"]}],
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["relatedTo"] == [
        {"type": "contact", "id": sarah["id"], "origin": "explicit"}
    ]
    for entity, entity_id in (("contacts", sarah["id"]), ("companies", acme["id"])):
        assert _titles(_timeline(client, entity, entity_id)) == ["Logged by hand"], entity


def test_a_meeting_shows_on_each_attendees_timeline_and_once_on_their_companys(client, sarah, acme):
    dana = _contact(
        client, firstName="Dana", emailAddresses=["dana@acme.example"], companyId=acme["id"]
    )
    response = client.post(
        "/api/v1/events",
        json={
            "subject": "Quarterly review",
            "startTime": "2026-07-01T10:00:00-07:00",
            "endTime": "2026-07-01T11:00:00-07:00",
            "location": "Room 4",
            "attendees": [
                {"emailAddress": "sarah@acme.example"},
                {"contactId": int(dana["id"])},
                {"emailAddress": "me@hearth.example"},
            ],
        },
    )
    assert response.status_code == 201, response.text
    event = response.json()
    for contact in (sarah, dana):
        (item,) = _timeline(client, "contacts", contact["id"])["items"]
        assert item["kind"] == "meeting"
        assert item["record"] == {"type": "event", "id": event["id"]}
        assert (item["title"], item["body"]) == ("Quarterly review", "Room 4")
        assert item["occurredAt"] == "2026-07-01T17:00:00.000Z"
    company = _timeline(client, "companies", acme["id"])
    assert company["total"] == 1
    assert [i["record"] for i in company["items"]] == [{"type": "event", "id": event["id"]}]


def test_notes_on_a_contact_show_on_their_company_and_notes_on_a_company_only_there(
    client, sarah, acme
):
    on_sarah = _note(client, "contacts", sarah["id"], body="Prefers email.", occurredAt=T10)
    on_acme = _note(client, "companies", acme["id"], title="Renewal in Q3", occurredAt=T11)
    assert (on_acme["contactId"], on_acme["companyId"], on_acme["body"]) == (None, acme["id"], None)
    assert _timeline(client, "contacts", sarah["id"])["items"] == [on_sarah]
    assert _timeline(client, "companies", acme["id"])["items"] == [on_acme, on_sarah]
    loner = _contact(client, firstName="Lee")
    _note(client, "contacts", loner["id"], body="No company yet.")
    assert _timeline(client, "companies", acme["id"])["total"] == 2


def test_a_note_moves_the_contacts_last_activity_forward_never_back(client, sarah):
    _note(client, "contacts", sarah["id"], body="Recent", occurredAt=T12)
    _note(client, "contacts", sarah["id"], body="Catching up on old notes", occurredAt=T10)
    contact = client.get(f"/api/v1/contacts/{sarah['id']}").json()
    assert contact["lastActivityAt"] == "2026-07-01T12:00:00.000Z"


def test_a_note_without_a_time_happened_now(client, sarah):
    started = datetime.now(UTC) - timedelta(milliseconds=1)
    note = _note(client, "contacts", sarah["id"], body="Just now")
    assert started <= datetime.fromisoformat(note["occurredAt"]) <= datetime.now(UTC)
    listed = _timeline(client, "contacts", sarah["id"], after=note["occurredAt"])
    assert [i["id"] for i in listed["items"]] == [note["id"]]


@SQLITE_ONLY
def test_an_invalid_note_is_a_422_naming_the_field_and_writes_nothing(client, hearth, sarah, acme):
    for body, field in (
        ({}, "body"),
        ({"title": "  ", "body": ""}, "body"),
        ({"body": "x" * 100_001}, "body"),
        ({"title": "x" * 1_001, "body": "ok"}, "title"),
        ({"body": "ok", "occurredAt": "2026-07-01T10:00:00"}, "occurredAt"),
        ({"body": "ok", "occurredAt": "soon"}, "occurredAt"),
        ({"body": "ok", "kind": "email"}, "kind"),
        ({"body": ["not", "text"]}, "body"),
    ):
        for path in _paths(sarah, acme):
            _problem(client.post(f"{path}/notes", json=body), field)
    with hearth.database.read() as session:
        assert session.scalar(select(func.count()).select_from(Activity)) == 0
    contact = client.get(f"/api/v1/contacts/{sarah['id']}").json()
    assert contact["lastActivityAt"] is None


# -- unknown records, deletion, keys ---------------------------------------------------------------


@SQLITE_ONLY
def test_unknown_records_are_404(client):
    for entity in ("contacts", "companies"):
        for entity_id in ("999999", "abc", "-1", "0x1"):
            response = client.get(f"/api/v1/{entity}/{entity_id}/timeline")
            assert response.status_code == 404, (entity, entity_id)
            assert response.headers["content-type"] == "application/problem+json"
            response = client.post(f"/api/v1/{entity}/{entity_id}/notes", json={"body": "x"})
            assert response.status_code == 404, (entity, entity_id)


def test_deleting_a_contact_removes_their_timeline(client, hearth, sarah, acme):
    _note(client, "contacts", sarah["id"], body="About Sarah")
    company_note = _note(client, "companies", acme["id"], body="About Acme")
    response = client.post(
        "/api/v1/emails",
        json={
            "subject": "Hi",
            "textBody": "x",
            "fromAddress": "sarah@acme.example",
            "receivedAt": T10,
        },
    )
    assert response.status_code == 201, response.text
    assert _timeline(client, "contacts", sarah["id"])["total"] == 2
    assert client.delete(f"/api/v1/contacts/{sarah['id']}").status_code == 204
    _timeline(client, "contacts", sarah["id"], expected=404)
    with hearth.database.read() as session:
        left = session.scalar(select(func.count()).where(Activity.contact_id == int(sarah["id"])))
    assert left == 0
    # The company keeps what was written for it: its note and the email's company entry.
    company = _timeline(client, "companies", acme["id"])
    assert [i["kind"] for i in company["items"]] == ["note", "email"]
    assert company["items"][0] == company_note


@SQLITE_ONLY
def test_an_api_key_is_required(anonymous, client, sarah):
    for path in (f"/api/v1/contacts/{sarah['id']}/timeline", "/api/v1/companies/1/timeline"):
        assert anonymous.get(path).status_code == 401
    response = anonymous.post(f"/api/v1/contacts/{sarah['id']}/notes", json={"body": "x"})
    assert response.status_code == 401
    assert _timeline(client, "contacts", sarah["id"])["total"] == 0


@SQLITE_ONLY
def test_the_openapi_document_describes_the_endpoints_with_examples(client):
    paths = client.get("/openapi.json").json()["paths"]
    for entity, name in (("contacts", "contact_id"), ("companies", "company_id")):
        get = paths[f"/api/v1/{entity}/{{{name}}}/timeline"]["get"]
        assert "`kind`" in get["description"]
        assert "example" in get["responses"]["200"]["content"]["application/json"]
        assert {"kind", "after", "before", "page", "limit"} <= {
            p["name"] for p in get["parameters"]
        }
        post = paths[f"/api/v1/{entity}/{{{name}}}/notes"]["post"]
        assert post["requestBody"]["content"]["application/json"]["examples"]
        assert "201" in post["responses"]
