"""StoreWriter: the job-store calls the GUI asks for, run in order on one background thread.

A `store.submit` of a few hundred ids is one SQLite transaction with FULL sync and a `counts()`
scans the job index: on the GUI thread either stalls the event loop. The writer runs them on a
one-thread pool, so they execute in the order asked (a cancel never overtakes the submit before
it), and each call carries its own continuation, run in the thread the writer lives in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from salesapp.workers.thread_priority import lower_current_thread

log = logging.getLogger(__name__)

Then = Callable[[object], None] | None


@dataclass
class Fetched:
    """Stored results read back, and the ids whose stored result could not be read."""

    results: list[dict] = field(default_factory=list)
    unreadable: list[tuple[str, int]] = field(default_factory=list)   # (model_version, item_id)


@dataclass
class SubmitOutcome:
    """What one submitted slice became: the store's report and the results it already had."""

    item_ids: list[int]
    queued: list[int] = field(default_factory=list)
    already_pending: list[int] = field(default_factory=list)
    cached_results: list[dict] = field(default_factory=list)
    unreadable: list[tuple[str, int]] = field(default_factory=list)   # (model_version, item_id)


def submit_slice(store, item_ids: Sequence[int], model_version: str) -> SubmitOutcome:
    """Queue `item_ids` in one transaction; fetch the stored results of the ids already done.

    A stored result that is valid JSON but does not read back as a result is named in
    `unreadable` (the store answered "done" for it): the caller asks for it again.
    """
    report = store.submit(list(item_ids), model_version)
    cached = fetch_results(store, [(model_version, i) for i in report.cached])
    return SubmitOutcome(list(item_ids), list(report.queued), list(report.already_pending),
                         cached.results, cached.unreadable)


def fetch_results(store, pairs: Sequence[tuple[str, int]]) -> Fetched:
    """The stored results of (model_version, item_id) pairs that have one (read in bulk); a
    result row that cannot be read costs only its own id (`Fetched.unreadable`)."""
    if not pairs:
        return Fetched()
    return Fetched(*store.readable_results_of(pairs))


class _StoreTask(QRunnable):
    """Runs one store call on the pool thread. Holds plain data and a bound signal only."""

    def __init__(self, call: Callable, args: tuple, then: Then, on_error: Then, delivered,
                 nice_steps: int):
        super().__init__()
        self._call, self._args = call, args
        self._then, self._on_error = then, on_error
        self._delivered = delivered
        self._nice_steps = nice_steps

    def run(self) -> None:
        lower_current_thread(self._nice_steps)
        try:
            value = self._call(*self._args)
        except Exception as exc:  # noqa: BLE001 - reported to the owner, never kills the pool thread
            if self._on_error is None:
                log.error("a store call failed: %s: %s", type(exc).__name__, exc)
            self._delivered.emit(self._on_error, f"{type(exc).__name__}: {exc}")
            return
        self._delivered.emit(self._then, value)


class StoreWriter(QObject):
    """Runs store calls one at a time, in the order asked, off the thread that owns the writer.

    `call(fn, *args, then=f, on_error=g)`: `f(result)` or `g(reason)` runs later in the writer's
    thread, in the order the calls were asked, and in the same event in which `busy()` turns
    False for that call. `wait()` blocks until every call ran.
    """

    # One queued event per outcome: (the continuation, its argument).
    _delivered = Signal(object, object)

    def __init__(self, store, parent: QObject | None = None, nice_steps: int = 0):
        super().__init__(parent)
        self._store = store
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)   # one thread: calls run in order, never side by side
        self._in_flight = 0
        self._nice_steps = nice_steps
        self._delivered.connect(self._on_delivered)

    def call(self, fn: Callable, *args, then: Then = None, on_error: Then = None) -> None:
        """Run `fn(*args)` after every call asked before; then `then(result)` here.

        A failure without `on_error` is only logged: give one wherever a failure matters.
        """
        self._in_flight += 1
        self._pool.start(_StoreTask(fn, args, then, on_error, self._delivered, self._nice_steps))

    def lower_priority(self, steps: int) -> None:
        """Run the calls from now on at `steps` nice levels below normal (see thread_priority)."""
        self._nice_steps = steps

    def busy(self) -> bool:
        """True while a call has not yet reported back to this thread."""
        return self._in_flight > 0

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until every call asked has run (their continuations come later); False on timeout."""
        return self._pool.waitForDone(timeout_ms)

    @Slot(object, object)
    def _on_delivered(self, continuation: Then, value) -> None:
        self._in_flight -= 1   # first: the continuation already sees only the calls still to come
        if continuation is not None:
            continuation(value)
