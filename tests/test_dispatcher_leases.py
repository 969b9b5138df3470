"""The dispatcher and its leases: jobs of gone or failing runners go back, or end failed, and the view is told."""

import sqlite3
import threading

import pytest
from engine_cli import FakePredictor, use_up_attempts_but_one

from salesapp.store.job_store import FAILED, JobStore


def test_job_failed_by_expired_leases_is_announced_and_counted(qtbot, tmp_path):
    from salesapp.workers.dispatcher import PredictionDispatcher

    store = JobStore.open(tmp_path / "s")
    p = FakePredictor()
    store.submit([7], p.version)
    use_up_attempts_but_one(store, 7)
    store.lease("dead-worker", 1, 0.3)   # the last attempt, held by a worker that is gone
    d = PredictionDispatcher(store, p, pool_size=1, lease_seconds=0.4)
    failures, progress = [], []
    d.jobs_failed.connect(failures.extend)
    d.progress_changed.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(d.idle, timeout=10000):
        d.start()
    assert d.shutdown(5000)
    (job,) = store.jobs()
    store.close()
    assert job.state == FAILED
    assert failures == [(7, job.error)] and "lease expired" in job.error
    assert progress[-1] == (1, 1)


def test_jobs_of_a_runner_that_hit_a_store_error_go_back_to_the_queue(qtbot, tmp_path):
    from salesapp.workers.dispatcher import PredictionDispatcher

    store = JobStore.open(tmp_path / "s", timeout=0.1, retries=0)
    p = FakePredictor()
    store.submit([1, 2, 3], p.version)
    locked, release = threading.Event(), threading.Event()

    def hold_lock():   # another writer (e.g. another process) holds the database a while
        other = sqlite3.connect(tmp_path / "s" / "cache.db", timeout=5)
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(10)
        other.rollback()
        other.close()

    holder = threading.Thread(target=hold_lock)

    class LockedDuringTheCall:
        version = p.version

        @staticmethod
        def predict(ids):   # the batch's completion then meets the lock
            holder.start()
            locked.wait(5)
            return p.predict(ids)

    d = PredictionDispatcher(store, LockedDuringTheCall(), pool_size=1, lease_seconds=0.5)
    # the store's leased count at each idle: a lease check that met the lock says idle again
    # before the requeue (with the batch still leased), so idles are told apart by what they saw
    idles, requeued = [], []
    d.idle.connect(lambda: idles.append(store.counts()["leased"]))
    d.jobs_requeued.connect(requeued.extend)   # a view shows them queued again, not running
    with qtbot.waitSignal(d.idle, timeout=10000):
        d.start()
    release.set()
    holder.join(10)
    try:
        assert d.errors and "StoreError" in d.errors[0]
        assert store.counts()["leased"] == 3   # the runner stopped with its batch leased
        # The lease is 0.5 s and nobody renews it: the requeue tick gives the batch back.
        qtbot.waitUntil(lambda: store.counts()["queued"] == 3, timeout=5000)
        qtbot.waitUntil(lambda: 0 in idles, timeout=5000)   # idle again once nothing is held
        assert idles[0] == 3
    finally:
        assert d.shutdown(5000)
        counts = store.counts()
        store.close()
    assert counts == {"queued": 3, "leased": 0, "done": 0, "failed": 0}
    assert sorted(requeued) == [1, 2, 3]


def test_a_dispatcher_refuses_a_pool_or_batch_that_could_never_run(qtbot, tmp_path):
    from salesapp.workers.dispatcher import PredictionDispatcher

    with JobStore.open(tmp_path / "s") as store:
        for kwargs, says in (({"pool_size": -1}, r"pool size must be 0 \(automatic\) or more"),
                             ({"batch_size": 0}, "batch size must be 1 or more")):
            with pytest.raises(ValueError, match=says):
                PredictionDispatcher(store, FakePredictor(), **kwargs)


def test_a_job_started_again_before_its_requeue_outcome_is_not_shown_queued(qtbot, tmp_path):
    """The requeue outcome (writer thread) can reach the GUI after a runner's
    "started" for the same job under a new lease; a view must not show it queued while it runs."""
    from salesapp.workers.dispatcher import PredictionDispatcher

    store = JobStore.open(tmp_path / "s")
    p = FakePredictor()
    store.submit([5, 6], p.version)
    store.lease("gone", 2, -1)   # both leases lost (ran out already)
    d = PredictionDispatcher(store, p, pool_size=1)
    d.cancel()   # no runner of its own: the test plays the runner's "started"
    requeued = []
    d.jobs_requeued.connect(requeued.extend)
    d._check_leases()
    d.jobs_started.emit([5])   # a runner leased 5 anew before the check's outcome came back
    qtbot.waitUntil(lambda: not d.writes_pending(), timeout=10000)
    assert d.shutdown(5000)
    counts = store.counts()
    store.close()
    assert counts["queued"] == 2 and requeued == [6], (counts, requeued)


V1 = "aaaaaaaaaaaa"


def test_a_job_leased_by_a_gone_worker_is_taken_over_once_its_lease_ends(qtbot, store):
    """The dispatcher waits out a lease held elsewhere, requeues it on its tick, then runs it."""
    from salesapp.workers.dispatcher import PredictionDispatcher

    p = FakePredictor()
    store.submit([7, 8], p.version)
    (gone,) = store.lease("gone-worker", 1, 0.5)
    d = PredictionDispatcher(store, p, pool_size=1, lease_seconds=0.4)
    finished = []
    d.jobs_finished.connect(finished.extend)
    with qtbot.waitSignal(d.idle, timeout=10000):
        d.start()
    assert d.shutdown(5000)
    assert sorted(r["item_id"] for r in finished) == [7, 8]
    assert store.counts() == {"queued": 0, "leased": 0, "done": 2, "failed": 0}
    job = next(j for j in store.jobs() if j.item_id == gone.item_id)
    assert job.attempts == 2 and job.owner is None   # the lost lease counted as an attempt


def test_a_store_only_busy_is_never_given_up_but_a_failing_one_is(qtbot, tmp_path):
    """Another writer holding the lock past the retries (BusyStoreError) is asked again however
    often; STORE_FAILURES_TO_STOP real failures in a row stop the dispatcher, said once."""
    from salesapp.errors import BusyStoreError
    from salesapp.pacing import STORE_FAILURES_TO_STOP
    from salesapp.store import recovery
    from salesapp.workers.dispatcher import PredictionDispatcher

    busy = recovery.locked_error(tmp_path / "s")
    assert isinstance(busy, BusyStoreError)
    store = JobStore.open(tmp_path / "s")
    d = PredictionDispatcher(store, FakePredictor(), pool_size=1)
    said = []
    d.store_failed.connect(said.append)
    try:
        for _ in range(STORE_FAILURES_TO_STOP + 2):
            assert not d._store_failing(f"{type(busy).__name__}: {busy}")
        assert said == []
        for _ in range(STORE_FAILURES_TO_STOP):
            gone = d._store_failing("StoreError: the store's database file was removed")
        assert gone and len(said) == 1
    finally:
        assert d.shutdown(5000)
        store.close()
