"""PredictionDispatcher: owns the thread pool and every signal of background prediction (QtCore)."""

from __future__ import annotations

import os
import sys
import threading
import uuid

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot

from salesapp.store.job_store import FAILED
from salesapp.workers.batch_runner import DEFAULT_LEASE_SECONDS
from salesapp.workers.predict_job import PredictJob, with_test_hooks
from salesapp.workers.store_writer import WRITE_SLICE, StoreWriter, fetch_results
from salesapp.workers.thread_priority import lowered

# Measured: 5,100 items in batches of 1,024 predict ~20 % faster than in batches of 512.
DEFAULT_BATCH = 1024
# Nice levels below the GUI thread for the workers of a window (see thread_priority).
WORKER_NICE_STEPS = 10
# While a window is open: a thread waiting for the GIL asks for it after 1 ms instead of 5 ms.
# Every call Qt makes into Python (slots, model data, paints) waits for the GIL first.
GUI_SWITCH_INTERVAL = 0.001
# Largest batch while a window is open. Parts of a model call and of recording its results are
# single C calls that hold the GIL throughout (array stacking, `tolist`, JSON encoding), and they
# grow with the batch: with a full-scale bundle (44 shops per item) the longest hold inside one
# predict was 10-12 ms at 1,024 items, 4-6 ms at 256 (gil_probe.longest_gil_hold); each one is a
# wait the GUI thread may have to sit out. Smaller batches cost ~25 % more model time per id.
GUI_BATCH = 256
# Runner threads while a window is open. Each runner spends much of a batch in Python (features,
# result assembly, packing for the store), so each is one more thread the GUI thread queues
# behind at the GIL. Measured with a full-scale bundle, 4 alternated pairs at load 0.4-0.9: two
# runners of 1,024 gave longest stalls of 42-56 ms (p99 30-37 ms) in 4.1-4.7 s for 10,000 ids;
# one runner of 256, 29-33 ms (p99 24-25 ms) in 5.2-5.5 s. The window trades that time for it.
GUI_POOL = 1


def default_pool_size() -> int:
    """Two runners on a small machine: throughput comes from batching, not from many threads."""
    return max(1, min(2, os.cpu_count() or 1))


def _ids_of(kind: str, args: tuple) -> list[int] | None:
    """The item ids a failed writer call was about (None: a check about no ids in particular)."""
    if kind == "submit":
        return list(args[1])
    if kind == "cancel":
        return list(args[0])
    if kind == "fetch":
        return [item_id for _, item_id in args[1]]
    return None


