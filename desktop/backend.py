"""A Hearth session's backend: core and the embedded API, opened and closed as one.

:class:`Backend` is plain Python (no Qt): ``hearth serve`` runs it directly, and the window runs
it through :class:`desktop.ops.OpRunner`, since :meth:`~Backend.start` and :meth:`~Backend.stop`
block (migrations, binding a socket, joining the server thread).
"""

from __future__ import annotations

import enum
import gc
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import count
from pathlib import Path
from typing import Any

from core.errors import Conflict, HearthError
from core.runtime import HearthCore, configure_logging, open_core
from core.services.api_keys import create_api_key, list_api_keys
from embedded_api.app import create_app
from embedded_api.middleware import is_loopback_host
from embedded_api.server import ApiServer, remove_server_file, write_server_file

log = logging.getLogger(__name__)


class ServerState(enum.Enum):
    """Where the embedded API is in its life."""

    NOT_STARTED = "not started"
    STARTING = "starting"
    RUNNING = "running"
    FAILED = "failed"
    STOPPING = "stopping"
    STOPPED = "stopped"


@dataclass(frozen=True)
class BackendStatus:
    """A snapshot of the backend, safe to hand across threads."""

    state: ServerState
    data_dir: Path
    url: str | None = None
    """The embedded API's base URL while it runs (``http://127.0.0.1:PORT``)."""
    demo_key: str | None = None
    """The API key created for a demo run (shown once, to the user only)."""
    error: str | None = None
    """Why the state is ``FAILED``: one human sentence."""

    def describe(self) -> str:
        """The state in words: ``running``, ``failed: port 8765 ... is already in use``, ..."""
        if self.state is ServerState.FAILED:
            return f"failed: {self.error or 'unknown error'}"
        return self.state.value


def describe_error(error: BaseException) -> str:
    """One line a user can read: core's own message, else the exception's text and type."""
    if isinstance(error, HearthError):
        return error.message
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def check_listen_address(hearth: HearthCore) -> None:
    """Refuse a non-loopback address unless the user allowed it deliberately (allow_remote)."""
    server = hearth.settings.server
    if not is_loopback_host(server.host) and not server.allow_remote:
        raise HearthError(
            f"refusing to listen on {server.host}: Hearth serves loopback only unless "
            "server.allow_remote is set (HEARTH_SERVER_ALLOW_REMOTE=true or config.toml)"
        )


def seed_demo(hearth: HearthCore) -> str:
    """Fill a fresh data dir with demo data and return a new API key for this demo run.

    A data dir that already holds data (``--demo --data-dir DIR`` run again) is used as it is:
    demo data never mixes into existing records.
    """
    from core.demo import generate_demo_data  # noqa: PLC0415 - only demo runs need it

    try:
        summary = generate_demo_data(hearth.database, documents_dir=hearth.paths.documents_dir)
        log.info("demo data: %s", summary)
    except Conflict as e:
        log.info("demo: keeping the data already in %s (%s)", hearth.paths.root, e.message)
    with hearth.database.write() as session:
        taken = {info.name for info in list_api_keys(session)}
        names = ("demo" if n == 1 else f"demo-{n}" for n in count(1))
        name = next(candidate for candidate in names if candidate not in taken)
        _, key = create_api_key(session, name)
    return key


