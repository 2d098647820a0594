"""Backend: core + embedded API opened and closed as one, without Qt."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from core.errors import HearthError
from desktop.backend import Backend, BackendStatus, ServerState, describe_error


def test_start_serves_and_stop_undoes_everything(data_dir):
    backend = Backend(data_dir, {}, {"server.port": 0})
    try:
        status = backend.start()
        assert status.state is ServerState.RUNNING
        assert status.url is not None
        assert httpx.get(f"{status.url}/health").status_code == 200
        server_file = data_dir / "server.json"
        assert json.loads(server_file.read_text())["url"] == status.url
        assert backend.core is not None
    finally:
        backend.stop()

    assert backend.status.state is ServerState.STOPPED
    assert backend.status.url is None
    assert backend.core is None
    assert not (data_dir / "server.json").exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{status.url}/health")
    backend.stop()  # idempotent


def test_a_port_in_use_fails_with_a_clear_message_and_keeps_the_core(data_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        backend = Backend(data_dir, {}, {"server.port": port})
        try:
            with pytest.raises(HearthError, match="already in use"):
                backend.start()
            status = backend.status
            assert status.state is ServerState.FAILED
            assert status.describe().startswith(f"failed: port {port} ")
            assert backend.core is not None, "a busy port must not take the local CRM away"
            assert not (data_dir / "server.json").exists()
        finally:
            backend.stop()
    assert backend.status.state is ServerState.STOPPED


def test_stop_before_start_means_start_does_nothing(data_dir):
    backend = Backend(data_dir, {}, {"server.port": 0})
    backend.stop()
    status = backend.start()

    assert status.state is ServerState.STOPPED
    assert backend.core is None
    assert not data_dir.exists()


def test_start_twice_is_a_programming_error(data_dir):
    backend = Backend(data_dir, {}, {"server.port": 0})
    try:
        backend.start()
        with pytest.raises(RuntimeError, match="already been started"):
            backend.start()
    finally:
        backend.stop()


def test_describe_error_prefers_core_messages():
    assert describe_error(HearthError("port 1 is in use")) == "port 1 is in use"
    assert describe_error(OSError("disk full")) == "OSError: disk full"
    assert describe_error(RuntimeError()) == "RuntimeError"


def test_status_describes_failure(tmp_path):
    failed = BackendStatus(ServerState.FAILED, tmp_path, error="the port is taken")
    assert failed.describe() == "failed: the port is taken"
    assert BackendStatus(ServerState.RUNNING, tmp_path).describe() == "running"


def test_a_server_that_dies_on_its_own_shows_as_failed(data_dir):
    backend = Backend(data_dir, {}, {"server.port": 0})
    try:
        backend.start()
        server = backend._server  # stopped behind the backend's back, as a crash would
        assert server is not None
        server.stop()

        status = backend.status
        assert status.state is ServerState.FAILED
        assert "stopped unexpectedly" in status.describe()
    finally:
        backend.stop()
    assert backend.status.state is ServerState.STOPPED
    assert not (data_dir / "server.json").exists()


def test_a_demo_data_dir_can_be_opened_again(data_dir):
    from sqlalchemy import func, select

    from core.demo import DemoScale
    from core.models import Contact

    keys = []
    for _ in range(2):
        backend = Backend(data_dir, {}, {"server.port": 0}, demo=True)
        try:
            status = backend.start()
            keys.append(status.demo_key)
            response = httpx.get(
                status.url + "/api/v1/contacts",
                headers={"Authorization": f"Bearer {status.demo_key}"},
            )
            assert response.status_code == 200
            with backend.core.database.read() as session:
                contacts = session.scalar(select(func.count()).select_from(Contact))
        finally:
            backend.stop()
        # The second run kept the first run's demo data rather than adding a second copy.
        assert contacts == DemoScale.demo().contacts
    assert keys[0] != keys[1]
