"""``/health``: an unauthenticated liveness probe that also checks the database answers.

A caller that presents an API key (Bearer, ``X-API-Key`` or Enginy's configured header) has it
checked too, and gets 401 for a wrong one: Enginy validates a connection by calling ``/health``
with its key, and a wrong key must fail there rather than at the first export.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException

import core
from embedded_api.auth import UNAUTHORIZED_HEADERS, authenticate_async, presented_key
from embedded_api.deps import CoreDep, quickly
from embedded_api.schemas.common import ApiModel

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])
_SCHEMA_VERSION = text("SELECT version_num FROM alembic_version")


class HealthOut(ApiModel):
    """The server is up; ``database`` is ``ok`` when a query just succeeded."""

    status: str
    version: str
    database: str


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def get_health(core_: CoreDep, request: Request) -> HealthOut | JSONResponse:
    """Liveness and database check (no API key needed); 503 when the database does not answer,
    401 when a key is presented and is not valid."""
    try:
        # Reads the schema, not just a constant: a damaged or missing database fails here.
        await quickly(core_, lambda: core_.database.read_one(_SCHEMA_VERSION, {}))
    except SQLAlchemyError:
        log.exception("health check: the database does not answer")
        body = HealthOut(status="degraded", version=core.__version__, database="unavailable")
        return JSONResponse(body.model_dump(by_alias=True), status_code=503)
    key = presented_key(request, core_.settings.enginy.api_key_header)
    if key is not None and await authenticate_async(request, key) is None:
        raise HTTPException(401, "the API key presented is not valid", UNAUTHORIZED_HEADERS)
    return HealthOut(status="ok", version=core.__version__, database="ok")
