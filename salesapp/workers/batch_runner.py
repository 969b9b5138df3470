"""The worker's task: `run_batch`, a plain function (Qt-free: `salesapp work` runs its first batch
before Qt is even imported). `PredictJob` (predict_job.py) is its QRunnable shell.

Test hooks, read from the environment and used only by the reliability tests (never set them in
production):
- `SALESAPP_CRASH_AT=after_lease|mid_batch|after_complete`: `os._exit(137)` at that point.
- `SALESAPP_TEST_SLOW_MS=N`: sleep N ms per batch while the model "runs" (lets kills land mid-work).
- `SALESAPP_POISON_ID=N`: the predict function raises for item N (a poison job).
- `SALESAPP_TEST_MODEL_MARKER=PATH`: the file exists exactly while a runner is inside the model call,
  and meanwhile no thread of the process writes to the store; so a test that SIGSTOPs the worker
  while the file exists never freezes it holding the database's write lock.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from salesapp.errors import SalesAppError

log = logging.getLogger(__name__)

CRASH_ENV, SLOW_ENV, POISON_ENV = "SALESAPP_CRASH_AT", "SALESAPP_TEST_SLOW_MS", "SALESAPP_POISON_ID"
MARKER_ENV = "SALESAPP_TEST_MODEL_MARKER"

# The first batch of a runner that starts while no other runner of the process is working: the
# first result reaches the user after one small model call, not after a full batch (seconds at
# full scale). Runners that join work already under way go straight to full batches, because every
# model call has a fixed cost (the feature tables), so each extra small call costs throughput.
FIRST_BATCH = 16
DEFAULT_LEASE_SECONDS = 60.0   # the window's and `salesapp work`'s lease on a batch


class _ActiveRunners:
    """How many `run_batch` calls are running in this process (any dispatcher, any thread)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._count = 0

    def enter(self) -> bool:
        """Count one more runner; True when no other runner was working."""
        with self._lock:
            self._count += 1
            return self._count == 1

    def leave(self) -> None:
        with self._lock:
            self._count -= 1

    @contextmanager
    def held(self) -> Iterator[None]:
        """Count as a working runner while inside (see `first_result_given`)."""
        self.enter()
        try:
            yield
        finally:
            self.leave()


_ACTIVE = _ActiveRunners()


