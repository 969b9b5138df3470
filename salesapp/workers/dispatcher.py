"""PredictionDispatcher: owns the thread pool and every signal of background prediction (QtCore)."""

from __future__ import annotations

import os
import threading
import uuid
from functools import partial

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot

from salesapp.errors import BusyStoreError
from salesapp.pacing import (
    DEFAULT_BATCH,
    DEFAULT_LEASE_SECONDS,
    FIRST_BATCH,
    GUI_BATCH,
    GUI_POOL,
    STORE_FAILURES_TO_STOP,
    STORE_RETRY_SECONDS,
    SUBMIT_BATCH,
    WORKER_NICE_STEPS,
    WRITE_SLICE,
)
from salesapp.store.job_store import FAILED
from salesapp.workers.batch_runner import drain_queue
from salesapp.workers.idle_watch import IdleWatch, Next
from salesapp.workers.progress import Progress, still_to_run
from salesapp.workers.queue_runner import QueueRunner
from salesapp.workers.store_writer import StoreWriter, fetch_results, submit_slice
from salesapp.workers.test_hooks import NO_HOOKS, TestHooks
from salesapp.workers.window_pacing import window_pacing


def default_pool_size() -> int:
    """Two runners on a small machine: throughput comes from batching, not from many threads."""
    return max(1, min(2, os.cpu_count() or 1))


