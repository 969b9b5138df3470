"""StoreWriter: the job-store calls the GUI asks for, run in order on one background thread.

A `store.submit` of a few hundred ids costs tens of milliseconds (one SQLite transaction with
FULL sync) and a `counts()` scans the job index: on the GUI thread either stalls the event loop.
The writer runs them on a one-thread pool, so they execute in the order asked (a cancel never
overtakes the submit before it), and reports each outcome with a signal delivered to the thread
the writer lives in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from salesapp.workers.thread_priority import lower_current_thread

# Ids per store transaction: long enough to amortise the commit's fsync, short enough that the
# pool threads' lease/complete calls never wait long on SQLite's write lock (~0.35 ms an id).
WRITE_SLICE = 500


@dataclass
class SubmitOutcome:
    """What one submitted slice became: the store's report and the results it already had."""

    item_ids: list[int]
    queued: list[int] = field(default_factory=list)
    already_pending: list[int] = field(default_factory=list)
    cached_results: list[dict] = field(default_factory=list)


def submit_slice(store, item_ids: Sequence[int], model_version: str) -> SubmitOutcome:
    """Queue `item_ids` in one transaction; fetch the stored results of the ids already done."""
    report = store.submit(list(item_ids), model_version)
    cached = fetch_results(store, [(model_version, i) for i in report.cached])
    return SubmitOutcome(list(item_ids), list(report.queued), list(report.already_pending), cached)


def fetch_results(store, pairs: Sequence[tuple[str, int]]) -> list[dict]:
    """The stored results of (model_version, item_id) pairs that have one (read in bulk)."""
    if not pairs:
        return []
    return [r for r in store.results_of(pairs) if r is not None]


class _StoreTask(QRunnable):
    """Runs one store call on the pool thread. Holds plain data and bound signals only."""

    def __init__(self, kind: str, call: Callable, args: tuple, finished, failed, nice: int):
        super().__init__()
        self._kind, self._call, self._args = kind, call, args
        self._finished, self._failed = finished, failed
        self._nice = nice

    def run(self) -> None:
        lower_current_thread(self._nice)
        try:
            payload = self._call(*self._args)
        except Exception as exc:  # noqa: BLE001 - reported to the GUI, never kills the pool thread
            self._failed.emit(self._kind, self._args, f"{type(exc).__name__}: {exc}")
            return
        self._finished.emit(self._kind, payload)


class StoreWriter(QObject):
    """Runs store calls one at a time, in the order asked, off the thread that owns the writer.

    `finished(kind, payload)` and `failed(kind, args, reason)` come back in the same order, emitted
    in the writer's thread: receivers there run in the same event in which `busy()` turns False
    for that outcome. `wait()` blocks until every call ran.
    """

    finished = Signal(str, object)
    failed = Signal(str, object, str)
    # What the pool thread emits: one queued event per outcome, relayed by the slots below.
    _task_finished = Signal(str, object)
    _task_failed = Signal(str, object, str)

    def __init__(self, store, parent: QObject | None = None):
        super().__init__(parent)
        self._store = store
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)   # one thread: calls run in order, never side by side
        self._in_flight = 0
        self._nice = 0
        # A relay, not a second receiver of the pool's signal: with two receivers the writer's
        # count and the listeners' slots were two queued events, and `busy()` could turn False
        # before the last outcome was handled (seen under load).
        self._task_finished.connect(self._on_task_finished)
        self._task_failed.connect(self._on_task_failed)

    def submit(self, item_ids: Sequence[int], model_version: str) -> int:
        """Queue ids in slices of `WRITE_SLICE`; one `finished('submit', SubmitOutcome)` each.

        Returns the number of slices started.
        """
        ids = list(item_ids)
        slices = [ids[i:i + WRITE_SLICE] for i in range(0, len(ids), WRITE_SLICE)]
        for chunk in slices:
            self.call("submit", submit_slice, self._store, chunk, model_version)
        return len(slices)

    def call(self, kind: str, fn: Callable, *args) -> None:
        """Run `fn(*args)` after every call asked before; its result comes as `finished`."""
        self._in_flight += 1
        self._pool.start(_StoreTask(kind, fn, args, self._task_finished, self._task_failed,
                                    self._nice))

    def lower_priority(self, steps: int) -> None:
        """Run the calls from now on at `steps` nice levels below normal (see thread_priority)."""
        self._nice = steps

    def busy(self) -> bool:
        """True while a call has not yet reported back to this thread."""
        return self._in_flight > 0

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until every call asked has run (their signals arrive later); False on timeout."""
        return self._pool.waitForDone(timeout_ms)

    @Slot(str, object)
    def _on_task_finished(self, kind: str, payload) -> None:
        self._in_flight -= 1   # first: listeners already see the calls still to come
        self.finished.emit(kind, payload)

    @Slot(str, object, str)
    def _on_task_failed(self, kind: str, args, reason: str) -> None:
        self._in_flight -= 1
        self.failed.emit(kind, args, reason)
