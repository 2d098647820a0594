"""Core services: the only code that writes the database.

Every service function takes the ``Session`` of the caller's unit of work and never commits; the
caller (an API request, a GUI operation, a sync batch) owns the transaction. What they return is a
plain frozen dataclass, safe to hand to another thread or layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from core.errors import Invalid

T = TypeVar("T")

MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list: 1-based ``page`` of ``limit`` items."""

    page: int = 1
    limit: int = 50

    def __post_init__(self) -> None:
        if self.page < 1:
            raise Invalid("must be 1 or more", field="page")
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise Invalid(f"must be between 1 and {MAX_PAGE_SIZE}", field="limit")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with the total number of items across all pages."""

    items: Sequence[T]
    total: int
    page: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.page * self.limit < self.total
