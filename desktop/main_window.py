"""Hearth's main window: for now, the embedded API's address and state; later the whole GUI.

The window drives the :class:`~desktop.backend.Backend` through its :class:`~desktop.ops.OpRunner`
(opening the database and starting the server happen on a worker thread) and shows what the
backend reports. Closing it (the close button, File ▸ Quit, Ctrl+Q, or the application quitting)
first stops the backend in the background, then really closes: the window stays up, saying
``stopping``, until the server has stopped, ``server.json`` is gone and the database is closed.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from core.events import ProgressEvent
from desktop.backend import Backend, BackendStatus, ServerState, describe_error
from desktop.events import EventBridge
from desktop.ops import OpRunner

log = logging.getLogger(__name__)

WINDOW_TITLE = "Hearth"
STATUS_POLL_MS = 1000  # how often the window notices a server thread that died on its own


def _read_only_field(object_name: str) -> QLineEdit:
    # A read-only line edit rather than a label: it takes keyboard focus (Tab), and its text
    # can be selected and copied without the mouse.
    field = QLineEdit()
    field.setObjectName(object_name)
    field.setReadOnly(True)
    return field


class ServerPanel(QGroupBox):
    """The embedded API at a glance: address, state, data folder and, for a demo, its API key."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Embedded API", parent)
        self.url_field = _read_only_field("serverUrl")
        self.url_field.setPlaceholderText("not listening")
        self.state_label = QLabel()
        self.state_label.setObjectName("serverState")
        self.state_label.setWordWrap(True)
        self.state_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.data_dir_field = _read_only_field("dataDir")
        self.demo_key_field = _read_only_field("demoKey")
        self.demo_key_field.setToolTip(
            "Send it as 'Authorization: Bearer KEY'. It is shown only in this demo session."
        )
        self._form = QFormLayout(self)
        self._form.addRow("&Address:", self.url_field)
        self._form.addRow("State:", self.state_label)
        self._form.addRow("&Data folder:", self.data_dir_field)
        self._form.addRow("Demo API &key:", self.demo_key_field)
        self._form.setRowVisible(self.demo_key_field, False)

    def show_status(self, status: BackendStatus) -> None:
        """Display ``status``."""
        self.url_field.setText(status.url or "")
        self.state_label.setText(status.describe())
        self.data_dir_field.setText(str(status.data_dir))
        self.demo_key_field.setText(status.demo_key or "")
        self._form.setRowVisible(self.demo_key_field, bool(status.demo_key))


class MainWindow(QMainWindow):
    """The main window. It owns ``ops`` and shuts it down when it closes.

    Call :meth:`start_backend` once shown. ``status_changed`` is emitted with each
    :class:`~desktop.backend.BackendStatus` the window shows; ``shutdown_finished`` once the
    backend has stopped and the window is about to close for good.
    """

    status_changed = Signal(object)
    shutdown_finished = Signal()

    def __init__(
        self, backend: Backend, ops: OpRunner | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        self.ops = ops if ops is not None else OpRunner(self, default_failure=self.report_failure)
        self.events: EventBridge | None = None
        self._shown: BackendStatus | None = None
        self._shutting_down = False
        self._shut_down = False

        self.setWindowTitle(WINDOW_TITLE)
        self.resize(640, 280)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setObjectName("quitAction")
        self.quit_action.setShortcuts(_quit_shortcuts())
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.setStatusTip("Stop the embedded API and close Hearth")
        self.quit_action.triggered.connect(self.close)
        # The shortcut works wherever focus is in the window, even with the menu bar hidden.
        self.addAction(self.quit_action)
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.quit_action)

        self.server_panel = ServerPanel()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.server_panel)
        layout.addStretch(1)
        self.setCentralWidget(central)
        self.statusBar()

        self._status_poll = QTimer(self)
        self._status_poll.setInterval(STATUS_POLL_MS)
        self._status_poll.timeout.connect(self.refresh_status)
        self._show_status(backend.status)
        self.server_panel.url_field.setFocus()

    @property
    def status(self) -> BackendStatus:
        """The status the window shows right now."""
        assert self._shown is not None
        return self._shown

    @property
    def is_shut_down(self) -> bool:
        """Whether the backend has been stopped and the window may close."""
        return self._shut_down

    def start_backend(self) -> None:
        """Open the data dir and start the embedded API on a worker thread; the outcome shows."""
        self._show_status(replace(self.backend.status, state=ServerState.STARTING))
        self.ops.run(
            self.backend.start,
            on_success=self._on_backend_started,
            on_failure=self._on_backend_failed,
            name="start backend",
        )
        self._status_poll.start()

    def refresh_status(self) -> None:
        """Show the backend's current status (cheap: no I/O)."""
        self._show_status(self.backend.status)

    def report_failure(self, error: BaseException) -> None:
        """The default failure handler of the window's operations: log, and say it in a line."""
        log.error("operation failed: %s", describe_error(error), exc_info=error)
        self.statusBar().showMessage(f"Error: {describe_error(error)}")

    def begin_shutdown(self) -> None:
        """Stop the backend on a worker thread, then close the window (idempotent)."""
        if self._shutting_down:
            return
        self._shutting_down = True
        self._status_poll.stop()
        self.quit_action.setEnabled(False)
        self._detach_core()
        self._show_status(replace(self.backend.status, state=ServerState.STOPPING))
        self.ops.run(
            self.backend.stop,
            on_success=self._on_backend_stopped,
            on_failure=self._on_backend_stopped,
            name="stop backend",
        )

    def shutdown_now(self) -> None:
        """Stop everything synchronously: for when the event loop has already ended."""
        if self._shut_down:
            return
        self._shutting_down = True
        self._status_poll.stop()
        self._detach_core()
        self.ops.shutdown()
        self.backend.stop()
        self._finish_shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Refuse the first close: stop the backend in the background, then close for real."""
        if self._shut_down:
            event.accept()
            return
        event.ignore()
        self.begin_shutdown()

    def _on_backend_started(self, _status: BackendStatus) -> None:
        self._attach_core()
        self.refresh_status()

    def _on_backend_failed(self, _error: BaseException) -> None:
        # The backend logged it and recorded the message in its status; only show it.
        self._attach_core()
        self.refresh_status()

    def _on_backend_stopped(self, _outcome: object) -> None:
        self.ops.shutdown()
        self._finish_shutdown()
        self.close()

    def _finish_shutdown(self) -> None:
        self._shut_down = True
        self.refresh_status()
        self.shutdown_finished.emit()

    def _attach_core(self) -> None:
        # The core stays open when only the server failed, so its events are worth showing.
        hearth = self.backend.core
        if hearth is None or self.events is not None or self._shutting_down:
            return
        self.events = EventBridge(hearth.events, self)
        self.events.progress.connect(self._show_progress)

    def _detach_core(self) -> None:
        if self.events is not None:
            self.events.close()

    def _show_progress(self, event: ProgressEvent) -> None:
        counts = f" {event.done}/{event.total}" if event.total else ""
        self.statusBar().showMessage(f"{event.job}: {event.stage}{counts}", 5000)

    def _show_status(self, status: BackendStatus) -> None:
        if status == self._shown:
            return
        self._shown = status
        self.server_panel.show_status(status)
        self.status_changed.emit(status)


def _quit_shortcuts() -> list[QKeySequence]:
    # The platform's Quit keys, and Ctrl+Q everywhere (Windows has no standard Quit key).
    keys = list(QKeySequence.keyBindings(QKeySequence.StandardKey.Quit))
    ctrl_q = QKeySequence("Ctrl+Q")
    if ctrl_q not in keys:
        keys.append(ctrl_q)
    return keys
