"""Small factories shared by the API tests: records created through the real HTTP API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx


def api_company(
    client: httpx.Client, name: str = "Acme", domains: Sequence[str] = ("acme.example",)
) -> dict[str, Any]:
    """Create a company over HTTP and return it as the API answered."""
    response = client.post("/api/v1/companies", json={"name": name, "domains": list(domains)})
    assert response.status_code == 201, response.text
    return response.json()


def api_contact(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    """Create a contact (Sarah Chen unless ``fields`` say otherwise) over HTTP."""
    body = {"firstName": "Sarah", "lastName": "Chen", **fields}
    response = client.post("/api/v1/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()
