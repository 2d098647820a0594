"""The installed ``hearth`` command, run as a user runs it (a real process, real signals)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

import core

HEARTH = str(Path(sys.executable).with_name("hearth"))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"  # never the real keyring
    env.update(extra)
    return env


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [HEARTH, *args],
        capture_output=True,
        text=True,
        env=env or _env(),
        timeout=timeout,
        check=False,
    )


def _one_line_error(result) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"hearth {core.__version__}"


def test_unknown_options_are_one_line_and_exit_2(tmp_path):
    result = run("--frobnicate")
    assert result.returncode == 2
    assert "--frobnicate" in _one_line_error(result)
    assert run("serve", "--port", "http").returncode == 2
    assert run("api-key", "explode").returncode == 2


def test_api_keys_from_the_command_line(tmp_path):
    data = str(tmp_path / "data")
    created = run("api-key", "create", "brightsync", "--data-dir", data)
    assert created.returncode == 0, created.stderr
    key = created.stdout.splitlines()[-1]
    assert key.startswith("hth_")
    assert created.stdout.strip() == key  # alone on stdout
    listed = run("--data-dir", data, "api-key", "list")
    assert "brightsync" in listed.stdout
    assert key not in listed.stdout
    assert key[:12] not in listed.stdout
    again = run("api-key", "create", "brightsync", "--data-dir", data)
    assert "already exists" in _one_line_error(again)
    assert run("api-key", "revoke", "brightsync", "--data-dir", data).returncode == 0
    assert "brightsync" not in run("api-key", "list", "--data-dir", data).stdout
    missing = run("api-key", "revoke", "brightsync", "--data-dir", data)
    assert "no API key named" in _one_line_error(missing)


def test_the_data_dir_comes_from_the_environment(tmp_path):
    data = tmp_path / "from-env"
    result = run("api-key", "create", "k", env=_env(HEARTH_DATA_DIR=str(data)))
    assert result.returncode == 0
    assert (data / "hearth.sqlite3").exists()


def test_an_unusable_data_dir_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run("api-key", "list", "--data-dir", str(blocker / "data"))
    assert result.returncode == 1
    assert "data directory" in _one_line_error(result)


def test_an_invalid_setting_names_the_key(tmp_path):
    result = run(
        "api-key", "list", "--data-dir", str(tmp_path), env=_env(HEARTH_LOGGING_LEVEL="LOUD")
    )
    line = _one_line_error(result)
    assert "logging.level" in line
    assert "HEARTH_LOGGING_LEVEL" in line


class Served:
    """A running ``hearth serve`` process."""

    def __init__(self, data: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.data = data
        self.process = subprocess.Popen(
            [HEARTH, "serve", "--data-dir", str(data), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env or _env(),
        )
        deadline = time.monotonic() + 30
        while not (data / "server.json").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                out, err = self.process.communicate()
                raise AssertionError(f"hearth serve did not start:\n{out}\n{err}")
            time.sleep(0.05)
        self.info = json.loads((data / "server.json").read_text())
        self.url = self.info["url"]

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, err


def test_serve_listens_writes_server_json_and_stops_cleanly(tmp_path):
    data = tmp_path / "data"
    key = run("api-key", "create", "k", "--data-dir", str(data)).stdout.strip()
    served = Served(data, "--port", "0")
    assert served.url.startswith("http://127.0.0.1:")
    assert served.info["pid"] == served.process.pid
    assert httpx.get(served.url + "/health").status_code == 200
    headers = {"Authorization": f"Bearer {key}"}
    assert httpx.get(served.url + "/api/v1/contacts", headers=headers).status_code == 200
    code, out, err = served.stop()
    assert code == 0, err
    assert served.url in out
    assert "Traceback" not in err
    assert not (data / "server.json").exists()
    # The database was closed: SQLite folds and removes its WAL file on the last close.
    assert not (data / "hearth.sqlite3-wal").exists()
    assert (data / "logs" / "hearth.log").read_text().count("stopped cleanly") == 1


def test_serve_finishes_in_flight_requests_on_sigint(tmp_path):
    data = tmp_path / "data"
    key = run("api-key", "create", "k", "--data-dir", str(data)).stdout.strip()
    served = Served(data, "--port", "0")
    signalled = threading.Event()

    def slow_body():
        yield b'{"firstName": "Slow",'
        served.process.send_signal(signal.SIGINT)
        signalled.set()
        time.sleep(1.0)
        yield b' "lastName": "Request"}'

    response = httpx.post(
        served.url + "/api/v1/contacts",
        content=slow_body(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert signalled.is_set()
    assert response.status_code == 201
    code = served.process.wait(timeout=30)
    assert code == 0
    # What it answered was committed.
    restarted = Served(data, "--port", "0")
    try:
        listed = httpx.get(
            restarted.url + "/api/v1/contacts", headers={"Authorization": f"Bearer {key}"}
        ).json()
        assert [c["lastName"] for c in listed["items"]] == ["Request"]
    finally:
        assert restarted.stop()[0] == 0


def test_the_port_comes_from_hearth_port(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = Served(tmp_path / "data", env=_env(HEARTH_PORT=str(port)))
    assert served.url == f"http://127.0.0.1:{port}"
    assert served.stop()[0] == 0


def test_a_port_in_use_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--data-dir", str(tmp_path), "--port", str(port))
    line = _one_line_error(result)
    assert f"port {port}" in line
    assert "in use" in line
    assert not (tmp_path / "server.json").exists()


def test_non_loopback_addresses_need_a_deliberate_choice(tmp_path):
    result = run("serve", "--data-dir", str(tmp_path), "--host", "0.0.0.0", "--port", "0")
    assert "allow_remote" in _one_line_error(result)


def test_no_display_points_to_serve(tmp_path):
    result = run("--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert "hearth serve" in _one_line_error(result)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_both_signals_stop_with_status_0(tmp_path, sig):
    served = Served(tmp_path / "data", "--port", "0")
    code, _, err = served.stop(sig)
    assert code == 0, err


def test_serve_demo_uses_a_throw_away_data_dir(tmp_path):
    process = subprocess.Popen(
        [HEARTH, "serve", "--demo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        key_line = process.stdout.readline()
        serving_line = process.stdout.readline()
        key = key_line.rsplit(" ", 1)[-1].strip()
        url = serving_line.split()[3]
        data_dir = Path(serving_line.rsplit("(data dir ", 1)[1].rstrip(")\n"))
        contacts = httpx.get(
            url + "/api/v1/contacts", headers={"Authorization": f"Bearer {key}"}
        ).json()
        assert contacts["total"] > 100
        assert data_dir.is_dir()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0
    assert not data_dir.exists()
