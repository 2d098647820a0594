"""Hearth's settings: one schema with defaults, validation and help for every option.

Settings come from, lowest priority first: the defaults below, ``DATA_DIR/config.toml``, then
environment variables ``HEARTH_<SECTION>_<KEY>`` (for ``[providers.NAME]`` the section part is just
``NAME``: ``HEARTH_GOOGLE_CLIENT_ID``), then explicit overrides (command-line options). An invalid
value raises :class:`core.errors.Invalid` naming the key and where the value came from.

Secrets never live here: OAuth tokens and signing keys go through :mod:`core.secrets`.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from core.errors import Invalid

Check = Callable[[Any], str | None]
"""A validator: returns a complaint (``"must be ..."``) or ``None`` when the value is fine."""


def setting(default: Any, help: str, check: Check | None = None) -> Any:
    """Declare one option: its default, the help text shown to users, an optional validator."""
    factory = (lambda: list(default)) if isinstance(default, list) else None
    metadata = {"help": help, "check": check}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def _between(low: int, high: int) -> Check:
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"must be between {low} and {high}"

    return check


def _one_of(*choices: str) -> Check:
    def check(value: str) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def _phone_region(value: str) -> str | None:
    if value.upper() in phonenumbers.SUPPORTED_REGIONS:
        return None
    return "must be a two-letter region code such as US, GB or DE"


def _http_url(value: str) -> str | None:
    return None if value.startswith(("http://", "https://")) else "must be an http(s) URL"


def _not_empty_list(value: list[str]) -> str | None:
    return None if value else "must list at least one value"


@dataclass(frozen=True)
class ServerSettings:
    """The embedded HTTP server."""

    host: str = setting(
        "127.0.0.1",
        "Address the embedded API listens on. Loopback only unless allow_remote is set.",
    )
    port: int = setting(
        8765, "TCP port of the embedded API; 0 picks a free port.", _between(0, 65535)
    )
    allow_remote: bool = setting(
        False, "Allow listening on a non-loopback address (a deliberate choice for team servers)."
    )
    max_body_bytes: int = setting(
        10 * 1024 * 1024,
        "Largest request body accepted (bytes); larger ones get 413.",
        _between(1024, 1024**3),
    )
    public_url: str = setting(
        "",
        "Base URL clients use to reach the server, if not http://HOST:PORT (e.g. behind a proxy).",
    )


@dataclass(frozen=True)
class DatabaseSettings:
    """Storage."""

    url: str = setting(
        "",
        "SQLAlchemy database URL. Empty: the SQLite file in the data dir. "
        "postgresql+psycopg://... for a team server.",
    )
    busy_timeout_ms: int = setting(
        10_000, "How long SQLite waits for a lock before giving up (ms).", _between(0, 600_000)
    )


@dataclass(frozen=True)
class CrmSettings:
    """How contacts and companies are read and matched."""

    default_phone_region: str = setting(
        "US",
        "Region assumed for phone numbers written without a country code (ISO 3166 alpha-2).",
        _phone_region,
    )


@dataclass(frozen=True)
class CalendarSettings:
    """Calendar events."""

    tombstone_retention_days: int = setting(
        90, "How long deleted events stay visible to delta readers (days).", _between(1, 3650)
    )


@dataclass(frozen=True)
class DocumentSettings:
    """The local document store."""

    max_upload_bytes: int = setting(
        200 * 1024 * 1024, "Largest document accepted (bytes).", _between(1, 1024**4)
    )
    url_ttl_seconds: int = setting(
        900,
        "Lifetime of presigned upload URLs (seconds); an upload must start before it ends.",
        _between(10, 7 * 86400),
    )
    download_url_ttl_seconds: int = setting(
        300,
        "Lifetime of presigned download URLs (seconds): short, as anyone holding one can read "
        "the document.",
        _between(10, 86400),
    )


ENGINY_MATCH_STRATEGIES = ("email", "linkedin", "phone", "composite")
"""The ways ``POST /contacts/sync`` can recognise a contact (see core.services.enginy_matching)."""


def _header_name(value: str) -> str | None:
    # RFC 9110 field names are "tokens": no spaces, colons or other separators.
    if re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", value):
        return None
    return "must be an HTTP header name such as X-API-Key"


def _match_strategies(value: list[str]) -> str | None:
    if not value:
        return f"must list at least one of {', '.join(ENGINY_MATCH_STRATEGIES)}"
    for name in value:
        if name not in ENGINY_MATCH_STRATEGIES:
            return f"{name!r} is not one of {', '.join(ENGINY_MATCH_STRATEGIES)}"
    if len(set(value)) != len(value):
        return "names a strategy twice"
    return None


def _property_names(value: list[str]) -> str | None:
    for name in value:
        if not name.strip() or name != name.strip() or len(name) > 256:
            return f"{name!r} is not a property name"
    if len(set(value)) != len(value):
        return "names a property twice"
    return None


@dataclass(frozen=True)
class EnginySettings:
    """The Enginy (Genesy) Custom CRM endpoints: /contacts, /companies, /activities, /users."""

    api_key_header: str = setting(
        "X-API-Key",
        "Header Enginy sends its API key in (its apiKeyHeader setting). Authorization: Bearer "
        "and X-API-Key work as well.",
        _header_name,
    )
    match_strategies: list[str] = setting(
        list(ENGINY_MATCH_STRATEGIES),
        "How POST /contacts/sync recognises a contact, tried in this order after Enginy's own "
        "externalId: email (any of a contact's addresses), linkedin (profile URL), phone "
        "(E.164), composite (first and last name plus company name or domain).",
        _match_strategies,
    )
    sync_properties: list[str] = setting(
        ["leadScore", "lifecycleStage", "lastActivityDate", "owner"],
        "Contact properties returned to Enginy on a match: leadScore, lifecycleStage, "
        "lastActivityDate, owner (user id), ownerName, email, phone, mobilePhone, firstName, "
        "lastName, title, company, linkedinUrl, city, state, country, location, website, tags, "
        "or the name of a custom field. Empty values are left out, never sent as null.",
        _property_names,
    )
    company_sync_properties: list[str] = setting(
        ["owner"],
        "Company properties returned by POST /companies/sync: owner (user id), ownerName, "
        "name, domain, website, linkedinUrl, industry, description, phone, or a custom field.",
        _property_names,
    )
    null_clears: bool = setting(
        False,
        "Whether an explicit null (or empty string) in PUT /contacts or PUT /companies clears "
        "the field. Off: nulls are ignored, so Enginy never wipes what it did not mean to.",
    )


def _language_codes(value: list[str]) -> str | None:
    if not value:
        return "must list at least one language code"
    for code in value:
        if not re.fullmatch(r"[A-Za-z]{1,3}(-[A-Za-z]{1,3})?", code) or len(code) > 5:
            return f"{code!r} is not a language code like us-en (letters, one dash, at most 5)"
    return None


@dataclass(frozen=True)
class ContactCenterSettings:
    """The contact-center email intake (POST /contacts/email)."""

    languages: list[str] = setting(
        ["us-en", "au-en", "gb-en"],
        "Language codes the contact center may send as data.lang (compared ignoring case); "
        "an email in another language is refused with 400.",
        _language_codes,
    )


@dataclass(frozen=True)
class LoggingSettings:
    """Logging."""

    level: str = setting(
        "INFO", "Log level.", _one_of("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
    )


@dataclass(frozen=True)
class GoogleSettings:
    """Google OAuth, Gmail and Calendar endpoints (configurable so an emulator can stand in)."""

    client_id: str = setting("", "OAuth client id of Hearth's Google desktop-app client.")
    client_secret: str = setting(
        "", "Client secret of the Google desktop-app client (not confidential for such clients)."
    )
    auth_url: str = setting(
        "https://accounts.google.com/o/oauth2/v2/auth", "OAuth authorization endpoint.", _http_url
    )
    token_url: str = setting(
        "https://oauth2.googleapis.com/token", "OAuth token endpoint.", _http_url
    )
    userinfo_url: str = setting(
        "https://openidconnect.googleapis.com/v1/userinfo", "OpenID userinfo endpoint.", _http_url
    )
    gmail_api: str = setting(
        "https://gmail.googleapis.com/gmail/v1", "Gmail API base URL.", _http_url
    )
    calendar_api: str = setting(
        "https://www.googleapis.com/calendar/v3", "Google Calendar API base URL.", _http_url
    )


@dataclass(frozen=True)
class MicrosoftSettings:
    """Microsoft identity platform and Graph endpoints."""

    client_id: str = setting("", "Application (client) id of Hearth's Entra app registration.")
    auth_url: str = setting(
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        "OAuth authorization endpoint.",
        _http_url,
    )
    token_url: str = setting(
        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        "OAuth token endpoint.",
        _http_url,
    )
    graph_api: str = setting(
        "https://graph.microsoft.com/v1.0", "Microsoft Graph base URL.", _http_url
    )


# Section name in config.toml -> (attribute on Settings, environment prefix).
_SECTIONS: dict[str, tuple[str, str]] = {
    "server": ("server", "SERVER"),
    "database": ("database", "DATABASE"),
    "crm": ("crm", "CRM"),
    "calendar": ("calendar", "CALENDAR"),
    "documents": ("documents", "DOCUMENTS"),
    "enginy": ("enginy", "ENGINY"),
    "contact_center": ("contact_center", "CONTACT_CENTER"),
    "logging": ("logging", "LOGGING"),
    "providers.google": ("google", "GOOGLE"),
    "providers.microsoft": ("microsoft", "MICROSOFT"),
}


# Short environment names kept for the command-line contract (design.md): HEARTH_PORT.
_ENV_ALIASES: dict[str, str] = {"server.port": "HEARTH_PORT"}


@dataclass(frozen=True)
class Settings:
    """Every option, grouped by section. Build one with :func:`load_settings`."""

    server: ServerSettings = field(default_factory=ServerSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    crm: CrmSettings = field(default_factory=CrmSettings)
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    documents: DocumentSettings = field(default_factory=DocumentSettings)
    enginy: EnginySettings = field(default_factory=EnginySettings)
    contact_center: ContactCenterSettings = field(default_factory=ContactCenterSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    google: GoogleSettings = field(default_factory=GoogleSettings)
    microsoft: MicrosoftSettings = field(default_factory=MicrosoftSettings)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Where each non-default value came from, by dotted key (for error messages and help)."""


