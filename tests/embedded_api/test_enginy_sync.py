"""Enginy's ``POST /contacts/sync`` over HTTP: every matching strategy, their order, ambiguity,
properties that are never null, and the batch's validation (on SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from tests.support.factories import api_company, api_contact


@pytest.fixture
def enginy(server, api_key):
    """A client that authenticates as Enginy does by default: ``X-API-Key``."""
    with httpx.Client(base_url=server.url, headers={"X-API-Key": api_key}, timeout=10) as http:
        yield http


def configure(hearth, **options):
    """Change ``[enginy]`` settings of the running server (read on every request)."""
    enginy = dataclasses.replace(hearth.settings.enginy, **options)
    hearth.settings = dataclasses.replace(hearth.settings, enginy=enginy)


def sync(client, *records):
    response = client.post("/contacts/sync", json={"contacts": list(records)})
    assert response.status_code == 200, response.text
    return response.json()


def matched(body):
    """``{externalId: crmId}`` of a sync answer."""
    return {r["externalId"]: r["crmId"] for r in body["results"]}


def test_email_matches_any_address_in_any_case_and_misses_are_left_out(client, enginy):
    sarah = api_contact(client, emailAddresses=["sarah@techstartup.example", "sc@home.example"])
    body = sync(
        enginy,
        {"externalId": "lead-1", "email": "SARAH@TechStartup.example"},
        {"externalId": "lead-2", "email": "  sc@HOME.example "},
        {"externalId": "lead-3", "email": "new.prospect@elsewhere.example"},
        {"externalId": "lead-4", "email": "not an address"},
    )
    assert matched(body) == {"lead-1": sarah["id"], "lead-2": sarah["id"]}
    assert "errors" not in body
    assert all(isinstance(r["crmId"], str) for r in body["results"])


LINKEDIN_FORMS = [
    "https://linkedin.com/in/sarahchen",
    "http://www.linkedin.com/in/SarahChen/",
    "uk.linkedin.com/in/sarahchen?trk=public_profile",
    "https://de.linkedin.com/in/sarahchen/en#about",
    "HTTPS://M.LINKEDIN.COM/in/sarahchen",
]


def test_linkedin_matches_whatever_the_url_form(client, enginy):
    sarah = api_contact(client, linkedinUrl="https://www.linkedin.com/in/sarahchen/")
    api_contact(client, firstName="Other", linkedinUrl="https://www.linkedin.com/in/sarahchen2")
    records = [{"externalId": url, "linkedinUrl": url} for url in LINKEDIN_FORMS]
    records.append(
        {"externalId": "not-linkedin", "linkedinUrl": "https://example.com/in/sarahchen"}
    )
    assert matched(sync(enginy, *records)) == dict.fromkeys(LINKEDIN_FORMS, sarah["id"])


PHONE_FORMS = [
    ("phone", "+1-415-555-0123"),
    ("phone", "(415) 555-0123"),
    ("phone", "415.555.0123"),
    ("phone", "1 415 555 0123"),
    ("mobilePhone", "+1 415 555 0123"),
    ("mobilePhone", "tel:+14155550123"),
    ("phone", "001 415 555 0123"),
]


def test_phone_matches_in_e164_with_the_default_region(client, enginy):
    sarah = api_contact(client, phones=[{"number": "+1 (415) 555-0123", "kind": "mobile"}])
    api_contact(client, firstName="Other", phones=["+1 415 555 0124"])
    records = [{"externalId": f"{field}={number}", field: number} for field, number in PHONE_FORMS]
    records.append({"externalId": "words", "phone": "call me"})
    expected = {f"{field}={number}": sarah["id"] for field, number in PHONE_FORMS}
    assert matched(sync(enginy, *records)) == expected


def test_phone_without_country_code_follows_the_configured_region(hearth, client, enginy):
    london = api_contact(client, phones=["+44 20 7946 0018"])
    assert sync(enginy, {"externalId": "lead-1", "phone": "020 7946 0018"})["results"] == []
    crm = dataclasses.replace(hearth.settings.crm, default_phone_region="GB")
    hearth.settings = dataclasses.replace(hearth.settings, crm=crm)
    body = sync(enginy, {"externalId": "lead-1", "phone": "020 7946 0018"})
    assert matched(body) == {"lead-1": london["id"]}


def test_composite_needs_the_full_name_and_the_company(client, enginy):
    acme = api_company(client, "Acme Corporation", ["acme.example"])
    globex = api_company(client, "Globex", ["globex.example"])
    sarah = api_contact(client, companyId=acme["id"])
    api_contact(client, companyId=globex["id"], firstName="Sarah", lastName="Chen-Other")
    name = {"firstName": "Sarah", "lastName": "Chen"}
    body = sync(
        enginy,
        {"externalId": "by-name", "firstName": "SARAH", "lastName": "chen", "company": "Acme"},
        {"externalId": "by-suffix", "fullName": "Sarah Chen", "company": "ACME Corp."},
        {"externalId": "by-domain", **name, "domain": "acme.example"},
        {"externalId": "by-url", **name, "domain": "https://www.acme.example/team"},
        {"externalId": "other-company", **name, "company": "Globex"},
        {"externalId": "first-name-only", "firstName": "Sarah", "company": "Acme"},
        {"externalId": "no-company", **name},
    )
    assert matched(body) == {
        "by-name": sarah["id"],
        "by-suffix": sarah["id"],
        "by-domain": sarah["id"],
        "by-url": sarah["id"],
    }


def test_accented_names_meet_their_plain_spelling(client, enginy):
    acme = api_company(client, "Acme", ["acme.example"])
    jose = api_contact(client, firstName="José", lastName="García", companyId=acme["id"])
    body = sync(
        enginy, {"externalId": "l", "firstName": "Jose", "lastName": "Garcia", "company": "acme"}
    )
    assert matched(body) == {"l": jose["id"]}


def test_strategies_run_in_the_configured_order(hearth, client, enginy):
    by_email = api_contact(client, firstName="Ann", emailAddresses=["ann@x.example"])
    by_linkedin = api_contact(client, firstName="Bea", linkedinUrl="linkedin.com/in/bea")
    record = {"externalId": "l", "email": "ann@x.example", "linkedinUrl": "linkedin.com/in/bea"}
    assert matched(sync(enginy, record)) == {"l": by_email["id"]}
    configure(hearth, match_strategies=["linkedin", "email"])
    assert matched(sync(enginy, record)) == {"l": by_linkedin["id"]}
    configure(hearth, match_strategies=["phone"])
    assert sync(enginy, record)["results"] == []


def test_several_contacts_matching_is_an_error_never_a_guess(client, enginy):
    first = api_contact(client, emailAddresses=["info@shared.example"])
    second = api_contact(client, firstName="Tom", emailAddresses=["INFO@shared.example"])
    linkedin_only = api_contact(client, firstName="Li", linkedinUrl="linkedin.com/in/li")
    body = sync(
        enginy,
        {
            "externalId": "shared",
            "email": "info@shared.example",
            "linkedinUrl": "linkedin.com/in/li",
        },
        {"externalId": "fine", "linkedinUrl": "linkedin.com/in/li"},
    )
    # The email strategy decided "shared": the later LinkedIn match does not override it.
    assert matched(body) == {"fine": linkedin_only["id"]}
    (error,) = body["errors"]
    assert error["externalId"] == "shared"
    assert "2 contacts match by email" in error["error"]
    assert first["id"] in error["error"]
    assert second["id"] in error["error"]


def test_properties_are_the_configured_ones_and_never_null(hearth, client, enginy):
    full = api_contact(
        client,
        emailAddresses=["full@x.example"],
        leadScore=85,
        lifecycleStage="MQL",
        customFields={"tier": "gold", "empty": ""},
    )
    bare = api_contact(client, firstName="Bare", emailAddresses=["bare@x.example"])
    with hearth.database.write() as session:
        from core.models import Contact, User, utcnow

        user = User(name="Alex Morgan", email="alex@hearth.example", is_me=True)
        session.add(user)
        session.flush()
        contact = session.get(Contact, int(full["id"]))
        contact.owner_id = user.id
        contact.last_activity_at = utcnow().replace(microsecond=0)
    body = sync(
        enginy,
        {"externalId": "full", "email": "full@x.example"},
        {"externalId": "bare", "email": "bare@x.example"},
    )
    results = {r["externalId"]: r for r in body["results"]}
    props = results["full"]["properties"]
    assert props["leadScore"] == 85
    assert isinstance(props["leadScore"], int)
    assert props["lifecycleStage"] == "MQL"
    assert props["owner"] == str(user.id)
    assert props["lastActivityDate"].endswith("Z")
    assert set(props) == {"leadScore", "lifecycleStage", "owner", "lastActivityDate"}
    assert results["bare"]["properties"] == {}
    assert results["bare"]["crmId"] == bare["id"]
    configure(hearth, sync_properties=["tier", "empty", "ownerName", "email", "title"])
    again = {
        r["externalId"]: r
        for r in sync(enginy, {"externalId": "full", "email": "full@x.example"})["results"]
    }
    assert again["full"]["properties"] == {
        "tier": "gold",
        "ownerName": "Alex Morgan",
        "email": "full@x.example",
    }
    assert "null" not in httpx.Response(200, json=body).text


def test_a_contact_created_by_enginy_is_found_by_its_external_id(client, enginy):
    created = enginy.post(
        "/contacts",
        json={"contacts": [{"externalId": "lead-9", "email": "old@x.example", "firstName": "Old"}]},
    ).json()["results"][0]
    # Enginy's email changed since; its externalId still names the same contact.
    body = sync(enginy, {"externalId": "lead-9", "email": "brand-new@x.example"})
    assert matched(body) == {"lead-9": created["crmId"]}


def test_records_without_external_id_are_errors_by_position(client, enginy):
    api_contact(client, emailAddresses=["a@x.example"])
    body = sync(
        enginy,
        {"email": "a@x.example"},
        {"externalId": "  ", "email": "a@x.example"},
        {"externalId": 17, "email": "a@x.example"},
        "not an object",
    )
    assert [r["externalId"] for r in body["results"]] == ["17"]
    assert [(e.get("externalId"), e["index"]) for e in body["errors"]] == [
        (None, 0),
        (None, 1),
        (None, 3),
    ]
    assert "externalId" in body["errors"][0]["error"]


def test_malformed_requests_get_enginy_errors(enginy):
    cases = [
        (b"{not json", {"Content-Type": "application/json"}, "not valid JSON"),
        (b'{"contacts": 5}', {"Content-Type": "application/json"}, "contacts"),
        (b'{"people": []}', {"Content-Type": "application/json"}, "contacts"),
        (b'{"contacts": []}', {"Content-Type": "text/plain"}, "JSON"),
    ]
    for content, headers, words in cases:
        response = enginy.post("/contacts/sync", content=content, headers=headers)
        assert response.status_code == 400, content
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["error"] == "Invalid request"
        assert words in body["message"], body


def test_batches_over_a_thousand_are_refused_with_413(enginy):
    records = [{"externalId": str(i), "email": f"p{i}@x.example"} for i in range(1001)]
    response = enginy.post("/contacts/sync", json={"contacts": records})
    assert response.status_code == 413
    assert "at most 1000 contacts" in response.json()["message"]
    assert enginy.post("/contacts/sync", json={"contacts": records[:1000]}).status_code == 200


def test_an_empty_batch_answers_no_results(enginy):
    assert sync(enginy) == {"results": []}


def test_the_server_reports_its_time(enginy):
    response = enginy.post("/contacts/sync", json={"contacts": []})
    assert response.headers["server-timing"].startswith("app;dur=")
