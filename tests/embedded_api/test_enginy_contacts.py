"""Enginy's ``PUT /contacts`` and ``POST /contacts`` over HTTP: known and custom fields, merging,
nulls under both settings, engagement on the timeline, per-record failures, idempotent creation
(on SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from sqlalchemy import select

from core.models import Activity, Company, Contact, ExternalId
from tests.support.factories import api_company, api_contact


@pytest.fixture
def enginy(server, api_key):
    """A client that authenticates as Enginy does by default: ``X-API-Key``."""
    with httpx.Client(base_url=server.url, headers={"X-API-Key": api_key}, timeout=10) as http:
        yield http


def configure(hearth, **options):
    enginy = dataclasses.replace(hearth.settings.enginy, **options)
    hearth.settings = dataclasses.replace(hearth.settings, enginy=enginy)


def put(client, *records):
    response = client.put("/contacts", json={"contacts": list(records)})
    assert response.status_code == 200, response.text
    return response.json()["results"]


def create(client, *records):
    response = client.post("/contacts", json={"contacts": list(records)})
    assert response.status_code == 200, response.text
    return response.json()


def timeline(hearth, contact_id):
    """The contact's Enginy timeline entries, oldest first."""
    with hearth.database.read() as session:
        rows = session.scalars(
            select(Activity)
            .where(Activity.contact_id == int(contact_id), Activity.source == "enginy")
            .order_by(Activity.occurred_at, Activity.id)
        )
        return [(a.kind, a.occurred_at, a.title, a.data) for a in rows]


def test_known_fields_are_applied_and_others_kept_as_custom_fields(client, enginy):
    sarah = api_contact(client, emailAddresses=["sarah@old.example", "sc@home.example"])
    (result,) = put(
        enginy,
        {
            "crmId": sarah["id"],
            "email": "Sarah@New.example",
            "firstName": "Sarah",
            "lastName": "Chen-Li",
            "phone": "+1-415-555-9999",
            "mobilePhone": "+44 7700 900123",
            "title": "CTO",
            "linkedinUrl": "https://www.linkedin.com/in/sarahchen",
            "city": "Oakland",
            "leadScore": "72",
            "tags": "vip, beta",
            "industry": "Software",
            "companySize": "51-200",
        },
    )
    assert result["success"] is True
    assert result["crmId"] == sarah["id"]
    assert result["properties"]["lastUpdated"].endswith("Z")
    after = client.get(f"/api/v1/contacts/{sarah['id']}").json()
    assert after["emailAddresses"] == ["Sarah@New.example", "sarah@old.example", "sc@home.example"]
    assert [(p["kind"], p["e164"]) for p in after["phones"]] == [
        ("phone", "+14155559999"),
        ("mobile", "+447700900123"),
    ]
    assert (after["lastName"], after["title"], after["city"]) == ("Chen-Li", "CTO", "Oakland")
    assert after["leadScore"] == 72
    assert after["tags"] == ["vip", "beta"]
    assert after["customFields"] == {"industry": "Software", "companySize": "51-200"}


def test_updates_merge_custom_fields_and_never_wipe_what_they_do_not_send(client, enginy):
    sarah = api_contact(client, title="VP", customFields={"region": "West"})
    put(enginy, {"crmId": sarah["id"], "genesy_engagement_status": "Connection Request Sent"})
    put(
        enginy,
        {
            "crmId": sarah["id"],
            "genesy_sequence_status": "Ongoing",
            "customFields": {"campaigns": "Q1 Outreach"},
        },
    )
    after = client.get(f"/api/v1/contacts/{sarah['id']}").json()
    assert after["customFields"] == {
        "region": "West",
        "genesy_engagement_status": "Connection Request Sent",
        "genesy_sequence_status": "Ongoing",
        "campaigns": "Q1 Outreach",
    }
    assert after["title"] == "VP"
    assert after["firstName"] == "Sarah"


def test_engagement_updates_land_on_the_timeline(hearth, client, enginy):
    sarah = api_contact(client)
    update = {
        "crmId": sarah["id"],
        "genesy_engagement_status": "Message Replied (2/3) - LINKEDIN",
        "genesy_last_activity": "2024-12-31T11:00:00+01:00",
    }
    put(enginy, update)
    put(enginy, update)  # the same again: nothing new happened
    put(enginy, {"crmId": sarah["id"], "genesy_sequence_status": "Replied"})
    put(enginy, {"crmId": sarah["id"], "title": "CTO"})  # not an engagement field
    entries = timeline(hearth, sarah["id"])
    assert [kind for kind, *_ in entries] == ["enginy_engagement", "enginy_engagement"]
    _kind, occurred, title, data = entries[0]
    assert occurred.isoformat() == "2024-12-31T10:00:00+00:00"  # the engagement's own time
    assert title == "Enginy: Message Replied (2/3) - LINKEDIN"
    assert data == {k: v for k, v in update.items() if k != "crmId"}
    assert entries[1][1] > entries[0][1]  # no time sent: now


