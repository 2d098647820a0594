"""Where Hearth keeps things: the one module that knows file-system locations.

Everything Hearth stores for a user lives under one data directory: the database, documents,
``config.toml``, logs and ``server.json``. The default comes from platformdirs; ``--data-dir`` or
``HEARTH_DATA_DIR`` choose another.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from core.errors import Invalid

APP_NAME = "Hearth"
DATA_DIR_ENV = "HEARTH_DATA_DIR"


def default_data_dir() -> Path:
    """The per-user data directory the platform prescribes (e.g. ``~/.local/share/Hearth``)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_data_dir(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    """The data directory: an explicit path, else ``HEARTH_DATA_DIR``, else the default."""
    if explicit:
        return Path(explicit).expanduser()
    if env.get(DATA_DIR_ENV):
        return Path(env[DATA_DIR_ENV]).expanduser()
    return default_data_dir()


def make_demo_data_dir() -> Path:
    """A fresh throw-away directory for ``--demo`` runs."""
    return Path(tempfile.mkdtemp(prefix="hearth-demo-"))


@dataclass(frozen=True)
class DataPaths:
    """The files and folders inside one data directory."""

    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "config.toml"

    @property
    def database_file(self) -> Path:
        return self.root / "hearth.sqlite3"

    @property
    def documents_dir(self) -> Path:
        return self.root / "documents"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def log_file(self) -> Path:
        return self.logs_dir / "hearth.log"

    @property
    def server_file(self) -> Path:
        return self.root / "server.json"

    @property
    def secrets_fallback_file(self) -> Path:
        return self.root / "secrets.json"

    def ensure(self) -> None:
        """Create the data directory and its sub-folders, or raise ``Invalid`` saying why not.

        Writability is checked by writing a probe file, since permission bits alone do not tell
        (read-only mounts, ACLs, running as root).
        """
        try:
            for folder in (self.root, self.documents_dir, self.logs_dir):
                folder.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".write-probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            raise Invalid(
                f"data directory {self.root} is not usable: {e.strerror or e}", field="data_dir"
            ) from e
