"""Desktop test fixtures: an offscreen Qt platform, and no thread left behind (napari's rule).

Every test here fails if it leaves a Python thread running (daemon or not: the API server's
thread is a daemon, and a leaked server is exactly what we must catch), a job in Qt's global
thread pool, or a job in any :class:`desktop.ops.OpRunner`.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before Qt is imported anywhere: windows are drawn offscreen unless the caller chose a platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QThreadPool

from desktop.ops import OpRunner

# Threads may take a moment to finish after being told to stop (an idle anyio worker of the
# stopped server wakes up to exit), so a leak is only a thread still alive after this long.
THREAD_GRACE_SECONDS = 5.0


def python_threads() -> set[threading.Thread]:
    """The live Python threads, leaving out the placeholders Python keeps for foreign threads.

    A Qt worker thread that ever ran Python code gets a ``_DummyThread`` entry that Python 3.11
    never removes, alive or not; Qt's pools are checked on their own instead.
    """
    return {t for t in threading.enumerate() if not isinstance(t, threading._DummyThread)}


def wait_for_threads_to_end(threads: set[threading.Thread], timeout: float) -> list[str]:
    """Join ``threads`` for up to ``timeout`` seconds in all; the names of those still alive."""
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return sorted(t.name for t in threads if t.is_alive())


def busy_op_runners() -> list[str]:
    """Descriptions of every live OpRunner that still has work running."""
    return [
        f"{runner!r}: {runner.running_names}"
        for runner in (o for o in gc.get_objects() if isinstance(o, OpRunner))
        if runner.running
    ]


@pytest.fixture(autouse=True)
def _no_leftover_threads() -> Iterator[None]:
    before = python_threads()
    yield
    leftover = wait_for_threads_to_end(python_threads() - before, THREAD_GRACE_SECONDS)
    if leftover:
        pytest.fail(f"the test left threads running: {leftover}")


@pytest.fixture(autouse=True)
def _no_leftover_pool_jobs() -> Iterator[None]:
    yield
    deadline = time.monotonic() + THREAD_GRACE_SECONDS
    while True:
        global_jobs = QThreadPool.globalInstance().activeThreadCount()
        runners = busy_op_runners()
        if not global_jobs and not runners:
            return
        if time.monotonic() > deadline:
            pytest.fail(
                f"the test left background jobs running: {global_jobs} in Qt's global "
                f"thread pool; operation runners: {runners}"
            )
        time.sleep(0.02)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh data directory of this test's own."""
    return tmp_path / "data"
