"""Normal forms used for matching: email addresses, domains, LinkedIn URLs, phones, names, ids.

Each ``*_key`` function returns the form two values are compared in; none of them changes what
is stored for display. Invalid input raises :class:`core.errors.Invalid` naming ``field``.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from core.errors import Invalid


def clean_email(address: str, field: str = "email") -> str:
    """A syntactically valid address, trimmed (its case kept for display). Raises ``Invalid``."""
    candidate = address.strip() if isinstance(address, str) else address
    if not isinstance(candidate, str) or not candidate:
        raise Invalid("must be an email address", field=field)
    try:
        validate_email(candidate, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as e:
        raise Invalid(f"{candidate!r} is not a valid email address: {e}", field=field) from e
    return candidate


def email_key(address: str) -> str:
    """The form addresses are compared in: trimmed and case-folded.

    RFC 5321 lets the local part be case-sensitive, but no real mail system treats it so, and
    users type addresses in every case: matching ignores case throughout Hearth.
    """
    return address.strip().lower()


def domain_of(address: str) -> str | None:
    """The domain of an email address, normalised, or ``None`` when there is none."""
    _, at, domain = address.strip().rpartition("@")
    return domain_key(domain) if at and domain else None


_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def domain_key(value: str, field: str = "domain") -> str:
    """A bare domain from a domain, URL or email address: lower case, no ``www.``, no port/path.

    ``https://www.Example.com/about`` and ``sales@example.com`` both give ``example.com``.
    Raises ``Invalid`` when no plausible domain is left.
    """
    text = value.strip().lower() if isinstance(value, str) else ""
    if "@" in text and "/" not in text:
        text = text.rpartition("@")[2]
    if "//" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError as e:
        raise Invalid(f"{value!r} is not a domain", field=field) from e
    host = host.rstrip(".")
    host = host.removeprefix("www.")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as e:
        raise Invalid(f"{value!r} is not a domain", field=field) from e
    labels = host.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise Invalid(f"{value!r} is not a domain", field=field)
    return host


_LINKEDIN_PAGE_KINDS = frozenset({"in", "company", "school", "showcase"})


def linkedin_key(url: str, field: str = "linkedinUrl") -> str:
    """The comparable form of a LinkedIn profile or company URL: ``linkedin.com/in/handle``.

    Ignores protocol, ``www.``, country and mobile subdomains (``uk.linkedin.com``,
    ``m.linkedin.com``), query, fragment, trailing slash, case and percent-encoding
    (``/in/jos%C3%A9`` is ``/in/josé``); a profile's or page's sub-pages (``/in/handle/en``,
    ``/company/acme/about``) name the profile itself. Raises ``Invalid`` for something that is
    not a LinkedIn URL.
    """
    text = url.strip() if isinstance(url, str) else ""
    if not text:
        raise Invalid("must be a LinkedIn URL", field=field)
    if "//" not in text:
        text = "//" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError as e:
        raise Invalid(f"{url!r} is not a LinkedIn URL", field=field) from e
    if host != "linkedin.com" and not host.endswith(".linkedin.com"):
        raise Invalid(f"{url!r} is not a LinkedIn URL", field=field)
    path = unicodedata.normalize("NFC", unquote(parts.path))
    segments = [s.strip().lower() for s in path.split("/")]
    segments = [s for s in segments if s]
    if segments[:1] in (["mwlite"], ["m"]):
        segments = segments[1:]  # the mobile site's prefix
    if len(segments) > 2 and segments[0] in _LINKEDIN_PAGE_KINDS:
        segments = segments[:2]  # a profile's sub-page or language: /in/handle/en, /details/...
    if not segments:
        raise Invalid(f"{url!r} names no LinkedIn profile or page", field=field)
    return "linkedin.com/" + "/".join(segments)


def phone_e164(number: str, default_region: str) -> str | None:
    """The number in E.164 (``+14155550123``) or ``None`` when it is not a possible number.

    Numbers without a country code are read in ``default_region`` (a setting); punctuation,
    ``tel:`` and extensions do not matter, and ``00`` works as the international prefix
    everywhere.
    """
    if not isinstance(number, str) or not number.strip():
        return None
    found = _parse_phone(number, default_region.upper())
    if found is None and number.strip().startswith("00"):
        # "00" is the international prefix in most of the world, but not in the US (011): a
        # European-written number must not depend on the region setting to be understood.
        found = _parse_phone("+" + number.strip()[2:], default_region.upper())
    if found is None:
        return None
    return phonenumbers.format_number(found, phonenumbers.PhoneNumberFormat.E164)


def _parse_phone(number: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_possible_number(parsed) else None


def name_key(*parts: str | None) -> str:
    """Names folded for comparison: no accents, case-folded, punctuation and spaces collapsed."""
    text = " ".join(part for part in parts if part)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", stripped.casefold()).split())


def message_id_key(value: str | None) -> str | None:
    """An RFC 5322 Message-ID without its angle brackets and surrounding space, or ``None``.

    ``" <abc@host> "`` and ``"abc@host"`` are the same message. Case is kept: Message-IDs are
    compared exactly.
    """
    if value is None:
        return None
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    return text or None
