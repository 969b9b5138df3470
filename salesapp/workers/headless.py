"""`salesapp work` without a window: a plain loop over `run_batch` and the store (no Qt).

Each worker thread repeats: give back the expired leases, run a batch, look at the stop flag.
The model runs on worker threads only; the main thread waits on them in short joins, so that
a signal's handler runs at once even while a model call (C code) holds a worker. The first
batch of a run is small (`FIRST_BATCH`) and runs alone, so the first result comes after one
small model call; then the other workers start, and later batches split the queue evenly
(`even_batch`). A worker that finds nothing waits while others still run (jobs may come back
from an expired lease); the last one to find nothing asks the store whether the run is over.
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

from salesapp.errors import SalesAppError
from salesapp.model.unknown_items import is_unknown_item
from salesapp.pacing import (
    DEFAULT_BATCH,
    DEFAULT_LEASE_SECONDS,
    FIRST_BATCH,
    HEADLESS_POOL,
    IDLE_LOOK_SECONDS,
    MAX_BATCH,
    STORE_FAILURES_TO_STOP,
    STORE_RETRY_SECONDS,
)
from salesapp.store.job_store import FAILED
from salesapp.workers.batch_runner import run_batch
from salesapp.workers.idle_watch import IdleWatch, Next
from salesapp.workers.progress import Progress, still_to_run
from salesapp.workers.test_hooks import NO_HOOKS, TestHooks

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

OnProgress = Callable[[int, int], None]


class StopRequest:
    """The signal that asked a headless run to stop (0: none yet); see `stop_requested`."""

    def __init__(self):
        self.signum = 0
        self._asked = threading.Event()

    def handle(self, signum: int, _frame) -> None:
        """First signal: ask for a stop. A second one: leave at once (leases are taken back
        at the next start, as after a crash: the owner's process is gone)."""
        if self.signum:
            os.write(2, b"salesapp: stopped at once; the next start takes up the running "
                        b"batch again.\n")
            os._exit(128 + signum)
        self.ask(signum)

    def ask(self, signum: int) -> None:
        """Ask for a stop on behalf of `signum` (what the handler does; tests call it too)."""
        self.signum = signum
        self._asked.set()

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, or less if a stop is asked meanwhile."""
        self._asked.wait(seconds)


@contextmanager
def stop_requested() -> Iterator[StopRequest]:
    """While inside, SIGINT and SIGTERM only set the yielded `StopRequest` (main thread only).

    No `KeyboardInterrupt` is raised: one raised inside a batch would leave its lease held and
    its results unrecorded. The run checks the request between batches and stops leasing.
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
    """What one headless run did: results recorded (of which `unknown` for ids the model does
    not know), jobs failed (id, reason), runner errors."""

    finished: int = 0
    unknown: int = 0
    failed: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    interrupted: int = 0   # the signal that stopped the run early (0: ran until idle)


def even_batch(queued: int, pool_size: int) -> int:
    """A batch size that splits `queued` jobs evenly over the pool's runners (bounded)."""
    return max(DEFAULT_BATCH, min(MAX_BATCH, math.ceil(queued / max(1, pool_size))))


class _Run:
    """One headless run: what its worker threads share (summary, progress, who is idle)."""

    def __init__(self, store, predictor, batch_size, lease_seconds, hooks, stop, on_progress,
                 progress: Progress):
        self._store, self._predict = store, predictor.predict
        self._batch_size, self._lease_seconds, self._hooks = batch_size, lease_seconds, hooks
        self._stop, self._on_progress = stop, on_progress
        self._owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()   # the threads' reports and the tallies below
        self.summary = HeadlessSummary()
        self._progress = progress
        self._workers = 0   # worker threads started
        self._idle = 0      # of them, those that found nothing to lease
        self.over = threading.Event()   # the last idle worker found the queue done
        self.first_batch_done = threading.Event()
        self.ran_dry = False   # the queue had run dry when the run ended
        self._failures_in_a_row = 0   # store calls failed since one last worked, any thread

    def report(self, kind: str, payload: list) -> None:
        """`run_batch`'s report, from any worker thread: tally it and show the progress."""
        if kind == "started":
            return
        with self._lock:
            if kind == "finished":
                self.summary.finished += len(payload)
                self.summary.unknown += sum(map(is_unknown_item, payload))
            else:
                self.summary.failed.extend(payload)
            self._progress.ended(len(payload))
            if self._on_progress is not None:
                self._on_progress(*self._progress.totals())

    def stopping(self) -> bool:
        return bool(self._stop.signum or self.summary.errors or self.over.is_set())

    def start_worker(self, first_batch: int | None) -> threading.Thread:
        with self._lock:
            self._workers += 1
            name = f"work-{self._workers}"
        thread = threading.Thread(target=self._work, args=(first_batch,), name=name, daemon=True)
        thread.start()
        return thread

    def _work(self, first_batch: int | None) -> None:
        """One worker's loop until the queue is done, a stop is asked or the store keeps failing."""
        size = min(self._batch_size, first_batch or self._batch_size)
        try:
            while not self.stopping():
                try:
                    self._requeue_expired()
                    leased = run_batch(self._store, self._owner, self._predict, size, self.report,
                                       self._lease_seconds, self._hooks)
                    if not leased:
                        self._look_again_later()
                except Exception as exc:  # noqa: BLE001 - tried again, then the run's one error
                    self._store_failed(exc)
                    continue
                with self._lock:
                    self._failures_in_a_row = 0
                size = self._batch_size
                self.first_batch_done.set()
        finally:
            self.first_batch_done.set()

    def _store_failed(self, exc: Exception) -> None:
        """A store call failed: wait and try again, or end the run once it failed
        `STORE_FAILURES_TO_STOP` times in a row (a store that is gone must not spin for ever).
        Its jobs stay leased and go back to the queue when the next start finds this process gone.
        """
        why = str(exc) if isinstance(exc, SalesAppError) else f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._failures_in_a_row += 1
            if self._failures_in_a_row >= STORE_FAILURES_TO_STOP and not self.summary.errors:
                self.summary.errors.append(why)
        if not self.stopping():
            self._stop.wait(STORE_RETRY_SECONDS)

    def _requeue_expired(self) -> None:
        """Jobs of gone workers back to the queue; those out of attempts end failed."""
        failed = [(int(j.item_id), j.error) for j in self._store.requeue_expired()
                  if j.state == FAILED]
        if failed:
            self.report("failed", failed)

    def _look_again_later(self) -> None:
        """Nothing was leased. While another worker still runs, wait a little and look again
        (its batch may fail back to the queue); the last one idle asks the store: done, or
        leases held elsewhere (a frozen or gone worker's) to wait out."""
        with self._lock:
            self._idle += 1
            last = self._idle == self._workers
        try:
            if not last:
                self.over.wait(IDLE_LOOK_SECONDS)
                return
            counts = self._store.counts()
            with self._lock:
                self._progress.recount(still_to_run(counts))
            step = IdleWatch.after_counts(counts, 0, False, not self.stopping())
            if step is Next.IDLE:
                self.ran_dry = not still_to_run(counts)
                self.over.set()
            elif step is Next.WAIT:
                self._stop.wait(max(self._lease_seconds / 4, IDLE_LOOK_SECONDS))
        finally:
            with self._lock:
                self._idle -= 1


def _join(threads: list, run: _Run) -> None:
    """Wait for `threads` in short joins: the main thread stays free to run signal handlers."""
    for thread in threads:
        while thread.is_alive():
            thread.join(IDLE_LOOK_SECONDS)


def run_until_idle(store, predictor, pool_size=None, batch_size=None,
                   lease_seconds=DEFAULT_LEASE_SECONDS, on_progress: OnProgress | None = None,
                   stop: StopRequest | None = None, hooks: TestHooks = NO_HOOKS,
                   failed_before: list | None = None) -> HeadlessSummary:
    """Drain the store's queue on `pool_size` worker threads; returns a summary.

    Without `pool_size`, one worker (`HEADLESS_POOL`). Without `batch_size`, the jobs queued at
    the start are split evenly over the workers (`even_batch`). `failed_before` (id, reason):
    failures to count in this run's summary and progress first. Once `stop` is set no batch is
    leased any more; the running ones finish and are recorded, and `interrupted` names the
    signal unless the queue had run dry.
    """
    stop = stop or StopRequest()
    pool_size = pool_size or HEADLESS_POOL
    failed_before = list(failed_before or [])
    counts = store.counts()
    if batch_size is None:
        batch_size = even_batch(counts["queued"], pool_size)
    progress = Progress(still_to_run(counts) + len(failed_before))
    run = _Run(store, predictor, batch_size, lease_seconds, hooks, stop, on_progress, progress)
    if failed_before:
        run.report("failed", failed_before)
    threads = [run.start_worker(FIRST_BATCH)]   # the run's small first batch, alone
    while not run.first_batch_done.wait(IDLE_LOOK_SECONDS):
        pass
    if not run.stopping():
        threads += [run.start_worker(None) for _ in range(1, pool_size)]
    _join(threads, run)
    summary = run.summary
    if stop.signum and not run.ran_dry:
        summary.interrupted = stop.signum
    return summary


def run_work(store, predictor, pool_size=None, batch_size=None, lease_seconds=DEFAULT_LEASE_SECONDS,
             on_progress: OnProgress | None = None, hooks: TestHooks = NO_HOOKS) -> HeadlessSummary:
    """`salesapp work`: `run_until_idle` with SIGINT and SIGTERM as stop requests.

    `on_progress(done, total)` counts over the whole run. Jobs that the store's opening failed
    (`JobStore.given_back_at_open`: gone workers, attempts used up) are reported as failed first.
    SIGINT or SIGTERM (main thread) stop it after the running batches are recorded; the rest
    stays queued and the summary's `interrupted` names the signal.
    """
    given_back = getattr(store, "given_back_at_open", ())
    lost = [(int(j.item_id), j.error) for j in given_back if j.state == FAILED]
    with stop_requested() as stop:
        return run_until_idle(store, predictor, pool_size, batch_size, lease_seconds,
                              on_progress, stop, hooks, lost)
