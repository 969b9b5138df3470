"""`PredictJob`: the QRunnable shell of `run_batch` (batch_runner.py) on a dispatcher's pool."""

from __future__ import annotations

import threading

from PySide6.QtCore import QRunnable

# Re-exported: the dispatcher and the tests know them from here.
from salesapp.workers.batch_runner import (  # noqa: F401
    FIRST_BATCH,
    PredictFn,
    run_batch,
    run_one_batch,
    with_test_hooks,
)


class PredictJob(QRunnable):
    """Runs `run_batch` on a pool thread. Holds plain data and bound signals only (no QObjects).

    `signals` maps "started"/"finished"/"failed"/"exited" to bound signals of the dispatcher; being
    emitted from this thread they reach the dispatcher's slots through queued connections.
    """

    def __init__(self, store, owner: str, predict: PredictFn, batch_size: int,
                 cancel: threading.Event, signals: dict, lease_seconds: float):
        super().__init__()
        self._args = (store, owner, predict, batch_size, cancel)
        self._signals = signals
        self._lease_seconds = lease_seconds

    def _report(self, kind: str, payload: list) -> None:
        self._signals[kind].emit(payload)

    def run(self) -> None:
        """Drain the queue; always tell the dispatcher this runner ended, error or not."""
        store, owner, predict, batch_size, cancel = self._args
        error = ""
        try:
            run_batch(store, owner, predict, batch_size, cancel, self._report, self._lease_seconds)
        except Exception as exc:  # noqa: BLE001 - a store error must not kill the pool thread
            error = f"{type(exc).__name__}: {exc}"
        self._signals["exited"].emit(error)
