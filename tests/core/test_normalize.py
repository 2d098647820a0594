"""The normal forms every match relies on."""

from __future__ import annotations

import pytest

from core.errors import Invalid
from core.normalize import (
    clean_email,
    domain_key,
    email_key,
    linkedin_key,
    message_id_key,
    name_key,
    phone_e164,
)


def test_email_keys_ignore_case_and_space():
    assert email_key("  Sarah.Chen@Example.COM ") == "sarah.chen@example.com"
    assert clean_email(" Sarah@Example.com ") == "Sarah@Example.com"


@pytest.mark.parametrize("bad", ["", "nope", "a@", "@b.example", "a b@c.example", "a@b@c"])
def test_invalid_addresses_are_refused(bad):
    with pytest.raises(Invalid):
        clean_email(bad)


@pytest.mark.parametrize(
    "value",
    [
        "example.com",
        "EXAMPLE.com",
        "www.example.com",
        "https://www.example.com/about?x=1",
        "http://example.com:8080",
        "sales@example.com",
        "example.com.",
    ],
)
def test_domains_from_any_form(value):
    assert domain_key(value) == "example.com"


@pytest.mark.parametrize("bad", ["", "localhost", "not a domain", "-x.example", "http://"])
def test_invalid_domains_are_refused(bad):
    with pytest.raises(Invalid):
        domain_key(bad)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/in/sarahchen",
        "http://linkedin.com/in/SarahChen/",
        "linkedin.com/in/sarahchen?trk=profile",
        "https://uk.linkedin.com/in/sarahchen#about",
        "HTTPS://WWW.LINKEDIN.COM//in//sarahchen//",
        "https://m.linkedin.com/in/sarahchen",
        "https://www.linkedin.com/mwlite/in/sarahchen",
        "https://www.linkedin.com/in/sarahchen/en",
        "https://de.linkedin.com/in/SarahChen/details/experience/",
        " linkedin.com/in/%73arahchen ",
    ],
)
def test_linkedin_variants_meet(url):
    assert linkedin_key(url) == "linkedin.com/in/sarahchen"


def test_linkedin_handles_with_accents_meet_in_any_encoding():
    expected = "linkedin.com/in/josé-garcía"
    assert linkedin_key("https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa/") == expected
    assert linkedin_key("https://www.linkedin.com/in/José-García") == expected
    assert linkedin_key("linkedin.com/in/jose%CC%81-garci%CC%81a") == expected  # decomposed


def test_linkedin_company_pages_keep_their_kind():
    assert (
        linkedin_key("https://www.linkedin.com/company/acme/about/") == "linkedin.com/company/acme"
    )
    assert linkedin_key("linkedin.com/company/acme") != linkedin_key("linkedin.com/in/acme")
    # Old public-profile URLs have no short form; they are kept whole.
    assert linkedin_key("linkedin.com/pub/sarah-chen/1/2/3") == "linkedin.com/pub/sarah-chen/1/2/3"


@pytest.mark.parametrize("bad", ["https://example.com/in/x", "https://linkedin.com/", "", "nope"])
def test_non_linkedin_urls_are_refused(bad):
    with pytest.raises(Invalid):
        linkedin_key(bad)


def test_phones_to_e164():
    assert phone_e164("12", "US") is None  # too short to be a number
    # A short local form still gets one normal form, so the same input always meets itself.
    assert phone_e164("+1-555-0123", "US") == phone_e164("+1 555 0123", "US")
    assert phone_e164("(415) 555-0123", "US") == "+14155550123"
    assert phone_e164("020 7946 0018", "GB") == "+442079460018"
    assert phone_e164("+44 20 7946 0018", "US") == "+442079460018"
    assert phone_e164("call me", "US") is None


@pytest.mark.parametrize(
    "number",
    [
        "+1 415 555 0123",
        "+1-415-555-0123",
        "(415) 555-0123",
        "415.555.0123",
        "1-415-555-0123",
        "tel:+1-415-555-0123",
        "+1 415 555 0123 ext. 12",
        "0014155550123",
    ],
)
def test_phone_formats_meet_in_e164(number):
    assert phone_e164(number, "US") == "+14155550123"


def test_double_zero_is_an_international_prefix_whatever_the_region():
    assert phone_e164("00 44 20 7946 0018", "US") == "+442079460018"
    assert phone_e164("0044 20 7946 0018", "GB") == "+442079460018"


def test_names_fold_accents_case_and_punctuation():
    assert name_key("José", "O'Brien-Smith") == name_key("jose", "o brien smith")
    assert name_key(None, "  Chen ") == "chen"


def test_message_ids_lose_brackets_and_space():
    assert message_id_key(" <abc@host.example> ") == "abc@host.example"
    assert message_id_key("abc@host.example") == "abc@host.example"
    assert message_id_key("<>") is None
    assert message_id_key(None) is None
