"""``/api/v1/integrations/documents`` over HTTP: uploads through presigned URLs, downloads, lists,
archive and delete, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import httpx
import pytest

from core import presign
from core.runtime import HearthCore, open_core
from core.services.documents import url_signing_key
from embedded_api.app import create_app
from embedded_api.routers import integrations_documents
from embedded_api.server import ApiServer
from tests.support.factories import api_company, api_contact

BASE = "/api/v1/integrations/documents"
LIMIT = 1024 * 1024
"""documents.max_upload_bytes in these tests."""
SERVER_LIMIT = 64 * 1024
"""server.max_body_bytes in these tests: uploads may be larger, other bodies not."""
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40


@pytest.fixture
def backend() -> str:
    """SQLite: the storage rules also run on PostgreSQL, in tests/core/test_documents.py."""
    return "sqlite"


@pytest.fixture
def hearth(data_dir: Path, database_url: str) -> Iterator[HearthCore]:
    """Hearth with small limits, so the size rules are cheap to test."""
    core = open_core(
        data_dir,
        {"HEARTH_DATABASE_URL": database_url},
        {
            "server.port": 0,
            "server.max_body_bytes": SERVER_LIMIT,
            "documents.max_upload_bytes": LIMIT,
        },
    )
    yield core
    core.close()


def start(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    """Start an upload (a PDF named contract.pdf unless ``fields`` say otherwise)."""
    body = {"fileName": "contract.pdf", "contentType": "application/pdf", **fields}
    response = client.post(f"{BASE}/upload", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def put(grant: dict[str, Any], content: Any = PDF, **headers: str) -> httpx.Response:
    """PUT ``content`` to the grant's URL, as a client without an API key does."""
    return httpx.put(
        grant["uploadUrl"], content=content, headers={**grant["headers"], **headers}, timeout=10
    )


def uploaded(client: httpx.Client, content: bytes = PDF, **fields: Any) -> dict[str, Any]:
    """A confirmed document with ``content``."""
    grant = start(client, **fields)
    assert put(grant, content).status_code == 200
    response = client.post(f"{BASE}/{grant['id']}/confirm")
    assert response.status_code == 200, response.text
    return response.json()


def download_url(client: httpx.Client, document_id: str) -> str:
    response = client.get(f"{BASE}/{document_id}/download")
    assert response.status_code == 200, response.text
    return response.json()["url"]


