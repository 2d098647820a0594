"""Opening Hearth's core for one data directory: settings, database, events, secrets.

The entry points (desktop app, ``hearth serve``, the CLI's api-key commands, tests) call
:func:`open_core` and hand the result to whatever needs it; nothing here is global.
"""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from core.db import Database, open_database, sqlite_url
from core.events import EventBus
from core.paths import DataPaths
from core.secrets import SecretStore, open_secret_store
from core.settings import Settings, load_settings

log = logging.getLogger(__name__)


@dataclass
class HearthCore:
    """Everything core needs at run time, for one data directory. Close it when done."""

    paths: DataPaths
    settings: Settings
    database: Database
    events: EventBus

    @cached_property
    def secrets(self) -> SecretStore:
        """The secret store, opened on first use (so commands that need none never warn)."""
        return open_secret_store(self.paths.root, self.paths.secrets_fallback_file)

    def close(self) -> None:
        """Release the database (idempotent)."""
        self.database.dispose()


def database_url(paths: DataPaths, settings: Settings) -> str:
    """The configured database URL, or the SQLite file in the data directory."""
    return settings.database.url or sqlite_url(paths.database_file)


def open_core(
    data_dir: Path,
    env: Mapping[str, str],
    overrides: Mapping[str, Any] | None = None,
    migrate: bool = True,
) -> HearthCore:
    """Create the data directory if needed, read settings, open and migrate the database.

    Raises :class:`core.errors.Invalid` for an unusable data dir or an invalid setting.
    """
    paths = DataPaths(data_dir)
    paths.ensure()
    settings = load_settings(paths.config_file, env, overrides)
    events = EventBus()
    database = open_database(
        database_url(paths, settings),
        busy_timeout_ms=settings.database.busy_timeout_ms,
        migrate=migrate,
        events=events,
    )
    return HearthCore(paths, settings, database, events)


_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(paths: DataPaths, level: str) -> None:
    """Log to ``DATA_DIR/logs/hearth.log`` (rotated at 5 MB, three kept)."""
    root = logging.getLogger()
    root.setLevel(level)
    file_handler = logging.handlers.RotatingFileHandler(
        paths.log_file, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(file_handler)


def log_to_stderr() -> None:
    """Also show the log on stderr (a headless server in a terminal or a service manager)."""
    stream = logging.StreamHandler()
    stream.setFormatter(logging.Formatter(_FORMAT))
    logging.getLogger().addHandler(stream)