class Backend:
    """Owns one data directory's core and embedded API server for a desktop session.

    ``start`` opens the core (running migrations), checks the listen address, seeds demo data when
    asked, starts the API server and writes ``server.json``; ``stop`` undoes all of it. Both block
    and are serialised by a lock, so a ``stop`` issued while ``start`` runs waits for it and then
    undoes it; a ``start`` after ``stop`` does nothing. ``status`` may be read from any thread.
    """

    def __init__(
        self,
        data_dir: Path,
        env: Mapping[str, str],
        overrides: Mapping[str, Any] | None = None,
        *,
        demo: bool = False,
        configure_logs: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.demo = demo
        self._env = env
        self._overrides = dict(overrides or {})
        self._configure_logs = configure_logs
        self._lock = threading.Lock()
        self._closed = False
        self._core: HearthCore | None = None
        self._server: ApiServer | None = None
        self._server_file_written = False
        self._status = BackendStatus(ServerState.NOT_STARTED, data_dir)

    @property
    def core(self) -> HearthCore | None:
        """The open core, or None before ``start`` opened it and after ``stop``.

        The core stays open when only the API server failed (a port in use must not take the
        local CRM away from the user).
        """
        return self._core

    @property
    def status(self) -> BackendStatus:
        """The current status; a server thread that died on its own shows as ``FAILED``."""
        status, server = self._status, self._server
        if status.state is ServerState.RUNNING and server is not None and not server.is_running:
            reason = describe_error(server.error) if server.error else "no error was reported"
            return replace(
                status,
                state=ServerState.FAILED,
                error=f"the embedded API stopped unexpectedly ({reason})",
            )
        return status

    def start(self) -> BackendStatus:
        """Open everything and start serving; blocks. Raises whatever stopped it, after
        recording it in ``status`` as ``FAILED`` (``HearthError`` for the expected cases: an
        unusable data dir, an invalid setting, a port in use)."""
        with self._lock:
            if self._closed:
                return self._status
            if self._status.state is not ServerState.NOT_STARTED:
                raise RuntimeError("the backend has already been started")
            self._set(state=ServerState.STARTING)
            try:
                self._start_locked()
            except Exception as e:
                self._stop_server_locked()
                self._set(state=ServerState.FAILED, url=None, error=describe_error(e))
                if isinstance(e, HearthError):
                    log.warning("the embedded API could not start: %s", e.message)
                else:
                    log.exception("the embedded API could not start")
                raise
            return self._status

    def _start_locked(self) -> None:
        self._core = hearth = open_core(self.data_dir, self._env, self._overrides)
        if self._configure_logs:
            configure_logging(hearth.paths, hearth.settings.logging.level)
        check_listen_address(hearth)
        if self.demo:
            self._set(demo_key=seed_demo(hearth))
        # Before serving: it first processes what was accepted (202) but not processed last time.
        hearth.intake.start()
        settings = hearth.settings.server
        self._server = ApiServer(create_app(hearth), settings.host, settings.port)
        url = self._server.start()
        write_server_file(hearth.paths.server_file, url)
        self._server_file_written = True
        # Everything built so far (modules, the app, its schemas) lives as long as the process:
        # moving it out of the collector's reach keeps full collections from pausing requests
        # for tens of milliseconds.
        gc.freeze()
        self._set(state=ServerState.RUNNING, url=url)

    def stop(self) -> None:
        """Stop the server, remove ``server.json`` and close the core; blocks, never raises,
        and may be called any number of times (also before or instead of ``start``)."""
        with self._lock:
            self._closed = True
            if self._core is None and self._server is None:
                self._set(state=ServerState.STOPPED, url=None)
                return
            self._set(state=ServerState.STOPPING)
            self._stop_server_locked()
            if self._core is not None:
                try:
                    self._core.intake.stop()  # after the server: no more wake-ups come
                    self._core.close()
                except Exception:
                    log.exception("closing the database failed")
                self._core = None
            self._set(state=ServerState.STOPPED, url=None)
            log.info("stopped cleanly")

    def _stop_server_locked(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            try:
                server.stop()
            except Exception:
                log.exception("stopping the embedded API failed")
        if self._server_file_written and self._core is not None:
            self._server_file_written = False
            try:
                remove_server_file(self._core.paths.server_file)
            except OSError:
                log.exception("removing server.json failed")

    def _set(self, **changes: Any) -> None:
        # Statuses are immutable and replaced whole, so readers on other threads never see half.
        self._status = replace(self._status, **changes)
