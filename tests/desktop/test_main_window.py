"""The main window with a real backend: a real server on a free port, real HTTP, clean shutdown.

Also the ``hearth`` command's desktop path: refusing without a display, and a full run of
``run_desktop`` through ``desktop.cli.main``.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from core.events import ChangeEvent
from core.services.companies import create_company
from desktop import cli
from desktop.backend import Backend, ServerState
from desktop.main_window import MainWindow
from tests.desktop.conftest import python_threads, wait_for_threads_to_end

pytestmark = pytest.mark.gui

START_TIMEOUT_MS = 30_000

MakeWindow = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot, data_dir: Path) -> Iterator[MakeWindow]:
    """Build a MainWindow on a real Backend for this test's data dir (port 0 unless told)."""
    windows: list[MainWindow] = []

    def make(port: int = 0, demo: bool = False, directory: Path | None = None) -> MainWindow:
        backend = Backend(directory or data_dir, {}, {"server.port": port}, demo=demo)
        window = MainWindow(backend)
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown_now()


def start_and_wait(qtbot, window: MainWindow, *states: ServerState) -> None:
    window.show()
    window.start_backend()
    qtbot.waitUntil(lambda: window.status.state in states, timeout=START_TIMEOUT_MS)


def close_and_wait(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.shutdown_finished, timeout=START_TIMEOUT_MS):
        window.close()
    qtbot.waitUntil(lambda: not window.isVisible())


def test_window_shows_title_data_dir_and_state(qtbot, make_window, data_dir):
    window = make_window()

    assert window.windowTitle() == "Hearth"
    panel = window.server_panel
    assert panel.data_dir_field.text() == str(data_dir)
    assert panel.state_label.text() == "not started"
    assert panel.url_field.text() == ""
    assert not panel.demo_key_field.isVisibleTo(window)


