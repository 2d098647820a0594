"""What the Enginy services answer, per record: matched, created, updated, or an error.

Each result carries the record's ``index`` in the request, so the API can answer in request
order and name a record that has no usable id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.errors import Invalid


def describe(error: Invalid) -> str:
    """An error as one line for Enginy's per-record ``error``: ``email: not an address``."""
    if error.field and error.field != "record":
        return f"{error.field}: {error.message}"
    return error.message


@dataclass(frozen=True)
class RecordError:
    """A record that failed; ``external_id`` is ``None`` when it had no usable one."""

    index: int
    external_id: str | None
    message: str


def field_error(index: int, record: Any, error: Invalid) -> RecordError:
    """The error of a record that failed with ``error``, named by its externalId if it has one."""
    ext = record.get("externalId") if isinstance(record, Mapping) else None
    if isinstance(ext, int) and not isinstance(ext, bool):
        ext = str(ext)
    usable = ext.strip() if isinstance(ext, str) and ext.strip() else None
    return RecordError(index, usable, describe(error))


@dataclass(frozen=True)
class Matched:
    """A record Hearth has: its id, and the properties to sync back (none of them empty)."""

    index: int
    external_id: str
    crm_id: int
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Created:
    """A record created, or found already there (same externalId, or it matched): its id."""

    index: int
    external_id: str
    crm_id: int


@dataclass(frozen=True)
class Updated:
    """The outcome of one update: ``crm_id`` as Enginy sent it; ``error`` when it failed."""

    index: int
    crm_id: Any
    success: bool
    error: str | None = None
    updated_at: datetime | None = None

    @classmethod
    def failed(cls, index: int, crm_id: Any, error: Invalid) -> Updated:
        """A record refused for ``error``."""
        return cls(index, crm_id, False, describe(error))


@dataclass(frozen=True)
class AssociationError:
    """A contact-company pair that could not be linked, as Enginy sent it."""

    index: int
    contact: Any
    company: Any
    message: str