def _section_class(attribute: str) -> type:
    return typing.get_type_hints(Settings)[attribute]


def _field_type(cls: type, name: str) -> Any:
    return typing.get_type_hints(cls)[name]


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _as_bool(value: Any, from_text: bool) -> bool:
    if isinstance(value, bool):
        return value
    if from_text and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("must be true or false")


def _as_int(value: Any, from_text: bool) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if from_text and isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    raise ValueError("must be a whole number")


def _as_str(value: Any, from_text: bool) -> str:
    if isinstance(value, str):
        return value
    raise ValueError("must be a string")


def _as_str_list(value: Any, from_text: bool) -> list[str]:
    if from_text and isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise ValueError("must be a list of strings")


_COERCERS: dict[Any, Callable[[Any, bool], Any]] = {
    bool: _as_bool,
    int: _as_int,
    str: _as_str,
    list[str]: _as_str_list,
}


def _coerce(value: Any, kind: Any, from_text: bool) -> Any:
    """Turn ``value`` into ``kind``; ``from_text`` for environment variables. Raises ValueError."""
    return _COERCERS[kind](value, from_text)


def _read_config_file(path: Path) -> dict[str, dict[str, Any]]:
    """The config file's sections, flattened to ``{"providers.google": {...}, ...}``."""
    if not path.exists():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise Invalid(f"cannot read {path}: {e}", field="config") from e
    except tomllib.TOMLDecodeError as e:
        raise Invalid(f"{path} is not valid TOML: {e}", field="config") from e
    sections: dict[str, dict[str, Any]] = {}
    for name, body in raw.items():
        if name == "providers" and isinstance(body, dict):
            for provider, provider_body in body.items():
                sections[f"providers.{provider}"] = provider_body
        else:
            sections[name] = body
    for name, body in sections.items():
        if name not in _SECTIONS:
            known = ", ".join(f"[{s}]" for s in _SECTIONS)
            raise Invalid(f"unknown section [{name}] in {path} (known: {known})", field=name)
        if not isinstance(body, dict):
            raise Invalid(f"[{name}] in {path} must be a table", field=name)
    return sections


