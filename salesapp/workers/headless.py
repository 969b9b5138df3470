"""Run the same PredictionDispatcher without a window: under a QCoreApplication until idle.

Qt is imported only when the dispatcher starts: `run_work` (what `salesapp work` runs) gives its
first result from one small batch on the calling thread first, so the user's first result does
not wait for Qt's import (~0.15 s) or the event loop.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from salesapp.store.job_store import FAILED, JobStore
from salesapp.workers.batch_runner import (  # noqa: F401 - model_threads: `work` reads it here
    DEFAULT_LEASE_SECONDS,
    FIRST_BATCH,
    first_result_given,
    model_threads,
    run_one_batch,
    with_test_hooks,
)

# Bounds of a headless batch. Every model call pays a fixed cost that grows with the history, not
# with the batch (feature tables; ~0.1-0.3 s at full scale), so a run without a window to keep
# responsive prefers few large batches; the cap keeps a lease's work (and a crash's loss) bounded.
MAX_BATCH = 8192
# One runner with every core for LightGBM: two runners of large batches fight over the GIL in the
# Python parts of the model call (measured on 2 cores, 5,100 items: 3.1-3.8 CPU s with one runner,
# 3.9-4.2 with two, and less wall time too).
HEADLESS_POOL = 1

Progress = Callable[[int, int], None]


class RecordingStore(JobStore):
    """A `JobStore` that keeps in `given_back` every job its `requeue_expired` gave back.

    `JobStore.open` requeues the leases of gone workers and drops the list: a job whose last
    attempt ended that way would fail unannounced, and `salesapp work` exit 0.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.given_back: list = []

    def requeue_expired(self, now=None):
        """`JobStore.requeue_expired`, remembering the jobs it returns."""
        jobs = super().requeue_expired(now)
        self.given_back.extend(jobs)
        return jobs


def open_work_store(directory) -> RecordingStore:
    """Open the store for `salesapp work`; `run_work` reports the jobs its opening failed."""
    return RecordingStore.open(directory)


@dataclass
class HeadlessSummary:
    """What one headless run did: results recorded, jobs failed (id, reason), runner errors."""

    finished: int = 0
    failed: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def even_batch(queued: int, pool_size: int) -> int:
    """A batch size that splits `queued` jobs evenly over the pool's runners (bounded)."""
    from salesapp.workers.dispatcher import DEFAULT_BATCH

    return max(DEFAULT_BATCH, min(MAX_BATCH, math.ceil(queued / max(1, pool_size))))


def run_until_idle(store, predictor, pool_size=None, batch_size=None,
                   lease_seconds=DEFAULT_LEASE_SECONDS,
                   on_progress: Progress | None = None) -> HeadlessSummary:
    """Drain the store's queue with a dispatcher in this thread's event loop; returns a summary.

    Without `pool_size`, one runner (`HEADLESS_POOL`). Without `batch_size`, the jobs queued at
    the start are split evenly over the runners (`even_batch`), so each model call's fixed cost is
    paid as few times as possible.
    """
    from PySide6.QtCore import QCoreApplication

    from salesapp.workers.dispatcher import PredictionDispatcher

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


def run_first_batch(store, predictor, lease_seconds=DEFAULT_LEASE_SECONDS) -> HeadlessSummary:
    """Lease, predict and record up to `FIRST_BATCH` jobs on this thread (no Qt); a summary.

    Same lease, heartbeat, one-transaction completion and test hooks as a pool runner. A store
    error is recorded in `errors`, as a runner's would be.
    """
    summary = HeadlessSummary()

    def report(kind: str, payload: list) -> None:
        if kind == "finished":
            summary.finished += len(payload)
        elif kind == "failed":
            summary.failed.extend(payload)

    owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        run_one_batch(store, owner, with_test_hooks(predictor.predict), FIRST_BATCH, report,
                      lease_seconds)
    except Exception as exc:  # noqa: BLE001 - reported like a pool runner's error
        summary.errors.append(f"{type(exc).__name__}: {exc}")
    return summary


def run_work(store, predictor, pool_size=None, batch_size=None, lease_seconds=DEFAULT_LEASE_SECONDS,
             on_progress: Progress | None = None) -> HeadlessSummary:
    """`salesapp work`: a first small batch on this thread, then `run_until_idle` for the rest.

    `on_progress(done, total)` counts over the whole run. With a store from `open_work_store`,
    jobs that its opening failed (gone workers, attempts used up) are reported as failed first.
    """
    # Jobs failed as the store opened (their last lease was a gone worker's) count in this run.
    given_back = getattr(store, "given_back", ())
    lost = [(int(j.item_id), j.error) for j in given_back if j.state == FAILED]
    counts = store.counts()
    pending = counts["queued"] + counts["leased"] + len(lost)
    first = HeadlessSummary(failed=lost)
    if lost and on_progress is not None:
        on_progress(len(lost), pending)
    if counts["queued"]:
        batch = run_first_batch(store, predictor, lease_seconds)
        first = HeadlessSummary(batch.finished, lost + batch.failed, batch.errors)
        done = first.finished + len(first.failed)
        if on_progress is not None and done:
            on_progress(done, pending)
        if first.errors:
            return first
    done = first.finished + len(first.failed)
    progress = None if on_progress is None else (lambda d, t: on_progress(d + done, t + done))
    with first_result_given():
        rest = run_until_idle(store, predictor, pool_size, batch_size, lease_seconds, progress)
    return HeadlessSummary(first.finished + rest.finished, first.failed + rest.failed,
                           rest.errors)
