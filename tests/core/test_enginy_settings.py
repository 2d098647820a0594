"""The ``[enginy]`` settings: what they accept, and errors naming the key and where it came from."""

from __future__ import annotations

import pytest

from core.errors import Invalid
from core.services.enginy_fields import EnginyOptions
from core.services.enginy_matching import company_key
from core.settings import load_settings


def test_the_environment_sets_the_strategy_order_and_properties(tmp_path):
    settings = load_settings(
        None,
        {
            "HEARTH_ENGINY_MATCH_STRATEGIES": "phone, email",
            "HEARTH_ENGINY_SYNC_PROPERTIES": "leadScore,tier",
            "HEARTH_ENGINY_NULL_CLEARS": "true",
            "HEARTH_ENGINY_API_KEY_HEADER": "X-Genesy-Key",
            "HEARTH_CRM_DEFAULT_PHONE_REGION": "GB",
        },
    )
    options = EnginyOptions.of(settings)
    assert options.match_strategies == ("phone", "email")
    assert options.sync_properties == ("leadScore", "tier")
    assert options.null_clears is True
    assert options.phone_region == "GB"
    assert settings.enginy.api_key_header == "X-Genesy-Key"


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        ("match_strategies", ["email", "fax"], "'fax' is not one of email, linkedin"),
        ("match_strategies", [], "must list at least one"),
        ("match_strategies", ["email", "email"], "names a strategy twice"),
        ("api_key_header", "X API Key", "must be an HTTP header name"),
        ("api_key_header", "X-Key:", "must be an HTTP header name"),
        ("sync_properties", ["leadScore", " owner"], "is not a property name"),
        ("company_sync_properties", ["owner", "owner"], "names a property twice"),
    ],
)
def test_invalid_values_are_refused_naming_the_key_and_the_file(tmp_path, key, value, complaint):
    config = tmp_path / "config.toml"
    rendered = repr(value).replace("'", '"') if isinstance(value, list) else f'"{value}"'
    config.write_text(f"[enginy]\n{key} = {rendered}\n", encoding="utf-8")
    with pytest.raises(Invalid) as raised:
        load_settings(config, {})
    assert raised.value.field == f"enginy.{key}"
    assert complaint in raised.value.message
    assert str(config) in raised.value.message


def test_company_names_fold_legal_suffixes_accents_and_punctuation():
    assert company_key("Acme, Inc.") == company_key("ACME") == "acme"
    assert (
        company_key("Société Générale S.A.")
        == company_key("Societe Generale")
        == "societe generale"
    )
    assert company_key("Philips N.V.") == "philips"
    assert company_key("J. P. Morgan") == "j p morgan"
    assert company_key("Müller GmbH") == company_key("Muller") == "muller"
    assert company_key("Inc") == "inc"  # a name that is only a suffix stays a name
    assert company_key("  ") is None
