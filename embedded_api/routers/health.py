"""``/health``: an unauthenticated liveness probe that also checks the database answers."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

import core
from embedded_api.deps import CoreDep
from embedded_api.schemas.common import ApiModel

router = APIRouter(tags=["health"])


class HealthOut(ApiModel):
    """The server is up; ``database`` is ``ok`` when a query just succeeded."""

    status: str
    version: str
    database: str


@router.get("/health")
def get_health(core_: CoreDep) -> HealthOut:
    """Liveness and database check (no API key needed)."""
    with core_.database.read() as session:
        session.execute(text("SELECT 1"))
    return HealthOut(status="ok", version=core.__version__, database="ok")
