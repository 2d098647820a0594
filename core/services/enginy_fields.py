"""Reading Enginy's records: which fields Hearth knows, how their values are checked, and what is
kept as a custom field.

Enginy sends every field it has, under names its users partly choose (engagement fields such as
``genesy_engagement_status``). A record is a JSON object; :func:`read_contact_fields` and
:func:`read_company_fields` split it into *known* fields (Hearth columns, under snake_case names,
values checked and normalised) and *custom* fields (everything else, kept as sent in
``custom_fields``). A wrong value raises :class:`core.errors.Invalid` naming the field as Enginy
sent it, and fails that record alone.

Empty strings count as null. What a null means is the caller's choice (``enginy.null_clears``):
with ``clear_with_null`` off, a null is dropped here, as if the field had not been sent; with it
on, the field comes through as ``None`` and clears what is stored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.errors import Invalid
from core.settings import Settings

SOURCE = "enginy"
"""``source`` of what Enginy writes: external ids, timeline entries, created companies."""

MAX_BATCH = 1_000
"""Most records one request may carry (Enginy sends 100 at a time)."""

MAX_CUSTOM_FIELD_NAME = 256


class BatchTooLarge(Invalid):
    """A request carries more records than :data:`MAX_BATCH` (answered 413)."""


def check_batch(count: int, noun: str) -> None:
    """Raise :class:`BatchTooLarge` for a batch of more than :data:`MAX_BATCH` records."""
    if count > MAX_BATCH:
        raise BatchTooLarge(
            f"at most {MAX_BATCH} {noun} per request (got {count}); send them in smaller batches",
            field=noun,
        )


@dataclass(frozen=True)
class EnginyOptions:
    """The settings the Enginy services follow (``[enginy]`` and the phone region)."""

    match_strategies: tuple[str, ...] = ("email", "linkedin", "phone", "composite")
    sync_properties: tuple[str, ...] = ("leadScore", "lifecycleStage", "lastActivityDate", "owner")
    company_sync_properties: tuple[str, ...] = ("owner",)
    null_clears: bool = False
    phone_region: str = "US"

    @classmethod
    def of(cls, settings: Settings) -> EnginyOptions:
        """The options of a Hearth's settings."""
        enginy = settings.enginy
        return cls(
            match_strategies=tuple(enginy.match_strategies),
            sync_properties=tuple(enginy.sync_properties),
            company_sync_properties=tuple(enginy.company_sync_properties),
            null_clears=enginy.null_clears,
            phone_region=settings.crm.default_phone_region,
        )


@dataclass
class RecordFields:
    """One record, read: ``known`` by Hearth's name (``None`` = clear), ``custom`` as sent
    (``None`` = remove the custom field), and the record itself for the timeline."""

    known: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)


# Enginy's name -> (Hearth's name, longest value). Aliases are names Enginy uses in some exports.
_CONTACT_TEXT = {
    "firstName": ("first_name", 256),
    "lastName": ("last_name", 256),
    "fullName": ("full_name", 513),
    "title": ("title", 256),
    "jobTitle": ("title", 256),
    "location": ("location", 256),
    "city": ("city", 128),
    "state": ("state", 128),
    "country": ("country", 128),
    "leadCountry": ("country", 128),
    "website": ("website", 2048),
    "bio": ("bio", 100_000),
    "description": ("bio", 100_000),
    "lifecycleStage": ("lifecycle_stage", 64),
    "email": ("email", 320),
    "phone": ("phone", 64),
    "mobilePhone": ("mobile_phone", 64),
    "linkedinUrl": ("linkedin_url", 2048),
    "company": ("company_name", 256),
    "companyName": ("company_name", 256),
    "domain": ("company_domain", 2048),
    "companyDomain": ("company_domain", 2048),
}
_COMPANY_TEXT = {
    "name": ("name", 256),
    "domain": ("domain", 2048),
    "website": ("website", 2048),
    "linkedinUrl": ("linkedin_url", 2048),
    "industry": ("industry", 256),
    "description": ("description", 100_000),
    "phone": ("phone", 64),
}
# Fields that identify the record or steer the request, never stored as custom fields.
_CONTROL = frozenset({"externalId", "crmId", "customFields"})


