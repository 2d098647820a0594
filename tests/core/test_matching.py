"""Bulk matching of addresses and domains to contacts and companies."""

from __future__ import annotations

import pytest

from core.services.companies import create_company
from core.services.contacts import create_contact
from core.services.matching import (
    company_ids_by_domain,
    contact_ids_by_address,
    match_addresses,
)


@pytest.fixture
def crm(database):
    with database.write() as session:
        acme = create_company(session, {"name": "Acme", "domains": ["acme.example"]})
        globex = create_company(session, {"name": "Globex", "domains": ["globex.example"]})
        ann = create_contact(
            session,
            {
                "first_name": "Ann",
                "email_addresses": ["Ann@Acme.example", "ann@home.example"],
                "company_id": acme.id,
            },
            "US",
        )
        bob = create_contact(
            session, {"first_name": "Bob", "email_addresses": ["shared@x.example"]}, "US"
        )
        cy = create_contact(
            session, {"first_name": "Cy", "email_addresses": ["SHARED@x.example"]}, "US"
        )
    return {"acme": acme.id, "globex": globex.id, "ann": ann.id, "bob": bob.id, "cy": cy.id}


def test_every_address_of_a_contact_matches_ignoring_case(database, crm):
    with database.read() as session:
        found = contact_ids_by_address(
            session, ["ANN@acme.example", "ann@HOME.example", "nobody@acme.example", "", " "]
        )
    assert found == {"ann@acme.example": [crm["ann"]], "ann@home.example": [crm["ann"]]}


def test_a_shared_address_maps_to_every_owner(database, crm):
    with database.read() as session:
        found = contact_ids_by_address(session, ["shared@x.example"])
    assert found == {"shared@x.example": sorted([crm["bob"], crm["cy"]])}


def test_match_links_contacts_their_companies_and_domain_owners(database, crm):
    with database.read() as session:
        contacts, companies = match_addresses(
            session, ["ann@home.example", "someone@globex.example", "not an address"]
        )
    assert contacts == [crm["ann"]]
    assert companies == sorted([crm["acme"], crm["globex"]])


def test_large_batches_are_chunked(database, crm):
    addresses = [f"user{n}@nowhere.example" for n in range(2000)] + ["ann@acme.example"]
    with database.read() as session:
        assert contact_ids_by_address(session, addresses) == {"ann@acme.example": [crm["ann"]]}
        domains = [f"d{n}.example" for n in range(1500)] + ["acme.example"]
        assert company_ids_by_domain(session, domains) == {"acme.example": crm["acme"]}
