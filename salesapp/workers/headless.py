"""Run the same PredictionDispatcher without a window: under a QCoreApplication until idle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication

from salesapp.workers.dispatcher import DEFAULT_BATCH, DEFAULT_LEASE_SECONDS, PredictionDispatcher


@dataclass
class HeadlessSummary:
    """What one headless run did: results recorded, jobs failed (id, reason), runner errors."""

    finished: int = 0
    failed: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def run_until_idle(store, predictor, pool_size=None, batch_size=DEFAULT_BATCH,
                   lease_seconds=DEFAULT_LEASE_SECONDS,
                   on_progress: Callable[[int, int], None] | None = None) -> HeadlessSummary:
    """Drain the store's queue with a dispatcher in this thread's event loop; returns a summary."""
    app = QCoreApplication.instance() or QCoreApplication([])
    summary = HeadlessSummary()
    dispatcher = PredictionDispatcher(store, predictor, pool_size=pool_size,
                                      batch_size=batch_size, lease_seconds=lease_seconds)
    dispatcher.job_finished.connect(lambda rs: setattr(summary, "finished",
                                                       summary.finished + len(rs)))
    dispatcher.job_failed.connect(summary.failed.extend)
    if on_progress is not None:
        dispatcher.progress_changed.connect(on_progress)
    dispatcher.idle.connect(app.quit)
    dispatcher.start()
    app.exec()
    dispatcher.shutdown(10_000)
    summary.errors = list(dispatcher.errors)
    dispatcher.deleteLater()
    return summary
