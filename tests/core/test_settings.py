"""Settings: defaults, config.toml, HEARTH_* overrides, and errors that say what and where."""

from __future__ import annotations

import pytest

from core.errors import Invalid
from core.settings import Settings, describe_settings, load_settings


def _write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path):
    settings = load_settings(tmp_path / "missing.toml", {})
    assert settings == Settings()
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8765
    assert settings.google.token_url == "https://oauth2.googleapis.com/token"
    assert settings.enginy.api_key_header == "X-API-Key"


def test_the_file_then_the_environment_then_overrides(tmp_path):
    config = _write(
        tmp_path,
        """
[server]
port = 9000
max_body_bytes = 2048

[crm]
default_phone_region = "GB"

[providers.google]
gmail_api = "http://127.0.0.1:9100/gmail/v1"
""",
    )
    env = {
        "HEARTH_SERVER_PORT": "9001",
        "HEARTH_GOOGLE_CLIENT_ID": "abc.apps.example",
        "HEARTH_ENGINY_MATCH_STRATEGIES": "email, phone",
        "HEARTH_ENGINY_NULL_CLEARS": "yes",
    }
    settings = load_settings(config, env)
    assert settings.server.port == 9001
    assert settings.server.max_body_bytes == 2048
    assert settings.crm.default_phone_region == "GB"
    assert settings.google.gmail_api == "http://127.0.0.1:9100/gmail/v1"
    assert settings.google.client_id == "abc.apps.example"
    assert settings.enginy.match_strategies == ["email", "phone"]
    assert settings.enginy.null_clears is True
    assert settings.sources["server.port"] == "environment variable HEARTH_SERVER_PORT"
    assert settings.sources["server.max_body_bytes"] == str(config)
    overridden = load_settings(config, env, {"server.port": 0})
    assert overridden.server.port == 0


def test_hearth_port_is_honoured(tmp_path):
    assert load_settings(None, {"HEARTH_PORT": "7000"}).server.port == 7000
    both = {"HEARTH_PORT": "7000", "HEARTH_SERVER_PORT": "7001"}
    assert load_settings(None, both).server.port == 7001


def test_database_url_from_the_environment(tmp_path):
    url = "postgresql+psycopg://hearth@127.0.0.1/hearth"
    assert load_settings(None, {"HEARTH_DATABASE_URL": url}).database.url == url


@pytest.mark.parametrize(
    ("env", "key", "words"),
    [
        ({"HEARTH_SERVER_PORT": "70000"}, "server.port", "between 0 and 65535"),
        ({"HEARTH_SERVER_PORT": "eighty"}, "server.port", "whole number"),
        ({"HEARTH_PORT": "-1"}, "server.port", "HEARTH_PORT"),
        ({"HEARTH_CRM_DEFAULT_PHONE_REGION": "ZZ"}, "crm.default_phone_region", "region"),
        ({"HEARTH_LOGGING_LEVEL": "LOUD"}, "logging.level", "one of"),
        ({"HEARTH_SERVER_ALLOW_REMOTE": "maybe"}, "server.allow_remote", "true or false"),
        ({"HEARTH_GOOGLE_TOKEN_URL": "ftp://x"}, "providers.google.token_url", "http"),
        ({"HEARTH_ENGINY_MATCH_STRATEGIES": " , "}, "enginy.match_strategies", "at least"),
    ],
)
def test_invalid_environment_values_name_key_and_origin(env, key, words):
    with pytest.raises(Invalid) as caught:
        load_settings(None, env)
    assert caught.value.field == key
    assert key in caught.value.message
    assert words in caught.value.message
    assert "environment variable" in caught.value.message


def test_invalid_file_values_name_the_file(tmp_path):
    config = _write(tmp_path, "[server]\nport = 'x'\n")
    with pytest.raises(Invalid) as caught:
        load_settings(config, {})
    assert "server.port" in caught.value.message
    assert str(config) in caught.value.message


def test_unknown_keys_and_sections_are_refused(tmp_path):
    with pytest.raises(Invalid, match=r"unknown setting server\.prot"):
        load_settings(_write(tmp_path, "[server]\nprot = 1\n"), {})
    with pytest.raises(Invalid, match=r"unknown section \[sever\]"):
        load_settings(_write(tmp_path, "[sever]\nport = 1\n"), {})
    with pytest.raises(Invalid, match="not valid TOML"):
        load_settings(_write(tmp_path, "[server\n"), {})


def test_every_option_has_help_and_an_environment_name():
    rows = describe_settings()
    assert len(rows) > 20
    for key, env_name, _default, help_text in rows:
        assert env_name.startswith("HEARTH_")
        assert help_text, key
    assert ("providers.google.client_id", "HEARTH_GOOGLE_CLIENT_ID") in {
        (key, env) for key, env, _, _ in rows
    }
