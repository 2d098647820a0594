"""BrightSync Email Sync (spec 000): ``/api/v1/emails``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from embedded_api.auth import require_api_key

router = APIRouter(
    prefix="/api/v1/emails", tags=["BrightSync email"], dependencies=[Depends(require_api_key)]
)