def test_running_server_answers_and_closing_the_window_stops_it(qtbot, make_window, data_dir):
    threads_before = python_threads()
    window = make_window()
    states: list[str] = []
    window.status_changed.connect(lambda status: states.append(status.describe()))

    start_and_wait(qtbot, window, ServerState.RUNNING)

    panel = window.server_panel
    url = panel.url_field.text()
    assert url.startswith("http://127.0.0.1:")
    assert panel.state_label.text() == "running"
    response = httpx.get(f"{url}/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    server_file = data_dir / "server.json"
    assert json.loads(server_file.read_text())["url"] == url

    close_and_wait(qtbot, window)

    assert states == ["starting", "running", "stopping", "stopped"]
    assert panel.state_label.text() == "stopped"
    assert window.is_shut_down
    assert window.ops.is_shut_down
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health", timeout=2)
    assert not server_file.exists()
    assert window.backend.core is None
    assert wait_for_threads_to_end(python_threads() - threads_before, 5) == []


def test_a_port_in_use_shows_failed_and_the_window_stays_usable(qtbot, make_window, data_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        window = make_window(port=port)

        start_and_wait(qtbot, window, ServerState.FAILED)

        text = window.server_panel.state_label.text()
        assert text.startswith(f"failed: port {port} on 127.0.0.1 is already in use")
        assert "--port" in text, "the message should say what to do"
        assert window.isVisible()
        assert window.server_panel.url_field.text() == ""
        assert not (data_dir / "server.json").exists()

        close_and_wait(qtbot, window)
    assert window.server_panel.state_label.text() == "stopped"


def test_the_window_notices_a_server_that_died(qtbot, make_window):
    window = make_window()
    start_and_wait(qtbot, window, ServerState.RUNNING)
    server = window.backend._server  # stopped behind the backend's back, as a crash would
    assert server is not None
    server.stop()

    qtbot.waitUntil(lambda: window.status.state is ServerState.FAILED, timeout=5000)
    assert "stopped unexpectedly" in window.server_panel.state_label.text()
    close_and_wait(qtbot, window)


def test_an_unusable_data_dir_shows_failed(qtbot, make_window, tmp_path):
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")
    window = make_window(directory=not_a_directory)

    start_and_wait(qtbot, window, ServerState.FAILED)

    assert "is not usable" in window.server_panel.state_label.text()
    close_and_wait(qtbot, window)


def test_quit_is_in_the_file_menu_with_ctrl_q(qtbot, make_window):
    window = make_window()
    action = window.quit_action

    assert QKeySequence("Ctrl+Q") in action.shortcuts()
    file_menu = window.menuBar().actions()[0]
    assert file_menu.text() == "&File"
    assert action in file_menu.menu().actions()

    start_and_wait(qtbot, window, ServerState.RUNNING)
    with qtbot.waitSignal(window.shutdown_finished, timeout=START_TIMEOUT_MS):
        action.trigger()
    assert not window.isVisible()


def test_ctrl_q_from_the_keyboard_quits(qtbot, make_window):
    window = make_window()
    start_and_wait(qtbot, window, ServerState.RUNNING)
    window.activateWindow()
    qtbot.waitActive(window)

    with qtbot.waitSignal(window.shutdown_finished, timeout=START_TIMEOUT_MS):
        qtbot.keyClick(
            window.server_panel.url_field, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier
        )


def test_changes_made_on_a_worker_thread_reach_the_window_on_the_gui_thread(qtbot, make_window):
    window = make_window()
    start_and_wait(qtbot, window, ServerState.RUNNING)
    hearth = window.backend.core
    assert hearth is not None
    assert window.events is not None

    def add_company() -> None:
        with hearth.database.write() as session:
            create_company(session, {"name": "Acme"})

    with qtbot.waitSignal(window.events.changed, timeout=5000) as blocker:
        window.ops.run(add_company)

    event = blocker.args[0]
    assert isinstance(event, ChangeEvent)
    assert (event.record_type, event.action) == ("company", "created")
    close_and_wait(qtbot, window)


def test_failed_ops_are_reported_in_the_status_bar(qtbot, make_window):
    window = make_window()

    def fail() -> None:
        raise OSError("disk on fire")

    window.ops.run(fail)
    qtbot.waitUntil(lambda: "disk on fire" in window.statusBar().currentMessage())


def _demo_available() -> bool:
    try:
        from core.demo import generate_demo_data  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _demo_available(), reason="core.demo.generate_demo_data is not there yet")
def test_demo_mode_shows_a_working_api_key(qtbot, make_window):
    window = make_window(demo=True)
    start_and_wait(qtbot, window, ServerState.RUNNING, ServerState.FAILED)
    assert window.status.state is ServerState.RUNNING, window.status.describe()

    key_field = window.server_panel.demo_key_field
    key = key_field.text()
    assert key
    assert key_field.isVisibleTo(window)
    assert key_field.isReadOnly()
    url = window.server_panel.url_field.text()
    response = httpx.get(f"{url}/api/v1/contacts", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.json()["total"] > 0
    close_and_wait(qtbot, window)


# The command line's desktop path.


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="those always have a display")
def test_hearth_without_a_display_says_use_serve_in_one_line(capsys, tmp_path):
    status = cli.main(["--data-dir", str(tmp_path / "data")], env={})

    assert status == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert "hearth serve" in lines[0]
    assert not (tmp_path / "data").exists(), "nothing is opened without a window to show"


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="those always have a display")
def test_display_available_honours_the_qt_platform_and_display_variables():
    assert not cli.display_available({})
    assert cli.display_available({"QT_QPA_PLATFORM": "offscreen"})
    assert cli.display_available({"DISPLAY": ":0"})
    assert cli.display_available({"WAYLAND_DISPLAY": "wayland-0"})
    assert not cli.display_available({"QT_QPA_PLATFORM": ""})


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """run_desktop configures logging for the process; undo it for the next tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def test_hearth_opens_the_window_serves_and_quits_cleanly(qtbot, data_dir, restore_logging):
    seen: dict[str, object] = {}
    app = QApplication.instance()
    assert app is not None

    def main_window() -> MainWindow | None:
        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
        return next((w for w in windows if w.isVisible()), None)

    def poll() -> None:
        window = main_window()
        if window is None or window.status.state is not ServerState.RUNNING:
            return
        poller.stop()
        try:
            url = window.status.url
            seen["health"] = httpx.get(f"{url}/health").status_code
            seen["server_file"] = json.loads((data_dir / "server.json").read_text())["url"]
            seen["url"] = url
        finally:
            window.quit_action.trigger()

    poller = QTimer()
    poller.setInterval(20)
    poller.timeout.connect(poll)
    poller.start()
    # Should anything go wrong, end the event loop rather than hang the test run.
    QTimer.singleShot(START_TIMEOUT_MS * 2, lambda: app.exit(3))

    status = cli.main(
        ["--data-dir", str(data_dir), "--port", "0"], env={"QT_QPA_PLATFORM": "offscreen"}
    )
    poller.stop()

    assert status == 0
    assert seen["health"] == 200
    assert seen["server_file"] == seen["url"]
    assert not (data_dir / "server.json").exists()
    assert (data_dir / "logs" / "hearth.log").exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{seen['url']}/health", timeout=2)