def model_threads(pool_size: int) -> int:
    """LightGBM threads per predict call so that threads x pool size fits the cores."""
    return max(1, (os.cpu_count() or 1) // max(1, pool_size))


def first_result_given():
    """Context manager: while inside, runners of this process start with full batches.

    For `salesapp work`, which gives its first result from a small batch of its own before the
    worker pool starts: a second small batch would only add a model call.
    """
    return _ACTIVE.held()


PredictFn = Callable[[Sequence[int]], list]
Report = Callable[[str, list], None]


def _crash_point(name: str) -> None:
    """Test hook: die like a SIGKILL would (no clean-up, no flush) at the named point."""
    if os.environ.get(CRASH_ENV) == name:
        os._exit(137)


@contextmanager
def _model_call_marker(store) -> Iterator[None]:
    """Test hook: mark the model call with a file, with every store write of the process held."""
    path = os.environ.get(MARKER_ENV)
    if not path:
        yield
        return
    with store.writes_held():
        Path(path).touch()
        try:
            yield
        finally:
            # Removed before the writes resume: a stopped process with the file present is
            # certainly inside the model call.
            Path(path).unlink(missing_ok=True)


def with_test_hooks(predict: PredictFn) -> PredictFn:
    """Wrap `predict` with the slow-down and poison hooks when their env vars are set."""
    slow_ms = int(os.environ.get(SLOW_ENV, "0") or 0)
    poison = os.environ.get(POISON_ENV)
    if not slow_ms and not poison:
        return predict
    poison_id = int(poison) if poison else None

    def hooked(item_ids: Sequence[int]) -> list:
        if slow_ms:
            time.sleep(slow_ms / 1000)
        if poison_id is not None and poison_id in item_ids:
            raise RuntimeError(f"test poison: item {poison_id} makes the model fail")
        return predict(item_ids)
    return hooked


class _Heartbeat:
    """Renews a lease in the background while a long model call runs (context manager)."""

    def __init__(self, store, owner: str, item_ids: list[int], lease_seconds: float):
        self._args = (store, owner, item_ids, lease_seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="lease-heartbeat")

    def _run(self) -> None:
        store, owner, ids, seconds = self._args
        warned = False
        # Renew at a third of the lease so two missed beats still leave the lease valid.
        while not self._stop.wait(max(seconds / 3, 0.05)):
            try:
                store.renew(owner, ids, seconds)
            except SalesAppError as exc:
                # A lock held elsewhere past the store's timeout is usually transient: beat on.
                # If the lease runs out meanwhile, `complete` refuses the batch, so nothing is
                # recorded twice.
                if not warned:
                    log.warning("lease renewal failed, retrying: %s", exc)
                    warned = True

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _predict_halves(predict: PredictFn, item_ids: list[int]) -> tuple[dict, list]:
    """Predict a batch that failed as two halves, each split again while it fails.

    One poison id then costs about 2 x log2(n) model calls instead of n (each call has a fixed
    cost), every other id still gets its result, and the poison id fails with its reason.
    """
    mid = len(item_ids) // 2
    done, failed = _predict_batch(predict, item_ids[:mid])
    more_done, more_failed = _predict_batch(predict, item_ids[mid:])
    done.update(more_done)
    return done, failed + more_failed


# A failing part of at most this many ids is tried one id at a time, not halved further: when
# the model fails on every id (a broken bundle), halving down to single ids costs 2n - 1 calls,
# this about 1.25 n; one poison id costs ~2 log2(n / 8) + 8 calls (instead of ~2 log2(n)).
ONE_BY_ONE = 8


def _predict_batch(predict: PredictFn, item_ids: list[int]) -> tuple[dict, list]:
    """({item_id: result}, [(item_id, reason)]): one call, split only where the model fails."""
    try:
        results = predict(item_ids)
    except Exception as exc:  # noqa: BLE001 - any model error fails its own jobs, not the batch
        if len(item_ids) == 1:
            return {}, [(item_ids[0], f"{type(exc).__name__}: {exc}")]
        if len(item_ids) <= ONE_BY_ONE:
            return _predict_each(predict, item_ids)
        return _predict_halves(predict, item_ids)
    return dict(zip(item_ids, results)), []


def _predict_each(predict: PredictFn, item_ids: list[int]) -> tuple[dict, list]:
    done, failed = {}, []
    for item_id in item_ids:
        one_done, one_failed = _predict_batch(predict, [item_id])
        done.update(one_done)
        failed += one_failed
    return done, failed


def run_one_batch(store, owner: str, predict: PredictFn, batch_size: int, report: Report,
                  lease_seconds: float = 60.0) -> int:
    """Lease up to `batch_size` jobs, predict them once, record them; returns how many were leased.

    Results and done states are written in one `store.complete` transaction before `report` is
    called, so nothing is announced that a crash could still lose.
    """
    jobs = store.lease(owner, batch_size, lease_seconds)
    if not jobs:
        return 0
    ids = [int(j.item_id) for j in jobs]
    _crash_point("after_lease")
    report("started", ids)
    with _Heartbeat(store, owner, ids, lease_seconds):
        _crash_point("mid_batch")
        with _model_call_marker(store):
            done, failed = _predict_batch(predict, ids)
    # The store refuses results of jobs no longer ours (lease expired and taken over): announce
    # only what it accepted, so each job is reported finished exactly once.
    accepted = store.complete(owner, done) if done else []
    _crash_point("after_complete")
    # A failed attempt goes back to the queue until the attempt limit; only final failures count.
    final = [(i, why) for i, why in failed if store.fail(owner, i, why) == "failed"]
    if accepted:
        report("finished", [done[i] for i in accepted])
    if final:
        report("failed", final)
    return len(ids)


def run_batch(store, owner: str, predict: PredictFn, batch_size: int,
              cancel: threading.Event, report: Report, lease_seconds: float = 60.0) -> int:
    """Keep leasing and running batches until none is queued or `cancel` is set; returns jobs run.

    The first batch holds at most `FIRST_BATCH` jobs when no other runner of the process is
    working (a quick first result), the others `batch_size`.
    """
    total = 0
    size = min(batch_size, FIRST_BATCH) if _ACTIVE.enter() else batch_size
    try:
        while not cancel.is_set():
            n = run_one_batch(store, owner, predict, size, report, lease_seconds)
            size = batch_size
            if n == 0:
                break
            total += n
    finally:
        _ACTIVE.leave()
    return total
