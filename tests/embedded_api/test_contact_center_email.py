"""``POST /contacts/email`` (spec 001) over HTTP: what is accepted, what is refused and how.

Every refusal is the spec's envelope ``{"status", "errors": [{"type", "title", "detail"}]}`` with
``title`` naming the field, and leaves nothing queued. These rules are checked before anything is
stored, so they run on SQLite only, against one server for the module (a refusal writes nothing,
an acceptance only queues); the storage side runs on both databases in
``test_contact_center_intake.py``.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pytest

from core.db import sqlite_url
from core.runtime import open_core
from core.services.api_keys import create_api_key
from embedded_api.app import create_app
from embedded_api.server import ApiServer

PAYLOAD_ERROR = "/errors/contact-payload"
TARGET = {"tenantName": "Acme Corp", "orgName": "Sales", "catName": "Leads"}
VALID = {
    "metadata": {**TARGET, "metadataMap": {"custom-test-key-3": "custom-test-value-3"}},
    "data": {
        "convId": "0238ef3c-4252-11ea-b77f-2e728ce88125",
        "msgId": "0238f22a-4252-11ea-b77f-2e728ce88125",
        "lang": "us-en",
        "sub": "Goods Delivery Status",
        "ts": 1577836800000,
        "body": "Hi John, I'm writing to enquire about my delivery status",
        "agentId": "Agent1",
        "psId": "Participant1",
        "agentEmailId": "agent1@xyz.example",
        "psEmailId": "ps1@acmecorp.example",
        "from": "agent1@xyz.example",
        "to": ["ps1@acmecorp.example", "ps2@acmecorp.example"],
        "journeyId": "02d8f01e-42b0-11ea-b77f-2e728ce88125",
    },
}
MANDATORY_DATA = [
    "convId",
    "msgId",
    "lang",
    "sub",
    "ts",
    "body",
    "agentId",
    "psId",
    "agentEmailId",
    "psEmailId",
    "from",
    "to",
]


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="module")
def shared(tmp_path_factory, sqlite_template) -> Iterator[SimpleNamespace]:
    """One Hearth for the module: its server, a key, a client, the target of ``VALID``."""
    root = tmp_path_factory.mktemp("contact-center-email")
    shutil.copyfile(sqlite_template, root / "hearth.sqlite3")
    env = {"HEARTH_DATABASE_URL": sqlite_url(root / "hearth.sqlite3")}
    core = open_core(root / "data", env, {"server.port": 0})
    server = ApiServer(create_app(core), "127.0.0.1", 0)
    try:
        with core.database.write() as session:
            _, key = create_api_key(session, "tests")
        server.start()
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
            http.post("/api/v1/contact-center/targets", json=TARGET).raise_for_status()
            yield SimpleNamespace(server=server, key=key, client=http)
    finally:
        server.stop()
        core.close()


@pytest.fixture
def client(shared) -> httpx.Client:
    return shared.client


@pytest.fixture
def server(shared) -> ApiServer:
    return shared.server


@pytest.fixture
def api_key(shared) -> str:
    return shared.key


@pytest.fixture
def target() -> dict:
    """The target ``VALID`` posts to (made once for the module)."""
    return TARGET


def _payload(metadata=None, **data):
    body = copy.deepcopy(VALID)
    body["metadata"].update(metadata or {})
    body["data"].update(data)
    return body


def _without(body, section, name):
    body = copy.deepcopy(body)
    del body[section][name]
    return body


def _queued(client) -> int:
    return client.get("/api/v1/contact-center/intake").json()["total"]


def _refused(client, body, status=400, **request):
    """Post ``body`` (or raw ``content``); assert the envelope and that nothing was queued; return
    the errors."""
    if "content" not in request:
        request["json"] = body
    before = _queued(client)
    response = client.post("/contacts/email", **request)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert set(answer) == {"status", "errors"}
    assert answer["status"] == status
    assert answer["errors"]
    for error in answer["errors"]:
        assert set(error) == {"type", "title", "detail"}
        assert error["detail"]
    assert _queued(client) == before
    return answer["errors"]


def _accepted(client, body):
    response = client.post("/contacts/email", json=body)
    assert response.status_code == 202, response.text
    assert response.json() == {"status": 202, "message": "accepted"}


def _queued_item(client, msg_id):
    items = client.get("/api/v1/contact-center/intake", params={"limit": 500}).json()["items"]
    return next(item for item in items if item["msgId"] == msg_id)


def test_the_spec_example_is_accepted_and_queued(client, target):
    _accepted(client, VALID)
    item = _queued_item(client, VALID["data"]["msgId"])
    assert item["convId"] == VALID["data"]["convId"]
    assert (item["tenantName"], item["orgName"], item["catName"]) == tuple(TARGET.values())


def test_x_api_key_is_accepted_too(server, api_key, target):
    response = httpx.post(
        server.url + "/contacts/email", json=VALID, headers={"X-API-Key": api_key}
    )
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("name", MANDATORY_DATA)
def test_each_mandatory_data_attribute_is_required(client, target, name):
    errors = _refused(client, _without(VALID, "data", name))
    assert errors == [{"type": PAYLOAD_ERROR, "title": f"data.{name}", "detail": "is required"}]


@pytest.mark.parametrize("name", ["tenantName", "orgName", "catName"])
def test_each_mandatory_metadata_attribute_is_required(client, target, name):
    errors = _refused(client, _without(VALID, "metadata", name))
    assert [(e["title"], e["detail"]) for e in errors] == [(f"metadata.{name}", "is required")]


@pytest.mark.parametrize("section", ["metadata", "data"])
def test_each_section_is_required_and_an_object(client, target, section):
    missing = {name: value for name, value in VALID.items() if name != section}
    assert _refused(client, missing) == [
        {"type": PAYLOAD_ERROR, "title": section, "detail": "is required"}
    ]
    wrong = {**copy.deepcopy(VALID), section: ["not", "an", "object"]}
    assert _refused(client, wrong) == [
        {"type": PAYLOAD_ERROR, "title": section, "detail": "must be a JSON object"}
    ]


@pytest.mark.parametrize(
    ("name", "value", "detail"),
    [
        ("sub", 5, "must be a string"),
        ("body", ["text"], "must be a string"),
        ("lang", None, "must be a string"),
        ("from", {"address": "a@x.example"}, "must be a string"),
        ("ts", "1577836800000", "must be a whole number of epoch milliseconds"),
        ("ts", 1577836800000.5, "must be a whole number of epoch milliseconds"),
        ("ts", True, "must be a whole number of epoch milliseconds"),
        ("to", "ps1@acmecorp.example", "must be an array of email addresses"),
        ("cc", "ps1@acmecorp.example", "must be an array of email addresses"),
        ("agentId", True, "must be a string"),
        ("psId", ["P1"], "must be a string"),
        ("msgId", 1.5, "must be a string"),
        ("journeyId", {}, "must be a string"),
    ],
)
def test_wrong_types_are_refused_naming_the_field(client, target, name, value, detail):
    errors = _refused(client, _payload(**{name: value}))
    assert errors == [{"type": PAYLOAD_ERROR, "title": f"data.{name}", "detail": detail}]


def test_addresses_in_arrays_are_checked_one_by_one(client, target):
    errors = _refused(client, _payload(to=["ok@x.example", 7], bcc=["fine@x.example", "nope"]))
    assert [(e["title"], e["detail"]) for e in errors] == [
        ("data.to[1]", "must be a string"),
    ]
    errors = _refused(client, _payload(bcc=["fine@x.example", "nope"]))
    assert [e["title"] for e in errors] == ["data.bcc[1]"]
    assert "not an email address" in errors[0]["detail"]


def test_a_metadata_name_of_the_wrong_type_is_named(client, target):
    errors = _refused(client, _payload({"tenantName": 42}))
    assert [(e["title"], e["detail"]) for e in errors] == [
        ("metadata.tenantName", "must be a string")
    ]


def test_identifiers_may_be_whole_numbers(client, target):
    _accepted(client, _payload(agentId=42, psId=7, msgId=123456, convId=99))
    assert _queued_item(client, "123456")["convId"] == "99"


@pytest.mark.parametrize("name", ["agentId", "psId", "msgId", "convId", "from"])
def test_mandatory_strings_may_not_be_empty(client, target, name):
    errors = _refused(client, _payload(**{name: "   "}))
    assert [(e["title"], e["detail"]) for e in errors] == [(f"data.{name}", "may not be empty")]


def test_subject_and_body_may_be_empty(client, target):
    _accepted(client, _payload(sub="", body=""))


def test_to_needs_at_least_one_address(client, target):
    errors = _refused(client, _payload(to=[]))
    assert errors[0]["title"] == "data.to"


def _address(length: int) -> str:
    domain = "@acmecorp.example"
    return "a" * (length - len(domain)) + domain


LIMITS = [
    ("sub", 78, lambda n: "s" * n),
    ("msgId", 36, lambda n: "m" * n),
    ("agentId", 50, lambda n: "a" * n),
    ("psId", 50, lambda n: "p" * n),
    ("convId", 256, lambda n: "c" * n),
    ("journeyId", 256, lambda n: "j" * n),
    ("agentEmailId", 256, _address),
    ("psEmailId", 256, _address),
    ("from", 256, _address),
]


@pytest.mark.parametrize(("name", "limit", "make"), LIMITS, ids=[n for n, _, _ in LIMITS])
def test_lengths_at_the_limit_are_accepted_and_one_over_refused(client, target, name, limit, make):
    errors = _refused(client, _payload(**{name: make(limit + 1)}))
    assert errors == [
        {
            "type": PAYLOAD_ERROR,
            "title": f"data.{name}",
            "detail": f"at most {limit} characters (got {limit + 1})",
        }
    ]
    _accepted(client, _payload(**{name: make(limit)}))


def test_recipient_lengths_are_limited_too(client, target):
    errors = _refused(client, _payload(to=["ok@x.example", _address(257)]))
    assert [(e["title"], e["detail"]) for e in errors] == [
        ("data.to[1]", "at most 256 characters (got 257)")
    ]
    _accepted(client, _payload(to=["ok@x.example", _address(256)]))


@pytest.mark.parametrize("name", ["tenantName", "orgName", "catName"])
def test_names_have_at_most_128_characters(client, target, name):
    long_target = {**TARGET, name: "n" * 128}
    assert client.post("/api/v1/contact-center/targets", json=long_target).status_code == 201
    errors = _refused(client, _payload({name: "n" * 129}))
    assert errors == [
        {
            "type": PAYLOAD_ERROR,
            "title": f"metadata.{name}",
            "detail": "at most 128 characters (got 129)",
        }
    ]
    _accepted(client, _payload({name: "n" * 128}))


def test_the_body_has_at_most_one_megabyte_of_utf8(client, target):
    megabyte = 1024 * 1024
    errors = _refused(client, _payload(body="é" * (megabyte // 2) + "x"))
    assert [e["title"] for e in errors] == ["data.body"]
    assert f"got {megabyte + 1}" in errors[0]["detail"]
    _accepted(client, _payload(body="é" * (megabyte // 2)))
    _accepted(client, _payload(msgId="ascii-body", body="x" * megabyte))


@pytest.mark.parametrize("lang", ["fr-fr", "us", "en_US"])
def test_lang_must_be_a_configured_language(client, target, lang):
    errors = _refused(client, _payload(lang=lang))
    assert errors == [
        {
            "type": PAYLOAD_ERROR,
            "title": "data.lang",
            "detail": "must be one of us-en, au-en, gb-en",
        }
    ]
    errors = _refused(client, _payload(lang="english"))
    assert [(e["title"], e["detail"]) for e in errors] == [
        ("data.lang", "at most 5 characters (got 7)")
    ]


def test_lang_ignores_case(client, target):
    _accepted(client, _payload(lang="GB-en"))


def test_the_languages_are_a_setting(tmp_path, database_url):
    env = {"HEARTH_DATABASE_URL": database_url, "HEARTH_CONTACT_CENTER_LANGUAGES": "fr-fr,de-de"}
    core = open_core(tmp_path / "data", env, {"server.port": 0})
    server = ApiServer(create_app(core), "127.0.0.1", 0)
    try:
        with core.database.write() as session:
            _, key = create_api_key(session, "tests")
        server.start()
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}
        ) as client:
            client.post("/api/v1/contact-center/targets", json=TARGET).raise_for_status()
            errors = _refused(client, _payload(lang="us-en"))
            assert errors[0]["detail"] == "must be one of fr-fr, de-de"
            _accepted(client, _payload(lang="fr-fr"))
    finally:
        server.stop()
        core.close()


@pytest.mark.parametrize(
    ("ts", "detail"),
    [
        (1577836800, "seconds?"),
        (-1, "seconds?"),
        (253402300800000, "before the year 10000"),
    ],
)
def test_ts_must_be_plausible_epoch_milliseconds(client, target, ts, detail):
    errors = _refused(client, _payload(ts=ts))
    assert [e["title"] for e in errors] == ["data.ts"]
    assert detail in errors[0]["detail"]


def test_metadata_map_takes_at_most_50_keys(client, target):
    fifty = {f"key-{i}": f"value {i}" for i in range(50)}
    errors = _refused(client, _payload({"metadataMap": {**fifty, "one-too-many": "x"}}))
    assert errors == [
        {
            "type": PAYLOAD_ERROR,
            "title": "metadata.metadataMap",
            "detail": "at most 50 keys per category (got 51)",
        }
    ]
    _accepted(client, _payload({"metadataMap": fifty}))


@pytest.mark.parametrize(
    "key", ["agentId", "AGENT_ID", "msg-id", "tenantName", "direction", "contactId", "hearthNote"]
)
def test_restricted_metadata_keys_are_refused(client, target, key):
    errors = _refused(client, _payload({"metadataMap": {"fine": "x", key: "y"}}))
    assert errors == [
        {
            "type": PAYLOAD_ERROR,
            "title": f"metadata.metadataMap.{key}",
            "detail": "is a restricted metadata key",
        }
    ]


def test_metadata_values_are_strings(client, target):
    errors = _refused(client, _payload({"metadataMap": {"count": 3}}))
    assert [(e["title"], e["detail"]) for e in errors] == [
        ("metadata.metadataMap.count", "must be a string")
    ]
    errors = _refused(client, _payload({"metadataMap": ["a", "b"]}))
    assert [e["title"] for e in errors] == ["metadata.metadataMap"]


def test_an_unknown_target_is_the_specs_error(client, target):
    before = _queued(client)
    response = client.post("/contacts/email", json=_payload({"catName": "Support"}))
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "errors": [
            {
                "type": PAYLOAD_ERROR,
                "title": "entity-identifier",
                "detail": "tenant/org/cat not found!",
            }
        ],
    }
    assert _queued(client) == before


def test_target_names_must_match_exactly(client, target):
    assert _refused(client, _payload({"tenantName": "acme corp"}))[0]["title"] == (
        "entity-identifier"
    )
    _accepted(client, _payload({"tenantName": "  Acme Corp "}))


def test_every_problem_is_reported_at_once(client, target):
    body = _payload({"tenantName": "Nobody", "metadataMap": {"agentId": "x"}}, lang="xx-yy")
    body["data"]["to"] = ["ok@x.example", "not an address"]
    titles = [e["title"] for e in _refused(client, body)]
    assert titles == [
        "data.lang",
        "data.to[1]",
        "metadata.metadataMap.agentId",
        "entity-identifier",
    ]


def test_attributes_the_spec_does_not_name_are_ignored(client, target):
    body = _payload(attachments=[{"name": "x"}])
    body["extra"] = True
    _accepted(client, body)


def test_without_a_valid_key_it_is_a_401_envelope_before_anything_else(server, target):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"}):
        for content in (json.dumps(VALID).encode(), b'{"metadata": '):
            response = httpx.post(
                server.url + "/contacts/email",
                content=content,
                headers={**headers, "Content-Type": "application/json"},
            )
            assert response.status_code == 401
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.json() == {
                "status": 401,
                "errors": [
                    {
                        "type": "/errors/unauthorized",
                        "title": "authorization",
                        "detail": "a valid API key is required: Authorization: Bearer KEY "
                        "or X-API-Key: KEY",
                    }
                ],
            }


def test_malformed_json_is_a_400_envelope(client, target):
    errors = _refused(
        client, None, content=b'{"metadata": {', headers={"Content-Type": "application/json"}
    )
    assert len(errors) == 1
    assert errors[0]["type"] == PAYLOAD_ERROR
    assert errors[0]["title"] == "body"
    assert errors[0]["detail"].startswith("the request body is not valid JSON")


def test_a_body_that_is_not_json_is_refused_in_the_envelope(client, target):
    errors = _refused(
        client, None, content=b"a=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert errors[0]["detail"] == "send the email as JSON, with Content-Type: application/json"
    errors = _refused(client, None, content=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert errors[0]["title"] == "body"
    errors = _refused(client, None, content=b"", headers={"Content-Type": "application/json"})
    assert errors[0]["detail"] == "the request body is empty: send the email as JSON"


def test_json_without_a_content_type_is_read_as_json(client, target):
    response = client.post("/contacts/email", content=json.dumps(VALID).encode())
    assert response.status_code == 202, response.text


def test_other_methods_are_a_405_envelope(client):
    response = client.get("/contacts/email")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["title"] == "method"


def test_the_openapi_document_describes_the_rules(client):
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/contacts/email"]["post"]
    assert "202" in operation["responses"]
    assert {"400", "401", "503"} <= set(operation["responses"])
    for restricted in ("`agentId`", "`tenantName`", "`direction`", "hearth"):
        assert restricted in operation["description"]
    assert "tenant/org/cat not found!" in operation["description"]
