"""The one door to secrets: OAuth refresh tokens, signing keys. Never the config or the database.

Secrets go to the operating system's keyring (macOS Keychain, Windows Credential Locker, the
Secret Service on Linux desktops). Where no secure keyring exists (a headless server, a minimal
Linux), Hearth says so and falls back, explicitly, to ``DATA_DIR/secrets.json`` readable only by
the user (mode 0600): protected by file permissions, not by encryption. ``is_secure`` tells which.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Protocol

import keyring
import keyring.errors

log = logging.getLogger(__name__)


class SecretStore(Protocol):
    """Where secrets live. Keys are short names such as ``oauth:google:alex@example.com``."""

    is_secure: bool
    """True for an OS keyring; False for the file fallback."""

    description: str
    """What backs the store, for the GUI and logs (never a secret)."""

    def get(self, name: str) -> str | None:
        """The secret called ``name``, or None when there is none."""
        ...

    def set(self, name: str, value: str) -> None:
        """Store (or replace) a secret."""
        ...

    def delete(self, name: str) -> None:
        """Forget a secret; no error if it was not there."""
        ...


class KeyringSecretStore:
    """Secrets in the OS keyring, under a service name unique to one data directory."""

    is_secure = True

    def __init__(self, data_dir: Path) -> None:
        digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
        self.service = f"Hearth/{digest}"
        self.description = f"system keyring ({type(keyring.get_keyring()).__name__})"

    def get(self, name: str) -> str | None:
        return keyring.get_password(self.service, name)

    def set(self, name: str, value: str) -> None:
        keyring.set_password(self.service, name, value)

    def delete(self, name: str) -> None:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(self.service, name)


class FileSecretStore:
    """The documented fallback: a JSON file only its owner can read (0600)."""

    is_secure = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"file {path} (no secure system keyring available)"
        self._lock = threading.Lock()

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def _save(self, data: dict[str, str]) -> None:
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(temporary, self.path)

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._load().get(name)

    def set(self, name: str, value: str) -> None:
        with self._lock:
            data = self._load()
            data[name] = value
            self._save(data)

    def delete(self, name: str) -> None:
        with self._lock:
            data = self._load()
            if data.pop(name, None) is not None:
                self._save(data)


def keyring_is_secure() -> bool:
    """Whether the active keyring backend really stores secrets (not the 'fail' or null one)."""
    backend = keyring.get_keyring()
    module = type(backend).__module__
    if module.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return False
    if module.startswith("keyring.backends.chainer"):
        return bool(getattr(backend, "backends", []))
    return float(getattr(backend, "priority", 0)) > 0


def open_secret_store(data_dir: Path, fallback_file: Path) -> SecretStore:
    """The OS keyring when a secure one exists, else the file fallback (with a logged warning)."""
    if keyring_is_secure():
        return KeyringSecretStore(data_dir)
    log.warning(
        "no secure system keyring is available; secrets are kept in %s (mode 0600)", fallback_file
    )
    return FileSecretStore(fallback_file)
