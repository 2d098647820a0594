"""The desktop app's entry point: the QApplication, the main window and the backend, wired up.

``hearth`` (see :mod:`desktop.cli`) calls :func:`run_desktop` once it knows a display exists. The
window appears at once; the database is opened and the embedded API started on a worker thread,
and the window shows how that went. Quitting stops the server, removes ``server.json``, closes
the database and joins every worker thread before :func:`run_desktop` returns.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from types import FrameType
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from core.paths import APP_NAME
from desktop.backend import Backend
from desktop.main_window import MainWindow

log = logging.getLogger(__name__)

EXIT_OK = 0
# Python runs its signal handlers only when it gets control; Qt's event loop gives it none
# unless a timer wakes the interpreter now and then.
_SIGNAL_POLL_MS = 200


def icon_path(name: str) -> Path:
    """The path of ``resources/icons/NAME.svg`` (a plain file, as napari keeps its icons)."""
    return Path(str(resources.files("resources").joinpath("icons", f"{name}.svg")))


def application() -> QApplication:
    """The running QApplication, or a new one named Hearth (Qt gets none of our arguments)."""
    existing = QApplication.instance()
    if existing is not None:
        if not isinstance(existing, QApplication):
            raise RuntimeError("a non-GUI QCoreApplication is already running")
        app = existing
    else:
        app = QApplication([sys.argv[0] if sys.argv else "hearth"])
    app.setApplicationName(APP_NAME)
    app.setWindowIcon(QIcon(str(icon_path("hearth"))))
    return app


@contextlib.contextmanager
def close_on_signals(window: MainWindow) -> Iterator[None]:
    """While inside, SIGINT (Ctrl+C in the terminal) and SIGTERM close ``window`` cleanly."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, closing", signal.Signals(signum).name)
        QTimer.singleShot(0, window.close)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    wake = QTimer()
    wake.setInterval(_SIGNAL_POLL_MS)
    wake.timeout.connect(lambda: None)
    wake.start()
    try:
        yield
    finally:
        wake.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_desktop(
    data_dir: Path, env: Mapping[str, str], overrides: Mapping[str, Any], demo: bool = False
) -> int:
    """Show the main window for ``data_dir`` and run until the user quits; returns 0.

    A backend that fails to start (a port in use, an unusable data dir) is shown in the window,
    not raised: the user reads why, and quits.
    """
    app = application()
    backend = Backend(data_dir, env, overrides, demo=demo, configure_logs=True)
    window = MainWindow(backend)
    try:
        with close_on_signals(window):
            window.show()
            window.start_backend()
            app.exec()
    finally:
        # Normally already done by closing the window; this covers an event loop ended by
        # QApplication.exit() (or an exception), with no loop left to wait in.
        window.shutdown_now()
    return EXIT_OK
