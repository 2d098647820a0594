"""Email ingestion: one record per message whatever path brings it, threads, links and timeline.

On SQLite and PostgreSQL, through core's services (the HTTP side is in
``tests/embedded_api/test_brightsync_email.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.blobstore import BlobStore
from core.errors import Conflict, Invalid
from core.models import (
    Activity,
    Blob,
    Document,
    Email,
    EmailThread,
    ExternalId,
    RecordLink,
    User,
)
from core.services.companies import create_company
from core.services.contacts import create_contact
from core.services.emails import (
    AttachmentData,
    EmailData,
    EntityRef,
    Mailbox,
    get_email,
    ingest_email,
    replace_email,
    update_email,
)

T0 = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)


def _data(**fields) -> EmailData:
    fields.setdefault("subject", "Pricing")
    fields.setdefault("text_body", "Hello")
    return EmailData(**fields)


@pytest.fixture
def blobs(tmp_path) -> BlobStore:
    return BlobStore(tmp_path / "documents")


@pytest.fixture
def ingest(database, blobs):
    """``ingest(source=..., external_ids=..., **fields)`` in its own transaction."""

    def run(source="brightsync", external_ids=(), **fields):
        with database.write() as session:
            return ingest_email(
                session, _data(**fields), source=source, external_ids=external_ids, blobs=blobs
            )

    return run


@pytest.fixture
def crm(database):
    """Acme (acme.example) with Ann; Bob with no company; the user (me@hearth.example)."""
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
            session, {"first_name": "Bob", "email_addresses": ["bob@else.example"]}, "US"
        )
        session.add(User(name="Me", email="Me@Hearth.example", is_me=True))
    return {"acme": acme.id, "globex": globex.id, "ann": ann.id, "bob": bob.id}


def _count(database, model, *where) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


HOUR = timedelta(hours=1)


def _thread(database, thread_id):
    with database.read() as session:
        thread = session.get(EmailThread, thread_id)
        assert thread is not None
        return thread.thread_key, thread.subject, thread.message_count, thread.last_message_at


# --- one message, one record ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "again", ["<a1@mail.x.example>", " a1@mail.x.example ", "< a1@mail.x.example >"]
)
def test_the_message_id_is_the_key_with_or_without_brackets_and_space(database, ingest, again):
    first, created = ingest(rfc822_msg_id="<a1@mail.x.example>")
    assert created
    assert first.rfc822_msg_id == "a1@mail.x.example"
    second, created = ingest(rfc822_msg_id=again, source="google")
    assert not created
    assert second.id == first.id
    assert second.source == "brightsync"  # where it first came from
    assert _count(database, Email) == 1


def test_message_ids_compare_exactly_otherwise(database, ingest):
    ingest(rfc822_msg_id="Case@x.example")
    _, created = ingest(rfc822_msg_id="case@x.example")
    assert created  # Message-IDs are case-sensitive
    assert _count(database, Email) == 2


def test_an_external_id_finds_a_message_without_message_id(database, ingest):
    first, _ = ingest(source="google", external_ids=[("google", "g-1")])
    again, created = ingest(source="google", external_ids=[("google", "g-1")])
    assert not created
    assert again.id == first.id
    # A later post that knows the Message-ID and another system's id fills both in.
    later, created = ingest(
        rfc822_msg_id="<m@x.example>", external_ids=[("google", "g-1"), ("brightsync", "b-9")]
    )
    assert not created
    assert later.id == first.id
    assert later.rfc822_msg_id == "m@x.example"
    assert later.external_ids == (("google", "g-1"), ("brightsync", "b-9"))


def test_the_users_mail_sync_and_brightsync_meet_in_one_record(database, ingest):
    synced, _ = ingest(
        source="google", external_ids=[("google", "18f2a9")], rfc822_msg_id="<k@mail.example>"
    )
    posted, created = ingest(
        source="brightsync", external_ids=[("brightsync", "AAMk-1")], rfc822_msg_id="k@mail.example"
    )
    assert not created
    assert posted.id == synced.id
    assert posted.external_ids == (("google", "18f2a9"), ("brightsync", "AAMk-1"))
    # ... and the other way round for the next message.
    posted, _ = ingest(external_ids=[("brightsync", "AAMk-2")], rfc822_msg_id="k2@mail.example")
    synced, created = ingest(
        source="google", external_ids=[("google", "18f2b0")], rfc822_msg_id="<k2@mail.example>"
    )
    assert not created
    assert synced.id == posted.id
    assert _count(database, Email) == 2


def test_two_message_ids_are_two_messages_even_with_one_external_id(database, ingest):
    first, _ = ingest(rfc822_msg_id="one@x.example", external_ids=[("brightsync", "b-1")])
    second, created = ingest(rfc822_msg_id="two@x.example", external_ids=[("brightsync", "b-1")])
    assert created
    assert second.id != first.id
    assert second.external_ids == ()  # the id names one record: it stays with the first
    assert _count(database, ExternalId) == 1


def test_a_repeat_fills_in_what_is_empty_and_overwrites_nothing(database, ingest, crm, blobs):
    first, _ = ingest(
        rfc822_msg_id="r@x.example",
        subject="Original",
        text_body="Original body",
        from_address="ann@acme.example",
        to_addresses=(Mailbox("me@hearth.example"),),
        attachments=(AttachmentData(file_name="quote.pdf", content_type="application/pdf"),),
        external_ids=[("google", "g-1")],
    )
    again, created = ingest(
        rfc822_msg_id="r@x.example",
        subject="Changed",
        text_body="Changed body",
        html_body="<p>Original body</p>",
        from_address="bob@else.example",
        from_name="Ann Lee",
        to_addresses=(Mailbox("someone@else.example"),),
        cc_addresses=(Mailbox("bob@else.example", "Bob"),),
        received_at=T0,
        sync_thread_id="bs-1",
        in_reply_to="<parent@x.example>",
        references=("parent@x.example",),
        attachments=(AttachmentData(file_name="quote.pdf", content=b"%PDF-1.7"),),
        related_to=(EntityRef("contact", crm["bob"]),),
        external_ids=[("brightsync", "b-1")],
    )
    assert not created
    assert again.id == first.id
    # Kept: what was there.
    assert again.subject == "Original"
    assert again.text_body == "Original body"
    assert again.from_address == "ann@acme.example"
    assert again.addresses("to") == ["me@hearth.example"]
    # Filled: what was empty.
    assert again.html_body == "<p>Original body</p>"
    assert again.from_name == "Ann Lee"
    assert again.addresses("cc") == ["bob@else.example"]
    assert again.received_at == T0
    assert again.sync_thread_id == "bs-1"
    assert again.in_reply_to == "parent@x.example"
    assert again.references == ("parent@x.example",)
    assert again.external_ids == (("google", "g-1"), ("brightsync", "b-1"))
    attachment = again.attachments[0]
    assert attachment.document_id is not None
    assert attachment.content_type == "application/pdf"
    assert attachment.size == 8
    with database.read() as session:
        document = session.get(Document, attachment.document_id)
        assert blobs.read_bytes(document.sha256) == b"%PDF-1.7"
    # relatedTo adds explicit links; the email is now logged against Bob, not matched by address.
    assert [(link.type, link.id, link.origin) for link in again.links] == [
        ("contact", str(crm["bob"]), "explicit")
    ]


def test_bad_input_changes_nothing_even_on_a_repeat(database, ingest):
    first, _ = ingest(rfc822_msg_id="r@x.example")
    with pytest.raises(Invalid) as error:
        ingest(rfc822_msg_id="r@x.example", html_body="<p>x</p>", cc_addresses=(Mailbox("nope"),))
    assert error.value.field == "ccAddresses/0"
    with database.read() as session:
        assert get_email(session, first.id).html_body is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subject": None}, "subject"),
        ({"text_body": None}, "textBody"),
        ({"from_address": "not an address"}, "fromAddress"),
        ({"to_addresses": (Mailbox("a@x.example"), Mailbox("b@"))}, "toAddresses/1"),
        ({"rfc822_msg_id": "x" * 999}, "rfc822MsgId"),
        ({"attachments": (AttachmentData(size=3, content=b"ab"),)}, "attachments/0/size"),
        ({"related_to": (EntityRef("deal", 1),)}, "relatedTo/0/type"),
        ({"related_to": (EntityRef("contact", 999),)}, "relatedTo/0/id"),
        ({"received_at": datetime(2026, 7, 1)}, "receivedAt"),
    ],
)
def test_invalid_values_are_named(database, ingest, fields, field):
    with pytest.raises(Invalid) as error:
        ingest(**fields)
    assert error.value.field == field
    assert _count(database, Email) == 0


def test_empty_subject_and_body_are_fine_and_addresses_keep_their_shape(ingest):
    record, _ = ingest(
        subject="",
        text_body=None,
        html_body="",
        from_address="Root <root@corp.local>",
        to_addresses=(Mailbox("ops@localhost"),),
    )
    assert record.subject == ""
    assert record.from_address == "root@corp.local"
    assert record.from_name == "Root"
    assert record.addresses("to") == ["ops@localhost"]


# --- threads -------------------------------------------------------------------------------------


def test_sync_thread_ids_group_messages(database, ingest):
    a, _ = ingest(rfc822_msg_id="a@x", sync_thread_id="S1", received_at=T0, subject="Hello")
    b, _ = ingest(rfc822_msg_id="b@x", sync_thread_id="S1", received_at=T0 + timedelta(hours=1))
    c, _ = ingest(rfc822_msg_id="c@x", sync_thread_id="S2")
    assert a.thread_id == b.thread_id != c.thread_id
    assert _thread(database, a.thread_id) == ("sync:S1", "Hello", 2, T0 + timedelta(hours=1))


def test_a_new_message_starts_its_thread_with_its_own_figures(database, ingest):
    sent, _ = ingest(rfc822_msg_id="s@x", subject="Re: Fwd: Pricing", sent_at=T0)
    assert _thread(database, sent.thread_id) == ("s@x", "Pricing", 1, T0)
    received, _ = ingest(rfc822_msg_id="r@x", subject="Hi", received_at=T0, sent_at=T0 - HOUR)
    assert _thread(database, received.thread_id) == ("r@x", "Hi", 1, T0)
    bare, _ = ingest(rfc822_msg_id="b@x", subject="")
    assert _thread(database, bare.thread_id) == ("b@x", None, 1, None)


def test_replies_join_their_parents_thread_by_in_reply_to_or_references(database, ingest):
    root, _ = ingest(rfc822_msg_id="<root@x>", subject="Pricing", received_at=T0)
    reply, _ = ingest(rfc822_msg_id="r1@x", in_reply_to="<root@x>", subject="Re: Pricing")
    deeper, _ = ingest(rfc822_msg_id="r2@x", references=("<root@x> <r1@x>",))
    assert root.thread_id == reply.thread_id == deeper.thread_id
    key, subject, count, _ = _thread(database, root.thread_id)
    assert (key, subject, count) == ("root@x", "Pricing", 3)


def test_messages_arriving_out_of_order_end_in_one_thread(database, ingest):
    # The last reply arrives first, then the first reply (naming only its parent), then the root.
    r2, _ = ingest(
        rfc822_msg_id="r2@x",
        in_reply_to="r1@x",
        references=("<root@x>", "<r1@x>"),
        subject="Re: Re: Plan",
        received_at=T0 + timedelta(hours=2),
    )
    r1b, _ = ingest(  # a side branch that names only its parent
        rfc822_msg_id="r1b@x", in_reply_to="root@x", subject="Re: Plan"
    )
    r1, _ = ingest(rfc822_msg_id="r1@x", in_reply_to="root@x", received_at=T0 + timedelta(hours=1))
    root, _ = ingest(rfc822_msg_id="root@x", subject="Plan", received_at=T0)
    with database.read() as session:
        thread_ids = {get_email(session, e.id).thread_id for e in (r2, r1b, r1, root)}
    assert len(thread_ids) == 1
    (thread_id,) = thread_ids
    assert _thread(database, thread_id) == ("root@x", "Plan", 4, T0 + timedelta(hours=2))
    assert _count(database, EmailThread) == 1


def test_two_orphan_threads_merge_when_the_message_between_them_arrives(database, ingest):
    child, _ = ingest(rfc822_msg_id="c@x", in_reply_to="p@x")  # waits in thread "p@x"
    other, _ = ingest(rfc822_msg_id="o@x", in_reply_to="g@x")  # waits in thread "g@x"
    assert child.thread_id != other.thread_id
    parent, _ = ingest(rfc822_msg_id="p@x", in_reply_to="g@x")  # p's parent is g
    with database.read() as session:
        ids = {get_email(session, e.id).thread_id for e in (child, other, parent)}
    assert len(ids) == 1
    assert _count(database, EmailThread) == 1


def test_a_sync_thread_adopts_the_conversation_its_parent_is_in(database, ingest):
    root, _ = ingest(source="google", rfc822_msg_id="root@x", subject="Plan")
    reply, _ = ingest(rfc822_msg_id="r1@x", in_reply_to="root@x", sync_thread_id="S")
    later, _ = ingest(rfc822_msg_id="r9@x", sync_thread_id="S")  # names no parent
    assert root.thread_id == reply.thread_id == later.thread_id
    assert _thread(database, root.thread_id)[:3] == ("sync:S", "Plan", 3)


def test_threads_of_two_sync_ids_are_never_merged(ingest):
    a, _ = ingest(rfc822_msg_id="a@x", sync_thread_id="S1")
    b, _ = ingest(rfc822_msg_id="b@x", sync_thread_id="S2", in_reply_to="a@x")
    assert a.thread_id != b.thread_id


def test_a_message_without_any_id_gets_a_thread_of_its_own(database, ingest):
    first, _ = ingest()
    second, _ = ingest()
    assert first.id != second.id
    assert first.thread_id != second.thread_id
    assert _thread(database, first.thread_id)[0] == f"email:{first.id}"


def test_changing_threading_headers_moves_the_email_and_keeps_figures_right(database, ingest):
    a, _ = ingest(rfc822_msg_id="a@x", subject="A", received_at=T0)
    b, _ = ingest(rfc822_msg_id="b@x", subject="B", received_at=T0 + timedelta(hours=1))
    assert a.thread_id != b.thread_id
    with database.write() as session:
        moved = update_email(session, b.id, {"in_reply_to": "<a@x>"})
    assert moved.thread_id == a.thread_id
    assert _thread(database, a.thread_id) == ("a@x", "A", 2, T0 + timedelta(hours=1))
    with database.read() as session:
        assert session.get(EmailThread, b.thread_id) is None  # left empty, so deleted


# --- direction, links and the timeline -----------------------------------------------------------


def _links(record):
    return [(link.type, int(link.id), link.origin) for link in record.links]


def test_emails_link_to_contacts_by_any_address_ignoring_case_and_to_their_companies(
    database, ingest, crm
):
    record, _ = ingest(
        from_address="ANN@home.EXAMPLE",
        to_addresses=(Mailbox("me@hearth.example"),),
        cc_addresses=(Mailbox("someone@globex.example"), Mailbox("nobody@nowhere.example")),
    )
    assert _links(record) == [
        ("contact", crm["ann"], "matched"),
        ("company", crm["acme"], "matched"),  # Ann's company
        ("company", crm["globex"], "matched"),  # owns the domain of an address
    ]
    assert record.direction == "inbound"
    assert record.folder == "inbox"
    with database.read() as session:
        timeline = session.execute(
            select(Activity.contact_id, Activity.company_id, Activity.kind, Activity.title)
            .where(Activity.record_type == "email", Activity.record_id == record.id)
            .order_by(Activity.id)
        ).all()
    assert sorted(timeline, key=str) == sorted(
        [
            (crm["ann"], None, "email", "Pricing"),
            (None, crm["acme"], "email", "Pricing"),
            (None, crm["globex"], "email", "Pricing"),
        ],
        key=str,
    )


def test_mail_from_the_user_is_outbound_and_the_users_address_links_nothing(database, ingest, crm):
    with database.write() as session:
        create_company(session, {"name": "Hearth Inc", "domains": ["hearth.example"]})
    record, _ = ingest(
        from_address="ME@hearth.example", to_addresses=(Mailbox("bob@else.example"),)
    )
    assert record.direction == "outbound"
    assert record.folder == "sent"
    assert record.is_read
    assert _links(record) == [("contact", crm["bob"], "matched")]


def test_explicit_links_replace_matching_and_clearing_them_brings_it_back(database, ingest, crm):
    record, _ = ingest(from_address="ann@acme.example")
    assert ("contact", crm["ann"], "matched") in _links(record)
    with database.write() as session:
        linked = update_email(
            session, record.id, {"related_to": (EntityRef("contact", crm["bob"]),)}
        )
    assert _links(linked) == [("contact", crm["bob"], "explicit")]
    with database.write() as session:
        cleared = update_email(session, record.id, {"related_to": None})
    assert _links(cleared) == [
        ("contact", crm["ann"], "matched"),
        ("company", crm["acme"], "matched"),
    ]
    assert _count(database, Activity, Activity.contact_id == crm["bob"]) == 0


def test_changing_addresses_redoes_the_matched_links_and_the_timeline(database, ingest, crm):
    record, _ = ingest(from_address="ann@acme.example")
    with database.write() as session:
        changed = update_email(session, record.id, {"from_address": "bob@else.example"})
    assert _links(changed) == [("contact", crm["bob"], "matched")]
    assert _count(database, Activity, Activity.contact_id == crm["ann"]) == 0
    assert _count(database, Activity, Activity.contact_id == crm["bob"]) == 1
    assert _count(database, RecordLink, RecordLink.record_id == record.id) == 1


def test_a_repeat_links_a_contact_created_since(database, ingest, crm):
    record, _ = ingest(rfc822_msg_id="m@x", from_address="new.person@nowhere.example")
    assert record.links == ()
    with database.write() as session:
        new = create_contact(
            session, {"first_name": "New", "email_addresses": ["New.Person@nowhere.example"]}, "US"
        )
    again, _ = ingest(rfc822_msg_id="m@x")
    assert _links(again) == [("contact", new.id, "matched")]


# --- updates -------------------------------------------------------------------------------------


def test_the_key_can_change_but_not_to_another_emails_or_to_nothing(database, ingest):
    a, _ = ingest(rfc822_msg_id="a@x")
    b, _ = ingest(rfc822_msg_id="b@x")
    with database.write() as session, pytest.raises(Conflict):
        update_email(session, b.id, {"rfc822_msg_id": "<a@x>"})
    with database.write() as session, pytest.raises(Invalid) as error:
        update_email(session, b.id, {"rfc822_msg_id": None})
    assert error.value.field == "rfc822MsgId"
    with database.write() as session:
        assert update_email(session, b.id, {"rfc822_msg_id": "c@x"}).rfc822_msg_id == "c@x"
    assert a.rfc822_msg_id == "a@x"


def test_the_subject_and_the_last_body_cannot_be_cleared(database, ingest):
    record, _ = ingest(text_body="text", html_body="<p>html</p>")
    with database.write() as session:
        assert update_email(session, record.id, {"html_body": None}).html_body is None
    for changes, field in (({"subject": None}, "subject"), ({"text_body": None}, "textBody")):
        with database.write() as session, pytest.raises(Invalid) as error:
            update_email(session, record.id, changes)
        assert error.value.field == field


def test_external_ids_are_replaced_per_source(database, ingest):
    a, _ = ingest(external_ids=[("brightsync", "b-1"), ("google", "g-1")])
    b, _ = ingest(external_ids=[("brightsync", "b-2")])
    with database.write() as session, pytest.raises(Conflict):
        update_email(session, a.id, {"external_ids": {"brightsync": "b-2"}})
    with database.write() as session:
        changed = update_email(session, a.id, {"external_ids": {"brightsync": "b-3"}})
    assert changed.external_ids == (("google", "g-1"), ("brightsync", "b-3"))
    with database.write() as session:
        cleared = update_email(session, a.id, {"external_ids": {"brightsync": None}})
    assert cleared.external_ids == (("google", "g-1"),)
    assert b.external_ids == (("brightsync", "b-2"),)


def test_replace_clears_what_is_not_given_but_keeps_the_key(database, ingest, crm):
    record, _ = ingest(
        rfc822_msg_id="k@x",
        html_body="<p>x</p>",
        from_address="ann@acme.example",
        received_at=T0,
        related_to=(EntityRef("company", crm["globex"]),),
        external_ids=[("brightsync", "b-1")],
    )
    with database.write() as session:
        replaced = replace_email(
            session,
            record.id,
            EmailData(subject="New", text_body="Only this"),
            external_ids={"brightsync": None},
        )
    assert replaced.rfc822_msg_id == "k@x"
    assert (replaced.subject, replaced.text_body, replaced.html_body) == ("New", "Only this", None)
    assert replaced.from_address is None
    assert replaced.received_at is None
    assert replaced.external_ids == ()
    assert replaced.links == ()  # no explicit links and no addresses to match


def test_attachments_keep_content_in_the_store_and_replacing_them_drops_documents(
    database, ingest, blobs
):
    record, _ = ingest(
        attachments=(
            AttachmentData(file_name="a.txt", content_type="text/plain", content=b"alpha"),
            AttachmentData(file_name="b.png", inline=True, content_id="img1", external_id="att-2"),
        )
    )
    first, second = record.attachments
    assert (first.size, second.document_id, second.inline, second.external_id) == (
        5,
        None,
        True,
        "att-2",
    )
    with database.read() as session:
        document = session.get(Document, first.document_id)
        assert (document.status, document.source, document.file_name) == ("ready", "email", "a.txt")
        sha256 = document.sha256
        assert session.get(Blob, sha256).size == 5
    assert blobs.read_bytes(sha256) == b"alpha"
    # Sending back the first (by documentId) keeps its content; the second goes.
    with database.write() as session:
        kept = update_email(
            session,
            record.id,
            {"attachments": (AttachmentData(file_name="a.txt", document_id=first.document_id),)},
        )
    assert [a.document_id for a in kept.attachments] == [first.document_id]
    with database.write() as session:
        emptied = update_email(session, record.id, {"attachments": None})
    assert emptied.attachments == ()
    assert not emptied.has_attachments
    assert _count(database, Document) == 0
    assert blobs.exists(sha256)  # blobs are shared and collected separately


def test_a_document_id_must_be_one_of_the_emails_own(database, ingest):
    other, _ = ingest(attachments=(AttachmentData(file_name="x", content=b"x"),))
    record, _ = ingest()
    with database.write() as session, pytest.raises(Invalid) as error:
        update_email(
            session,
            record.id,
            {"attachments": (AttachmentData(document_id=other.attachments[0].document_id),)},
        )
    assert error.value.field == "attachments/0/documentId"


def test_long_message_ids_still_thread(database, ingest):
    root_id = "r" * 600 + "@x"  # Message-IDs may be longer than a thread key
    child, _ = ingest(rfc822_msg_id="c@x", references=(f"<{root_id}>",))  # waits for the root
    root, _ = ingest(rfc822_msg_id=root_id)
    assert root.thread_id == child.thread_id
    assert _thread(database, root.thread_id)[0].startswith("sha256:")


def test_nul_characters_are_dropped(ingest):
    record, _ = ingest(subject="Pri\x00cing", text_body="a\x00b", from_name="A\x00nn")
    assert (record.subject, record.text_body, record.from_name) == ("Pricing", "ab", "Ann")


def test_two_writers_of_the_same_message_make_one_record(database, blobs):
    """A retry racing the original request: the second writer waits for the first (the row lock
    on PostgreSQL, the writer queue on SQLite) and then finds its record."""
    import threading

    data = _data(rfc822_msg_id="race@x", sync_thread_id="S")
    results = []

    def second() -> None:
        with database.write() as session:
            results.append(
                ingest_email(session, data, source="google", external_ids=[("google", "g")])
            )

    with database.write() as session:
        first, created = ingest_email(
            session, data, source="brightsync", external_ids=[("brightsync", "b")], blobs=blobs
        )
        assert created
        racer = threading.Thread(target=second)
        racer.start()
        racer.join(timeout=1)  # it cannot finish while this transaction is open
        assert racer.is_alive()
    racer.join(timeout=30)
    ((record, created),) = results
    assert not created
    assert record.id == first.id
    assert record.external_ids == (("brightsync", "b"), ("google", "g"))
    assert _count(database, Email) == 1
    assert _count(database, EmailThread) == 1
