"""BrightSync Calendar Sync (spec 002): ``/api/v1/events`` and ``/api/v1/deletedEvents``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from embedded_api.auth import require_api_key

router = APIRouter(
    prefix="/api/v1", tags=["BrightSync calendar"], dependencies=[Depends(require_api_key)]
)
