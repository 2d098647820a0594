"""Dependency aliases shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from core.runtime import HearthCore


def core_of(request: Request) -> HearthCore:
    """The Hearth core the app was created with."""
    core: HearthCore = request.app.state.core
    return core


CoreDep = Annotated[HearthCore, Depends(core_of)]
