"""The Integrations API's email section (spec 004) over HTTP, on SQLite and PostgreSQL:
``/api/v1/integrations/email/...``: inbox, search, folder counts, flags, threads, match, send."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Connection, OutboxItem, User
from tests.support.factories import api_company as _company
from tests.support.factories import api_contact as _contact

BASE = "/api/v1/integrations/email"
ME = "me@hearth.example"
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])
"""For checks of the API's own validation, where PostgreSQL adds nothing."""


@pytest.fixture
def me(hearth) -> str:
    """The user's own address: mail from it is outbound (``sent``)."""
    with hearth.database.write() as session:
        session.add(User(name="Alex Morgan", email=ME, is_me=True))
    return ME


def _post(client, subject="Pricing", **fields):
    body = {"subject": subject, "textBody": "Hello", "fromAddress": "ann@acme.example"}
    body.update({"toAddresses": [ME], **fields})
    response = client.post("/api/v1/emails", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _inbox(client, **params):
    response = client.get(f"{BASE}/inbox", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _ids(page):
    return [item["id"] for item in page["items"]]


def _found(client, query, **params):
    return _ids(_inbox(client, q=query, folder="all", **params))


def _problem(response, status, field=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    if field is not None:
        assert [error["field"] for error in body["errors"]] == [field]
    return body


def _flag(client, email_id, flag, expected=200, **body):
    kwargs = {"json": body} if body else {}
    response = client.post(f"{BASE}/{email_id}/{flag}", **kwargs)
    assert response.status_code == expected, response.text
    return response.json()


def _counts(client):
    response = client.get(f"{BASE}/folders/counts")
    assert response.status_code == 200, response.text
    return response.json()


# --- Folders, order, unread, counts -------------------------------------------------------------


def test_folders_hold_what_their_names_say(client, me):
    received = _post(client, "Received", receivedAt="2026-07-01T10:00:00Z")
    sent = _post(client, "Sent", fromAddress=me, toAddresses=["ann@acme.example"])
    archived = _post(client, "Archived", receivedAt="2026-06-01T10:00:00Z")
    starred = _post(client, "Starred", receivedAt="2026-05-01T10:00:00Z")
    _flag(client, archived, "archive")
    _flag(client, starred, "star")

    inbox = _inbox(client)
    assert _ids(inbox) == [received, starred]
    assert [item["folder"] for item in inbox["items"]] == ["inbox", "inbox"]
    assert _ids(_inbox(client, folder="sent")) == [sent]
    assert _ids(_inbox(client, folder="archive")) == [archived]
    assert _ids(_inbox(client, folder="starred")) == [starred]
    assert sorted(_ids(_inbox(client, folder="all"))) == sorted([received, sent, archived, starred])
    sent_item = _inbox(client, folder="sent")["items"][0]
    assert (sent_item["direction"], sent_item["isRead"]) == ("outbound", True)


def test_newest_first_by_received_then_sent_time_ties_by_id(client):
    first = _post(client, "Tie A", receivedAt="2026-07-01T10:00:00Z")
    second = _post(client, "Tie B", receivedAt="2026-07-01T12:00:00+02:00")  # the same instant
    only_sent = _post(client, "Sent time only", sentAt="2026-07-02T08:00:00Z")
    older = _post(client, "Older", receivedAt="2026-06-30T23:59:59Z")
    undated = _post(client, "Stored now")  # no time at all: when Hearth stored it

    assert _ids(_inbox(client)) == [undated, only_sent, second, first, older]


def test_unread_filter_and_exact_totals(client, me):
    ids = [_post(client, f"Mail {n}", receivedAt=f"2026-07-0{n}T10:00:00Z") for n in range(1, 6)]
    _post(client, "Mine", fromAddress=me)  # sent mail is read
    _flag(client, ids[1], "read")
    _flag(client, ids[3], "read")

    unread = _inbox(client, unread="true")
    assert _ids(unread) == [ids[4], ids[2], ids[0]]
    assert unread["total"] == 3
    assert _inbox(client, unread="false")["total"] == 5
    assert _counts(client) == {
        "inbox": {"total": 5, "unread": 3},
        "sent": {"total": 1, "unread": 0},
        "archive": {"total": 0, "unread": 0},
        "starred": {"total": 0, "unread": 0},
        "all": {"total": 6, "unread": 3},
    }


def _all_pages(client, **params):
    seen, page, totals = [], 1, set()
    while page is not None:
        body = _inbox(client, limit=3, page=page, **params)
        assert (body["limit"], body["page"]) == (3, page)
        totals.add(body["total"])
        seen += _ids(body)
        page = body["nextPage"]
    assert totals == {len(seen)}
    return seen


def test_pages_cover_the_list_once_and_end_cleanly(client, me):
    # Mail in three folders, interleaved in time: "all" merges them.
    ids = []
    for n in range(1, 11):
        sender = me if n % 3 == 0 else "ann@acme.example"
        ids.append(
            _post(client, f"Mail {n}", fromAddress=sender, receivedAt=f"2026-07-{n:02d}T10:00:00Z")
        )
    _flag(client, ids[3], "archive")
    _flag(client, ids[6], "read")
    newest_first = list(reversed(ids))

    assert _all_pages(client, folder="all") == newest_first
    assert _all_pages(client, folder="all", unread="true") == [
        i for i in newest_first if i not in (ids[2], ids[5], ids[6], ids[8])]  # fmt: skip
    inbox = [i for n, i in enumerate(newest_first) if (10 - n) % 3 and i != ids[3]]
    assert _all_pages(client) == inbox
    beyond = _inbox(client, limit=3, page=9)
    assert (beyond["items"], beyond["total"], beyond["nextPage"]) == ([], len(inbox), None)
    exact = _inbox(client, folder="all", limit=10)
    assert (len(exact["items"]), exact["nextPage"]) == (10, None)
    assert len(_inbox(client, folder="all", limit=200)["items"]) == 10


@SQLITE_ONLY
def test_bad_list_parameters_are_422_naming_them(client):
    cases = [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"folder": "drafts"}, "folder"),
        ({"unread": "maybe"}, "unread"),
        ({"q": "x" * 501}, "q"),
    ]
    for params, field in cases:
        _problem(client.get(f"{BASE}/inbox", params=params), 422, field)


def test_an_item_carries_what_a_list_shows(client):
    company = _company(client, "Acme", ["acme.example"])
    ann = _contact(client, firstName="Ann", emailAddresses=["ann@acme.example"])
    email_id = _post(
        client,
        "Re: Pricing",
        fromAddress="Ann Lee <ann@acme.example>",
        toAddresses=[ME, "Bo <bo@acme.example>"],
        ccAddresses=["cfo@acme.example"],
        bccAddresses=["hidden@acme.example"],
        receivedAt="2026-07-01T07:00:00-07:00",
        sentAt=1782914398000,
        textBody="Thanks,\n the numbers   work.",
        attachments=[{"fileName": "q.txt", "size": 3}],
    )
    item = _inbox(client)["items"][0]
    assert item == {
        "id": email_id,
        "threadId": item["threadId"],
        "subject": "Re: Pricing",
        "snippet": "Thanks, the numbers work.",
        "from": {"address": "ann@acme.example", "name": "Ann Lee"},
        "to": [ME, "bo@acme.example"],
        "cc": ["cfo@acme.example"],
        "receivedAt": "2026-07-01T14:00:00.000Z",
        "sentAt": "2026-07-01T13:59:58.000Z",
        "isRead": False,
        "isStarred": False,
        "isArchived": False,
        "folder": "inbox",
        "direction": "inbound",
        "hasAttachments": True,
        "linkedEntities": [
            {"type": "contact", "id": ann["id"], "origin": "matched"},
            {"type": "company", "id": company["id"], "origin": "matched"},
        ],
    }
    assert isinstance(item["threadId"], str)


# --- Search -------------------------------------------------------------------------------------


def test_search_looks_in_subject_body_names_and_addresses(client):
    pricing = _post(
        client,
        "Quarterly pricing review",
        textBody="Can we move the call to Thursday afternoon?",
        fromAddress="Sarah Chen <sarah.chen@techstartup.example>",
        ccAddresses=[{"address": "dana.ruiz@finance.example", "name": "Dana Ruiz"}],
    )
    html_only = _post(
        client,
        "Newsletter",
        textBody=None,
        htmlBody="<html><style>p {color: red}</style><p>Zürich office <b>opening</b></p></html>",
        fromAddress="news@bulletin.example",
    )
    other = _post(client, "Lunch", textBody="Tacos on Friday?", fromAddress="bo@food.example")

    assert _found(client, "pricing") == [pricing]  # subject
    assert _found(client, "thursday") == [pricing]  # body, any case
    assert _found(client, "Sarah") == [pricing]  # sender's name
    assert _found(client, "dana ruiz") == [pricing]  # a recipient's name
    assert _found(client, "sarah.chen@techstartup.example") == [pricing]  # an address
    assert _found(client, "finance.example") == [pricing]  # a domain
    assert _found(client, '"call to thursday"') == [pricing]  # a phrase
    assert _found(client, '"thursday call"') == []  # a phrase is in order
    assert _found(client, "quarter") == [pricing]  # the last word as a prefix
    assert _found(client, "quarter review") == []  # ...only the last
    assert _found(client, "zürich opening") == [html_only]  # HTML text, unicode
    assert _found(client, "color") == []  # style sheets are not text
    assert _found(client, "tacos") == [other]
    assert _found(client, "tacos pricing") == []  # every word must match
    assert _found(client, "nothing-like-this") == []


def test_no_query_is_an_error(client):
    _post(client, "Lunch", textBody="Tacos on Friday? And or not.")
    queries = ['"', '""', '"unclosed', "*", "pric*", "subject:", ":", "-", "-tacos", "AND",
               "OR NOT", "(", "NEAR(a b)", "'", "\\", "%", "_", "a" * 500, "日本語", "😀",
               "\u0000", "x OR y", "^tacos", "tacos:*", "'tacos' & !x", "<->"]  # fmt: skip
    for query in queries:
        response = client.get(f"{BASE}/inbox", params={"q": query, "folder": "all"})
        assert response.status_code == 200, (query, response.text)
        assert response.json()["total"] == len(response.json()["items"]), query


def test_odd_characters_are_words_or_punctuation(client):
    tacos = _post(client, "Lunch", textBody="Tacos on Friday? And or not, follow-up.")
    assert _found(client, '"') == []  # no word at all: nothing
    assert _found(client, "*:-") == []
    assert _found(client, "-tacos") == [tacos]  # no operators: "-" is punctuation
    assert _found(client, "tacos*") == [tacos]
    assert _found(client, "AND") == [tacos]  # a word like any other
    assert _found(client, "or NOT") == [tacos]
    assert _found(client, "follow-up") == [tacos]
    assert _found(client, "friday?") == [tacos]


def test_search_keeps_to_the_folder_and_unread_filter(client, me):
    unread = _post(client, "Pricing A", receivedAt="2026-07-01T10:00:00Z")
    read = _post(client, "Pricing B", receivedAt="2026-07-02T10:00:00Z")
    sent = _post(client, "Pricing C", fromAddress=me, receivedAt="2026-07-03T10:00:00Z")
    _flag(client, read, "read")
    assert _ids(_inbox(client, q="pricing")) == [read, unread]
    assert _ids(_inbox(client, q="pricing", unread="true")) == [unread]
    assert _ids(_inbox(client, q="pricing", folder="sent")) == [sent]
    assert _ids(_inbox(client, q="pricing", folder="all")) == [sent, read, unread]
    page = _inbox(client, q="pricing", folder="all", limit=2, page=2)
    assert (_ids(page), page["total"], page["nextPage"]) == ([unread], 3, None)


def test_search_follows_every_change_of_an_email(client):
    email_id = _post(client, "Pricing", textBody="See you Monday", toAddresses=["bo@acme.example"])
    patch = client.patch(
        f"/api/v1/emails/{email_id}",
        json={"subject": "Invoice", "toAddresses": [{"address": "cy@acme.example", "name": "Cyd"}]},
    )
    assert patch.status_code == 200, patch.text
    assert _found(client, "pricing") == []
    assert _found(client, "invoice monday cyd") == [email_id]
    assert _found(client, "bo@acme.example") == []

    put = client.put(
        f"/api/v1/emails/{email_id}",
        json={"subject": "Contract", "htmlBody": "<p>Signed copy attached</p>"},
    )
    assert put.status_code == 200, put.text
    assert _found(client, "monday") == []
    assert _found(client, "contract signed") == [email_id]
    _flag(client, email_id, "star")
    assert _found(client, "contract") == [email_id]


# --- Flags and the outbox -----------------------------------------------------------------------


def test_flags_toggle_or_set_and_move_the_counts(client):
    email_id = _post(client)
    assert _flag(client, email_id, "read")["isRead"] is True
    assert _flag(client, email_id, "read")["isRead"] is False
    assert _flag(client, email_id, "read", value=False)["isRead"] is False
    assert _flag(client, email_id, "read", value=True)["isRead"] is True
    assert _flag(client, email_id, "read", value=None)["isRead"] is False  # null toggles
    assert _flag(client, email_id, "star")["isStarred"] is True
    assert _counts(client)["starred"] == {"total": 1, "unread": 1}

    archived = _flag(client, email_id, "archive")
    assert (archived["isArchived"], archived["folder"]) == (True, "archive")
    assert _counts(client)["inbox"] == {"total": 0, "unread": 0}
    assert _counts(client)["archive"] == {"total": 1, "unread": 1}
    back = _flag(client, email_id, "archive", value=False)
    assert (back["isArchived"], back["folder"]) == (False, "inbox")
    assert _inbox(client)["items"][0] == back


def test_a_sent_email_unarchives_to_sent(client, me):
    email_id = _post(client, fromAddress=me)
    _flag(client, email_id, "archive")
    assert _flag(client, email_id, "archive")["folder"] == "sent"


@SQLITE_ONLY
def test_a_flag_value_must_be_a_boolean(client):
    email_id = _post(client)
    for value in ["yes", "true", 1, 0, [], {}]:
        _problem(client.post(f"{BASE}/{email_id}/read", json={"value": value}), 422, "value")
    _problem(client.post(f"{BASE}/{email_id}/read", json={"other": True}), 422, "other")
    assert _inbox(client)["items"][0]["isRead"] is False


@SQLITE_ONLY
def test_flags_of_unknown_emails_are_404(client):
    for path in ("999999/read", "abc/star", "-1/archive"):
        _problem(client.post(f"{BASE}/{path}"), 404)


def test_each_flag_change_is_queued_for_the_provider(client, hearth):
    email_id = _post(client, rfc822MsgId="<m1@acme.example>", msgId="bs-1")
    _flag(client, email_id, "read")
    _flag(client, email_id, "read")  # changed again before it was pushed: one item, latest state
    _flag(client, email_id, "star", value=True)
    _flag(client, email_id, "star", value=True)  # no change: nothing queued
    _flag(client, email_id, "archive")

    with hearth.database.read() as session:
        items = session.scalars(select(OutboxItem).order_by(OutboxItem.id)).all()
        queued = {
            item.kind: (item.status, item.record_type, item.record_id, item.payload)
            for item in items
        }
    provider = {
        "rfc822_msg_id": "m1@acme.example",
        "external_ids": [{"source": "brightsync", "id": "bs-1"}],
    }
    email = int(email_id)
    assert queued == {
        "email.read": ("pending", "email", email, {"value": False, "previous": False, **provider}),
        "email.starred": (
            "pending",
            "email",
            email,
            {"value": True, "previous": False, **provider},
        ),
        "email.archived": (
            "pending",
            "email",
            email,
            {"value": True, "previous": False, **provider},
        ),
    }
    assert len(items) == 3


# --- Threads ------------------------------------------------------------------------------------


def test_threads_of_a_contact_and_of_its_company(client):
    company = _company(client, "Acme", ["acme.example"])
    ann = _contact(
        client, firstName="Ann", emailAddresses=["ann@acme.example"], companyId=company["id"]
    )
    bo = _contact(
        client, firstName="Bo", emailAddresses=["bo@gmail.example"], companyId=company["id"]
    )
    stranger = _contact(client, firstName="Cy", emailAddresses=["cy@other.example"])
    old = _post(
        client,
        "Old",
        fromAddress="ann@acme.example",
        receivedAt="2026-05-01T10:00:00Z",
        rfc822MsgId="<old@x>",
    )
    _post(
        client,
        "Re: Old",
        fromAddress="ann@acme.example",
        receivedAt="2026-05-03T10:00:00Z",
        inReplyTo="<old@x>",
        rfc822MsgId="<old-2@x>",
    )
    # Logged against Bo only (not matched by address): still one of Acme's threads.
    logged = _post(
        client,
        "Logged",
        fromAddress="x@nowhere.example",
        receivedAt="2026-06-01T10:00:00Z",
        relatedTo=[{"type": "contact", "id": bo["id"]}],
    )
    _post(client, "Newest", fromAddress="ann@acme.example", receivedAt="2026-07-01T10:00:00Z")
    _post(client, "Not theirs", fromAddress="cy@other.example")  # fmt: skip

    def threads(kind, entity_id, **params):
        response = client.get(f"{BASE}/threads/{kind}/{entity_id}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    ann_threads = threads("contact", ann["id"])
    assert [t["latest"]["subject"] for t in ann_threads["items"]] == ["Newest", "Re: Old"]
    old_thread = ann_threads["items"][1]
    assert (old_thread["subject"], old_thread["messageCount"], old_thread["unreadCount"]) == (
        "Old",
        2,
        2,
    )
    assert old_thread["lastMessageAt"] == "2026-05-03T10:00:00.000Z"
    assert [t["latest"]["id"] for t in threads("contact", bo["id"])["items"]] == [logged]
    acme = threads("account", company["id"])
    assert [t["latest"]["subject"] for t in acme["items"]] == ["Newest", "Logged", "Re: Old"]
    assert threads("company", company["id"], limit=2, page=2)["items"][0]["id"] == old_thread["id"]
    assert threads("contact", stranger["id"])["total"] == 1
    assert old_thread["latest"]["threadId"] == old_thread["id"]
    assert _ids(client.get(f"{BASE}/thread/{old_thread['id']}").json())[0] == old

    _problem(client.get(f"{BASE}/threads/deal/{company['id']}"), 422, "entityType")
    _problem(client.get(f"{BASE}/threads/contact/999999"), 404)
    _problem(client.get(f"{BASE}/threads/company/{ann['id']}x"), 404)


def test_a_thread_reads_oldest_first_in_full(client):
    first = _post(
        client,
        "Plan",
        rfc822MsgId="<a@x>",
        receivedAt="2026-07-01T10:00:00Z",
        textBody="First",
        htmlBody="<p>First</p>",
        bccAddresses=["b@x.example"],
        attachments=[{"fileName": "plan.pdf", "contentType": "application/pdf", "size": 9}],
    )
    third = _post(
        client,
        "Re: Plan",
        rfc822MsgId="<c@x>",
        inReplyTo="<b@x>",
        receivedAt="2026-07-03T10:00:00Z",
    )
    second = _post(client, "Re: Plan", rfc822MsgId="<b@x>", inReplyTo="<a@x>",
                   receivedAt="2026-07-02T10:00:00Z")  # fmt: skip
    thread_id = _inbox(client)["items"][0]["threadId"]

    response = client.get(f"{BASE}/thread/{thread_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert _ids(body) == [first, second, third]
    assert (body["total"], body["nextPage"]) == (3, None)
    assert body["thread"]["subject"] == "Plan"
    assert body["thread"]["latest"]["id"] == third
    message = body["items"][0]
    assert (message["textBody"], message["htmlBody"]) == ("First", "<p>First</p>")
    assert (message["rfc822MsgId"], message["bcc"]) == ("<a@x>", ["b@x.example"])
    assert message["attachments"] == [
        {"fileName": "plan.pdf", "contentType": "application/pdf", "size": 9, "inline": False,
         "documentId": None}
    ]  # fmt: skip
    assert body["items"][1]["inReplyTo"] == "<a@x>"
    assert _ids(
        client.get(f"{BASE}/thread/{thread_id}", params={"limit": 2, "page": 2}).json()
    ) == [third]
    _problem(client.get(f"{BASE}/thread/999999"), 404)
    _problem(client.get(f"{BASE}/thread/abc"), 404)


# --- Match --------------------------------------------------------------------------------------


def _match(client, expected=200, **body):
    response = client.post(f"{BASE}/match", json=body)
    assert response.status_code == expected, response.text
    return response.json()


def test_matching_an_address_to_a_contact_links_past_and_future_mail(client, hearth):
    company = _company(client, "Acme", ["acme.example"])
    ann = _contact(
        client, firstName="Ann", emailAddresses=["ann@acme.example"], companyId=company["id"]
    )
    past = _post(client, "From her gmail", fromAddress="Ann.Lee@Gmail.example")
    logged = _post(client, "Logged elsewhere", toAddresses=["ann.lee@gmail.example"],
                   relatedTo=[{"type": "company", "id": company["id"]}])  # fmt: skip
    assert _inbox(client, folder="all", q="gmail")["items"][1]["linkedEntities"] == []

    result = _match(
        client, emailAddress="ann.lee@gmail.example", entityType="contact", entityId=int(ann["id"])
    )
    assert result == {
        "emailAddress": "ann.lee@gmail.example",
        "entityType": "contact",
        "entityId": ann["id"],
        "contactId": ann["id"],
        "domain": None,
        "emailsRelinked": 1,
    }
    items = {item["id"]: item for item in _inbox(client, folder="all")["items"]}
    linked = [{"type": "contact", "id": ann["id"], "origin": "matched"},
              {"type": "company", "id": company["id"], "origin": "matched"}]  # fmt: skip
    assert items[past]["linkedEntities"] == linked
    assert items[logged]["linkedEntities"] == [
        {"type": "company", "id": company["id"], "origin": "explicit"}
    ]
    assert client.get(f"/api/v1/contacts/{ann['id']}").json()["emailAddresses"] == [
        "ann@acme.example", "ann.lee@gmail.example"]  # fmt: skip
    future = _post(client, "Later", fromAddress="ann.lee@gmail.example")
    assert _inbox(client, q="later")["items"][0]["linkedEntities"] == linked
    timeline = client.get(f"/api/v1/contacts/{ann['id']}/timeline").json()
    assert {entry["record"]["id"] for entry in timeline["items"]} == {past, future}
    again = _match(
        client, emailAddress="ANN.LEE@gmail.example", entityType="contact", entityId=ann["id"]
    )
    assert again["emailsRelinked"] == 2  # idempotent


def test_matching_an_address_to_a_company(client):
    acme = _company(client, "Acme", ["acme.example"])
    past = _post(client, "Hello", fromAddress="cy@freelance.example")

    result = _match(
        client, emailAddress="cy@freelance.example", entityType="account", entityId=acme["id"]
    )
    assert (result["entityType"], result["domain"], result["emailsRelinked"]) == (
        "company",
        None,
        1,
    )
    contact = client.get(f"/api/v1/contacts/{result['contactId']}").json()
    assert (contact["emailAddresses"], contact["companyId"]) == (
        ["cy@freelance.example"],
        acme["id"],
    )
    assert {(e["type"], e["id"]) for e in _inbox(client)["items"][0]["linkedEntities"]} == {
        ("contact", result["contactId"]), ("company", acme["id"])}  # fmt: skip
    assert past == _inbox(client)["items"][0]["id"]

    # A contact with the address and no company joins this one.
    dee = _contact(client, firstName="Dee", emailAddresses=["dee@freelance.example"])
    joined = _match(
        client, emailAddress="dee@freelance.example", entityType="company", entityId=acme["id"]
    )
    assert joined["contactId"] == dee["id"]
    assert client.get(f"/api/v1/contacts/{dee['id']}").json()["companyId"] == acme["id"]


def test_matching_a_domain_to_a_company(client):
    acme = _company(client, "Acme", ["acme.example"])
    first = _post(client, "One", fromAddress="ann@acme-labs.example")
    second = _post(
        client, "Two", fromAddress="bo@other.example", ccAddresses=["cy@ACME-LABS.example"]
    )
    _post(client, "Three", fromAddress="dee@elsewhere.example")

    result = _match(client, emailAddress="ann@acme-labs.example", entityType="company",
                    entityId=acme["id"], scope="domain")  # fmt: skip
    assert (result["domain"], result["contactId"], result["emailsRelinked"]) == (
        "acme-labs.example",
        None,
        2,
    )
    assert client.get(f"/api/v1/companies/{acme['id']}").json()["domains"] == [
        "acme.example",
        "acme-labs.example",
    ]
    linked = [item["id"] for item in _inbox(client)["items"] if item["linkedEntities"]]
    assert sorted(linked) == sorted([first, second])


def test_matches_that_clash_or_make_no_sense_are_refused(client, me):
    acme = _company(client, "Acme", ["acme.example"])
    globex = _company(client, "Globex", ["globex.example"])
    ann = _contact(
        client, firstName="Ann", emailAddresses=["ann@acme.example"], companyId=acme["id"]
    )
    bo = _contact(
        client, firstName="Bo", emailAddresses=["bo@globex.example"], companyId=globex["id"]
    )

    def refused(status, field=None, **body):
        return _problem(client.post(f"{BASE}/match", json=body), status, field)

    refused(409, emailAddress="ANN@acme.example", entityType="contact", entityId=bo["id"])
    refused(409, emailAddress="bo@globex.example", entityType="company", entityId=acme["id"])
    refused(
        409,
        emailAddress="x@globex.example",
        entityType="company",
        entityId=acme["id"],
        scope="domain",
    )
    public = {"emailAddress": "x@gmail.com", "entityType": "company", "entityId": acme["id"]}
    refused(422, "emailAddress", **public, scope="domain")
    refused(
        422,
        "scope",
        emailAddress="x@new.example",
        entityType="contact",
        entityId=ann["id"],
        scope="domain",
    )
    refused(
        422,
        "scope",
        emailAddress="x@new.example",
        entityType="contact",
        entityId=ann["id"],
        scope="all",
    )
    refused(422, "emailAddress", emailAddress=me, entityType="contact", entityId=ann["id"])
    refused(
        422, "emailAddress", emailAddress="not an address", entityType="contact", entityId=ann["id"]
    )
    refused(422, "entityType", emailAddress="x@new.example", entityType="deal", entityId=ann["id"])
    refused(422, "entityId", emailAddress="x@new.example", entityType="contact", entityId="abc")
    refused(422, "emailAddress", entityType="contact", entityId=ann["id"])
    refused(404, emailAddress="x@new.example", entityType="contact", entityId=999999)
    refused(404, emailAddress="x@new.example", entityType="company", entityId=999999)
    assert client.get(f"/api/v1/contacts/{ann['id']}").json()["emailAddresses"] == [
        "ann@acme.example"
    ]
    assert client.get(f"/api/v1/companies/{acme['id']}").json()["domains"] == ["acme.example"]


# --- Send, sync, keys ---------------------------------------------------------------------------


@SQLITE_ONLY
def test_send_checks_the_message(client):
    cases = [
        ({"subject": "Hi", "body": "..."}, "to"),
        ({"to": [], "subject": "Hi", "body": "..."}, "to"),
        ({"to": ["ok@x.example", "not-an-address"], "subject": "Hi", "body": "..."}, "to/1"),
        ({"to": ["ok@x.example"], "cc": ["a@@x"], "subject": "Hi", "body": "..."}, "cc/0"),
        (
            {"to": ["ok@x.example"], "bcc": ["ok@x.example", ""], "subject": "Hi", "body": "."},
            "bcc/1",
        ),
        ({"to": "ok@x.example", "subject": "Hi", "body": "..."}, "to"),
        ({"to": ["ok@x.example"], "body": "..."}, "subject"),
        ({"to": ["ok@x.example"], "subject": "Hi"}, "body"),
        ({"to": ["ok@x.example"], "subject": 5, "body": "..."}, "subject"),
        ({"to": ["ok@x.example"], "subject": "Hi", "body": "...", "from": "me@x.example"}, "from"),
    ]
    for body, field in cases:
        _problem(client.post(f"{BASE}/send", json=body), 422, field)


def test_send_and_sync_need_a_connected_account(client, hearth):
    message = {
        "to": ["recipient@company.example"],
        "subject": "Follow up",
        "body": "...",
        "cc": [],
        "bcc": [],
    }
    for path, body in (("/send", message), ("/sync", None)):
        problem = _problem(client.post(BASE + path, json=body), 409)
        assert problem["type"] == "/problems/no-connected-account", path
        assert "no connected account" in problem["detail"]
    with hearth.database.write() as session:
        session.add(Connection(provider="google", account_email=ME, status="connected"))
    for path, body in (("/send", message), ("/sync", None)):
        problem = _problem(client.post(BASE + path, json=body), 409)
        assert problem["type"] == f"/problems{path}-unavailable"


@SQLITE_ONLY
def test_every_endpoint_needs_a_key(anonymous):
    calls = [
        ("GET", "/inbox"),
        ("GET", "/folders/counts"),
        ("POST", "/1/read"),
        ("POST", "/1/star"),
        ("POST", "/1/archive"),
        ("GET", "/threads/contact/1"),
        ("GET", "/thread/1"),
        ("POST", "/match"),
        ("POST", "/send"),
        ("POST", "/sync"),
    ]
    for method, path in calls:
        response = anonymous.request(method, BASE + path, json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
