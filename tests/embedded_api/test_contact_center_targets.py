"""``/api/v1/contact-center/targets`` over HTTP, on SQLite and PostgreSQL: the tenant/org/category
triples the contact center may post to, with the API's usual conventions and problem+json."""

from __future__ import annotations

import copy

from tests.embedded_api.test_contact_center_email import VALID

TARGETS = "/api/v1/contact-center/targets"
ACME = {"tenantName": "Acme Corp", "orgName": "Sales", "catName": "Leads"}


def _create(client, expected=201, **fields):
    response = client.post(TARGETS, json={**ACME, **fields})
    assert response.status_code == expected, response.text
    return response.json()


def test_create_get_list_patch_delete(client):
    created = _create(client, description="Inbound leads")
    assert isinstance(created["id"], str)
    assert {k: created[k] for k in ACME} == ACME
    assert created["description"] == "Inbound leads"
    assert created["createdAt"].endswith("Z")
    location = client.post(TARGETS, json={**ACME, "catName": "Support"}).headers["location"]
    assert location.startswith(f"{TARGETS}/")
    assert client.get(f"{TARGETS}/{created['id']}").json() == created

    listed = client.get(TARGETS).json()
    assert listed["total"] == 2
    assert [t["catName"] for t in listed["items"]] == ["Leads", "Support"]

    patched = client.patch(f"{TARGETS}/{created['id']}", json={"orgName": "Sales EU"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["orgName"] == "Sales EU"
    assert patched.json()["description"] == "Inbound leads"  # absent: unchanged
    cleared = client.patch(f"{TARGETS}/{created['id']}", json={"description": None}).json()
    assert cleared["description"] is None

    assert client.delete(f"{TARGETS}/{created['id']}").status_code == 204
    assert client.get(f"{TARGETS}/{created['id']}").status_code == 404
    assert client.get(TARGETS).json()["total"] == 1


def test_names_are_trimmed_and_required(client):
    created = _create(client, tenantName="  Acme Corp  ")
    assert created["tenantName"] == "Acme Corp"
    for body, field in (
        ({"orgName": "Sales", "catName": "Leads"}, "tenantName"),
        ({**ACME, "orgName": "   "}, "orgName"),
        ({**ACME, "catName": "c" * 129}, "catName"),
        ({**ACME, "tenantname": "typo"}, "tenantname"),
    ):
        response = client.post(TARGETS, json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == field
    response = client.patch(f"{TARGETS}/{created['id']}", json={"catName": None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "catName"
    assert client.get(TARGETS).json()["total"] == 1


def test_duplicates_are_a_409(client):
    first = _create(client)
    problem = _create(client, expected=409)
    assert problem["status"] == 409
    assert "already exists" in problem["detail"]
    other = _create(client, catName="Support")
    response = client.patch(f"{TARGETS}/{other['id']}", json={"catName": "Leads"})
    assert response.status_code == 409
    assert client.get(f"{TARGETS}/{other['id']}").json()["catName"] == "Support"
    assert client.get(f"{TARGETS}/{first['id']}").json() == first


def test_unknown_ids_are_404_problems(client):
    for path in (f"{TARGETS}/999999", f"{TARGETS}/abc"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert client.patch(f"{TARGETS}/999999", json={"orgName": "x"}).status_code == 404
    assert client.delete(f"{TARGETS}/999999").status_code == 404


def test_a_key_is_required(anonymous):
    response = anonymous.get(TARGETS)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_posts_follow_the_targets(client):
    body = copy.deepcopy(VALID)
    refused = client.post("/contacts/email", json=body)
    assert refused.json()["errors"][0]["detail"] == "tenant/org/cat not found!"
    target = _create(client)
    assert client.post("/contacts/email", json=body).status_code == 202
    client.delete(f"{TARGETS}/{target['id']}")
    body["data"]["msgId"] = "another-message"
    assert client.post("/contacts/email", json=body).status_code == 400
