"""From ``POST /contacts/email`` to an email, over HTTP, on SQLite and PostgreSQL: what the
processing makes of a post, repeats, failures kept and retried, and recovery after a restart."""

from __future__ import annotations

import copy
import time
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import func, select, text

from core.models import Activity, Email, IntakeItem
from core.runtime import open_core
from embedded_api.app import create_app
from embedded_api.server import ApiServer
from tests.embedded_api.test_contact_center_email import TARGET, VALID
from tests.support.factories import api_company, api_contact

INTAKE = "/api/v1/contact-center/intake"
AGENT, PARTICIPANT = "agent1@xyz.example", "ps1@acmecorp.example"


@pytest.fixture
def target(client):
    client.post("/api/v1/contact-center/targets", json=TARGET).raise_for_status()


def _post(client, metadata=None, **data):
    body = copy.deepcopy(VALID)
    body["metadata"].update(metadata or {})
    body["data"].update(data)
    response = client.post("/contacts/email", json=body)
    assert response.status_code == 202, response.text
    assert response.json() == {"status": 202, "message": "accepted"}
    return body["data"]["msgId"]


def wait_for(check, timeout=10.0):
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {timeout} s")
        time.sleep(0.02)


def _item(client, msg_id, status="done"):
    """The intake item of ``msg_id`` once it has ``status``."""

    def check():
        items = client.get(INTAKE, params={"limit": 500}).json()["items"]
        return next((i for i in items if i["msgId"] == msg_id and i["status"] == status), None)

    return wait_for(check)


def _email(client, msg_id):
    item = _item(client, msg_id)
    response = client.get(f"/api/v1/emails/{item['emailId']}")
    assert response.status_code == 200, response.text
    return response.json()


def test_an_agents_email_becomes_an_outbound_email(hearth, client, target):
    email = _email(
        client,
        _post(
            client,
            cc=["boss@acmecorp.example"],
            bcc=["audit@xyz.example"],
            sub="Re: Goods Delivery Status",
        ),
    )
    data = VALID["data"]
    assert email["source"] == "contact_center"
    assert email["subject"] == "Re: Goods Delivery Status"
    assert email["textBody"] == data["body"]
    assert email["htmlBody"] is None
    assert email["fromAddress"] == AGENT
    assert email["toAddresses"] == data["to"]
    assert email["ccAddresses"] == ["boss@acmecorp.example"]
    assert email["bccAddresses"] == ["audit@xyz.example"]
    assert email["sentAt"] == email["receivedAt"] == "2020-01-01T00:00:00.000Z"  # ts
    assert (email["direction"], email["folder"], email["isRead"]) == ("outbound", "sent", True)
    assert email["syncThreadId"] == f"contact-center:{data['convId']}"
    with hearth.database.read() as session:
        extra = session.get(Email, int(email["id"])).extra["contactCenter"]
    assert extra == {
        **TARGET,
        "convId": data["convId"],
        "msgId": data["msgId"],
        "journeyId": data["journeyId"],
        "lang": "us-en",
        "agentId": "Agent1",
        "agentEmailId": AGENT,
        "psId": "Participant1",
        "psEmailId": PARTICIPANT,
        "metadataMap": {"custom-test-key-3": "custom-test-value-3"},
    }
    assert email["contactCenter"] == extra  # visible over the API too


def test_a_participants_email_is_inbound_and_html_is_kept_as_html(client, target):
    email = _email(
        client,
        _post(client, **{"from": PARTICIPANT, "to": [AGENT], "body": "<p>Where is <b>it</b>?</p>"}),
    )
    assert (email["direction"], email["folder"], email["isRead"]) == ("inbound", "inbox", False)
    assert email["htmlBody"] == "<p>Where is <b>it</b>?</p>"
    assert email["textBody"] is None


def test_a_conversation_is_one_thread(client, target):
    conversation = VALID["data"]["convId"]
    first = _email(client, _post(client))
    reply = _email(client, _post(client, msgId="reply-1", **{"from": PARTICIPANT, "to": [AGENT]}))
    other = _email(client, _post(client, msgId="other-1", convId="another-conversation"))
    assert first["threadId"] == reply["threadId"] != other["threadId"]
    assert reply["syncThreadId"] == f"contact-center:{conversation}"


def test_the_participant_is_linked_by_ps_email_id(hearth, client, target):
    company = api_company(client, "Acme", ["acmecorp.example"])
    contact = api_contact(client, emailAddresses=["PS1@AcmeCorp.example"], companyId=company["id"])
    email = _email(client, _post(client))
    linked = {(link["type"], link["id"]) for link in email["relatedTo"]}
    assert ("contact", contact["id"]) in linked
    assert ("company", company["id"]) in linked
    with hearth.database.read() as session:
        entries = session.execute(
            select(Activity.kind, Activity.contact_id, Activity.company_id, Activity.data)
            .where(Activity.record_type == "email", Activity.record_id == int(email["id"]))
            .order_by(Activity.id)
        ).all()
    # One timeline entry for the participant (with their company), none generic.
    assert [(kind, c, co) for kind, c, co, _ in entries] == [
        ("contact_center_email", int(contact["id"]), int(company["id"]))
    ]
    data = entries[0][3]
    assert data["direction"] == "outbound"
    assert (data["tenantName"], data["convId"]) == ("Acme Corp", VALID["data"]["convId"])
    assert data["metadataMap"] == {"custom-test-key-3": "custom-test-value-3"}


