"""The errors core raises. The web layer maps them to HTTP in one place; the GUI shows them.

Each carries a human message; ``Invalid`` also names the offending field so an API answer can
point at it.
"""

from __future__ import annotations


class HearthError(Exception):
    """Base of every error core raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(HearthError):
    """The record asked for does not exist (or is not visible to the caller)."""


class Conflict(HearthError):
    """The request clashes with what is stored (a duplicate, a state that forbids the change)."""


class Invalid(HearthError):
    """A value is wrong. ``field`` is its dotted/JSON-pointer-like name, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AuthExpired(HearthError):
    """A provider connection's credentials no longer work: the user must authorise again."""
