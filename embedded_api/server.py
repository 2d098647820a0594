"""Running the embedded API in a background thread, with an explicit start and stop.

The desktop app and ``hearth serve`` share this: :meth:`ApiServer.start` binds the socket (so a
port in use is reported at once, as :class:`core.errors.Invalid`), starts uvicorn in a thread and
waits until it accepts connections; :meth:`ApiServer.stop` lets in-flight requests finish and
joins the thread.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import logging
import os
import socket
import threading
import time
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from core.errors import Invalid

log = logging.getLogger(__name__)


def _family(host: str) -> socket.AddressFamily:
    try:
        return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        return socket.AF_INET


def bind_socket(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (0 = any free port); ``Invalid`` says why not."""
    # proto must say TCP: asyncio only turns Nagle's algorithm off (TCP_NODELAY) on accepted
    # sockets whose proto is IPPROTO_TCP, and with Nagle on, every small keep-alive response
    # waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise Invalid(
                f"port {port} on {host} is already in use "
                "(choose another with --port, or --port 0 for any free port)",
                field="server.port",
            ) from e
        if e.errno in (errno.EACCES, errno.EPERM):
            raise Invalid(f"not allowed to listen on {host}:{port}", field="server.port") from e
        raise Invalid(
            f"cannot listen on {host}:{port}: {e.strerror or e}", field="server.host"
        ) from e
    except (socket.gaierror, OverflowError) as e:
        sock.close()
        raise Invalid(f"cannot listen on {host}:{port}: {e}", field="server.host") from e
    sock.set_inheritable(True)
    return sock


class ApiServer:
    """The embedded HTTP server, in a thread of its own."""

    def __init__(self, app: FastAPI, host: str, port: int, graceful_timeout: int = 10) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.graceful_timeout = graceful_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int | None = None
        self.error: BaseException | None = None

    @property
    def url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:8765``."""
        if self.port is None:
            raise RuntimeError("the server has not started")
        host = f"[{self.host}]" if _family(self.host) == socket.AF_INET6 else self.host
        return f"http://{host}:{self.port}"

    @property
    def bound_address(self) -> tuple[str, int] | None:
        """The address the listening socket is bound to, while it is open."""
        if self._socket is None:
            return None
        host, port = self._socket.getsockname()[:2]
        return host, port

    @property
    def is_running(self) -> bool:
        """Whether the server thread is alive and serving."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 15.0) -> str:
        """Bind, start serving in a thread, and return the URL once it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the server is already started")
        self._socket = bind_socket(self.host, self.requested_port)
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=self.graceful_timeout,
            server_header=False,
        )
        server = uvicorn.Server(config)
        self._server = server
        sockets = [self._socket]

        def serve() -> None:
            try:
                server.run(sockets=sockets)
            except BaseException as e:  # reported through self.error and is_running
                self.error = e
                log.exception("embedded API server stopped with an error")

        self._thread = threading.Thread(target=serve, name="hearth-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the embedded API did not start: {self.error or 'timed out'}")
            time.sleep(0.005)
        log.info("embedded API listening on %s", self.url)
        return self.url

    def stop(self, timeout: float | None = None) -> None:
        """Stop accepting, let in-flight requests finish, and join the thread (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout if timeout is not None else self.graceful_timeout + 5)
            if self._thread.is_alive():
                log.warning("embedded API thread did not stop in time")
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._server = None


def write_server_file(path: Path, url: str) -> None:
    """Write ``server.json`` (``{"url", "pid"}``) atomically, so readers never see half of it."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
    os.replace(temporary, path)


def remove_server_file(path: Path) -> None:
    """Remove ``server.json`` if it is ours (another process may have taken over)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if data.get("pid") == os.getpid():
        path.unlink(missing_ok=True)