def test_the_participant_is_linked_even_when_not_on_the_message(client, target):
    contact = api_contact(client, emailAddresses=[PARTICIPANT])
    other = api_contact(client, firstName="Dana", emailAddresses=["dana@elsewhere.example"])
    email = _email(client, _post(client, to=["dana@elsewhere.example"]))
    assert {(link["type"], link["id"]) for link in email["relatedTo"]} == {
        ("contact", contact["id"]),
        ("contact", other["id"]),
    }


def test_a_repeated_msg_id_changes_nothing(hearth, client, target):
    msg_id = _post(client)
    first = _email(client, msg_id)
    _post(client, sub="Changed subject")
    _post(client)
    item = _item(client, msg_id)
    assert client.get(INTAKE).json()["total"] == 1
    assert item["attempts"] == 1
    assert client.get(f"/api/v1/emails/{first['id']}").json()["subject"] == first["subject"]
    with hearth.database.read() as session:
        assert session.scalar(select(func.count()).select_from(Email)) == 1


def test_an_item_shows_its_payload(client, target):
    msg_id = _post(client)
    item = _item(client, msg_id)
    detail = client.get(f"{INTAKE}/{item['id']}").json()
    assert detail["payload"]["data"]["body"] == VALID["data"]["body"]
    assert detail["payload"]["metadata"]["metadataMap"] == VALID["metadata"]["metadataMap"]
    assert detail["status"] == "done"
    assert client.get(f"{INTAKE}/999999").status_code == 404
    assert client.get(INTAKE, params={"status": "nonsense"}).status_code == 422


@contextmanager
def _refusing_emails(hearth, subject):
    """Make the database refuse to store an email with this subject (a real failure deep in the
    processing, not a mock): a trigger, dropped at the end."""
    sqlite = hearth.database.is_sqlite
    with hearth.database.write() as session:
        if sqlite:
            session.execute(
                text(
                    "CREATE TRIGGER refuse_email BEFORE INSERT ON emails "
                    f"WHEN NEW.subject = '{subject}' BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
                )
            )
        else:
            session.execute(
                text(
                    "CREATE FUNCTION refuse_email() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.subject = '{subject}' THEN RAISE EXCEPTION 'disk says no'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            session.execute(
                text(
                    "CREATE TRIGGER refuse_email BEFORE INSERT ON emails "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_email()"
                )
            )
    try:
        yield
    finally:
        with hearth.database.write() as session:
            if sqlite:
                session.execute(text("DROP TRIGGER refuse_email"))
            else:
                session.execute(text("DROP TRIGGER refuse_email ON emails"))
                session.execute(text("DROP FUNCTION refuse_email()"))


def test_a_failed_email_is_kept_visible_and_can_be_retried(hearth, client, target):
    with _refusing_emails(hearth, "Broken"):
        broken = _post(client, msgId="broken-1", sub="Broken")
        failed = _item(client, broken, status="failed")
        fine = _email(client, _post(client, msgId="fine-1"))  # one failure blocks nothing
        assert "disk says no" in failed["error"]
        assert failed["emailId"] is None
        assert failed["attempts"] == 1
        listed = client.get(INTAKE, params={"status": "failed"}).json()
        assert [i["msgId"] for i in listed["items"]] == [broken]
        with hearth.database.read() as session:
            assert session.scalar(select(func.count()).select_from(Email)) == 1  # nothing half

    retried = client.post(f"{INTAKE}/{failed['id']}/retry")
    assert retried.status_code == 202, retried.text
    done = _item(client, broken)
    assert done["error"] is None
    assert done["attempts"] == 2
    assert client.get(f"/api/v1/emails/{done['emailId']}").json()["subject"] == "Broken"
    assert fine["subject"] == VALID["data"]["sub"]
    again = client.post(f"{INTAKE}/{failed['id']}/retry")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


def test_accepted_emails_survive_a_restart(hearth, api_key, data_dir, database_url):
    """Accepted while the processor is not running (as if Hearth crashed right after the 202),
    processed when it next starts."""
    server = ApiServer(create_app(hearth), "127.0.0.1", 0)
    server.start()
    try:
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {api_key}"}, timeout=10
        ) as client:
            client.post("/api/v1/contact-center/targets", json=TARGET).raise_for_status()
            msg_id = _post(client)
    finally:
        server.stop()
    with hearth.database.read() as session:
        assert session.scalars(select(IntakeItem.status)).all() == ["pending"]
    hearth.close()

    reopened = open_core(data_dir, {"HEARTH_DATABASE_URL": database_url}, {"server.port": 0})
    try:
        reopened.intake.start()

        def processed_email_id():
            with reopened.database.read() as session:
                return session.scalar(
                    select(IntakeItem.email_id).where(
                        IntakeItem.external_id == msg_id, IntakeItem.status == "done"
                    )
                )

        email_id = wait_for(processed_email_id)
        with reopened.database.read() as session:
            assert session.get(Email, email_id).subject == VALID["data"]["sub"]
    finally:
        reopened.close()
    assert not reopened.intake.is_running
