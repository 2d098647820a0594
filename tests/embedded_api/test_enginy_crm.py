"""The rest of Enginy's Custom CRM API over HTTP: authentication with the configured header,
companies, associations, activities, users, health, and the error shape. SQLite only: these add
no query that PostgreSQL would answer differently from the contact tests, which run on both."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from sqlalchemy import select

from core.models import Activity, Contact, User
from core.runtime import open_core
from core.services.api_keys import create_api_key, revoke_api_key
from embedded_api.app import create_app
from embedded_api.server import ApiServer
from tests.support.factories import api_company, api_contact


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def enginy(server, api_key):
    """A client that authenticates as Enginy does by default: ``X-API-Key``."""
    with httpx.Client(base_url=server.url, headers={"X-API-Key": api_key}, timeout=10) as http:
        yield http


def configure(hearth, **options):
    enginy = dataclasses.replace(hearth.settings.enginy, **options)
    hearth.settings = dataclasses.replace(hearth.settings, enginy=enginy)


# --- authentication and errors --------------------------------------------------------------


def test_the_key_is_read_from_the_configured_header(hearth, server, api_key):
    configure(hearth, api_key_header="X-Genesy-Token")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for headers in (
            {"X-Genesy-Token": api_key},
            {"x-genesy-token": api_key},
            {"Authorization": f"Bearer {api_key}"},
            {"X-API-Key": api_key},
        ):
            assert http.get("/users", headers=headers).status_code == 200, headers
        for headers in ({}, {"X-Genesy-Token": "wrong"}, {"X-Other": api_key}):
            response = http.get("/users", headers=headers)
            assert response.status_code == 401, headers
            assert response.json() == {
                "error": "Unauthorized",
                "message": "a valid API key is required, in the X-Genesy-Token header "
                "(or Authorization: Bearer KEY)",
            }


def test_the_header_setting_comes_from_the_environment(tmp_path, database_url):
    env = {"HEARTH_DATABASE_URL": database_url, "HEARTH_ENGINY_API_KEY_HEADER": "X-Crm-Key"}
    hearth = open_core(tmp_path / "env-data", env, {"server.port": 0})
    api = ApiServer(create_app(hearth), "127.0.0.1", 0)
    api.start()
    try:
        with hearth.database.write() as session:
            _, key = create_api_key(session, "enginy")
        response = httpx.post(
            f"{api.url}/contacts/sync", json={"contacts": []}, headers={"X-Crm-Key": key}
        )
        assert response.status_code == 200
    finally:
        api.stop()
        hearth.close()


def test_a_missing_key_is_refused_before_the_body_is_read(anonymous):
    response = anonymous.post(
        "/contacts", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_key_stops_working_at_once(hearth, enginy):
    assert enginy.get("/users").status_code == 200
    with hearth.database.write() as session:
        revoke_api_key(session, "tests")
    assert enginy.get("/users").status_code == 401


def test_methods_the_paths_do_not_serve_are_405_in_enginys_shape(enginy):
    response = enginy.delete("/contacts/sync")
    assert response.status_code == 405
    assert response.json()["error"] == "Method not allowed"


# --- companies ------------------------------------------------------------------------------


def test_companies_sync_by_domain_linkedin_and_name(hearth, client, enginy):
    acme = api_company(client, "Acme Inc.", ["acme.example"])
    globex = client.post(
        "/api/v1/companies",
        json={"name": "Globex", "linkedinUrl": "https://www.linkedin.com/company/globex/"},
    ).json()
    initech = api_company(client, "Initech S.A.", ["initech.example"])
    twins = [api_company(client, "Twin Ltd", [d]) for d in ("twin1.example", "twin2.example")]
    response = enginy.post(
        "/companies/sync",
        json={
            "companies": [
                {"externalId": "by-domain", "domain": "https://WWW.acme.example/about"},
                {"externalId": "by-website", "website": "http://acme.example"},
                {"externalId": "by-linkedin", "linkedinUrl": "linkedin.com/company/Globex"},
                {"externalId": "by-name", "name": "ACME"},
                {"externalId": "by-name-suffix", "name": "Acme, Inc"},
                {"externalId": "by-dotted-suffix", "name": "Initech"},
                {"externalId": "unknown", "domain": "unknown-company.example", "name": "Nope"},
                {"externalId": "twins", "name": "twin"},
                {"name": "no external id"},
            ]
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert {r["externalId"]: r["crmId"] for r in body["results"]} == {
        "by-domain": acme["id"],
        "by-website": acme["id"],
        "by-linkedin": globex["id"],
        "by-name": acme["id"],
        "by-name-suffix": acme["id"],
        "by-dotted-suffix": initech["id"],
    }
    assert [(e.get("externalId"), e["index"]) for e in body["errors"]] == [("twins", 7), (None, 8)]
    assert all(t["id"] in body["errors"][0]["error"] for t in twins)


def test_company_sync_properties_are_configurable_and_never_null(hearth, client, enginy):
    acme = client.post(
        "/api/v1/companies",
        json={"name": "Acme", "domains": ["acme.example"], "customFields": {"accountTier": "Ent"}},
    ).json()
    configure(hearth, company_sync_properties=["accountTier", "industry", "domain", "owner"])
    body = enginy.post(
        "/companies/sync", json={"companies": [{"externalId": "c", "domain": "acme.example"}]}
    ).json()
    assert body["results"] == [
        {
            "externalId": "c",
            "crmId": acme["id"],
            "properties": {"accountTier": "Ent", "domain": "acme.example"},
        }
    ]


def test_companies_are_created_once_and_known_ones_are_not_duplicated(client, enginy):
    existing = api_company(client, "Globex", ["globex.example"])
    records = [
        {
            "externalId": "789",
            "name": "Acme Inc",
            "domain": "acme.example",
            "industry": "Technology",
            "numberOfEmployees": 150,
            "linkedinUrl": "https://linkedin.com/company/acme",
        },
        {"externalId": "790", "name": "Globex Corporation", "domain": "www.globex.example"},
        {"externalId": "791", "domain": "nameless.example"},
        {"name": "No id"},
    ]
    first = enginy.post("/companies", json={"companies": records}).json()
    ids = {r["externalId"]: r["crmId"] for r in first["results"]}
    assert ids["790"] == existing["id"]
    assert [(e.get("externalId"), e["index"]) for e in first["errors"]] == [("791", 2), (None, 3)]
    acme = client.get(f"/api/v1/companies/{ids['789']}").json()
    assert (acme["name"], acme["domains"], acme["industry"]) == (
        "Acme Inc",
        ["acme.example"],
        "Technology",
    )
    assert acme["customFields"] == {"numberOfEmployees": 150}
    again = enginy.post("/companies", json={"companies": records[:2]}).json()
    assert {r["externalId"]: r["crmId"] for r in again["results"]} == ids
    assert client.get("/api/v1/companies").json()["total"] == 2


def test_company_updates_merge_and_fail_alone(hearth, client, enginy):
    acme = client.post(
        "/api/v1/companies",
        json={"name": "Acme", "domains": ["acme.example"], "customFields": {"tier": "A"}},
    ).json()
    other = api_company(client, "Other", ["other.example"])
    response = enginy.put(
        "/companies",
        json={
            "companies": [
                {
                    "crmId": acme["id"],
                    "industry": "Software",
                    "domain": "acme-new.example",
                    "genesy_engagement_status": "Engaged",
                },
                {"crmId": other["id"], "domain": "acme.example"},
                {"crmId": "424242", "industry": "x"},
                {"crmId": acme["id"], "name": None},
            ]
        },
    )
    results = response.json()["results"]
    assert [r["success"] for r in results] == [True, False, False, True]
    assert "already belongs to company" in results[1]["error"]
    assert results[2]["error"] == "Company not found"
    after = client.get(f"/api/v1/companies/{acme['id']}").json()
    assert after["name"] == "Acme"
    assert after["industry"] == "Software"
    assert after["domains"] == ["acme-new.example", "acme.example"]
    assert after["customFields"] == {"tier": "A", "genesy_engagement_status": "Engaged"}
    assert client.get(f"/api/v1/companies/{other['id']}").json()["domains"] == ["other.example"]
    with hearth.database.read() as session:
        kinds = session.scalars(
            select(Activity.kind).where(Activity.company_id == int(acme["id"]))
        ).all()
    assert kinds == ["enginy_engagement"]


def test_associations_link_contacts_to_companies(client, enginy):
    acme = api_company(client, "Acme", ["acme.example"])
    sarah = api_contact(client)
    tom = api_contact(client, firstName="Tom", companyId=acme["id"])
    response = enginy.post(
        "/associations",
        json={
            "associations": [
                {"contactCRMId": sarah["id"], "companyCRMId": acme["id"]},
                {"contactCRMId": tom["id"], "companyCRMId": acme["id"]},
                {"contactCRMId": "contact_invalid", "companyCRMId": acme["id"]},
                {"contactCRMId": sarah["id"], "companyCRMId": "999999"},
                {"contactCRMId": sarah["id"]},
            ]
        },
    )
    body = response.json()
    assert (body["success"], body["created"]) == (True, 1)
    assert [(e["index"], e["error"]) for e in body["errors"]] == [
        (2, "Contact not found"),
        (3, "Company not found"),
        (4, "companyCRMId: is required"),
    ]
    assert body["errors"][0]["contactCRMId"] == "contact_invalid"
    assert client.get(f"/api/v1/contacts/{sarah['id']}").json()["companyId"] == acme["id"]


# --- activities and users -------------------------------------------------------------------


def test_activities_land_on_the_timeline_once(hearth, client, enginy):
    acme = api_company(client, "Acme", ["acme.example"])
    jane = api_contact(client, firstName="Jane", lastName="Doe", companyId=acme["id"])
    activity = {
        "type": "LINKEDIN",
        "subject": "[1/3] [FROM Acme Corp] John Smith",
        "body": "Hi Jane, I noticed your company is expanding...",
        "direction": "OUTBOUND",
        "occurredAt": "2024-12-31T10:00:00Z",
        "contactId": jane["id"],
        "metadata": {"messageId": "linkedin-msg-123", "sequenceIndex": 1},
    }
    first = enginy.post("/activities", json=activity)
    assert first.status_code == 201
    created = first.json()
    assert created["id"]
    assert created["type"] == "LINKEDIN"
    assert (created["contactId"], created["companyId"]) == (jane["id"], acme["id"])
    assert created["occurredAt"] == "2024-12-31T10:00:00.000Z"
    repeat = enginy.post("/activities", json=activity)
    assert repeat.status_code == 200
    assert repeat.json()["id"] == created["id"]
    no_id = enginy.post("/activities", json={**activity, "metadata": {}, "type": "EMAIL"})
    assert no_id.status_code == 201
    assert no_id.json()["id"] != created["id"]
    with hearth.database.read() as session:
        rows = session.scalars(
            select(Activity).where(Activity.contact_id == int(jane["id"])).order_by(Activity.id)
        ).all()
        entries = [(a.kind, a.title, a.company_id, a.data) for a in rows]
        last_activity = session.get(Contact, int(jane["id"])).last_activity_at
    assert [entry[:3] for entry in entries] == [
        ("enginy_activity", activity["subject"], int(acme["id"])),
        ("enginy_activity", activity["subject"], int(acme["id"])),
    ]
    assert entries[0][3]["direction"] == "OUTBOUND"
    assert entries[0][3]["metadata"]["messageId"] == "linkedin-msg-123"
    assert last_activity.isoformat() == "2024-12-31T10:00:00+00:00"


def test_bad_activities_get_clear_errors(client, enginy):
    jane = api_contact(client)
    cases = [
        ({"type": "FAX", "contactId": jane["id"]}, 400, "type: must be one of EMAIL"),
        ({"type": "EMAIL", "contactId": jane["id"], "direction": "SIDEWAYS"}, 400, "direction"),
        ({"type": "EMAIL"}, 400, "contactId"),
        ({"type": "EMAIL", "contactId": "contact_8f3k2j"}, 404, "Contact not found"),
        ({"type": "EMAIL", "companyId": "999999"}, 404, "Company not found"),
        ({"type": "EMAIL", "contactId": jane["id"], "ownerId": "77"}, 404, "User not found"),
        ({"type": "EMAIL", "contactId": jane["id"], "occurredAt": "yesterday"}, 400, "occurredAt"),
        ({"contactId": jane["id"]}, 400, "type"),
    ]
    for body, status, words in cases:
        response = enginy.post("/activities", json=body)
        assert response.status_code == status, body
        assert words in response.json()["message"], response.json()


def test_users_lists_the_local_user_first(hearth, enginy):
    assert enginy.get("/users").json() == []
    with hearth.database.write() as session:
        session.add(User(name="Zoe Colleague"))
        session.add(User(name="Alex Morgan", email="alex@hearth.example", is_me=True))
    users = enginy.get("/users").json()
    assert [u["name"] for u in users] == ["Alex Morgan", "Zoe Colleague"]
    assert users[0]["email"] == "alex@hearth.example"
    assert "email" not in users[1]
    assert all(isinstance(u["id"], str) for u in users)


# --- health ---------------------------------------------------------------------------------


def test_health_checks_a_key_when_one_is_presented(hearth, server, api_key):
    configure(hearth, api_key_header="X-Genesy-Token")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get("/health").json()["status"] == "ok"  # liveness needs no key
        good = http.get("/health", headers={"X-Genesy-Token": api_key})
        assert good.status_code == 200
        assert good.json()["status"] == "ok"
        for headers in ({"X-Genesy-Token": "wrong"}, {"Authorization": "Bearer wrong"}):
            assert http.get("/health", headers=headers).status_code == 401
