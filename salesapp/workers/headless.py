"""Run the same PredictionDispatcher without a window: under a QCoreApplication until idle."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication

from salesapp.workers.dispatcher import (
    DEFAULT_BATCH,
    DEFAULT_LEASE_SECONDS,
    PredictionDispatcher,
)

# Bounds of a headless batch. Every model call pays a fixed cost that grows with the history, not
# with the batch (feature tables; ~0.1-0.3 s at full scale), so a run without a window to keep
# responsive prefers few large batches; the cap keeps a lease's work (and a crash's loss) bounded.
MAX_BATCH = 8192
# One runner with every core for LightGBM: two runners of large batches fight over the GIL in the
# Python parts of the model call (measured on 2 cores, 5,100 items: 3.1-3.8 CPU s with one runner,
# 3.9-4.2 with two, and less wall time too).
HEADLESS_POOL = 1


@dataclass
class HeadlessSummary:
    """What one headless run did: results recorded, jobs failed (id, reason), runner errors."""

    finished: int = 0
    failed: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def even_batch(queued: int, pool_size: int) -> int:
    """A batch size that splits `queued` jobs evenly over the pool's runners (bounded)."""
    return max(DEFAULT_BATCH, min(MAX_BATCH, math.ceil(queued / max(1, pool_size))))


def run_until_idle(store, predictor, pool_size=None, batch_size=None,
                   lease_seconds=DEFAULT_LEASE_SECONDS,
                   on_progress: Callable[[int, int], None] | None = None) -> HeadlessSummary:
    """Drain the store's queue with a dispatcher in this thread's event loop; returns a summary.

    Without `pool_size`, one runner (`HEADLESS_POOL`). Without `batch_size`, the jobs queued at
    the start are split evenly over the runners (`even_batch`), so each model call's fixed cost is
    paid as few times as possible.
    """
    app = QCoreApplication.instance() or QCoreApplication([])
    pool_size = pool_size or HEADLESS_POOL
    if batch_size is None:
        batch_size = even_batch(store.counts()["queued"], pool_size)
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
