"""Dependency aliases shared by the routers, and how a route runs its database work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from core.runtime import HearthCore

T = TypeVar("T")


def core_of(request: Request) -> HearthCore:
    """The Hearth core the app was created with."""
    core: HearthCore = request.app.state.core
    return core


async def _core_dependency(request: Request) -> HearthCore:
    # ``async`` so that FastAPI calls it in place: a plain ``def`` dependency costs a hop to the
    # thread pool on every request.
    return core_of(request)


CoreDep = Annotated[HearthCore, Depends(_core_dependency)]


async def quick_read(core: HearthCore, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a read session, for short reads bounded in size (one record, a lookup of a
    few keys, a key check).

    On SQLite this runs on the event loop itself: a read in WAL mode never waits for a lock and
    takes well under a millisecond, less than handing it to a worker thread costs (the hop and
    the contention for the GIL cost more than the query). Elsewhere (PostgreSQL over a socket)
    it runs in the thread pool. Writes, which may wait their turn, and long lists never come
    here: they are plain ``def`` routes that FastAPI runs in the thread pool.
    """

    def run() -> T:
        with core.database.read() as session:
            return work(session)

    return await quickly(core, run)


async def quickly(core: HearthCore, work: Callable[[], T]) -> T:
    """Run a short database call as :func:`quick_read` does: in place on SQLite, in the thread
    pool elsewhere."""
    if core.database.is_sqlite:
        return work()
    return await run_in_threadpool(work)
