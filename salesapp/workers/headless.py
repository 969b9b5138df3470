"""Run the same PredictionDispatcher without a window: under a QCoreApplication until idle.

Qt is imported only when the dispatcher starts: `run_work` (what `salesapp work` runs) gives its
first result from one small batch on the calling thread first, so the user's first result does
not wait for Qt's import (~0.15 s) or the event loop.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from salesapp.store.job_store import FAILED
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

# How often the event loop of a headless run looks for a stop request (Ctrl-C, SIGTERM): Python
# runs a signal handler only when the main thread runs Python, which inside Qt's loop is only
# in slots.
STOP_POLL_MS = 100
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

Progress = Callable[[int, int], None]


class StopRequest:
    """The signal that asked a headless run to stop (0: none yet); see `stop_requested`."""

    def __init__(self):
        self.signum = 0

    def handle(self, signum: int, _frame) -> None:
        """First signal: ask for a stop. A second one: leave at once (leases are taken back
        at the next start, as after a crash: the owner's process is gone)."""
        if self.signum:
            os.write(2, b"salesapp: stopped at once; the next start takes up the running "
                        b"batch again.\n")
            os._exit(128 + signum)
        self.signum = signum


@contextmanager
def stop_requested() -> Iterator[StopRequest]:
    """While inside, SIGINT and SIGTERM only set the yielded `StopRequest` (main thread only).

    No `KeyboardInterrupt` is raised: PySide6 swallows it in slots, and one raised while
    PySide6 is being imported left it half-initialised (the process then crashed). The run
    checks the request between batches and stops leasing.
    """
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {s: signal.signal(s, stop.handle) for s in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@dataclass
class HeadlessSummary:
    """What one headless run did: results recorded, jobs failed (id, reason), runner errors."""

    finished: int = 0
    failed: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    interrupted: int = 0   # the signal that stopped the run early (0: ran until idle)


def even_batch(queued: int, pool_size: int) -> int:
    """A batch size that splits `queued` jobs evenly over the pool's runners (bounded)."""
    from salesapp.workers.dispatcher import DEFAULT_BATCH

    return max(DEFAULT_BATCH, min(MAX_BATCH, math.ceil(queued / max(1, pool_size))))


def run_until_idle(store, predictor, pool_size=None, batch_size=None,
                   lease_seconds=DEFAULT_LEASE_SECONDS, on_progress: Progress | None = None,
                   stop: StopRequest | None = None) -> HeadlessSummary:
    """Drain the store's queue with a dispatcher in this thread's event loop; returns a summary.

    Without `pool_size`, one runner (`HEADLESS_POOL`). Without `batch_size`, the jobs queued at
    the start are split evenly over the runners (`even_batch`), so each model call's fixed cost is
    paid as few times as possible. Once `stop` is set, no batch is leased any more; the running
    ones finish and are recorded, and the summary's `interrupted` names the signal.
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
    dispatcher.jobs_finished.connect(lambda rs: setattr(summary, "finished",
                                                       summary.finished + len(rs)))
    dispatcher.jobs_failed.connect(summary.failed.extend)
    if on_progress is not None:
        dispatcher.progress_changed.connect(on_progress)
    went_idle = []   # a signal that comes after the last job interrupts nothing
    dispatcher.idle.connect(lambda: went_idle.append(True))
    dispatcher.idle.connect(app.quit)
    if stop is not None:
        _watch(stop, dispatcher, app)
    if not (stop and stop.signum):   # asked while Qt was being imported: start nothing
        dispatcher.start()
        app.exec()
    if stop and stop.signum and not went_idle:
        # Wait for the running batches to be recorded, in slices: Python gets control between
        # them, so a second signal can end the process at once (see `StopRequest.handle`).
        while not dispatcher.shutdown(STOP_POLL_MS):
            pass
        # The batches that finished after the loop quit: their signals are still posted.
        QCoreApplication.sendPostedEvents()
        summary.interrupted = stop.signum
    else:
        dispatcher.shutdown(10_000)
    summary.errors = list(dispatcher.errors)
    dispatcher.deleteLater()
    return summary


def _watch(stop: StopRequest, dispatcher, app) -> None:
    """Poll `stop` from the event loop; once set, cancel leasing and leave the loop."""
    from PySide6.QtCore import QTimer

    timer = QTimer(dispatcher)
    timer.setInterval(STOP_POLL_MS)

    def check() -> None:
        if stop.signum:
            timer.stop()
            dispatcher.cancel()
            app.quit()   # `shutdown` then waits for the running batches to be recorded

    timer.timeout.connect(check)
    timer.start()


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

    `on_progress(done, total)` counts over the whole run. Jobs that the store's opening failed
    (`JobStore.given_back_at_open`: gone workers, attempts used up) are reported as failed first.
    SIGINT or SIGTERM (main thread) stop it after the running batches are recorded; the rest
    stays queued and the summary's `interrupted` names the signal.
    """
    with stop_requested() as stop:
        return _run_work(store, predictor, pool_size, batch_size, lease_seconds, on_progress,
                         stop)


def _run_work(store, predictor, pool_size, batch_size, lease_seconds, on_progress,
              stop: StopRequest) -> HeadlessSummary:
    # Jobs failed as the store opened (their last lease was a gone worker's) count in this run.
    given_back = getattr(store, "given_back_at_open", ())
    lost = [(int(j.item_id), j.error) for j in given_back if j.state == FAILED]
    counts = store.counts()
    pending = counts["queued"] + counts["leased"] + len(lost)
    first = HeadlessSummary(failed=lost)
    if lost and on_progress is not None:
        on_progress(len(lost), pending)
    if counts["queued"] and not stop.signum:
        batch = run_first_batch(store, predictor, lease_seconds)
        first = HeadlessSummary(batch.finished, lost + batch.failed, batch.errors)
        done = first.finished + len(first.failed)
        if on_progress is not None and done:
            on_progress(done, pending)
        if first.errors:
            return first
    if stop.signum:
        first.interrupted = stop.signum
        return first
    done = first.finished + len(first.failed)
    progress = None if on_progress is None else (lambda d, t: on_progress(d + done, t + done))
    with first_result_given():
        rest = run_until_idle(store, predictor, pool_size, batch_size, lease_seconds, progress,
                              stop)
    return HeadlessSummary(first.finished + rest.finished, first.failed + rest.failed,
                           rest.errors, rest.interrupted)
