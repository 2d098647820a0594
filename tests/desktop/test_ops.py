"""OpRunner: work on a worker thread, outcome on the GUI thread, shutdown that waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from desktop.ops import OpRunner

pytestmark = pytest.mark.gui


def on_gui_thread() -> bool:
    app = QApplication.instance()
    assert app is not None
    return QThread.currentThread() == app.thread()


class Recorder:
    """Collects what callbacks receive, and on which thread they ran."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object, bool]] = []

    def success(self, value: object) -> None:
        self.calls.append(("success", value, on_gui_thread()))

    def failure(self, error: BaseException) -> None:
        self.calls.append(("failure", error, on_gui_thread()))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def runner(qtbot, recorder: Recorder) -> Iterator[OpRunner]:
    ops = OpRunner(default_failure=recorder.failure)
    yield ops
    assert ops.shutdown(timeout=10)


def test_result_is_delivered_on_the_gui_thread(qtbot, runner, recorder):
    worker_threads: list[bool] = []

    def work() -> int:
        worker_threads.append(on_gui_thread())
        return 42

    runner.run(work, on_success=recorder.success)
    qtbot.waitUntil(lambda: bool(recorder.calls))

    assert worker_threads == [False], "the work must run off the GUI thread"
    assert recorder.calls == [("success", 42, True)]
    assert runner.running == 0


def test_an_exception_goes_to_the_failure_handler_on_the_gui_thread(qtbot, runner):
    failures = Recorder()
    successes: list[object] = []
    boom = ValueError("no such contact")

    def work() -> None:
        raise boom

    runner.run(work, on_success=successes.append, on_failure=failures.failure)
    qtbot.waitUntil(lambda: bool(failures.calls))

    assert failures.calls == [("failure", boom, True)]
    assert successes == []


def test_failures_without_a_handler_go_to_the_default_one(qtbot, runner, recorder):
    runner.run(lambda: 1 / 0)
    qtbot.waitUntil(lambda: bool(recorder.calls))

    kind, error, gui = recorder.calls[0]
    assert (kind, gui) == ("failure", True)
    assert isinstance(error, ZeroDivisionError)


def test_a_failing_success_callback_is_reported_not_swallowed(qtbot, runner, recorder):
    def broken_callback(_value: object) -> None:
        raise KeyError("widget gone")

    runner.run(lambda: "ok", on_success=broken_callback)
    qtbot.waitUntil(lambda: bool(recorder.calls))

    assert isinstance(recorder.calls[0][1], KeyError)


def test_running_ops_are_counted_until_their_work_returns(qtbot, runner, recorder):
    release = threading.Event()
    runner.run(release.wait, on_success=recorder.success, name="waits for release")

    assert runner.running == 1
    assert runner.running_names == ["waits for release"]
    assert not runner.wait(timeout=0.05)

    release.set()
    assert runner.wait(timeout=5)
    assert runner.running == 0
    qtbot.waitUntil(lambda: bool(recorder.calls))
    assert recorder.calls == [("success", True, True)]


def test_shutdown_waits_for_running_work_then_refuses_new_ops(qtbot, recorder):
    runner = OpRunner(default_failure=recorder.failure)
    finished = threading.Event()

    def slow() -> str:
        time.sleep(0.2)
        finished.set()
        return "done"

    runner.run(slow, on_success=recorder.success)
    assert runner.shutdown(timeout=10)

    assert finished.is_set()
    assert runner.running == 0
    assert runner.is_shut_down
    with pytest.raises(RuntimeError, match="shut down"):
        runner.run(lambda: None)
    # The outcome of work finished during shutdown is dropped: its widgets are going away.
    qtbot.wait(50)
    assert recorder.calls == []


def test_shutdown_is_idempotent_and_fine_with_nothing_running(qtbot):
    runner = OpRunner()
    assert runner.shutdown()
    assert runner.shutdown()


def test_many_ops_each_deliver_exactly_once(qtbot, runner, recorder):
    for number in range(20):
        runner.run(lambda n=number: n * n, on_success=recorder.success)
    qtbot.waitUntil(lambda: len(recorder.calls) == 20)

    assert sorted(value for _, value, _ in recorder.calls) == [n * n for n in range(20)]
    assert all(gui for _, _, gui in recorder.calls)