class PredictionDispatcher(QObject):
    """Runs queued jobs of a `JobStore` with a `Predictor` on its own `QThreadPool`.

    Lives in the GUI (or QCoreApplication) thread; every signal is delivered there. Keeps starting
    runners until no job is queued or leased, then emits `idle`. The GUI thread never waits on the
    store in a loop: `submit_later`, `cancel_jobs`, the idle check and the lease check run on a
    `StoreWriter` thread, and progress totals are kept incrementally after one `counts()` here.
    """

    jobs_queued = Signal(list)
    results_cached = Signal(object)      # list: results the store already held for submitted ids
    jobs_cancelled = Signal(object)   # list: ids `cancel_jobs` removed from the queue
    # `object`, not `list`: PySide6 deep-copies a `list` payload into a QVariantList and back,
    # measured 0.76 s to emit + 0.93 s to deliver 4,096 results; `object` passes the reference.
    jobs_started = Signal(object)
    jobs_finished = Signal(object)
    jobs_failed = Signal(object)
    # list: ids whose lease was lost (worker gone or stopped) and that are queued again; a view
    # showing them running shows them queued until a runner starts them anew
    jobs_requeued = Signal(object)
    write_failed = Signal(str, list, str)   # "submit" | "cancel" | "fetch", the ids, the reason
    progress_changed = Signal(int, int)
    idle = Signal()
    _runner_exited = Signal(str)

    def __init__(self, store, predictor, parent=None, pool_size=None, batch_size=DEFAULT_BATCH,
                 lease_seconds=DEFAULT_LEASE_SECONDS, pending: int | None = None):
        # A negative pool or a batch under 1 would never lease anything and never go idle.
        if pool_size is not None and pool_size < 0:
            raise ValueError(f"the pool size must be 0 (automatic) or more, not {pool_size}")
        if batch_size < 1:
            raise ValueError(f"the batch size must be 1 or more, not {batch_size}")
        super().__init__(parent)
        self._store = store
        self._predict = with_test_hooks(predictor.predict)
        self._plain_predict = self._predict
        self._version = predictor.version
        self._batch_size = batch_size
        self._lease_seconds = lease_seconds
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(pool_size or default_pool_size())
        self._owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._cancel = threading.Event()
        self._running = 0
        self._done = 0
        self._shut = False   # after shutdown nothing new starts (late signals may still arrive)
        self._idle_due = False   # an idle check waits for the writer's last outcome
        # Jobs queued or leased now: the one scan, from here on counted as they move. `pending`
        # when the caller knows it already (the window's loader read every job off the GUI
        # thread: at 50,000 jobs the scan is ~40 ms of the GUI thread); an idle check recounts.
        if pending is None:
            counts = store.counts()
            pending = counts.get("queued", 0) + counts.get("leased", 0)
        self._outstanding = pending
        self.errors: list[str] = []   # runner-level errors (e.g. the store failing), for the caller
        self._writer = StoreWriter(store, self)
        self._writer.finished.connect(self._on_write_finished)
        self._writer.failed.connect(self._on_write_failed)
        self._timer = QTimer(self)
        # Expired leases of dead or frozen workers go back to the queue well within one lease.
        self._timer.setInterval(int(max(lease_seconds / 2, 0.2) * 1000))
        self._timer.timeout.connect(self._on_tick)
        self.jobs_finished.connect(self._on_jobs_finished)
        # Ids a runner started since the last requeue check was asked for: a job that check gives
        # back may already run again under a new lease by the time its outcome arrives here (the
        # two come from different threads); it is not announced as queued again then. A lost
        # lease is at least a lease old, so its own start came before the check was asked for.
        self._started_since_check: set[int] = set()
        self.jobs_started.connect(self._note_started)
        self.jobs_failed.connect(self._on_jobs_failed)
        self._runner_exited.connect(self._on_runner_exited)

    @property
    def owner(self) -> str:
        """This dispatcher's lease owner id (pid + random suffix)."""
        return self._owner

    def yield_to_gui(self, steps: int = WORKER_NICE_STEPS) -> None:
        """Run runners and the writer at a lower CPU priority than the thread that owns us.

        For the window: its event loop then gets a core before the workers do, and the GIL
        within 1 ms (a process-wide setting); at most `GUI_POOL` runners, with batches capped at
        `GUI_BATCH` so that no single step of a runner holds the GIL long. Headless runs do not
        call this.
        """
        self._batch_size = min(self._batch_size, GUI_BATCH)
        self._pool.setMaxThreadCount(min(self._pool.maxThreadCount(), GUI_POOL))
        self._predict = lowered(self._plain_predict, steps)
        self._writer.lower_priority(steps)
        sys.setswitchinterval(min(sys.getswitchinterval(), GUI_SWITCH_INTERVAL))

    def submit(self, item_ids, model_version=None):
        """Persist jobs as queued now (blocking), announce them, start runners; returns the report."""
        report = self._store.submit(list(item_ids), model_version or self._version)
        self._on_queued(list(report.queued))
        return report

    def submit_later(self, item_ids) -> None:
        """Persist jobs as queued on the writer thread; `jobs_queued`/`results_cached` follow."""
        self._writer.submit(list(item_ids), self._version)

    def cancel_jobs(self, item_ids) -> None:
        """Remove still-queued jobs on the writer thread, after every earlier submit.

        `jobs_cancelled` names the ids removed; jobs already leased finish and are recorded.
        """
        ids = list(item_ids)
        for i in range(0, len(ids), WRITE_SLICE):
            self._writer.call("cancel", self._store.cancel, ids[i:i + WRITE_SLICE])

    def fetch_results(self, pairs) -> None:
        """Read stored results of (model_version, item_id) pairs on the writer thread.

        They arrive as `results_cached`, in slices.
        """
        pairs = list(pairs)
        for i in range(0, len(pairs), WRITE_SLICE):
            self._writer.call("fetch", fetch_results, self._store, pairs[i:i + WRITE_SLICE])

    def writes_pending(self) -> bool:
        """True while a submit, cancel or check asked of the writer has not reported back."""
        return self._writer.busy()

    def start(self) -> None:
        """Requeue expired leases, start runners and the periodic check (not after shutdown)."""
        if self._shut:
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

    def _fill_pool(self) -> None:
        if self._shut:
            return
        signals = {"started": self.jobs_started, "finished": self.jobs_finished,
                   "failed": self.jobs_failed, "exited": self._runner_exited}
        while self._running < self._pool.maxThreadCount():
            job = PredictJob(self._store, self._owner, self._predict, self._batch_size,
                             self._cancel, signals, self._lease_seconds)
            self._running += 1
            self._pool.start(job)   # the pool owns and deletes it: never touched again

    def _emit_progress(self) -> None:
        # A runner can report a job before the writer reports queueing it: never show done > total
        self.progress_changed.emit(self._done, self._done + max(self._outstanding, 0))

    def _on_queued(self, queued: list) -> None:
        self._outstanding += len(queued)
        if queued:
            self.jobs_queued.emit(queued)
            self._emit_progress()
            if not self._cancel.is_set():
                self._fill_pool()

    @Slot(str, object)
    def _on_write_finished(self, kind: str, payload) -> None:
        if kind == "submit":
            self._on_queued(payload.queued)
            if payload.cached_results:
                self.results_cached.emit(payload.cached_results)
        elif kind == "cancel":
            self._outstanding -= len(payload)
            restored = getattr(payload, "restored", [])
            back = {i for _, i in restored}
            cancelled = [i for i in payload if i not in back]
            if cancelled:
                self.jobs_cancelled.emit(cancelled)
            if restored:   # asked again and cancelled: the earlier done result is shown again
                self.fetch_results(restored)
            if payload:
                self._emit_progress()
        elif kind == "fetch":
            if payload:
                self.results_cached.emit(payload)
            if not self._idle_due:
                return   # reads change no job: only an idle check waiting on them runs
        elif kind == "counts":
            self._on_counted(payload)
            return
        elif kind == "requeue":
            self._on_requeued(payload)
            if not payload and not self._idle_due:
                return   # nothing moved: no new idle (the tick runs on while leases are held)
        if self._running == 0:
            self._check_idle()

    def _on_requeued(self, jobs: list) -> None:
        """Announce jobs that ended failed with their last lease; run the ones queued again."""
        failed = [(int(j.item_id), j.error) for j in jobs if j.state == FAILED]
        if failed:
            self.jobs_failed.emit(failed)   # counted in progress by `_on_jobs_failed`
        queued = [int(j.item_id) for j in jobs
                  if j.state != FAILED and int(j.item_id) not in self._started_since_check]
        if queued:
            self.jobs_requeued.emit(queued)
        # After a runner error the jobs stay queued for the next start or submit: no retry loop
        # on a failing store.
        if len(failed) < len(jobs) and not self._cancel.is_set() and not self.errors:
            self._fill_pool()

    @Slot(str, object, str)
    def _on_write_failed(self, kind: str, args, reason: str) -> None:
        ids = _ids_of(kind, args)
        if ids is None:   # the idle or lease check: the store itself is failing
            self.errors.append(reason)
        else:
            self.write_failed.emit(kind, ids, reason)
        if self._running == 0:
            self._check_idle()

    @Slot(object)
    def _on_jobs_finished(self, results: list) -> None:
        self._done += len(results)
        self._outstanding -= len(results)
        self._emit_progress()

    @Slot(object)
    def _on_jobs_failed(self, failures: list) -> None:
        self._done += len(failures)
        self._outstanding -= len(failures)
        self._emit_progress()

    @Slot(str)
    def _on_runner_exited(self, error: str) -> None:
        self._running -= 1
        if error:
            self.errors.append(error)
        if self._running == 0:
            self._check_idle()

    @Slot()
    def _on_tick(self) -> None:
        if not self._shut:
            self._check_leases()

    def _check_leases(self) -> None:
        """Ask the writer to give back the leases whose worker is gone (`_on_requeued`)."""
        self._started_since_check.clear()
        self._writer.call("requeue", self._store.requeue_expired)

    @Slot(object)
    def _note_started(self, ids: list) -> None:
        self._started_since_check.update(int(i) for i in ids)

    @Slot()
    def _check_idle(self) -> None:
        """Ask the writer for the counts once nothing runs; a pending write decides later."""
        if self._running or self._shut:
            return
        if self._writer.busy():
            self._idle_due = True   # the writer's last outcome runs the check
            return
        self._idle_due = False
        self._writer.call("counts", self._store.counts)

    def _on_counted(self, counts: dict) -> None:
        """Idle when nothing is queued or leased; leases held elsewhere are waited out by the timer.

        The periodic requeue keeps running while any job is leased, even once idle: a runner that
        hit a store error leaves its batch leased, and it must go back to the queue when the
        lease runs out.
        """
        if self._running or self._writer.busy():
            self._check_idle()   # work started (or a write is due) since the counts were asked for
            return
        self._outstanding = counts.get("queued", 0) + counts.get("leased", 0)
        self._emit_progress()
        if counts.get("queued", 0) and not self._cancel.is_set() and not self.errors:
            self._fill_pool()
        elif counts.get("leased", 0) and not self._cancel.is_set() and not self.errors:
            QTimer.singleShot(int(max(self._lease_seconds / 4, 0.1) * 1000), self._check_idle)
        else:
            if not counts.get("leased", 0):
                self._timer.stop()
            self.idle.emit()
