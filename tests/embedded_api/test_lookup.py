"""BrightSync's look-ups over HTTP (spec 000): contacts by email, contact by id, company by domain.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from tests.support.factories import api_company as _company
from tests.support.factories import api_contact as _contact


def _lookup(client, params):
    response = client.get("/api/v1/contacts/lookup", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def people(client):
    acme = _company(client)
    sarah = _contact(
        client,
        emailAddresses=["Sarah.Chen@Acme.example", "sarah@chen.example"],
        companyId=acme["id"],
        title="VP",
    )
    bob = _contact(client, firstName="Bob", lastName="Stone", emailAddresses=["bob@else.example"])
    tagged = _contact(
        client, firstName="Tag", lastName="Ged", emailAddresses=["john+crm@x.example"]
    )
    return {"acme": acme, "sarah": sarah, "bob": bob, "tagged": tagged}


# --- contacts by email ----------------------------------------------------------------------------


def test_lookup_answers_a_list_of_contact_objects(client, people):
    found = _lookup(client, {"emails": "sarah.chen@acme.example"})
    assert found == [people["sarah"]]
    contact = found[0]
    assert isinstance(contact["id"], str)
    assert (contact["firstName"], contact["lastName"]) == ("Sarah", "Chen")
    assert contact["emailAddresses"] == ["Sarah.Chen@Acme.example", "sarah@chen.example"]
    assert contact["companyId"] == people["acme"]["id"]
    assert contact["title"] == "VP"  # and the other fields


@pytest.mark.parametrize(
    "address", ["SARAH.CHEN@ACME.EXAMPLE", "sarah@Chen.Example", " sarah@chen.example "]
)
def test_every_address_matches_ignoring_case(client, people, address):
    assert [c["id"] for c in _lookup(client, {"emails": address})] == [people["sarah"]["id"]]


def test_comma_separated_and_repeated_parameters(client, people):
    comma = _lookup(client, {"emails": "bob@else.example,SARAH@chen.example"})
    repeated = _lookup(client, [("emails", "bob@else.example"), ("emails", "sarah@chen.example")])
    mixed = _lookup(
        client,
        [("emails", "sarah@chen.example, sarah.chen@acme.example"), ("emails", "BOB@else.example")],
    )
    expected = [people["sarah"]["id"], people["bob"]["id"]]  # each contact once, by id
    assert [c["id"] for c in comma] == expected
    assert [c["id"] for c in repeated] == expected
    assert [c["id"] for c in mixed] == expected


def test_no_match_is_an_empty_list(client, people):
    assert _lookup(client, {"emails": "nobody@nowhere.example"}) == []


def test_malformed_addresses_match_nothing(client, people):
    assert _lookup(client, {"emails": "not-an-address"}) == []
    found = _lookup(client, {"emails": "not-an-address,,@@,bob@else.example"})
    assert [c["id"] for c in found] == [people["bob"]["id"]]


def test_header_forms_and_a_plus_decoded_as_a_space(client, people):
    named = _lookup(client, {"emails": "Bob Stone <bob@else.example>"})
    assert [c["id"] for c in named] == [people["bob"]["id"]]
    # An unencoded "+" arrives as a space; the lookup puts it back.
    response = client.get("/api/v1/contacts/lookup?emails=john+crm@x.example")
    assert [c["id"] for c in response.json()] == [people["tagged"]["id"]]
    encoded = _lookup(client, {"emails": "john+crm@x.example"})
    assert [c["id"] for c in encoded] == [people["tagged"]["id"]]


@pytest.mark.parametrize("query", ["", "?emails=", "?emails=%20,%20", "?emails=&emails=,"])
def test_missing_or_empty_emails_is_a_422(client, query):
    response = client.get(f"/api/v1/contacts/lookup{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "emails"


def test_at_most_500_addresses(client, people):
    addresses = [f"user{n}@nowhere.example" for n in range(499)] + ["bob@else.example"]
    found = client.get("/api/v1/contacts/lookup", params={"emails": ",".join(addresses)})
    assert [c["id"] for c in found.json()] == [people["bob"]["id"]]
    too_many = client.get(
        "/api/v1/contacts/lookup", params={"emails": ",".join([*addresses, "one@more.example"])}
    )
    assert too_many.status_code == 422
    problem = too_many.json()
    assert problem["errors"][0]["field"] == "emails"
    assert "500" in problem["detail"]


def test_load_contact_by_id(client, people):
    response = client.get(f"/api/v1/contacts/{people['bob']['id']}")
    assert response.status_code == 200
    assert response.json() == people["bob"]
    assert client.get("/api/v1/contacts/999999").status_code == 404


def test_lookups_need_an_api_key(anonymous):
    assert (
        anonymous.get("/api/v1/contacts/lookup", params={"emails": "a@b.example"}).status_code
        == 401
    )
    assert (
        anonymous.get("/api/v1/companies/lookup", params={"domain": "b.example"}).status_code == 401
    )


# --- companies by domain --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    [
        "acme.example",
        "ACME.Example",
        "www.acme.example",
        "https://www.Acme.example/about?x=1",
        "sales@ACME.example",
        "acme-labs.example",
    ],
)
def test_company_lookup_matches_any_domain_ignoring_case_and_www(client, domain):
    acme = _company(client, domains=["acme.example", "acme-labs.example"])
    _company(client, name="Globex", domains=["globex.example"])
    response = client.get("/api/v1/companies/lookup", params={"domain": domain})
    assert response.status_code == 200, response.text
    assert response.json() == [acme]


def test_company_lookup_without_a_match_is_an_empty_list(client):
    _company(client)
    response = client.get("/api/v1/companies/lookup", params={"domain": "unknown.example"})
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("query", ["", "?domain=", "?domain=not%20a%20domain"])
def test_company_lookup_needs_a_domain(client, query):
    response = client.get(f"/api/v1/companies/lookup{query}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "domain"


def test_lookup_routes_come_before_the_id_routes(client, people):
    spec = client.get("/openapi.json").json()
    assert "/api/v1/contacts/lookup" in spec["paths"]
    assert "/api/v1/companies/lookup" in spec["paths"]
    lookup = spec["paths"]["/api/v1/contacts/lookup"]["get"]
    assert lookup["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
