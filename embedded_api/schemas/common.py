"""Schema building blocks shared by every API: camelCase models, ids, timestamps, pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from core.services import Page

T = TypeVar("T")


class ApiModel(BaseModel):
    """Base of response models: camelCase on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class InputModel(ApiModel):
    """Base of request models: camelCase, unknown fields refused (a typo is an error)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=True
    )


def _parse_id(value: Any) -> Any:
    """Ids are strings on the way out; accept a number or a numeric string on the way in."""
    if isinstance(value, bool):
        raise ValueError("an id is a number or a numeric string")
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit():
            raise ValueError("an id is a number or a numeric string")
        return int(text)
    return value


IdIn = Annotated[int, BeforeValidator(_parse_id), Field(ge=1, le=2**63 - 1)]
"""An id given by a client: ``42`` or ``"42"``."""

IdOut = Annotated[int, PlainSerializer(str, return_type=str)]
"""An id sent to a client: always a string."""


def _id_text(value: Any) -> Any:
    """Ids that are strings on the wire may come as numbers."""
    if isinstance(value, bool):
        raise ValueError("an id is a string or a number")
    if isinstance(value, int):
        return str(value)
    return value


TextId = Annotated[str, BeforeValidator(_id_text), Field(min_length=1, max_length=128)]
"""An id that is a string on the wire (a partner's, or Hearth's sent back), numbers accepted."""


class RelatedToIn(InputModel):
    """A CRM record an email or event is logged against: ``contact`` or ``company`` (``account``
    is a synonym) by Hearth id. ``origin`` is what Hearth sends back: items marked ``matched``
    are Hearth's own matches, recomputed on every write, so sending them back stores nothing."""

    type: str = Field(min_length=1, max_length=64, description="`contact` or `company`")
    id: TextId
    origin: Literal["explicit", "matched"] | None = None


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


RelatedToListIn = Annotated[
    list[RelatedToIn],
    BeforeValidator(_one_or_many),
    Field(max_length=200, description="A list of records, or a single one."),
]


def explicit_related(items: list[RelatedToIn]) -> list[RelatedToIn]:
    """The items a client logs against: those it did not get back as Hearth's matches."""
    return [item for item in items if item.origin != "matched"]


def format_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the millisecond: ``2026-07-01T14:00:00.000Z``."""
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


UtcOut = Annotated[datetime, PlainSerializer(format_utc, return_type=str)]
"""A timestamp sent to a client: ISO 8601 UTC."""


class PageOut(ApiModel, Generic[T]):
    """The envelope of every paginated list (unless a partner spec fixes another).

    Ask for the next page with ``page=nextPage`` until ``nextPage`` is null.
    """

    items: list[T]
    total: int = Field(description="Items across all pages.")
    page: int = Field(description="This page's number, from 1.")
    limit: int = Field(description="Items per page.")
    next_page: int | None = Field(description="The next page's number, or null on the last page.")

    @classmethod
    def of(cls, page: Page[Any], items: list[T]) -> PageOut[T]:
        """The envelope of a core page whose items were converted to ``items``."""
        return cls(
            items=items,
            total=page.total,
            page=page.page,
            limit=page.limit,
            next_page=page.page + 1 if page.has_more else None,
        )
