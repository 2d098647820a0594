"""Opening Hearth's core for one data directory: settings, database, events, secrets.

The entry points (desktop app, ``hearth serve``, the CLI's api-key commands, tests) call
:func:`open_core` and hand the result to whatever needs it; nothing here is global.
"""

from __future__ import annotations

import logging
import logging.handlers
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from core.db import Database, open_database, sqlite_url
from core.events import EventBus
from core.intake import IntakeProcessor
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
    _intake: IntakeProcessor | None = field(default=None, init=False, repr=False)
    _intake_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @cached_property
    def secrets(self) -> SecretStore:
        """The secret store, opened on first use (so commands that need none never warn)."""
        return open_secret_store(self.paths.root, self.paths.secrets_fallback_file)

    @property
    def intake(self) -> IntakeProcessor:
        """The intake queue's worker, one per core (made on first use, not started: whoever
        serves the API starts it; see :mod:`core.intake`)."""
        with self._intake_lock:
            if self._intake is None:
                from core.services import contact_center  # noqa: PLC0415 - email services

                self._intake = IntakeProcessor(
                    self.database, {contact_center.SOURCE: contact_center.process_email}
                )
            return self._intake

    def close(self) -> None:
        """Stop the intake worker if it runs, and release the database (idempotent)."""
        if self._intake is not None:
            self._intake.stop()
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
