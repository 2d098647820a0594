"""Path ids: the CRM's ids are numbers, sent and accepted as strings."""

from __future__ import annotations

from core.errors import NotFound


def path_id(value: str, kind: str) -> int:
    """The numeric id in a path segment; anything else names no record, so it is a 404."""
    text = value.strip()
    if not text.isdigit() or len(text) > 18:
        raise NotFound(f"no {kind} with id {value!r}")
    return int(text)