def with_query(url: str, **changes: str) -> str:
    """``url`` with some query parameters replaced."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()


def stored_files(hearth: HearthCore) -> list[Path]:
    """Every file under the documents folder (blobs, and any temporary or stray file)."""
    return sorted(p for p in hearth.paths.documents_dir.rglob("*") if p.is_file())


def assert_forbidden(response: httpx.Response, detail: str = "") -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


# --- the whole journey -----------------------------------------------------------------------


def test_upload_confirm_and_download_a_document_of_an_account(client, anonymous, server):
    company = api_company(client)
    grant = start(client, entityType="account", entityId=int(company["id"]), size=len(PDF))
    assert grant["fileName"] == "contract.pdf"
    assert grant["method"] == "PUT"
    assert grant["headers"] == {"Content-Type": "application/pdf"}
    assert grant["uploadUrl"].startswith(f"{server.url}{BASE}/{grant['id']}/content?")
    assert grant["expiresAt"].endswith("Z")
    assert grant["maxBytes"] == len(PDF)

    response = put(grant)  # no API key: the URL is the credential
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["status"] == "pending"
    assert document["size"] == len(PDF)
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert document["relatedTo"] == [{"type": "company", "id": company["id"]}]

    confirmed = client.post(f"{BASE}/{grant['id']}/confirm").json()
    assert confirmed["status"] == "ready"
    assert confirmed["confirmedAt"].endswith("Z")
    assert client.get(f"{BASE}/{grant['id']}").json() == confirmed

    link = client.get(f"{BASE}/{grant['id']}/download").json()
    assert link["url"].startswith(f"{server.url}{BASE}/{grant['id']}/content?")
    assert link["expiresAt"].endswith("Z")
    assert link["size"] == len(PDF)
    content = anonymous.get(link["url"])
    assert content.status_code == 200
    assert content.content == PDF
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["content-disposition"] == (
        "attachment; filename=\"contract.pdf\"; filename*=UTF-8''contract.pdf"
    )
    # A client may resume a large download.
    ranged = anonymous.get(link["url"], headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206
    assert ranged.content == b"%PDF"


def test_a_confirmed_document_shows_on_its_contacts_and_companys_timelines(client):
    company = api_company(client)
    contact = api_contact(client, companyId=company["id"])
    document = uploaded(client, entityType="contact", entityId=contact["id"])
    client.post(f"{BASE}/{document['id']}/confirm")  # again: no second entry
    for path in (f"/api/v1/contacts/{contact['id']}", f"/api/v1/companies/{company['id']}"):
        (entry,) = client.get(f"{path}/timeline").json()["items"]
        assert entry["kind"] == "document"
        assert entry["title"] == "contract.pdf"
        assert entry["record"] == {"type": "document", "id": document["id"]}
    client.delete(f"{BASE}/{document['id']}")
    assert client.get(f"/api/v1/contacts/{contact['id']}/timeline").json()["total"] == 0


def test_the_upload_url_uses_the_configured_public_url(data_dir, database_url, api_key):
    core = open_core(
        data_dir,
        {"HEARTH_DATABASE_URL": database_url},
        {"server.port": 0, "server.public_url": "http://localhost:9999/"},
    )
    api = ApiServer(create_app(core), "127.0.0.1", 0)
    api.start()
    try:
        with httpx.Client(base_url=api.url, headers={"X-API-Key": api_key}) as http:
            grant = start(http)
        assert grant["uploadUrl"].startswith(f"http://localhost:9999{BASE}/{grant['id']}/")
    finally:
        api.stop()
        core.close()


# --- presigned upload URLs -------------------------------------------------------------------


def test_an_upload_url_works_once(client, hearth):
    grant = start(client)
    assert put(grant).status_code == 200
    assert_forbidden(put(grant, b"other bytes"), "used already")
    document = client.get(f"{BASE}/{grant['id']}").json()
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert len(stored_files(hearth)) == 1


def test_a_failed_upload_does_not_use_the_url_up(client):
    grant = start(client)
    assert put(grant, **{"Content-Type": "text/plain"}).status_code == 415
    assert put(grant).status_code == 200


def test_a_changed_upload_url_is_refused_and_nothing_is_kept(client, hearth):
    for part in ("document", "nonce", "expires", "signature", "no signature"):
        grant, other = start(client), start(client)
        url = grant["uploadUrl"]
        query = parse_qs(urlsplit(url).query)
        if part == "document":
            url = url.replace(f"/{grant['id']}/", f"/{other['id']}/")
        elif part == "nonce":
            url = with_query(url, nonce=parse_qs(urlsplit(other["uploadUrl"]).query)["nonce"][0])
        elif part == "expires":
            url = with_query(url, expires=str(int(query["expires"][0]) + 3600))
        elif part == "signature":
            signature = query["signature"][0]
            url = with_query(url, signature=("B" if signature[0] == "A" else "A") + signature[1:])
        else:
            url = url.split("&signature=")[0]
        assert_forbidden(put({**grant, "uploadUrl": url}))
        for document in (grant, other):
            assert client.get(f"{BASE}/{document['id']}").json()["sha256"] is None, part
        assert stored_files(hearth) == [], part
    assert put(grant).status_code == 200  # the genuine URL still works


def test_an_expired_upload_url_is_refused(client, hearth):
    grant = start(client)
    nonce = parse_qs(urlsplit(grant["uploadUrl"]).query)["nonce"][0]
    expired = int(time.time()) - 1
    key = url_signing_key(hearth.secrets)
    signed = presign.Grant(presign.UPLOAD, int(grant["id"]), nonce, "application/pdf", expired)
    url = with_query(grant["uploadUrl"], expires=str(expired), signature=presign.sign(key, signed))
    assert_forbidden(put({**grant, "uploadUrl": url}), "expired")


def test_the_upload_url_is_bound_to_its_content_type(client):
    grant = start(client)
    for content_type in ("text/html", "application/pdf; charset=x", "", None):
        headers = {} if content_type is None else {"Content-Type": content_type}
        response = httpx.put(grant["uploadUrl"], content=PDF, headers=headers)
        assert response.status_code == 415, content_type
        assert "application/pdf" in response.json()["detail"]
    assert put(grant).status_code == 200


def test_an_upload_may_exceed_the_server_body_limit_but_not_the_document_limit(client, hearth):
    big = b"x" * (SERVER_LIMIT * 4)
    assert put(start(client), big).status_code == 200
    # Elsewhere the server's own limit still holds.
    huge_name = {"firstName": "x" * SERVER_LIMIT}
    assert client.post("/api/v1/contacts", json=huge_name).status_code == 413


def test_an_upload_over_the_limit_is_refused_while_streaming_and_nothing_is_kept(client, hearth):
    grant = start(client)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is counted as bytes arrive
        for _ in range(LIMIT // 65536 + 2):
            yield b"y" * 65536

    response = put(grant, chunks())
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert stored_files(hearth) == []
    assert client.get(f"{BASE}/{grant['id']}").json()["sha256"] is None
    declared = put(grant, b"z" * (LIMIT + 1))  # with a Content-Length: refused up front
    assert declared.status_code == 413
    assert put(grant, b"y" * LIMIT).status_code == 200  # exactly the limit is fine


def test_a_long_upload_is_written_and_flushed_in_pieces(client, anonymous, monkeypatch):
    # Small pieces, so this upload takes every path a 100 MB one does: batches handed to a worker
    # thread while more arrive, and background flushes to disk along the way.
    monkeypatch.setattr(integrations_documents, "FLUSH_BYTES", 16 * 1024)
    monkeypatch.setattr(integrations_documents, "SYNC_BYTES", 64 * 1024)
    content = hashlib.sha512(b"seed").digest() * (LIMIT // 64)
    grant = start(client, fileName="big.bin", contentType="application/octet-stream")
    response = put(grant, (content[i : i + 5000] for i in range(0, len(content), 5000)))
    assert response.status_code == 200, response.text
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert anonymous.get(download_url(client, grant["id"])).content == content


def test_an_interrupted_upload_leaves_nothing_behind(client, hearth, server):
    grant = start(client)
    target = urlsplit(grant["uploadUrl"])
    with socket.create_connection((target.hostname, target.port)) as connection:
        head = (
            f"PUT {target.path}?{target.query} HTTP/1.1\r\nHost: {target.netloc}\r\n"
            f"Content-Type: application/pdf\r\nContent-Length: {LIMIT}\r\n\r\n"
        )
        connection.sendall(head.encode() + b"x" * 100_000)
        time.sleep(0.2)  # the server is streaming the body into a temporary file
    deadline = time.monotonic() + 5
    while stored_files(hearth) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stored_files(hearth) == []
    assert put(grant).status_code == 200  # the URL was not used up


def test_the_declared_size_binds_the_upload(client, hearth):
    grant = start(client, size=10)
    assert put(grant, b"0123456789a").status_code == 400
    assert put(grant, iter([b"01234", b"56789a"])).status_code == 400
    assert stored_files(hearth) == []
    assert put(grant, b"0123456789").json()["size"] == 10
    too_big = client.post(
        f"{BASE}/upload", json={"fileName": "a", "contentType": "a/b", "size": LIMIT + 1}
    )
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "size"


def test_identical_content_is_stored_once(client, hearth):
    first, second = uploaded(client), uploaded(client)
    assert first["sha256"] == second["sha256"]
    assert len(stored_files(hearth)) == 1
    config = client.get(f"{BASE}/config").json()
    assert config["usedBytes"] == len(PDF)
    assert config["documentCount"] == 2


def test_an_empty_document_can_be_uploaded(client, anonymous):
    document = uploaded(client, b"", fileName="empty.txt", contentType="text/plain")
    assert document["size"] == 0
    assert anonymous.get(download_url(client, document["id"])).content == b""


# --- file names and types --------------------------------------------------------------------


SAFE_NAMES = [
    ("../../etc/passwd", "passwd"),
    ("..\\x", "x"),
    ("/etc/passwd", "passwd"),
    ("C:\\Windows\\win.ini", "win.ini"),
    ("a\x00b.txt", "ab.txt"),
    ("line\r\nSet-Cookie: x.txt", "line Set-Cookie_ x.txt"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("con.txt", "_con.txt"),
    ("  .hidden. ", "hidden"),
    ('what?<>|*".pdf', "what______.pdf"),
    ("Résumé 2026.pdf", "Résumé 2026.pdf"),
]


def test_file_names_are_made_safe_and_stay_readable(client, hearth):
    for sent, kept in SAFE_NAMES:
        grant = start(client, fileName=sent)
        assert grant["fileName"] == kept, sent
        assert put(grant, sent.encode()).status_code == 200
        assert client.get(f"{BASE}/{grant['id']}").json()["fileName"] == kept
    # Content lives under its hash, whatever the name: nothing else reaches the file system.
    files = stored_files(hearth)
    assert len(files) == len(SAFE_NAMES)
    for path in files:
        assert path.parent.parent == hearth.paths.documents_dir
        assert len(path.parent.name + path.name) == 64


def test_a_very_long_file_name_is_shortened_keeping_its_extension(client):
    name = uploaded(client, fileName="é" * 300 + ".pdf")["fileName"]
    assert name.endswith(".pdf")
    assert name.startswith("éé")
    assert len(name.encode("utf-8")) <= 255


INVALID_UPLOADS = [
    ({"fileName": "../..", "contentType": "a/b"}, "fileName"),
    ({"fileName": "\x00", "contentType": "a/b"}, "fileName"),
    ({"fileName": "", "contentType": "a/b"}, "fileName"),
    ({"contentType": "a/b"}, "fileName"),
    ({"fileName": "a", "contentType": "pdf"}, "contentType"),
    ({"fileName": "a", "contentType": "text/plain\r\nX-Injected: 1"}, "contentType"),
    ({"fileName": "a"}, "contentType"),
    ({"fileName": "a", "contentType": "a/b", "entityType": "deal", "entityId": 1}, "entityType"),
    ({"fileName": "a", "contentType": "a/b", "entityType": "contact"}, "entityId"),
    ({"fileName": "a", "contentType": "a/b", "entityId": 1}, "entityType"),
    ({"fileName": "a", "contentType": "a/b", "size": -1}, "size"),
    ({"fileName": "a", "contentType": "a/b", "color": "red"}, "color"),
]


def test_invalid_uploads_are_refused_naming_the_field(client):
    for body, field in INVALID_UPLOADS:
        response = client.post(f"{BASE}/upload", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field, body
    assert client.get(BASE, params={"status": "all"}).json()["total"] == 0


def test_an_upload_for_an_unknown_entity_is_a_404(client):
    for kind in ("contact", "company", "account"):
        body = {"fileName": "a", "contentType": "a/b", "entityType": kind, "entityId": "999"}
        assert client.post(f"{BASE}/upload", json=body).status_code == 404
    assert client.get(BASE, params={"status": "all"}).json()["total"] == 0


def test_content_types_are_kept_in_one_spelling(client):
    grant = start(client, contentType="Text/Plain ;Charset=utf-8")
    assert grant["headers"] == {"Content-Type": "text/plain; charset=utf-8"}
    assert put(grant, b"hi", **{"Content-Type": "text/plain;charset=utf-8"}).status_code == 200


# --- confirm and download --------------------------------------------------------------------


def test_confirming_without_content_is_a_conflict(client):
    grant = start(client)
    response = client.post(f"{BASE}/{grant['id']}/confirm")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"{BASE}/{grant['id']}").json()["status"] == "pending"
    assert client.get(f"{BASE}/{grant['id']}/download").status_code == 409


def test_download_headers_are_safe_for_any_file_name(client, anonymous):
    document = uploaded(client, fileName='Résumé "final"; v2.pdf')
    response = anonymous.get(download_url(client, document["id"]))
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Resume _final__ v2.pdf"; ')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == document["fileName"] == "Résumé _final_; v2.pdf"
    assert ";" not in encoded
    assert '"' not in encoded
    assert " " not in encoded


def test_an_email_attachment_with_a_hostile_name_downloads_safely(client, anonymous):
    email = client.post(
        "/api/v1/emails",
        json={
            "subject": "Files",
            "textBody": "see attached",
            "attachments": [
                {
                    "fileName": "evil\r\nSet-Cookie: session=1\r\n.html",
                    "contentType": "text/html",
                    "content": base64.b64encode(b"<script>alert(1)</script>").decode(),
                }
            ],
        },
    )
    assert email.status_code == 201, email.text
    (document,) = client.get(BASE, params={"source": "email"}).json()["items"]
    assert document["relatedTo"] == [{"type": "email", "id": email.json()["id"]}]
    response = anonymous.get(download_url(client, document["id"]))
    assert response.content == b"<script>alert(1)</script>"
    assert "set-cookie" not in response.headers
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="evil Set-Cookie_ session_1 .html"'
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


def test_a_changed_download_url_is_refused(client, anonymous):
    first, second = uploaded(client), uploaded(client, b"other")
    genuine = download_url(client, first["id"])
    query = parse_qs(urlsplit(genuine).query)
    changed = [
        genuine.replace(f"/{first['id']}/", f"/{second['id']}/"),
        with_query(genuine, expires=str(int(query["expires"][0]) + 60)),
        with_query(genuine, signature=query["signature"][0][::-1]),
        genuine.split("&signature=")[0],
        genuine.split("?")[0],
    ]
    for url in changed:
        assert_forbidden(anonymous.get(url))
    assert anonymous.get(genuine).content == PDF


def test_an_expired_download_url_is_refused(client, anonymous, hearth):
    document = uploaded(client)
    expired = int(time.time()) - 1
    grant = presign.Grant(presign.DOWNLOAD, int(document["id"]), "", "application/pdf", expired)
    signature = presign.sign(url_signing_key(hearth.secrets), grant)
    url = f"{BASE}/{document['id']}/content?expires={expired}&signature={signature}"
    assert_forbidden(anonymous.get(url), "expired")


def test_an_upload_url_does_not_download(client, anonymous):
    grant = start(client)
    put(grant)
    query = parse_qs(urlsplit(grant["uploadUrl"]).query)
    url = f"{BASE}/{grant['id']}/content?expires={query['expires'][0]}"
    assert_forbidden(anonymous.get(f"{url}&signature={query['signature'][0]}"))


def test_the_signing_key_is_kept_in_the_secret_store_not_the_database(client, hearth):
    start(client)
    key = url_signing_key(hearth.secrets)
    assert len(key) == 32
    encoded = base64.b64encode(key).decode()
    assert hearth.secrets.get("documents:url-signing-key") == encoded
    database_file = hearth.paths.database_file
    if database_file.exists():
        assert encoded.encode() not in database_file.read_bytes()


# --- delete ----------------------------------------------------------------------------------


def test_deleting_keeps_content_other_documents_share_and_removes_the_last_copy(
    client, anonymous, hearth
):
    first, second = uploaded(client), uploaded(client)
    lone = uploaded(client, b"lone content")
    old_link = download_url(client, first["id"])
    assert client.delete(f"{BASE}/{first['id']}").status_code == 204
    assert client.get(f"{BASE}/{first['id']}").status_code == 404
    assert_forbidden(anonymous.get(old_link))
    assert anonymous.get(download_url(client, second["id"])).content == PDF
    assert len(stored_files(hearth)) == 2
    assert client.delete(f"{BASE}/{second['id']}").status_code == 204
    assert client.delete(f"{BASE}/{lone['id']}").status_code == 204
    assert stored_files(hearth) == []
    config = client.get(f"{BASE}/config").json()
    assert config["usedBytes"] == 0
    assert config["documentCount"] == 0


def test_deleting_a_pending_document_and_unknown_ids(client):
    grant = start(client)
    assert client.delete(f"{BASE}/{grant['id']}").status_code == 204
    assert_forbidden(put(grant))
    for path in (f"{BASE}/{grant['id']}", f"{BASE}/999999", f"{BASE}/abc"):
        assert client.get(path).status_code == 404
        assert client.delete(path).status_code == 404
        assert client.post(f"{path}/confirm").status_code == 404
        assert client.post(f"{path}/archive").status_code == 404
        assert client.get(f"{path}/download").status_code == 404


# --- archive and lists -----------------------------------------------------------------------


def test_archive_toggles_or_sets_and_hides_from_the_default_list(client):
    document = uploaded(client)
    archived = client.post(f"{BASE}/{document['id']}/archive").json()
    assert archived["status"] == "archived"
    assert archived["archivedAt"].endswith("Z")
    assert client.get(BASE).json()["total"] == 0
    assert client.get(BASE, params={"status": "archived"}).json()["total"] == 1
    again = client.post(f"{BASE}/{document['id']}/archive", json={"value": True}).json()
    assert again["status"] == "archived"
    restored = client.post(f"{BASE}/{document['id']}/archive").json()
    assert restored["status"] == "ready"
    assert restored["archivedAt"] is None
    kept = client.post(f"{BASE}/{document['id']}/archive", json={"value": False}).json()
    assert kept["status"] == "ready"
    bad = client.post(f"{BASE}/{document['id']}/archive", json={"value": "maybe"})
    assert bad.status_code == 422


def test_lists_page_with_the_usual_envelope(client):
    ids = [start(client, fileName=f"f{n}.pdf")["id"] for n in range(5)]
    first = client.get(BASE, params={"limit": 2}).json()
    assert [d["id"] for d in first["items"]] == ids[::-1][:2]
    assert (first["total"], first["page"], first["limit"], first["nextPage"]) == (5, 1, 2, 2)
    last = client.get(BASE, params={"limit": 2, "page": 3}).json()
    assert [d["id"] for d in last["items"]] == [ids[0]]
    assert last["nextPage"] is None
    beyond = client.get(BASE, params={"limit": 2, "page": 4}).json()
    assert beyond["items"] == []
    assert beyond["total"] == 5
    assert client.get(BASE, params={"limit": 200}).status_code == 200
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"page": 0}, "page"),
        ({"status": "deleted"}, "status"),
        ({"entityType": "company"}, "entityId"),
        ({"entityType": "deal", "entityId": 1}, "entityType"),
        ({"contentType": "nonsense"}, "contentType"),
    ):
        response = client.get(BASE, params=params)
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["field"] == field


def test_list_filters(client):
    pdf = uploaded(client, fileName="Q3 Proposal_100%.pdf")
    image = uploaded(client, b"png", fileName="logo.png", contentType="image/png")
    text = uploaded(client, b"t", fileName="notes.txt", contentType="text/plain; charset=utf-8")
    pending = start(client, fileName="draft.pdf")

    def ids(**params: Any) -> list[str]:
        return [d["id"] for d in client.get(BASE, params=params).json()["items"]]

    assert ids(q="proposal_100%") == [pdf["id"]]
    assert ids(q="%") == [pdf["id"]]  # wildcards are plain characters
    assert ids(contentType="image/*") == [image["id"]]
    assert ids(contentType="text/plain") == [text["id"]]
    assert ids(contentType="application/pdf") == [pending["id"], pdf["id"]]
    assert ids(status="pending") == [pending["id"]]
    assert ids(status="ready", contentType="application/pdf") == [pdf["id"]]
    assert ids(source="upload", q="logo") == [image["id"]]
    assert ids(source="email") == []


def test_documents_of_an_entity_include_its_emails_attachments(client):
    company = api_company(client, "Acme", ["acme.example"])
    contact = api_contact(client, companyId=company["id"], emailAddresses=["ann@acme.example"])
    other = api_company(client, "Globex", ["globex.example"])
    attached = uploaded(client, entityType="account", entityId=company["id"])
    of_contact = uploaded(client, b"cv", entityType="contact", entityId=contact["id"])
    uploaded(client, b"globex", entityType="company", entityId=other["id"])
    email = client.post(
        "/api/v1/emails",
        json={
            "subject": "Signed",
            "textBody": "attached",
            "fromAddress": "ann@acme.example",
            "attachments": [
                {"fileName": "signed.pdf", "contentType": "application/pdf", "content": "UERG"}
            ],
        },
    )
    assert email.status_code == 201, email.text

    def ids(path: str, **params: Any) -> list[str]:
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        return [
            d["fileName"] if d["source"] == "email" else d["id"] for d in response.json()["items"]
        ]

    assert ids(f"{BASE}/entity/account/{company['id']}") == ["signed.pdf", attached["id"]]
    assert ids(f"{BASE}/entity/company/{company['id']}", source="upload") == [attached["id"]]
    assert ids(f"{BASE}/entity/contact/{contact['id']}") == ["signed.pdf", of_contact["id"]]
    assert ids(BASE, entityType="account", entityId=company["id"]) == ["signed.pdf", attached["id"]]
    assert ids(BASE, entityType="contact", entityId=int(contact["id"])) == [
        "signed.pdf",
        of_contact["id"],
    ]


def test_documents_of_unknown_entities(client):
    assert client.get(f"{BASE}/entity/contact/999").status_code == 404
    assert client.get(f"{BASE}/entity/company/abc").status_code == 404
    assert client.get(BASE, params={"entityType": "contact", "entityId": 999}).status_code == 404
    response = client.get(f"{BASE}/entity/deal/1")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "entityType"


# --- configuration and keys ------------------------------------------------------------------


def test_config_reports_the_local_store(client, hearth):
    config = client.get(f"{BASE}/config").json()
    assert config == {
        "configured": True,
        "storage": "local",
        "location": str(hearth.paths.documents_dir.resolve()),
        "maxUploadBytes": LIMIT,
        "usedBytes": 0,
        "documentCount": 0,
        "uploadUrlTtlSeconds": 900,
        "downloadUrlTtlSeconds": 300,
    }


def test_the_api_endpoints_need_a_key(anonymous):
    for method, path in (
        ("GET", f"{BASE}/config"),
        ("POST", f"{BASE}/upload"),
        ("GET", BASE),
        ("GET", f"{BASE}/entity/contact/1"),
        ("GET", f"{BASE}/1"),
        ("POST", f"{BASE}/1/confirm"),
        ("GET", f"{BASE}/1/download"),
        ("POST", f"{BASE}/1/archive"),
        ("DELETE", f"{BASE}/1"),
    ):
        response = anonymous.request(method, path, json={} if method == "POST" else None)
        assert response.status_code == 401, (method, path)
        assert response.headers["content-type"] == "application/problem+json"


def test_presigned_endpoints_are_documented_without_a_key(anonymous):
    spec = anonymous.get("/openapi.json").json()
    content = spec["paths"][f"{BASE}/{{document_id}}/content"]
    assert "security" not in content["put"]
    assert "security" not in content["get"]
    assert spec["paths"][f"{BASE}/upload"]["post"]["security"]
