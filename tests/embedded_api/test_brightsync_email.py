"""BrightSync Email Sync (spec 000) over HTTP: ``/api/v1/emails``, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.blobstore import BlobStore
from core.models import (
    Activity,
    Blob,
    Document,
    Email,
    EmailRecipient,
    ExternalId,
    RecordLink,
    User,
)
from tests.support.factories import api_company as _company
from tests.support.factories import api_contact as _contact

PDF = b"%PDF-1.7\n\x00\x01\x02binary\xff\xfe"


def _post(client, expected=201, **fields):
    body = {"subject": "Pricing", "textBody": "Hello", **fields}
    response = client.post("/api/v1/emails", json=body)
    assert response.status_code == expected, response.text
    return response.json()


def _counts(hearth) -> dict[str, int]:
    with hearth.database.read() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Email, EmailRecipient, ExternalId, RecordLink, Activity, Document, Blob)
        }


def _stored_files(hearth) -> list[Path]:
    root = hearth.paths.documents_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _full_body(contact_id):
    return {
        "msgId": "18f2a9c4e5b6d7a8",
        "syncThreadId": "bs-thread-1",
        "inReplyTo": " <parent@mail.example> ",
        "references": "<root@mail.example> <parent@mail.example>",
        "receivedAt": "2026-07-01T07:00:00-07:00",
        "sentAt": 1782914398000,
        "rfc822MsgId": "<reply-1@mail.example>",
        "subject": " Re: Pricing ",
        "fromAddress": "sarah.chen@techstartup.example",
        "fromName": "Sarah Chen",
        "toAddresses": ["me@hearth.example", "Dana Ruiz <dana@techstartup.example>"],
        "ccAddresses": [{"address": "cfo@techstartup.example", "name": "Ann CFO"}],
        "bccAddresses": [{"email": "archive@hearth.example"}],
        "textBody": "Thanks,\n\nthe numbers work for us.\n",
        "htmlBody": "<p>Thanks, the numbers work for us.</p>",
        "attachments": [
            {
                "fileName": "quote.pdf",
                "contentType": "application/pdf",
                "size": len(PDF),
                "content": base64.b64encode(PDF).decode(),
            },
            {
                "name": "logo.png",
                "mimeType": "image/png",
                "size": 2048,
                "contentId": "logo@x",
                "inline": True,
                "id": "ANGjdJ8",
            },
        ],
        "relatedTo": [{"type": "contact", "id": contact_id}],
    }


# --- POST, GET ------------------------------------------------------------------------------------


def test_every_field_round_trips(client, hearth):
    contact = _contact(client, emailAddresses=["sarah.chen@techstartup.example"])
    response = client.post("/api/v1/emails", json=_full_body(contact["id"]))
    assert response.status_code == 201, response.text
    created = response.json()
    assert isinstance(created["id"], str)
    assert response.headers["location"] == f"/api/v1/emails/{created['id']}"
    assert created["msgId"] == "18f2a9c4e5b6d7a8"
    assert created["syncThreadId"] == "bs-thread-1"
    assert created["inReplyTo"] == "<parent@mail.example>"
    assert created["references"] == ["<root@mail.example>", "<parent@mail.example>"]
    assert created["receivedAt"] == "2026-07-01T14:00:00.000Z"
    assert created["sentAt"] == "2026-07-01T13:59:58.000Z"
    assert created["rfc822MsgId"] == "<reply-1@mail.example>"
    assert created["subject"] == " Re: Pricing "  # content is kept exactly
    assert created["fromAddress"] == "sarah.chen@techstartup.example"
    assert created["fromName"] == "Sarah Chen"
    assert created["toAddresses"] == ["me@hearth.example", "dana@techstartup.example"]
    assert created["ccAddresses"] == ["cfo@techstartup.example"]
    assert created["bccAddresses"] == ["archive@hearth.example"]
    assert created["recipients"] == [
        {"kind": "to", "address": "me@hearth.example", "name": None},
        {"kind": "to", "address": "dana@techstartup.example", "name": "Dana Ruiz"},
        {"kind": "cc", "address": "cfo@techstartup.example", "name": "Ann CFO"},
        {"kind": "bcc", "address": "archive@hearth.example", "name": None},
    ]
    assert created["textBody"] == "Thanks,\n\nthe numbers work for us.\n"
    assert created["htmlBody"] == "<p>Thanks, the numbers work for us.</p>"
    pdf, logo = created["attachments"]
    assert pdf["fileName"] == "quote.pdf"
    assert pdf["contentType"] == "application/pdf"
    assert pdf["size"] == len(PDF)
    assert isinstance(pdf["documentId"], str)
    assert logo == {
        "fileName": "logo.png",
        "contentType": "image/png",
        "size": 2048,
        "contentId": "logo@x",
        "inline": True,
        "externalId": "ANGjdJ8",
        "documentId": None,
    }
    assert created["hasAttachments"] is True
    assert created["relatedTo"] == [{"type": "contact", "id": contact["id"], "origin": "explicit"}]
    assert isinstance(created["threadId"], str)
    assert (created["direction"], created["folder"], created["source"]) == (
        "inbound",
        "inbox",
        "brightsync",
    )
    assert created["snippet"] == "Thanks, the numbers work for us."
    assert created["createdAt"].endswith("Z")

    assert client.get(f"/api/v1/emails/{created['id']}").json() == created
    # The attachment's bytes are in the document store, byte for byte.
    with hearth.database.read() as session:
        document = session.get(Document, int(pdf["documentId"]))
        assert (document.file_name, document.status, document.size) == (
            "quote.pdf",
            "ready",
            len(PDF),
        )
        sha256 = document.sha256
    assert BlobStore(hearth.paths.documents_dir).read_bytes(sha256) == PDF


@pytest.mark.parametrize("body", [{"textBody": "only text"}, {"htmlBody": "<p>only html</p>"}])
def test_subject_and_either_body_are_all_that_is_required(client, body):
    response = client.post("/api/v1/emails", json={"subject": "", **body})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["subject"] == ""
    assert created["rfc822MsgId"] is None
    assert created["toAddresses"] == []
    assert created["attachments"] == []
    assert created["relatedTo"] == []
    assert created["receivedAt"] is None


def test_lookup_by_message_id_with_or_without_brackets(client):
    created = _post(client, rfc822MsgId="abc@mail.example")
    for value in ("<abc@mail.example>", "abc@mail.example", " <abc@mail.example> "):
        page = client.get("/api/v1/emails", params={"rfc822MsgId": value}).json()
        assert page["total"] == 1
        assert page["nextPage"] is None
        assert [e["id"] for e in page["items"]] == [created["id"]]
    nothing = client.get("/api/v1/emails", params={"rfc822MsgId": "<other@mail.example>"})
    assert nothing.json() == {"items": [], "total": 0, "page": 1, "limit": 50, "nextPage": None}
    missing = client.get("/api/v1/emails")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "rfc822MsgId"


def test_unknown_ids_are_404(client):
    for path in ("/api/v1/emails/999999", "/api/v1/emails/abc", "/api/v1/emails/-1"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    body = {"subject": "x", "textBody": "y"}
    assert client.patch("/api/v1/emails/999999", json={"subject": "x"}).status_code == 404
    assert client.put("/api/v1/emails/999999", json=body).status_code == 404


def test_an_api_key_is_required(anonymous):
    assert (
        anonymous.post("/api/v1/emails", json={"subject": "x", "textBody": "y"}).status_code == 401
    )
    assert anonymous.get("/api/v1/emails/1").status_code == 401


# --- one record per message -----------------------------------------------------------------------


def test_a_repeat_post_answers_200_with_the_same_record_and_fills_only_what_was_empty(
    client, hearth
):
    first = _post(
        client,
        rfc822MsgId="<dup@mail.example>",
        subject="Original",
        textBody="Original",
        toAddresses=["me@hearth.example"],
    )
    before = _counts(hearth)
    response = client.post(
        "/api/v1/emails",
        json={
            "rfc822MsgId": " dup@mail.example ",
            "msgId": "AAMkAG-1",
            "subject": "Changed",
            "textBody": "Changed",
            "htmlBody": "<p>Original</p>",
            "toAddresses": ["someone@else.example"],
            "ccAddresses": ["cc@else.example"],
            "receivedAt": "2026-07-01T14:00:00Z",
            "syncThreadId": "bs-9",
        },
    )
    assert response.status_code == 200, response.text
    again = response.json()
    assert again["id"] == first["id"]
    assert again["subject"] == "Original"
    assert again["textBody"] == "Original"
    assert again["toAddresses"] == ["me@hearth.example"]
    assert again["htmlBody"] == "<p>Original</p>"
    assert again["ccAddresses"] == ["cc@else.example"]
    assert again["receivedAt"] == "2026-07-01T14:00:00.000Z"
    assert again["syncThreadId"] == "bs-9"
    assert again["msgId"] == "AAMkAG-1"
    after = _counts(hearth)
    assert after["Email"] == before["Email"] == 1
    # A post that knows only the msgId meets the same record too.
    by_msg_id = client.post(
        "/api/v1/emails", json={"msgId": "AAMkAG-1", "subject": "x", "textBody": "y"}
    )
    assert by_msg_id.status_code == 200
    assert "location" not in by_msg_id.headers
    assert by_msg_id.json()["id"] == first["id"]
    assert _counts(hearth)["Email"] == 1


def test_a_repeat_post_adds_related_records_and_attachment_content(client, hearth):
    ann = _contact(client, firstName="Ann", emailAddresses=["ann@acme.example"])
    bob = _contact(client, firstName="Bob", emailAddresses=["bob@else.example"])
    first = _post(
        client,
        rfc822MsgId="m@x.example",
        relatedTo={"type": "contact", "id": ann["id"]},
        attachments=[{"fileName": "a.txt", "size": 5}],
    )
    assert first["attachments"][0]["documentId"] is None
    again = _post(
        client,
        expected=200,
        rfc822MsgId="m@x.example",
        relatedTo=[{"type": "contact", "id": bob["id"]}],
        attachments=[{"fileName": "a.txt", "content": base64.b64encode(b"hello").decode()}],
    )
    assert [(r["id"], r["origin"]) for r in again["relatedTo"]] == [
        (ann["id"], "explicit"),
        (bob["id"], "explicit"),
    ]
    document_id = again["attachments"][0]["documentId"]
    assert document_id is not None
    with hearth.database.read() as session:
        sha256 = session.get(Document, int(document_id)).sha256
    assert BlobStore(hearth.paths.documents_dir).read_bytes(sha256) == b"hello"


def test_the_same_message_from_the_users_own_mail_sync_meets_the_same_record(client, hearth):
    from core.services.emails import EmailData, ingest_email

    posted = _post(client, rfc822MsgId="<sync@mail.example>", msgId="b-1")
    with hearth.database.write() as session:
        record, created = ingest_email(
            session,
            EmailData(subject="Pricing", text_body="Hello", rfc822_msg_id="sync@mail.example"),
            source="google",
            external_ids=[("google", "18f2a9")],
        )
    assert not created
    assert str(record.id) == posted["id"]
    assert client.get(f"/api/v1/emails/{posted['id']}").json()["msgId"] == "b-1"


# --- links ----------------------------------------------------------------------------------------


def test_without_related_to_emails_link_to_contacts_by_address_ignoring_case(client):
    acme = _company(client)
    ann = _contact(
        client, firstName="Ann", emailAddresses=["Ann.Lee@Acme.example"], companyId=acme["id"]
    )
    created = _post(client, fromAddress="ANN.LEE@ACME.EXAMPLE", toAddresses=["me@hearth.example"])
    assert created["relatedTo"] == [
        {"type": "contact", "id": ann["id"], "origin": "matched"},
        {"type": "company", "id": acme["id"], "origin": "matched"},
    ]
    cc_only = _post(client, ccAddresses=[{"address": "ann.lee@acme.EXAMPLE"}])
    assert [r["id"] for r in cc_only["relatedTo"]] == [ann["id"], acme["id"]]


@pytest.mark.parametrize(
    "related",
    [
        lambda c, co: [{"type": "contact", "id": c}, {"type": "company", "id": co}],
        lambda c, co: [{"type": "Contact", "id": int(c)}, {"type": "COMPANY", "id": int(co)}],
    ],
    ids=["list-with-string-ids", "number-ids-any-case"],
)
def test_related_to_as_a_list_with_string_or_number_ids(client, related):
    company = _company(client)
    contact = _contact(client)
    created = _post(client, relatedTo=related(contact["id"], company["id"]))
    assert created["relatedTo"] == [
        {"type": "contact", "id": contact["id"], "origin": "explicit"},
        {"type": "company", "id": company["id"], "origin": "explicit"},
    ]


def test_related_to_as_a_single_object(client):
    contact = _contact(client)
    created = _post(client, relatedTo={"type": "contact", "id": int(contact["id"])})
    assert created["relatedTo"] == [{"type": "contact", "id": contact["id"], "origin": "explicit"}]


def test_related_to_sent_back_as_read_keeps_matches_matched_and_account_means_company(client):
    acme = _company(client)
    ann = _contact(client, emailAddresses=["ann@acme.example"], companyId=acme["id"])
    created = _post(client, fromAddress="ann@acme.example")
    assert {r["origin"] for r in created["relatedTo"]} == {"matched"}
    # A client writing back what it read does not turn Hearth's matches into explicit links.
    same = client.patch(
        f"/api/v1/emails/{created['id']}", json={"relatedTo": created["relatedTo"]}
    ).json()
    assert same["relatedTo"] == created["relatedTo"]
    logged = _post(client, relatedTo=[{"type": "Account", "id": acme["id"]}])
    assert logged["relatedTo"] == [{"type": "company", "id": acme["id"], "origin": "explicit"}]
    assert ann["companyId"] == acme["id"]


@pytest.mark.parametrize("bad_id", ["abc", "0", "-3", "1.5"])
def test_related_to_needs_a_hearth_id(client, bad_id):
    response = client.post(
        "/api/v1/emails",
        json={"subject": "x", "textBody": "y", "relatedTo": [{"type": "contact", "id": bad_id}]},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "relatedTo/0/id"


def test_mail_from_the_user_is_outbound(client, hearth):
    with hearth.database.write() as session:
        session.add(User(name="Me", email="me@hearth.example", is_me=True))
    created = _post(client, fromAddress="Me@Hearth.example", toAddresses=["x@y.example"])
    assert (created["direction"], created["folder"], created["isRead"]) == (
        "outbound",
        "sent",
        True,
    )


def test_emails_thread_by_sync_thread_id_or_in_reply_to(client):
    root = _post(client, rfc822MsgId="root@x", subject="Plan")
    reply = _post(client, rfc822MsgId="r1@x", inReplyTo="<root@x>", subject="Re: Plan")
    deeper = _post(client, rfc822MsgId="r2@x", references=["<root@x>", "r1@x"])
    assert reply["threadId"] == deeper["threadId"] == root["threadId"]
    a = _post(client, syncThreadId="T-1")
    b = _post(client, syncThreadId="T-1")
    c = _post(client, syncThreadId="T-2")
    assert a["threadId"] == b["threadId"] != c["threadId"]


# --- PATCH, PUT -----------------------------------------------------------------------------------


def test_patch_null_clears_and_absent_stays(client):
    contact = _contact(client, emailAddresses=["ann@acme.example"])
    created = _post(
        client,
        rfc822MsgId="p@x",
        msgId="m-1",
        htmlBody="<p>Hi</p>",
        fromAddress="ann@acme.example",
        fromName="Ann",
        ccAddresses=["cc@x.example"],
        receivedAt="2026-07-01T14:00:00Z",
    )
    response = client.patch(
        f"/api/v1/emails/{created['id']}",
        json={"subject": "New subject", "htmlBody": None, "ccAddresses": None, "fromName": None},
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["subject"] == "New subject"
    assert patched["htmlBody"] is None
    assert patched["ccAddresses"] == []
    assert patched["fromName"] is None
    # Absent: unchanged.
    for field in ("textBody", "fromAddress", "receivedAt", "rfc822MsgId", "msgId", "toAddresses"):
        assert patched[field] == created[field], field
    assert patched["relatedTo"] == [{"type": "contact", "id": contact["id"], "origin": "matched"}]
    assert client.get(f"/api/v1/emails/{created['id']}").json() == patched


def test_patch_links_the_email_to_a_newly_created_contact_and_back(client):
    created = _post(client, fromAddress="new@prospect.example")
    assert created["relatedTo"] == []
    contact = _contact(client, emailAddresses=["other@prospect.example"])
    linked = client.patch(
        f"/api/v1/emails/{created['id']}",
        json={"relatedTo": {"type": "contact", "id": contact["id"]}},
    ).json()
    assert linked["relatedTo"] == [{"type": "contact", "id": contact["id"], "origin": "explicit"}]
    unlinked = client.patch(f"/api/v1/emails/{created['id']}", json={"relatedTo": None}).json()
    assert unlinked["relatedTo"] == []


def test_patch_can_change_the_msg_id_and_the_key_but_not_to_another_emails(client):
    first = _post(client, rfc822MsgId="one@x", msgId="m-1")
    second = _post(client, rfc822MsgId="two@x", msgId="m-2")
    url = f"/api/v1/emails/{second['id']}"
    for body in ({"rfc822MsgId": "<one@x>"}, {"msgId": "m-1"}):
        response = client.patch(url, json=body)
        assert response.status_code == 409, body
        assert response.headers["content-type"] == "application/problem+json"
    changed = client.patch(url, json={"rfc822MsgId": "<three@x>", "msgId": "m-3"}).json()
    assert (changed["rfc822MsgId"], changed["msgId"]) == ("<three@x>", "m-3")
    assert client.patch(url, json={"msgId": None}).json()["msgId"] is None
    assert client.get(f"/api/v1/emails/{first['id']}").json()["msgId"] == "m-1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": None}, "subject"),
        ({"textBody": None}, "textBody"),
        ({"rfc822MsgId": None}, "rfc822MsgId"),
        ({"receivedAt": "yesterday"}, "receivedAt"),
        ({"toAddresses": ["ok@x.example", "broken"]}, "toAddresses/1"),
    ],
)
def test_a_rejected_patch_changes_nothing(client, body, field):
    created = _post(client, rfc822MsgId="k@x", fromName="Ann")
    response = client.patch(f"/api/v1/emails/{created['id']}", json={"fromName": "Bo", **body})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert client.get(f"/api/v1/emails/{created['id']}").json() == created


def test_put_replaces_everything_but_keeps_the_key_when_none_is_sent(client, hearth):
    contact = _contact(client)
    created = client.post("/api/v1/emails", json=_full_body(contact["id"])).json()
    response = client.put(
        f"/api/v1/emails/{created['id']}", json={"subject": "Replaced", "htmlBody": "<p>new</p>"}
    )
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced["id"] == created["id"]
    assert replaced["rfc822MsgId"] == "<reply-1@mail.example>"
    assert (replaced["subject"], replaced["htmlBody"], replaced["textBody"]) == (
        "Replaced",
        "<p>new</p>",
        None,
    )
    for field in ("msgId", "syncThreadId", "inReplyTo", "receivedAt", "sentAt", "fromAddress"):
        assert replaced[field] is None, field
    for field in ("toAddresses", "ccAddresses", "bccAddresses", "attachments", "relatedTo"):
        assert replaced[field] == [], field
    assert replaced["references"] == []
    assert _counts(hearth)["Document"] == 0  # the attachment's document went with it


def test_put_can_change_the_key_but_not_to_another_emails(client):
    _post(client, rfc822MsgId="one@x")
    second = _post(client, rfc822MsgId="two@x")
    url = f"/api/v1/emails/{second['id']}"
    body = {"subject": "s", "textBody": "t"}
    assert client.put(url, json={**body, "rfc822MsgId": "one@x"}).status_code == 409
    assert client.put(url, json={**body, "rfc822MsgId": "<new@x>"}).json()["rfc822MsgId"] == (
        "<new@x>"
    )


def test_what_get_answers_can_be_sent_back_with_put_unchanged(client):
    contact = _contact(client)
    created = client.post("/api/v1/emails", json=_full_body(contact["id"])).json()
    response = client.put(f"/api/v1/emails/{created['id']}", json=created)
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert {k: v for k, v in replaced.items() if k != "updatedAt"} == {
        k: v for k, v in created.items() if k != "updatedAt"
    }


# --- bad input ------------------------------------------------------------------------------------

_GOOD_CONTENT = base64.b64encode(b"abc").decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": None}, "subject"),  # None: left out
        ({"subject": 5}, "subject"),
        ({"textBody": None}, "textBody"),
        ({"receivedAt": "2026-13-01T00:00:00Z"}, "receivedAt"),
        ({"receivedAt": "2026-07-01T14:00:00"}, "receivedAt"),  # no offset: ambiguous
        ({"sentAt": True}, "sentAt"),
        ({"fromAddress": "not an address"}, "fromAddress"),
        ({"toAddresses": ["a@x.example", "b@"]}, "toAddresses/1"),
        ({"ccAddresses": [{"address": "a@x.example", "phone": "1"}]}, "ccAddresses/0"),
        ({"bccAddresses": "a@x.example"}, "bccAddresses"),
        (
            {"attachments": [{"fileName": "a", "content": "@@not base64@@"}]},
            "attachments/0/content",
        ),
        (
            {"attachments": [{"fileName": "a", "content": _GOOD_CONTENT, "size": 4}]},
            "attachments/0/size",
        ),
        ({"relatedTo": [{"type": "deal", "id": "1"}]}, "relatedTo/0/type"),
        ({"relatedTo": {"type": "contact", "id": "999"}}, "relatedTo/0/id"),
        ({"relatedTo": [{"type": "contact", "id": "abc"}]}, "relatedTo/0/id"),
        ({"syncThreadId": "x" * 501}, "syncThreadId"),
        ({"sujbect": "typo"}, "sujbect"),
    ],
)
def test_invalid_input_is_named_and_writes_nothing(client, hearth, changes, field):
    body = {
        "rfc822MsgId": "bad@x",
        "subject": "s",
        "textBody": "t",
        "toAddresses": ["someone@x.example"],
        "attachments": [{"fileName": "ok.txt", "content": _GOOD_CONTENT}],
    }
    body.update(changes)
    body = {k: v for k, v in body.items() if v is not None}
    before = _counts(hearth)
    response = client.post("/api/v1/emails", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == field
    assert problem["detail"].startswith(field)
    assert _counts(hearth) == before
    assert _stored_files(hearth) == []


def test_a_rejected_repeat_post_changes_nothing(client, hearth):
    created = _post(client, rfc822MsgId="r@x")
    response = client.post(
        "/api/v1/emails",
        json={"rfc822MsgId": "r@x", "subject": "s", "htmlBody": "<p>new</p>", "receivedAt": "soon"},
    )
    assert response.status_code == 422
    assert client.get(f"/api/v1/emails/{created['id']}").json() == created


# --- accepted variants ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-07-01T14:00:00Z", "2026-07-01T14:00:00.000Z"),
        ("2026-07-01T16:00:00.250+02:00", "2026-07-01T14:00:00.250Z"),
        (1782914400000, "2026-07-01T14:00:00.000Z"),
        ("1782914400000", "2026-07-01T14:00:00.000Z"),
    ],
)
def test_timestamps_in_any_offset_or_epoch_milliseconds_go_out_in_utc(client, value, expected):
    assert _post(client, receivedAt=value)["receivedAt"] == expected


def test_address_variants(client):
    created = _post(
        client,
        fromAddress={"address": "ann@acme.example", "name": "Ann Lee"},
        toAddresses=[
            "plain@x.example",
            "Bob Stone <bob@x.example>",
            {"email": "cy@x.example", "name": "Cy"},
            "root@corp.local",
        ],
    )
    assert (created["fromAddress"], created["fromName"]) == ("ann@acme.example", "Ann Lee")
    assert created["toAddresses"] == [
        "plain@x.example",
        "bob@x.example",
        "cy@x.example",
        "root@corp.local",
    ]
    assert [r["name"] for r in created["recipients"]] == [None, "Bob Stone", "Cy", None]
    name_addr = _post(client, fromAddress="Dana Ruiz <dana@x.example>")
    assert (name_addr["fromAddress"], name_addr["fromName"]) == ("dana@x.example", "Dana Ruiz")


def test_attachment_content_in_url_safe_base64_without_padding(client, hearth):
    data = bytes(range(256))
    encoded = base64.urlsafe_b64encode(data).decode().rstrip("=")
    created = _post(client, attachments=[{"filename": "bytes.bin", "content": encoded}])
    attachment = created["attachments"][0]
    assert (attachment["fileName"], attachment["size"]) == ("bytes.bin", 256)
    with hearth.database.read() as session:
        sha256 = session.get(Document, int(attachment["documentId"])).sha256
    assert BlobStore(hearth.paths.documents_dir).read_bytes(sha256) == data


# --- docs -----------------------------------------------------------------------------------------


def test_the_openapi_document_describes_the_endpoints_with_examples(client):
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/v1/emails"]["post"]
    assert {"201", "200", "422"} <= set(post["responses"])
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    assert {"brightsync", "minimal", "variants"} <= set(examples)
    assert "Repeat posts" in post["description"]
    assert (
        "example"
        in spec["paths"]["/api/v1/emails/{email_id}"]["get"]["responses"]["200"]["content"][
            "application/json"
        ]
    )
    patch = spec["paths"]["/api/v1/emails/{email_id}"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["examples"]
    assert "put" in spec["paths"]["/api/v1/emails/{email_id}"]
    params = spec["paths"]["/api/v1/emails"]["get"]["parameters"]
    assert any(p["name"] == "rfc822MsgId" and p["required"] for p in params)


def test_nul_characters_are_dropped_not_a_500(client):
    created = _post(client, subject="Hi\u0000", textBody="a\u0000b", fromName="Ann\u0000")
    assert (created["subject"], created["textBody"], created["fromName"]) == ("Hi", "ab", "Ann")
