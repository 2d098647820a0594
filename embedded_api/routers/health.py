"""``/health``: an unauthenticated liveness probe that also checks the database answers."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

import core
from embedded_api.deps import CoreDep, quick_read
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
async def get_health(core_: CoreDep) -> HealthOut | JSONResponse:
    """Liveness and database check (no API key needed); 503 when the database does not answer."""
    try:
        # Reads the schema, not just a constant: a damaged or missing database fails here.
        await quick_read(core_, lambda session: session.execute(_SCHEMA_VERSION).all())
    except SQLAlchemyError:
        log.exception("health check: the database does not answer")
        body = HealthOut(status="degraded", version=core.__version__, database="unavailable")
        return JSONResponse(body.model_dump(by_alias=True), status_code=503)
    return HealthOut(status="ok", version=core.__version__, database="ok")
