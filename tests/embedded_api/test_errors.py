"""Bad input gets a clear 4xx problem+json naming the field; never a 500, never a partial write."""

from __future__ import annotations

import logging

import pytest
from fastapi import APIRouter

from embedded_api.app import create_app
from embedded_api.server import ApiServer


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _post(client, body: bytes, content_type: str = "application/json"):
    return client.post("/api/v1/contacts", content=body, headers={"Content-Type": content_type})


def test_malformed_json_is_a_400_problem(client):
    response = _post(client, b'{"firstName": ')
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Malformed JSON"


def test_a_body_that_is_not_json_is_a_415(client):
    response = _post(client, b"firstName=Ann", "application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


def test_a_json_array_instead_of_an_object_is_a_422(client):
    response = _post(client, b"[1, 2]")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"firstName": 5}, "firstName"),
        ({"firstName": "A", "emailAddresses": "a@b.example"}, "emailAddresses"),
        ({"firstName": "A", "emailAddresses": ["ok@b.example", "nope"]}, "emailAddresses/1"),
        ({"firstName": "A", "phones": [{"number": "not a phone"}]}, "phones/0/number"),
        ({"firstName": "A", "companyId": "abc"}, "companyId"),
        ({"firstName": "A", "companyId": 999}, "companyId"),
        ({"firstName": "A", "linkedinUrl": "https://example.com/in/x"}, "linkedinUrl"),
        ({"firstName": "A", "leadScore": "high"}, "leadScore"),
        ({"firstName": "A", "firstname": "typo"}, "firstname"),
        ({"firstName": "x" * 257}, "firstName"),
    ],
)
def test_invalid_fields_are_named(client, body, field):
    response = client.post("/api/v1/contacts", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["status"] == 422
    assert problem["errors"][0]["field"] == field
    assert problem["detail"].startswith(field)
    assert client.get("/api/v1/contacts").json()["total"] == 0


def test_unknown_routes_and_methods_are_problems(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = client.put("/api/v1/contacts")
    assert wrong.status_code == 405
    assert wrong.headers["content-type"] == "application/problem+json"


def test_an_unexpected_error_is_a_bare_500_with_the_traceback_logged(hearth, caplog):
    app = create_app(hearth)
    broken = APIRouter()

    @broken.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    app.include_router(broken)
    server = ApiServer(app, "127.0.0.1", 0)
    server.start()
    try:
        import httpx

        with caplog.at_level(logging.ERROR):
            response = httpx.get(server.url + "/boom")
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert "secret internals" not in response.text
        assert any(
            record.exc_info and "secret internals" in str(record.exc_info[1])
            for record in caplog.records
        )
    finally:
        server.stop()
