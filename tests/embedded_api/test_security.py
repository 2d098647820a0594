"""The embedded API's security rules, each checked over a real server with a real client."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

import core
from core.services.api_keys import revoke_api_key


@pytest.fixture
def backend() -> str:
    """These rules do not depend on the database: SQLite only."""
    return "sqlite"


def test_requests_without_a_key_are_refused(anonymous):
    response = anonymous.get("/api/v1/contacts")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def test_a_wrong_key_is_refused(anonymous, api_key):
    for headers in (
        {"Authorization": "Bearer hth_not-a-real-key"},
        {"X-API-Key": api_key + "x"},
        {"Authorization": f"Basic {api_key}"},
        {"Authorization": "Bearer"},
    ):
        assert anonymous.get("/api/v1/contacts", headers=headers).status_code == 401, headers


def test_a_key_is_accepted_as_bearer_or_x_api_key(anonymous, api_key):
    assert anonymous.get("/api/v1/contacts", headers={"X-API-Key": api_key}).status_code == 200
    bearer = {"Authorization": f"bearer {api_key}"}  # the scheme is case-insensitive
    assert anonymous.get("/api/v1/contacts", headers=bearer).status_code == 200


def test_revocation_takes_effect_on_the_next_request(hearth, client):
    assert client.get("/api/v1/contacts").status_code == 200
    with hearth.database.write() as session:
        revoke_api_key(session, "tests")
    assert client.get("/api/v1/contacts").status_code == 401


def test_key_use_is_recorded(hearth, client):
    from core.services.api_keys import list_api_keys

    client.get("/api/v1/contacts")
    with hearth.database.read() as session:
        (info,) = list_api_keys(session)
    assert info.last_used_at is not None


def test_health_needs_no_key(anonymous):
    response = anonymous.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8765", "192.168.1.10", "127.0.0.1.evil.example"]
)
def test_a_non_loopback_host_header_is_refused(anonymous, api_key, host):
    # DNS rebinding: the browser connects to 127.0.0.1 but still names the attacker's host.
    response = anonymous.get(
        "/api/v1/contacts", headers={"Host": host, "Authorization": f"Bearer {api_key}"}
    )
    assert response.status_code == 403
    assert anonymous.get("/health", headers={"Host": host}).status_code == 403


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:1234", "[::1]:8765", "app.localhost"])
def test_loopback_host_headers_are_accepted(anonymous, host):
    assert anonymous.get("/health", headers={"Host": host}).status_code == 200


def test_cross_origin_browser_requests_are_refused(client):
    response = client.get("/api/v1/contacts", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert client.get("/api/v1/contacts", headers={"Origin": "null"}).status_code == 403
    fetch = client.get("/api/v1/contacts", headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403


def test_no_cors_preflight_is_granted(anonymous):
    response = anonymous.options(
        "/api/v1/contacts",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 403
    assert not any(h.startswith("access-control-") for h in response.headers)


def test_same_machine_origins_are_accepted(client, server):
    assert client.get("/api/v1/contacts", headers={"Origin": server.url}).status_code == 200


def test_bodies_over_the_limit_get_413_and_write_nothing(client, hearth):
    limit = hearth.settings.server.max_body_bytes
    body = b'{"firstName": "' + b"x" * limit + b'"}'
    response = client.post(
        "/api/v1/contacts", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"

    def chunks():
        yield b'{"firstName": "'
        for _ in range(limit // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    # No Content-Length: the limit is enforced while the body streams in.
    streamed = client.post(
        "/api/v1/contacts", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert client.get("/api/v1/contacts").json()["total"] == 0


def test_security_headers_are_sent(anonymous):
    headers = anonymous.get("/health").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "server" not in headers


def test_the_server_listens_on_loopback_only(server):
    # Reaching the port through a non-loopback address of this machine must fail.
    addresses = {
        info[4][0]
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        if not info[4][0].startswith("127.")
    }
    for address in addresses:
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://{address}:{server.port}/health", timeout=2)
    assert server.bound_address == ("127.0.0.1", server.port)


def test_openapi_and_docs_are_published(anonymous):
    spec = anonymous.get("/openapi.json").json()
    assert "/api/v1/contacts" in spec["paths"]
    schemes = spec["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}
    docs = anonymous.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    # The docs work offline: their assets are served by Hearth itself, not a CDN.
    assert "cdn." not in docs.text
    asset = anonymous.get("/static-offline-docs/swagger-ui-bundle.js")
    assert asset.status_code == 200


def test_health_reports_an_unusable_database_as_503(hearth, anonymous):
    assert anonymous.get("/health").status_code == 200
    hearth.database.dispose()
    database_file = Path(hearth.database.url.database)
    for suffix in ("-wal", "-shm"):
        database_file.with_name(database_file.name + suffix).unlink(missing_ok=True)
    database_file.write_bytes(b"this is not a database" * 100)
    response = anonymous.get("/health")
    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "version": core.__version__,
        "database": "unavailable",
    }


def test_the_listening_socket_is_tcp_so_keep_alive_replies_are_not_delayed():
    # asyncio disables Nagle's algorithm only on sockets whose proto is IPPROTO_TCP; without it
    # each small response on a kept-alive connection waited ~40 ms for a delayed ACK.
    from embedded_api.server import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