def test_nulls_are_ignored_by_default(client, enginy):
    sarah = api_contact(
        client, title="VP", emailAddresses=["s@x.example"], customFields={"tier": "A"}
    )
    (result,) = put(
        enginy,
        {"crmId": sarah["id"], "title": None, "email": "", "tier": None, "lastName": None},
    )
    assert result["success"] is True
    after = client.get(f"/api/v1/contacts/{sarah['id']}").json()
    assert (after["title"], after["lastName"]) == ("VP", "Chen")
    assert after["emailAddresses"] == ["s@x.example"]
    assert after["customFields"] == {"tier": "A"}


def test_nulls_clear_fields_when_configured(hearth, client, enginy):
    configure(hearth, null_clears=True)
    sarah = api_contact(
        client,
        title="VP",
        emailAddresses=["s@x.example", "t@x.example"],
        phones=["+1 415 555 0123"],
        customFields={"tier": "A", "keep": 1},
    )
    put(
        enginy,
        {"crmId": sarah["id"], "title": None, "email": None, "phone": "", "tier": None},
    )
    after = client.get(f"/api/v1/contacts/{sarah['id']}").json()
    assert after["title"] is None
    assert after["emailAddresses"] == ["t@x.example"]  # the primary address went
    assert after["phones"] == []
    assert after["customFields"] == {"keep": 1}


def test_a_contact_left_without_name_or_address_is_refused(hearth, client, enginy):
    configure(hearth, null_clears=True)
    nameless = api_contact(client, lastName=None, emailAddresses=["n@x.example"])
    (result,) = put(enginy, {"crmId": nameless["id"], "firstName": None, "email": None})
    assert result["success"] is False
    assert "needs a name" in result["error"]
    after = client.get(f"/api/v1/contacts/{nameless['id']}").json()
    assert after["emailAddresses"] == ["n@x.example"]
    assert after["firstName"] == "Sarah"


def test_one_bad_record_fails_alone(hearth, client, enginy):
    good = api_contact(client, firstName="Good")
    bad = api_contact(client, firstName="Bad", title="Unchanged")
    results = put(
        enginy,
        {"crmId": good["id"], "title": "Changed", "genesy_status": "Ongoing"},
        {"crmId": "999999", "title": "x"},
        {"crmId": "contact_8f3k2j", "title": "x"},
        {"crmId": bad["id"], "title": "Half", "phone": "not a number", "genesy_status": "x"},
        {"crmId": bad["id"], "email": "not an address"},
        {"crmId": bad["id"], "ownerId": "user-123"},
        {"crmId": bad["id"], "leadScore": "high"},
        {"crmId": bad["id"], "linkedinUrl": "https://example.com/in/bad"},
        {"crmId": bad["id"], "tags": {"a": 1}},
        {"title": "no crmId"},
    )
    assert [(r["success"], r.get("error", "")) for r in results] == [
        (True, ""),
        (False, "Contact not found"),
        (False, "Contact not found"),
        (False, "phone: 'not a number' is not a phone number"),
        (False, results[4]["error"]),
        (False, "ownerId: no user with id 'user-123' (see GET /users)"),
        (False, "leadScore: must be a number (got 'high')"),
        (False, results[7]["error"]),
        (False, "tags: must be a list of strings or a comma-separated string"),
        (False, results[9]["error"]),
    ]
    assert results[4]["error"].startswith("email: ")
    assert results[7]["error"].startswith("linkedinUrl: ")
    assert results[9]["error"].startswith("crmId: is required")
    assert "crmId" not in results[9]
    assert [r["index"] for r in results] == list(range(10))
    assert client.get(f"/api/v1/contacts/{good['id']}").json()["title"] == "Changed"
    after_bad = client.get(f"/api/v1/contacts/{bad['id']}").json()
    assert after_bad["title"] == "Unchanged"
    assert after_bad["customFields"] == {}
    assert timeline(hearth, bad["id"]) == []


