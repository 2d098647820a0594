"""Timestamps as clients send them: ISO 8601 with any offset, or epoch milliseconds.

:data:`AnyTimestamp` is the "timestamp in" type of every API (design.md: where a spec says
"timestamp", accept ISO 8601 and epoch milliseconds). A time without an offset is refused, since
it means a different instant in every time zone; :func:`parse_time` also keeps dates and naive
times, for the few fields (event times) that give them a meaning of their own.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DIGITS = re.compile(r"^-?\d{1,16}$")
_SHAPES = "an ISO 8601 date-time such as 2026-07-01T14:00:00Z, or epoch milliseconds"


def _from_epoch_ms(value: int) -> datetime:
    try:
        return _EPOCH + timedelta(milliseconds=value)
    except OverflowError as e:
        raise ValueError("epoch milliseconds out of range") from e


def parse_time(value: Any) -> date | datetime:
    """A date, or a datetime (aware, or naive as written), from ISO 8601 text or epoch
    milliseconds (a whole number, or a string of digits). Raises ``ValueError``."""
    if isinstance(value, bool):
        raise ValueError(f"must be {_SHAPES}")
    if isinstance(value, int):
        return _from_epoch_ms(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("epoch milliseconds must be a whole number")
        return _from_epoch_ms(int(value))
    if isinstance(value, date):  # a datetime is a date too
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be {_SHAPES}")
    text = value.strip()
    if _EPOCH_DIGITS.match(text):
        return _from_epoch_ms(int(text))
    if text.endswith("z"):
        text = text[:-1] + "Z"
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment.astimezone(UTC)  # out of range once in UTC (year 1 or 9999)?
    except (ValueError, OverflowError) as e:
        raise ValueError(f"{value!r} is not {_SHAPES}") from e
    return moment


def parse_timestamp(value: Any) -> datetime:
    """An instant, in UTC, from ISO 8601 text with an offset or epoch milliseconds."""
    moment = parse_time(value)
    if not isinstance(moment, datetime):
        raise ValueError(
            "needs a time of day and an offset (2026-07-01T00:00:00Z), or epoch milliseconds"
        )
    if moment.tzinfo is None:
        raise ValueError(
            "needs an offset such as Z or -07:00 (a time without one is ambiguous), "
            "or epoch milliseconds"
        )
    return moment.astimezone(UTC)


_TIMESTAMP_SCHEMA = {
    "anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "integer", "description": "epoch milliseconds"},
    ],
    "description": "ISO 8601 with an offset (Z, +02:00, -0700) or epoch milliseconds.",
    "examples": ["2026-07-01T10:00:00-07:00", "2026-07-01T17:00:00Z", 1782925200000],
}

AnyTimestamp = Annotated[
    datetime, PlainValidator(parse_timestamp), WithJsonSchema(_TIMESTAMP_SCHEMA, mode="validation")
]
"""A timestamp given by a client, as an aware UTC datetime: ISO 8601 with any offset
(``2026-07-01T10:00:00-07:00``, ``...Z``), or epoch milliseconds (``1782925200000`` or
``"1782925200000"``). A time without an offset, or a date alone, is a 422."""
