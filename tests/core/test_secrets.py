"""Secrets go to the OS keyring, or to the explicit 0600 file fallback when none is secure."""

from __future__ import annotations

import stat

import keyring
from keyring.backends import fail

from core.secrets import FileSecretStore, KeyringSecretStore, open_secret_store


def test_the_keyring_is_used_when_it_is_secure(tmp_path, memory_keyring):
    store = open_secret_store(tmp_path, tmp_path / "secrets.json")
    assert isinstance(store, KeyringSecretStore)
    assert store.is_secure
    store.set("oauth:google:a@b.example", "refresh-token")
    assert store.get("oauth:google:a@b.example") == "refresh-token"
    assert "refresh-token" in memory_keyring.secrets.values()
    store.delete("oauth:google:a@b.example")
    store.delete("oauth:google:a@b.example")  # twice is fine
    assert store.get("oauth:google:a@b.example") is None
    assert not (tmp_path / "secrets.json").exists()


def test_two_data_dirs_do_not_share_secrets(tmp_path):
    one = open_secret_store(tmp_path / "one", tmp_path / "one.json")
    two = open_secret_store(tmp_path / "two", tmp_path / "two.json")
    one.set("k", "v1")
    assert two.get("k") is None


def test_the_file_fallback_is_private(tmp_path, caplog):
    keyring.set_keyring(fail.Keyring())
    store = open_secret_store(tmp_path, tmp_path / "secrets.json")
    assert isinstance(store, FileSecretStore)
    assert not store.is_secure
    assert "no secure system keyring" in caplog.text
    store.set("k", "v")
    mode = stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode)
    assert mode == 0o600
    assert FileSecretStore(tmp_path / "secrets.json").get("k") == "v"
    store.delete("k")
    assert store.get("k") is None