def test_a_company_name_links_or_creates_the_company(hearth, client, enginy):
    acme = api_company(client, "Acme Inc.", ["acme.example"])
    sarah = api_contact(client)
    tom = api_contact(client, firstName="Tom")
    put(
        enginy,
        {"crmId": sarah["id"], "company": "ACME"},
        {"crmId": tom["id"], "company": "TechStartup (Acquired)", "domain": "techstartup.example"},
    )
    assert client.get(f"/api/v1/contacts/{sarah['id']}").json()["companyId"] == acme["id"]
    new_company = client.get(f"/api/v1/contacts/{tom['id']}").json()["companyId"]
    company = client.get(f"/api/v1/companies/{new_company}").json()
    assert (company["name"], company["domains"]) == (
        "TechStartup (Acquired)",
        ["techstartup.example"],
    )
    # Named again by another contact: the same company, not a second one.
    put(enginy, {"crmId": sarah["id"], "company": "techstartup (acquired)"})
    assert client.get(f"/api/v1/contacts/{sarah['id']}").json()["companyId"] == new_company


def test_create_is_idempotent_by_external_id(hearth, client, enginy):
    record = {
        "externalId": "lead-123",
        "email": "John@Acme.example",
        "firstName": "John",
        "lastName": "Doe",
        "phone": "+1 415 555 0100",
        "company": "Acme Inc",
        "title": "CEO",
        "linkedinUrl": "https://linkedin.com/in/johndoe",
        "emailVerificationStatus": "valid",
    }
    first = create(enginy, record)
    (created,) = first["results"]
    assert created["externalId"] == "lead-123"
    assert "errors" not in first
    again = create(enginy, record, {**record, "externalId": "lead-123"})
    assert [r["crmId"] for r in again["results"]] == [created["crmId"]] * 2
    contact = client.get(f"/api/v1/contacts/{created['crmId']}").json()
    assert contact["emailAddresses"] == ["John@Acme.example"]
    assert contact["customFields"] == {"emailVerificationStatus": "valid"}
    company = client.get(f"/api/v1/companies/{contact['companyId']}").json()
    assert company["name"] == "Acme Inc"
    with hearth.database.read() as session:
        assert session.query(Contact).count() == 1
        assert session.query(Company).count() == 1
        links = session.scalars(select(ExternalId).where(ExternalId.source == "enginy")).all()
        assert [(x.record_type, x.external_id) for x in links] == [("contact", "lead-123")]


def test_create_links_a_contact_hearth_already_has_instead_of_duplicating(client, enginy):
    sarah = api_contact(client, emailAddresses=["sarah@x.example"])
    shared_one = api_contact(client, firstName="A", emailAddresses=["team@x.example"])
    api_contact(client, firstName="B", emailAddresses=["team@x.example"])
    body = create(
        enginy,
        {"externalId": "lead-1", "email": "SARAH@x.example", "firstName": "Sarah"},
        {"externalId": "lead-2", "email": "team@x.example", "firstName": "C"},
    )
    assert body["results"] == [{"externalId": "lead-1", "crmId": sarah["id"]}]
    (error,) = body["errors"]
    assert error["externalId"] == "lead-2"
    assert shared_one["id"] in error["error"]
    # From now on Enginy's id names Sarah whatever the address says.
    synced = enginy.post(
        "/contacts/sync", json={"contacts": [{"externalId": "lead-1", "email": "x@y.example"}]}
    ).json()
    assert synced["results"][0]["crmId"] == sarah["id"]


def test_create_reports_bad_records_and_creates_the_rest(hearth, client, enginy):
    body = create(
        enginy,
        {"externalId": "ok", "email": "ok@x.example"},
        {"email": "no-id@x.example"},
        {"externalId": "bad-email", "email": "nope", "firstName": "X"},
        {"externalId": "bad-phone", "firstName": "X", "phone": "12"},
        {"externalId": "nothing", "title": "CEO"},
        {"externalId": "bad-owner", "firstName": "X", "ownerId": 12345},
    )
    assert [r["externalId"] for r in body["results"]] == ["ok"]
    assert [(e.get("externalId"), e["index"]) for e in body["errors"]] == [
        (None, 1),
        ("bad-email", 2),
        ("bad-phone", 3),
        ("nothing", 4),
        ("bad-owner", 5),
    ]
    with hearth.database.read() as session:
        assert session.query(Contact).count() == 1
        assert session.query(ExternalId).count() == 1


def test_update_batches_over_a_thousand_are_refused(enginy):
    records = [{"crmId": str(i)} for i in range(1001)]
    for method in ("PUT", "POST"):
        response = enginy.request(method, "/contacts", json={"contacts": records})
        assert response.status_code == 413
        assert response.json()["error"] == "Too many records"
