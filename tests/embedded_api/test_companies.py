"""``/api/v1/companies`` over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations


def _company(client, **fields):
    response = client.post("/api/v1/companies", json={"name": "Acme", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_normalises_domains(client):
    created = _company(
        client,
        domains=["WWW.Acme.example", "https://acme-labs.example/about", "sales@acme.example"],
        industry="Software",
    )
    assert created["domains"] == ["acme.example", "acme-labs.example"]
    assert created["industry"] == "Software"
    assert client.get(f"/api/v1/companies/{created['id']}").json() == created


def test_a_website_gives_the_first_domain(client):
    created = _company(client, website="https://www.acme.example/")
    assert created["domains"] == ["acme.example"]


def test_a_domain_belongs_to_one_company(client):
    _company(client, domains=["acme.example"])
    response = client.post("/api/v1/companies", json={"name": "Other", "domains": ["acme.example"]})
    assert response.status_code == 409
    assert "acme.example" in response.json()["detail"]
    assert client.get("/api/v1/companies").json()["total"] == 1


def test_invalid_input_is_named(client):
    assert client.post("/api/v1/companies", json={}).json()["errors"][0]["field"] == "name"
    bad = client.post("/api/v1/companies", json={"name": "A", "domains": ["not a domain"]})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "domains/0"


def test_patch_merges_and_clears(client):
    created = _company(
        client, domains=["acme.example"], industry="Software", customFields={"a": 1, "b": 2}
    )
    patched = client.patch(
        f"/api/v1/companies/{created['id']}",
        json={"industry": None, "customFields": {"a": None, "c": 3}},
    ).json()
    assert patched["industry"] is None
    assert patched["domains"] == ["acme.example"]
    assert patched["customFields"] == {"b": 2, "c": 3}
    cleared = client.patch(f"/api/v1/companies/{created['id']}", json={"name": None})
    assert cleared.status_code == 422


def test_deleting_a_company_keeps_its_contacts(client):
    company = _company(client, domains=["acme.example"])
    contact = client.post(
        "/api/v1/contacts", json={"firstName": "Ann", "companyId": company["id"]}
    ).json()
    assert client.delete(f"/api/v1/companies/{company['id']}").status_code == 204
    assert client.get(f"/api/v1/companies/{company['id']}").status_code == 404
    assert client.get(f"/api/v1/contacts/{contact['id']}").json()["companyId"] is None


def test_list_filters_by_text_and_domain(client):
    _company(client, name="Acme Corp", domains=["acme.example"])
    _company(client, name="Globex", domains=["globex.example", "globex.co.example"])

    def names(**params):
        items = client.get("/api/v1/companies", params=params).json()["items"]
        return [c["name"] for c in items]

    assert names() == ["Acme Corp", "Globex"]
    assert names(q="acme") == ["Acme Corp"]
    assert names(domain="www.globex.co.example") == ["Globex"]
    assert names(domain="bob@globex.example") == ["Globex"]
    assert names(q="zzz") == []
