"""``/api/v1/contacts`` over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.support.factories import api_company as _company
from tests.support.factories import api_contact as _contact


def test_create_and_get_round_trip_every_field(client):
    company = _company(client)
    created = _contact(
        client,
        title="VP of Engineering",
        companyId=int(company["id"]),
        emailAddresses=["Sarah.Chen@Acme.example", "sarah@chen.example"],
        phones=["+1 (415) 555-0123", {"number": "+44 20 7946 0018", "kind": "work"}],
        linkedinUrl="https://www.linkedin.com/in/SarahChen/",
        leadScore=85,
        lifecycleStage="MQL",
        city="Oakland",
        tags=["vip"],
        customFields={"region": "West", "nested": {"a": 1}},
    )
    assert isinstance(created["id"], str)
    assert created["companyId"] == company["id"]
    assert created["fullName"] == "Sarah Chen"
    assert created["emailAddresses"] == ["Sarah.Chen@Acme.example", "sarah@chen.example"]
    assert created["phones"][0] == {
        "number": "+1 (415) 555-0123",
        "kind": "phone",
        "e164": "+14155550123",
    }
    assert created["phones"][1] == {
        "number": "+44 20 7946 0018",
        "kind": "work",
        "e164": "+442079460018",
    }
    assert created["createdAt"].endswith("Z")
    fetched = client.get(f"/api/v1/contacts/{created['id']}").json()
    assert fetched == created


def test_phones_without_country_code_use_the_default_region(client):
    created = _contact(client, phones=["(415) 555-0123"])
    assert created["phones"][0]["e164"] == "+14155550123"


def test_addresses_are_case_insensitive_and_deduplicated(client):
    created = _contact(client, emailAddresses=["Ann@X.example", "ann@x.EXAMPLE", "b@x.example"])
    assert created["emailAddresses"] == ["Ann@X.example", "b@x.example"]
    found = client.get("/api/v1/contacts", params={"email": "ANN@x.example"}).json()
    assert [c["id"] for c in found["items"]] == [created["id"]]


def test_a_contact_needs_a_name_or_an_address(client):
    response = client.post("/api/v1/contacts", json={"title": "Nobody"})
    assert response.status_code == 422
    assert (
        client.post("/api/v1/contacts", json={"emailAddresses": ["a@b.example"]}).status_code == 201
    )


def test_ids_are_accepted_as_numbers_or_strings(client):
    company = _company(client)
    by_number = _contact(client, companyId=int(company["id"]))
    by_string = _contact(client, companyId=company["id"])
    assert by_number["companyId"] == by_string["companyId"] == company["id"]


def test_unknown_ids_are_404(client):
    for path in ("/api/v1/contacts/999999", "/api/v1/contacts/abc", "/api/v1/contacts/-1"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    assert client.patch("/api/v1/contacts/999999", json={"title": "x"}).status_code == 404
    assert client.delete("/api/v1/contacts/999999").status_code == 404


def test_patch_follows_merge_semantics(client):
    created = _contact(
        client,
        title="VP",
        city="Oakland",
        emailAddresses=["s@acme.example"],
        phones=["+14155550123"],
        customFields={"region": "West", "tier": "B", "nested": {"a": 1, "b": 2}},
    )
    response = client.patch(
        f"/api/v1/contacts/{created['id']}",
        json={
            "title": "CTO",
            "city": None,
            "phones": None,
            "customFields": {"tier": None, "score": 3, "nested": {"b": None, "c": 3}},
        },
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["title"] == "CTO"
    assert patched["city"] is None
    assert patched["phones"] == []
    assert patched["emailAddresses"] == ["s@acme.example"]  # absent: unchanged
    assert patched["firstName"] == "Sarah"
    assert patched["customFields"] == {"region": "West", "score": 3, "nested": {"a": 1, "c": 3}}
    assert client.get(f"/api/v1/contacts/{created['id']}").json() == patched


def test_a_rejected_patch_changes_nothing(client):
    created = _contact(client, title="VP", emailAddresses=["s@acme.example"])
    response = client.patch(
        f"/api/v1/contacts/{created['id']}",
        json={"title": "CTO", "emailAddresses": ["s@acme.example", "broken"]},
    )
    assert response.status_code == 422
    assert client.get(f"/api/v1/contacts/{created['id']}").json() == created


def test_delete_removes_the_contact(client):
    created = _contact(client)
    assert client.delete(f"/api/v1/contacts/{created['id']}").status_code == 204
    assert client.get(f"/api/v1/contacts/{created['id']}").status_code == 404


def test_list_filters_and_paginates(client):
    acme = _company(client, "Acme", ["acme.example"])
    globex = _company(client, "Globex", ["globex.example"])
    _contact(client, firstName="Ann", lastName="Zed", emailAddresses=["ann@acme.example"])
    _contact(client, firstName="Bob", lastName="Young", companyId=acme["id"])
    _contact(
        client,
        firstName="Cy",
        lastName="Xu",
        emailAddresses=["cy@globex.example"],
        companyId=globex["id"],
        title="Head of 100% Growth",
    )
    _contact(client, firstName="Dé", lastName="Wall", emailAddresses=["de@else.example"])

    def names(**params):
        body = client.get("/api/v1/contacts", params=params).json()
        return [c["firstName"] for c in body["items"]]

    assert names(domain="acme.example") == ["Ann", "Bob"]  # by address or by company domain
    assert names(domain="https://www.ACME.example/team") == ["Ann", "Bob"]
    assert names(companyId=globex["id"]) == ["Cy"]
    assert names(q="de wall") == ["Dé"]  # accents and case folded
    assert names(q="100%") == ["Cy"]  # wildcards are literal
    assert names(q="globex.EXAMPLE") == ["Cy"]
    assert names(q="nobody") == []

    first = client.get("/api/v1/contacts", params={"limit": 3}).json()
    assert first["total"] == 4
    assert first["nextPage"] == 2
    assert len(first["items"]) == 3
    second = client.get("/api/v1/contacts", params={"limit": 3, "page": 2}).json()
    assert second["nextPage"] is None
    assert len(second["items"]) == 1
    ids = [c["id"] for c in first["items"] + second["items"]]
    assert len(set(ids)) == 4
    beyond = client.get("/api/v1/contacts", params={"limit": 3, "page": 9}).json()
    assert beyond["items"] == []
    assert beyond["total"] == 4


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"page": 0}, {"page": "x"}])
def test_bad_paging_is_a_422(client, params):
    response = client.get("/api/v1/contacts", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] in params


def test_linkedin_urls_are_normalised_for_matching(hearth, client):
    from sqlalchemy import select

    from core.models import Contact

    _contact(client, linkedinUrl="http://uk.linkedin.com/in/SarahChen?trk=x")
    with hearth.database.read() as session:
        assert session.scalar(select(Contact.linkedin_key)) == "linkedin.com/in/sarahchen"


def test_deleted_ids_are_never_reused_and_leave_a_tombstone(hearth, client):
    from sqlalchemy import select

    from core.models import Tombstone

    first = _contact(client)
    assert client.delete(f"/api/v1/contacts/{first['id']}").status_code == 204
    second = _contact(client)
    # A partner still holding the old id must not reach the new contact through it.
    assert int(second["id"]) > int(first["id"])
    assert client.get(f"/api/v1/contacts/{first['id']}").status_code == 404
    with hearth.database.read() as session:
        tombstones = session.execute(select(Tombstone.record_type, Tombstone.record_id)).all()
    assert tombstones == [("contact", int(first["id"]))]
