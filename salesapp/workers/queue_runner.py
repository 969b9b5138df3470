"""`QueueRunner`: `drain_queue` (batch_runner.py) on a dispatcher's thread pool."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRunnable

from salesapp.workers.batch_runner import Report
from salesapp.workers.thread_priority import lower_current_thread


class QueueRunner(QRunnable):
    """Runs `drain(report)` on a pool thread. Holds plain data and bound signals only (no QObjects).

    `signals` maps "started"/"finished"/"failed"/"exited" to bound signals of the dispatcher; being
    emitted from this thread they reach the dispatcher's slots through queued connections.
    """

    def __init__(self, drain: Callable[[Report], int], signals: dict, nice_steps: int = 0):
        super().__init__()
        self._drain = drain
        self._signals = signals
        self._nice_steps = nice_steps

    def _report(self, kind: str, payload: list) -> None:
        self._signals[kind].emit(payload)

    def run(self) -> None:
        """Drain the queue; always tell the dispatcher this runner ended, error or not."""
        lower_current_thread(self._nice_steps)
        error = ""
        try:
            self._drain(self._report)
        except Exception as exc:  # noqa: BLE001 - a store error must not kill the pool thread
            error = f"{type(exc).__name__}: {exc}"
        self._signals["exited"].emit(error)