def load_settings(
    config_file: Path | None,
    env: Mapping[str, str],
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings from defaults, the config file, the environment and ``overrides``.

    ``overrides`` maps dotted keys (``"server.port"``) to already-typed values, e.g. from the
    command line. Unknown keys in the file are refused, so a typo does not pass silently.
    Raises :class:`Invalid` whose message names the key and where the bad value came from.
    """
    file_sections = _read_config_file(config_file) if config_file is not None else {}
    sources: dict[str, str] = {}
    built: dict[str, Any] = {}
    overrides = dict(overrides or {})
    for section, (attribute, env_prefix) in _SECTIONS.items():
        cls = _section_class(attribute)
        names = {f.name for f in dataclasses.fields(cls)}
        file_values = file_sections.get(section, {})
        for key in file_values:
            if key not in names:
                raise Invalid(
                    f"unknown setting {section}.{key} in {config_file} "
                    f"(known: {', '.join(sorted(names))})",
                    field=f"{section}.{key}",
                )
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            dotted = f"{section}.{f.name}"
            kind = _field_type(cls, f.name)
            env_name = f"HEARTH_{env_prefix}_{f.name.upper()}"
            candidates: list[tuple[Any, str, bool]] = []
            if f.name in file_values:
                candidates.append((file_values[f.name], str(config_file), False))
            for name in (_ENV_ALIASES.get(dotted), env_name):
                if name and name in env:
                    candidates.append((env[name], f"environment variable {name}", True))
            if dotted in overrides:
                candidates.append((overrides.pop(dotted), "the command line", False))
            if not candidates:
                continue
            raw, origin, from_text = candidates[-1]
            try:
                value = _coerce(raw, kind, from_text)
            except ValueError as e:
                raise Invalid(f"{dotted}: {e} (got {raw!r} from {origin})", field=dotted) from e
            check = f.metadata.get("check")
            complaint = check(value) if check else None
            if complaint:
                raise Invalid(f"{dotted}: {complaint} (got {raw!r} from {origin})", field=dotted)
            values[f.name] = value
            sources[dotted] = origin
        built[attribute] = cls(**values)
    if overrides:
        raise Invalid(f"unknown setting {next(iter(overrides))}", field=next(iter(overrides)))
    return Settings(**built, sources=sources)


def describe_settings() -> list[tuple[str, str, Any, str]]:
    """Every option as ``(dotted key, environment variable, default, help)``, for docs and CLI."""
    rows = []
    defaults = Settings()
    for section, (attribute, env_prefix) in _SECTIONS.items():
        cls = _section_class(attribute)
        for f in dataclasses.fields(cls):
            default = getattr(getattr(defaults, attribute), f.name)
            rows.append(
                (
                    f"{section}.{f.name}",
                    f"HEARTH_{env_prefix}_{f.name.upper()}",
                    default,
                    f.metadata["help"],
                )
            )
    return rows
