"""Shared fixtures. Each test gets its own data dir, database and in-memory keyring."""

from __future__ import annotations

pytest_plugins = ["tests.support.databases", "tests.support.api"]