def _text(value: Any, name: str, longest: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid("must be a string", field=name)
    text = str(value).strip()
    if len(text) > longest:
        raise Invalid(f"at most {longest} characters (got {len(text)})", field=name)
    return text or None


def _number(value: Any, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise Invalid("must be a number", field=name)
    try:
        number = float(value)
    except (TypeError, ValueError) as e:
        raise Invalid(f"must be a number (got {value!r})", field=name) from e
    if not math.isfinite(number):
        raise Invalid("must be a finite number", field=name)
    return number


def _tags(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        raise Invalid("must be a list of strings or a comma-separated string", field=name)
    tags = list(dict.fromkeys(t.strip() for t in items if t.strip()))
    if len(tags) > 100 or any(len(t) > 256 for t in tags):
        raise Invalid("at most 100 tags of at most 256 characters", field=name)
    return tags or None


def user_id(value: Any, name: str) -> int | None:
    """A Hearth user id as Enginy sends it back (a string or a number); ``Invalid`` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    found = record_id(value)
    if found is None:
        raise Invalid(f"no user with id {value!r} (see GET /users)", field=name)
    return found


def record_id(value: Any) -> int | None:
    """One of Hearth's numeric ids as a partner sends it back, or ``None`` if it cannot be one."""
    if isinstance(value, bool):
        return None
    text = str(value).strip() if isinstance(value, str | int) else ""
    return int(text) if text.isdigit() and len(text) <= 18 else None


def external_id(value: Any, name: str = "externalId") -> str:
    """Enginy's id of a record: a non-empty string (a number is taken as its digits)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid("is required (Enginy's id of the record, a string)", field=name)
    text = str(value).strip()
    if not text:
        raise Invalid("is required (Enginy's id of the record, a string)", field=name)
    if len(text) > 512:
        raise Invalid("at most 512 characters", field=name)
    return text


def _custom(record: Mapping[str, Any], known_names: frozenset[str], clear: bool) -> dict[str, Any]:
    custom: dict[str, Any] = {}
    extra = record.get("customFields")
    if extra is not None and not isinstance(extra, Mapping):
        raise Invalid("must be a JSON object", field="customFields")
    # Top-level fields win over customFields: they are what Enginy's field mapping names.
    for source in (extra or {}, record):
        for name, value in source.items():
            if source is record and (name in known_names or name in _CONTROL):
                continue
            if not isinstance(name, str) or not name.strip():
                raise Invalid("custom field names may not be empty", field="customFields")
            if len(name) > MAX_CUSTOM_FIELD_NAME:
                raise Invalid(
                    f"custom field names are at most {MAX_CUSTOM_FIELD_NAME} characters",
                    field=name[:40] + "...",
                )
            if value is None or value == "":
                if clear:
                    custom[name] = None
                continue
            custom[name] = value
    return custom


def _read(
    record: Mapping[str, Any],
    texts: Mapping[str, tuple[str, int]],
    others: frozenset[str],
    clear: bool,
) -> RecordFields:
    if not isinstance(record, Mapping):
        raise Invalid("each record must be a JSON object", field="record")
    fields = RecordFields()
    # Canonical names first, so that an alias (jobTitle) gives way to the name it stands for.
    ordered = sorted((n for n in record if n in texts), key=lambda n: n != _canonical(texts, n))
    for name in ordered:
        target, longest = texts[name]
        value = _text(record[name], name, longest)
        if target in fields.known:
            continue
        if value is not None or clear:
            fields.known[target] = value
    fields.custom = _custom(record, frozenset(texts) | others, clear)
    return fields


def _canonical(texts: Mapping[str, tuple[str, int]], name: str) -> str:
    target = texts[name][0]
    return next(n for n, (t, _) in texts.items() if t == target)


def read_contact_fields(record: Mapping[str, Any], clear: bool) -> RecordFields:
    """The known and custom fields of an Enginy contact (see the module doc).

    Known: names, ``fullName`` (split when first and last are not given), title, location,
    city, state, country, website, bio, lifecycleStage, email, phone, mobilePhone, linkedinUrl,
    company (name), domain (the company's), leadScore, tags, ownerId.
    """
    fields = _read(record, _CONTACT_TEXT, frozenset({"leadScore", "tags", "ownerId"}), clear)
    known = fields.known
    full_name = known.pop("full_name", None)
    if full_name and "first_name" not in known and "last_name" not in known:
        first, _, last = full_name.partition(" ")
        known["first_name"], known["last_name"] = first, last.strip() or None
        if len(first) > 256 or len(last) > 256:
            raise Invalid("each part of the name is at most 256 characters", field="fullName")
    elif "fullName" in record and full_name is None and clear:
        known.setdefault("first_name", None)
        known.setdefault("last_name", None)
    if "leadScore" in record:
        score = _number(record["leadScore"], "leadScore")
        if score is not None or clear:
            known["lead_score"] = score
    if "tags" in record:
        tags = _tags(record["tags"], "tags")
        if tags is not None or clear:
            known["tags"] = tags or []
    if "ownerId" in record:
        owner = user_id(record["ownerId"], "ownerId")
        if owner is not None or clear:
            known["owner_id"] = owner
    return fields


def read_company_fields(record: Mapping[str, Any], clear: bool) -> RecordFields:
    """The known and custom fields of an Enginy company: name, domain, website, linkedinUrl,
    industry, description, phone, ownerId; everything else is custom."""
    fields = _read(record, _COMPANY_TEXT, frozenset({"ownerId"}), clear)
    if "ownerId" in record:
        owner = user_id(record["ownerId"], "ownerId")
        if owner is not None or clear:
            fields.known["owner_id"] = owner
    return fields


def merge_custom(stored: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``stored`` with ``changes`` applied: a value replaces, ``None`` removes; nothing else
    stored is touched (an update never wipes fields it did not send)."""
    merged = dict(stored)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def changed_custom(stored: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``changes`` that differ from what is stored (a removal of something
    absent, or a value equal to the stored one, is no change)."""
    return {
        name: value
        for name, value in changes.items()
        if (name in stored if value is None else stored.get(name, _ABSENT) != value)
    }


_ABSENT = object()


def parse_instant(value: Any) -> datetime | None:
    """An ISO 8601 date-time with an offset (``2024-12-31T10:00:00Z``), in UTC, or ``None`` for
    anything else (a plain value, a date alone, a time without an offset)."""
    if not isinstance(value, str) or len(value) < 16 or "T" not in value.upper():
        return None
    text = value.strip()
    if text[-1:] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def pick_properties(
    names: Sequence[str], values: Mapping[str, Any], custom: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The properties ``names`` asks for, from a record's ``values`` (columns and derived
    values) or else its custom fields (``customField_x`` also finds ``x``); an empty value is
    left out, never ``None`` (Enginy clears a field it gets null for)."""
    stored = custom if isinstance(custom, Mapping) else {}
    properties: dict[str, Any] = {}
    for name in names:
        if name in values:
            value = values[name]
        else:
            value = stored.get(name, stored.get(name.removeprefix("customField_")))
        if isinstance(value, float):
            value = plain_number(value)
        if value is not None and value not in ("", [], {}):
            properties[name] = value
    return properties


def plain_number(value: float) -> int | float:
    """``85.0`` as ``85``: scores stored as floats go out as the numbers people typed."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value
