"""Request guards that run before any route: loopback Host and Origin checks, body size limit.

Written as plain ASGI middleware (no per-request task or body buffering) so they cost almost
nothing on the hot path.

- DNS rebinding: a page on ``evil.example`` that resolves its name to 127.0.0.1 can make the
  browser talk to us, but the ``Host`` header still says ``evil.example``: only loopback names are
  accepted (plus names the user configured deliberately).
- Cross-origin browser requests: any ``Origin`` that is not a loopback origin is refused, and no
  CORS headers are ever sent, so browsers also refuse to hand our answers to other sites.
- Bodies larger than the limit are refused with 413, by ``Content-Length`` up front or by counting
  while the body streams in, before the route sees a byte too many.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (no port) is a loopback name or address."""
    name = host.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def split_host(header: str) -> str:
    """The host part of a ``Host`` header value (``[::1]:8765`` -> ``[::1]``)."""
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


async def _reply(send: Send, status: int, title: str, detail: str) -> None:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class LoopbackGuard:
    """Refuses requests whose Host is not loopback (or listed) and cross-origin browser calls."""

    def __init__(self, app: ASGIApp, extra_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.extra_hosts = frozenset(h.lower() for h in extra_hosts if h)

    def _allowed(self, host: str) -> bool:
        return is_loopback_host(host) or host.lower() in self.extra_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host_header = _header(scope, b"host")
        if host_header is None or not self._allowed(split_host(host_header)):
            await _reply(
                send, 403, "Forbidden", "requests must address this machine by a loopback name"
            )
            return
        origin = _header(scope, b"origin")
        if origin is not None:
            origin_host = urlsplit(origin).hostname if origin != "null" else None
            if origin_host is None or not self._allowed(origin_host):
                await _reply(send, 403, "Forbidden", "cross-origin requests are not allowed")
                return
        if _header(scope, b"sec-fetch-site") == "cross-site":
            await _reply(send, 403, "Forbidden", "cross-origin requests are not allowed")
            return
        await self.app(scope, receive, send)


class _TooLarge(HTTPException):
    """Raised from ``receive``: an HTTPException, so the framework answers 413 rather than 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request bodies are limited to {limit} bytes")


class BodySizeLimit:
    """Answers 413 to any request body larger than ``limit`` bytes.

    ``limit_for`` may give a route its own limit (document uploads stream far more).
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        limit_for: Callable[[str], int | None] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if self.limit_for is not None:
            limit = self.limit_for(scope.get("path", "")) or limit
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _reply(
                send, 413, "Content too large", f"request bodies are limited to {limit} bytes"
            )
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _reply(
                    send, 413, "Content too large", f"request bodies are limited to {limit} bytes"
                )


class SecurityHeaders:
    """Adds headers that keep browsers from sniffing, framing or leaking our answers."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cache-control", b"no-store"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {bytes(k).lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
