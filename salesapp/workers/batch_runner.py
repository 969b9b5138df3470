"""The worker's task as plain functions (no Qt): `run_batch` leases, predicts and records one
batch; `drain_queue` runs batches until none is queued. The window runs `drain_queue` on its pool
(`QueueRunner`), `salesapp work` runs it on plain threads (`headless`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from salesapp.pacing import DEFAULT_LEASE_SECONDS, ONE_BY_ONE
from salesapp.workers.test_hooks import NO_HOOKS, PredictFn, TestHooks

log = logging.getLogger(__name__)

Report = Callable[[str, list], None]   # ("started" | "finished" | "failed", ids or results)


def model_threads(pool_size: int) -> int:
    """LightGBM threads per predict call so that threads x pool size fits the cores."""
    return max(1, (os.cpu_count() or 1) // max(1, pool_size))


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
            except Exception as exc:  # noqa: BLE001 - this thread must outlive a failing store
                # A lock held elsewhere past the store's timeout is usually transient: beat on.
                # If the lease runs out meanwhile, `complete` refuses the batch, so nothing is
                # recorded twice; a store that is gone is the batch's own error when it ends.
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


def run_batch(store, owner: str, predict: PredictFn, batch_size: int, report: Report,
              lease_seconds: float = DEFAULT_LEASE_SECONDS, hooks: TestHooks = NO_HOOKS) -> int:
    """Lease up to `batch_size` jobs, predict them once, record them; returns how many were leased.

    Results and done states are written in one `store.complete` transaction before `report` is
    called, so nothing is announced that a crash could still lose.
    """
    jobs = store.lease(owner, batch_size, lease_seconds)
    if not jobs:
        return 0
    ids = [int(j.item_id) for j in jobs]
    hooks.crash_point("after_lease")
    report("started", ids)
    with _Heartbeat(store, owner, ids, lease_seconds):
        hooks.crash_point("mid_batch")
        with hooks.model_call(store):
            done, failed = _predict_batch(hooks.predicting(predict), ids)
    # The store refuses results of jobs no longer ours (lease expired and taken over): announce
    # only what it accepted, so each job is reported finished exactly once.
    accepted = store.complete(owner, done) if done else []
    hooks.crash_point("after_complete")
    failed += getattr(accepted, "refused", [])   # results the store cannot keep (NaN)
    # A failed attempt goes back to the queue until the attempt limit; only final failures count.
    final = [(i, why) for i, why in failed if store.fail(owner, i, why) == "failed"]
    if accepted:
        report("finished", [done[i] for i in accepted])
    if final:
        report("failed", final)
    return len(ids)


def drain_queue(store, owner: str, predict: PredictFn, batch_size: int, cancel: threading.Event,
                report: Report, lease_seconds: float = DEFAULT_LEASE_SECONDS,
                hooks: TestHooks = NO_HOOKS, first_batch: int | None = None) -> int:
    """Run batches until none is queued or `cancel` is set; returns the jobs run.

    `first_batch` caps the first one, for a caller that starts with no runner working: its
    first result then comes after one small model call.
    """
    total = 0
    size = min(batch_size, first_batch or batch_size)
    while not cancel.is_set():
        n = run_batch(store, owner, predict, size, report, lease_seconds, hooks)
        size = batch_size
        if n == 0:
            break
        total += n
    return total
