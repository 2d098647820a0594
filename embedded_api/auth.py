"""API-key authentication for every endpoint but the few public ones.

A key is accepted as ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``. Each request checks the
key against the database (one indexed lookup), so a revoked key fails on its next use.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from core.runtime import HearthCore
from core.services.api_keys import (
    ApiKeyInfo,
    check_api_key,
    find_api_key,
    last_use_is_stale,
    mark_api_key_used,
)
from embedded_api.deps import core_of, quickly

bearer_scheme = HTTPBearer(auto_error=False, description="`Authorization: Bearer KEY`")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: KEY`")

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="hearth"'}


def presented_key(request: Request, extra_header: str | None = None) -> str | None:
    """The key a request carries, from Bearer, ``X-API-Key`` or ``extra_header``."""
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    for header in (extra_header, "x-api-key"):
        if header and request.headers.get(header):
            return request.headers[header].strip()
    return None


def authenticate(request: Request, key: str | None) -> ApiKeyInfo | None:
    """The key's info when it is valid, recording its use now and then (for ``def`` code)."""
    if not key:
        return None
    core = core_of(request)
    with core.database.read() as session:
        info = find_api_key(session, key)
    if info is not None and last_use_is_stale(info):
        _mark_used(core, info.id)
    return info


async def authenticate_async(request: Request, key: str | None) -> ApiKeyInfo | None:
    """:func:`authenticate` for the event loop: the check is a :func:`quick_read`."""
    if not key:
        return None
    core = core_of(request)
    info = await quickly(core, lambda: check_api_key(core.database, key))
    if info is not None and last_use_is_stale(info):
        await run_in_threadpool(_mark_used, core, info.id)
    return info


def _mark_used(core: HearthCore, key_id: int) -> None:
    with core.database.write() as session:
        mark_api_key_used(session, key_id)


async def require_api_key(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    _header: Annotated[str | None, Security(api_key_scheme)],
) -> ApiKeyInfo:
    """Dependency: the caller's API key, or 401 in problem+json."""
    info = await authenticate_async(request, presented_key(request))
    if info is None:
        raise HTTPException(401, "a valid API key is required", headers=UNAUTHORIZED_HEADERS)
    request.state.api_key = info
    return info


ApiKeyDep = Annotated[ApiKeyInfo, Depends(require_api_key)]