def _slices(items: list, size: int = WRITE_SLICE) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class PredictionDispatcher(QObject):
    """Runs queued jobs of a `JobStore` with a `Predictor` on its own `QThreadPool`.

    Lives in the GUI thread; every signal is delivered there. Keeps starting runners until no
    job is queued or leased, then emits `idle`. The GUI thread never waits on the store in a
    loop: `submit_later`, `cancel_jobs`, the idle check and the lease check run on a
    `StoreWriter` thread, and progress is tallied by one `Progress` after one `counts()` here.
    `nice_steps` lowers the runners (not the writer) below the owner thread's CPU priority.
    """

    jobs_queued = Signal(list)
    # list: every id of a submit whose transaction returned (queued, already pending or done):
    # on disk from now on; emitted before that submit's `jobs_queued` and `results_cached`
    jobs_saved = Signal(object)
    results_cached = Signal(object)      # list: results the store already held for submitted ids
    jobs_cancelled = Signal(object)   # list: ids `cancel_jobs` removed from the queue
    # `object`, not `list`: PySide6 deep-copies a `list` payload into a QVariantList and back;
    # `object` passes the reference.
    jobs_started = Signal(object)
    jobs_finished = Signal(object)
    jobs_failed = Signal(object)
    # list: ids whose lease was lost (worker gone or stopped) and that are queued again; a view
    # showing them running shows them queued until a runner starts them anew
    jobs_requeued = Signal(object)
    # list: ids whose stored result could not be read (a damaged row); queued again
    results_unreadable = Signal(object)
    write_failed = Signal(str, list, str)   # "submit" | "cancel" | "fetch" | "forget", ids, reason
    progress_changed = Signal(int, int)
    idle = Signal()
    # str: one sentence, once: the store failed `STORE_FAILURES_TO_STOP` times in a row (its
    # folder removed, its files replaced, ...); the dispatcher then stops asking it anything
    store_failed = Signal(str)
    _runner_exited = Signal(str)

    def __init__(self, store, predictor, parent=None, pool_size=None, batch_size=DEFAULT_BATCH,
                 lease_seconds=DEFAULT_LEASE_SECONDS, pending: int | None = None,
                 nice_steps: int = 0, hooks: TestHooks | None = None):
        # A negative pool or a batch under 1 would never lease anything and never go idle.
        if pool_size is not None and pool_size < 0:
            raise ValueError(f"the pool size must be 0 (automatic) or more, not {pool_size}")
        if batch_size < 1:
            raise ValueError(f"the batch size must be 1 or more, not {batch_size}")
        super().__init__(parent)
        self._store = store
        self._predict = predictor.predict
        self._version = predictor.version
        self._batch_size = batch_size
        self._lease_seconds = lease_seconds
        self._nice_steps = nice_steps
        self._hooks = hooks or NO_HOOKS
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(pool_size or default_pool_size())
        self._owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._cancel = threading.Event()
        self._running = 0
        self._shut = False   # after shutdown nothing new starts (late signals may still arrive)
        # The one scan, from here on tallied as jobs move. `pending` when the caller knows it
        # already (the window's loader read every job off the GUI thread); idle checks recount.
        if pending is None:
            pending = still_to_run(store.counts())
        self._progress = Progress(pending)
        self._idle = IdleWatch()
        self.errors: list[str] = []   # runner-level errors (e.g. the store failing), for the caller
        self._failures_in_a_row = 0   # store calls (checks, runners) failed since one worked
        self._store_gone = False      # they failed `STORE_FAILURES_TO_STOP` times: stopped
        # The writer keeps the owner's priority: it holds what the user asked for, and a niced
        # writer on a busy machine left typed ids off the disk for seconds.
        self._writer = StoreWriter(store, self)
        self._submits = 0   # submit slices asked of the writer, not yet back
        self._run_wanted = False   # jobs were queued while submits were still on their way
        self._timer = QTimer(self)
        # Expired leases of dead or frozen workers go back to the queue well within one lease.
        self._timer.setInterval(int(max(lease_seconds / 2, 0.2) * 1000))
        self._timer.timeout.connect(self._on_tick)
        # Ids a runner started since the last requeue check was asked for: a job that check gives
        # back may already run again under a new lease by the time its outcome arrives here (the
        # two come from different threads); it is not announced as queued again then. A lost
        # lease is at least a lease old, so its own start came before the check was asked for.
        self._started_since_check: set[int] = set()
        self.jobs_started.connect(self._note_started)
        self.jobs_finished.connect(self._on_jobs_ended)
        self.jobs_failed.connect(self._on_jobs_ended)
        self._runner_exited.connect(self._on_runner_exited)

    @property
    def owner(self) -> str:
        """This dispatcher's lease owner id (pid + random suffix)."""
        return self._owner

    def yield_to_gui(self, steps: int = WORKER_NICE_STEPS) -> None:
        """For a window made without `window_dispatcher_args()`: cap runners and batches as
        those would, lower the runners by `steps` nice levels, and call `window_pacing()`."""
        self._batch_size = min(self._batch_size, GUI_BATCH)
        self._pool.setMaxThreadCount(min(self._pool.maxThreadCount(), GUI_POOL))
        self._nice_steps = steps
        window_pacing()

    @property
    def model_version(self) -> str:
        """The version of the model that answers the jobs from now on."""
        return self._version

    def use_predictor(self, predictor) -> None:
        """Answer with `predictor` from now on: new submits are filed under its version and the
        queued jobs are forecast by it. A batch already in the old model finishes and is stored
        under the old version; its runner then stops, and the next runner uses the new model.
        """
        self._predict, self._version = predictor.predict, predictor.version
        # The running drains hold the old model and the old event: set, they stop after their
        # batch. A new event for the new runners (`cancel()` and `start()` use it from now on).
        old, self._cancel = self._cancel, threading.Event()
        if old.is_set():   # stopped (Cancel pending, shut down): it stays so
            self._cancel.set()
            return
        old.set()
        self._check_idle()   # the queued jobs: a runner starts as soon as one is free

    def submit(self, item_ids, model_version=None):
        """Persist jobs as queued now (blocking), announce them, start runners; returns the report."""
        report = self._store.submit(list(item_ids), model_version or self._version)
        self._on_queued(list(report.queued))
        return report

    def submit_later(self, item_ids) -> None:
        """Persist jobs as queued on the writer thread, in slices; `jobs_saved`, `jobs_queued`
        and `results_cached` follow for each."""
        for ids in _slices(list(item_ids), SUBMIT_BATCH):
            self._submits += 1
            self._writer.call(submit_slice, self._store, ids, self._version,
                              then=self._on_submitted,
                              on_error=partial(self._on_write_failed, "submit", ids))

    def cancel_jobs(self, item_ids) -> None:
        """Remove still-queued jobs on the writer thread, after every earlier submit.

        `jobs_cancelled` names the ids removed; jobs already leased finish and are recorded.
        """
        for ids in _slices(list(item_ids)):
            self._writer.call(self._store.cancel, ids, then=self._on_cancelled,
                              on_error=partial(self._on_write_failed, "cancel", ids))

    def forget_jobs(self, item_ids, then) -> None:
        """Remove finished jobs from the store on the writer thread, after every earlier write;
        `then(ids removed)` runs on this thread."""
        ids = list(item_ids)
        self._writer.call(self._store.forget, ids, then=then,
                          on_error=partial(self._on_write_failed, "forget", ids))

    def fetch_results(self, pairs) -> None:
        """Read stored results of (model_version, item_id) pairs on the writer thread.

        They arrive as `results_cached`, in slices.
        """
        for part in _slices(list(pairs)):
            self._writer.call(fetch_results, self._store, part, then=self._on_fetched,
                              on_error=partial(self._on_write_failed, "fetch",
                                               [item_id for _, item_id in part]))

    def writes_pending(self) -> bool:
        """True while a submit, cancel or check asked of the writer has not reported back."""
        return self._writer.busy()

    def start(self) -> None:
        """Requeue expired leases, start runners and the periodic check (not after shutdown)."""
        if self._shut or self._store_gone:
            return
        self._cancel.clear()
        self._check_leases()
        self._timer.start()
        self._fill_pool()

    def cancel(self) -> None:
        """Stop leasing new work; batches already running finish and are recorded."""
        self._cancel.set()
        self._timer.stop()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Finish every write asked (nothing submitted is lost), cancel, wait for the runners.

        Jobs not yet run stay queued on disk. Returns False if runners outlived `timeout_ms`.
        """
        self._writer.wait()
        self._shut = True
        self.cancel()
        self._pool.clear()
        return self._pool.waitForDone(timeout_ms)

    def _may_run(self) -> bool:
        # After a runner error the jobs stay queued for the next start or submit: no retry loop
        # on a failing store.
        return not self._cancel.is_set() and not self.errors

    def _fill_pool(self) -> None:
        if self._shut:
            return
        signals = {"started": self.jobs_started, "finished": self.jobs_finished,
                   "failed": self.jobs_failed, "exited": self._runner_exited}
        while self._running < self._pool.maxThreadCount():
            # The first runner to start while none works begins small (a quick first result);
            # the others go straight to full batches.
            drain = partial(drain_queue, self._store, self._owner, self._predict,
                            self._batch_size, self._cancel, lease_seconds=self._lease_seconds,
                            hooks=self._hooks,
                            first_batch=FIRST_BATCH if self._running == 0 else None)
            self._running += 1
            # The pool owns and deletes the runner: never touched again.
            self._pool.start(QueueRunner(drain, signals, self._nice_steps))

    def _emit_progress(self) -> None:
        self.progress_changed.emit(*self._progress.totals())

    def _on_queued(self, queued: list) -> None:
        self._progress.queued(len(queued))
        if queued:
            self.jobs_queued.emit(queued)
            self._emit_progress()
            self._run_wanted = True
        # Runners start once the submits asked are all written: the store's lock and the CPU go
        # to putting what was asked on disk first (a paste of thousands is a second of writes).
        if self._run_wanted and not self._submits and not self._cancel.is_set():
            self._run_wanted = False
            self._fill_pool()

    def _after_write(self, moved: bool = True) -> None:
        """A write's outcome is handled: look for idle if it moved jobs or an idle check waits."""
        if moved or self._idle.due:
            self._check_idle()

    def _on_submitted(self, outcome) -> None:
        self._submits -= 1
        self.jobs_saved.emit(outcome.item_ids)
        self._on_queued(outcome.queued)
        if outcome.cached_results:
            self.results_cached.emit(outcome.cached_results)
        self._recompute(outcome.unreadable)
        self._after_write()

    def _recompute(self, pairs: list) -> None:
        """Stored results that could not be read: said once, moved aside and queued again."""
        if not pairs:
            return
        self.results_unreadable.emit([i for _, i in pairs])
        self._submits += 1
        self._writer.call(self._store.recompute, pairs, self._version,
                          then=self._on_recomputed,
                          on_error=partial(self._on_write_failed, "submit", [i for _, i in pairs]))

    def _on_recomputed(self, report) -> None:
        self._submits -= 1
        self._on_queued(list(report.queued))
        if report.cached:   # another model's bad row: the active model's result was there
            self.fetch_results([(self._version, i) for i in report.cached])
        self._after_write()

    def _on_cancelled(self, removed) -> None:
        self._progress.removed(len(removed))
        restored = getattr(removed, "restored", [])
        back = {i for _, i in restored}
        cancelled = [i for i in removed if i not in back]
        if cancelled:
            self.jobs_cancelled.emit(cancelled)
        if restored:   # asked again and cancelled: the earlier done result is shown again
            self.fetch_results(restored)
        if removed:
            self._emit_progress()
        self._after_write()

    def _on_fetched(self, fetched) -> None:
        if fetched.results:
            self.results_cached.emit(fetched.results)
        self._recompute(fetched.unreadable)
        self._after_write(moved=False)   # reads change no job

    def _on_requeued(self, jobs: list) -> None:
        """Announce jobs that ended failed with their last lease; run the ones queued again."""
        self._store_worked()
        failed = [(int(j.item_id), j.error) for j in jobs if j.state == FAILED]
        if failed:
            self.jobs_failed.emit(failed)   # tallied by `_on_jobs_ended`
        queued = [int(j.item_id) for j in jobs
                  if j.state != FAILED and int(j.item_id) not in self._started_since_check]
        if queued:
            self.jobs_requeued.emit(queued)
        if len(failed) < len(jobs) and self._may_run():
            self._fill_pool()
        # Nothing moved: no new idle (the tick runs on while leases are held).
        self._after_write(moved=bool(jobs))

    def _on_write_failed(self, what: str, ids: list, reason: str) -> None:
        self.write_failed.emit(what, ids, reason)
        if what == "submit":
            self._submits -= 1
            self._on_queued([])   # runners wait for no more submits
        self._after_write()

    def _on_store_failed(self, reason: str) -> None:
        """The idle or lease check failed: the store itself is failing. Asked again after a
        pause; after `STORE_FAILURES_TO_STOP` failures in a row, never again (no spinning)."""
        self.errors.append(reason)
        if not self._store_failing(reason):
            QTimer.singleShot(int(STORE_RETRY_SECONDS * 1000), self._check_idle)

    def _store_failing(self, reason: str) -> bool:
        """Count a failed store call; True once the store is given up (`store_failed`, once).

        A store only busy (another writer held its lock past the retries) is not failing: it is
        asked again after the pause, however often, and never given up for that.
        """
        if reason.startswith(BusyStoreError.__name__):
            return self._store_gone
        self._failures_in_a_row += 1
        if self._failures_in_a_row >= STORE_FAILURES_TO_STOP and not self._store_gone:
            self._store_gone = True
            self.cancel()
            self.store_failed.emit(f"The job store stopped working ({reason}); no more items are "
                                   "forecast until the app is restarted.")
        return self._store_gone

    def _store_worked(self) -> None:
        self._failures_in_a_row = 0

    @Slot(object)
    def _on_jobs_ended(self, ended: list) -> None:
        self._progress.ended(len(ended))
        self._emit_progress()

    @Slot(str)
    def _on_runner_exited(self, error: str) -> None:
        self._running -= 1
        if error:
            self.errors.append(error)
            self._store_failing(error)
        self._check_idle()

    @Slot()
    def _on_tick(self) -> None:
        if not self._shut and not self._store_gone:
            self._check_leases()

    def _check_leases(self) -> None:
        """Ask the writer to give back the leases whose worker is gone (`_on_requeued`)."""
        self._started_since_check.clear()
        self._writer.call(self._store.requeue_expired, then=self._on_requeued,
                          on_error=self._on_store_failed)

    @Slot(object)
    def _note_started(self, ids: list) -> None:
        self._started_since_check.update(int(i) for i in ids)

    @Slot()
    def _check_idle(self) -> None:
        """Ask the writer for the counts once nothing runs; a pending write decides later."""
        if self._shut or self._store_gone:
            return
        if not self._idle.ask_now(self._running, self._writer.busy()):
            return
        self._writer.call(self._store.counts, then=self._on_counted,
                          on_error=self._on_store_failed)

    def _on_counted(self, counts: dict) -> None:
        """Idle when nothing is queued or leased; leases held elsewhere are waited out.

        The periodic requeue keeps running while any job is leased, even once idle.
        """
        self._store_worked()
        step = self._idle.after_counts(counts, self._running, self._writer.busy(),
                                       self._may_run())
        if step is Next.ASK_AGAIN:
            self._check_idle()
            return
        self._progress.recount(still_to_run(counts))
        self._emit_progress()
        if step is Next.RUN:
            self._fill_pool()
        elif step is Next.WAIT:
            QTimer.singleShot(int(max(self._lease_seconds / 4, 0.1) * 1000), self._check_idle)
        else:
            if not counts.get("leased", 0):
                self._timer.stop()
            self.idle.emit()
