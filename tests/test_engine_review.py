"""Engine review (issue 4): behaviours of the store, runners and headless commands checked and
found sound, pinned down on the real parts (real diskcache store, real Qt offscreen, real CLI
processes). Defects found in the same review are reported separately, not tested here."""

import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import pytest
from engine_cli import FakePredictor, run_cli
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from salesapp.store.job_store import DONE, FAILED, LEASED, QUEUED, STATES, JobStore
from salesapp.workers.batch_runner import run_batch, run_one_batch

V1 = "aaaaaaaaaaaa"


# --- threads of one process: leases, completions and requeues racing ------------------------------

def test_racing_workers_and_requeues_complete_every_job_exactly_once(store):
    """Short leases expire under the workers while another thread requeues them all the time."""
    ids = list(range(300))
    store.submit(ids, V1)
    accepted, errors = [], []
    stop = threading.Event()

    def worker(owner, lease_seconds):
        try:
            while jobs := store.lease(owner, 7, lease_seconds):
                accepted.extend(store.complete(owner, {j.item_id: {"item_id": j.item_id,
                                                                   "by": owner} for j in jobs}))
        except Exception as exc:  # noqa: BLE001 - a thread's exception is otherwise lost
            errors.append(exc)

    def requeuer():
        try:
            while not stop.is_set():
                store.requeue_expired()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{n}", 0.001 * n)) for n in range(4)]
    background = threading.Thread(target=requeuer)
    background.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stop.set()
    background.join(60)
    assert errors == []
    counts = store.counts()
    assert counts[DONE] + counts[FAILED] == len(ids) and counts[LEASED] == counts[QUEUED] == 0
    jobs = store.jobs()
    done = sorted(j.item_id for j in jobs if j.state == DONE)
    assert len(accepted) == len(set(accepted)) and sorted(accepted) == done   # once each
    for job in jobs:   # a result exists iff done; a job never done used up its leases
        assert (store.result(V1, job.item_id) is not None) == (job.state == DONE)
        if job.state == FAILED:
            assert job.attempts == store.max_attempts and "lease expired" in job.error


def test_heartbeat_holds_a_lease_past_its_length_and_ends_with_the_batch(store):
    """A batch longer than its lease keeps it (renewed on another thread) against requeues."""
    store.submit([1, 2], V1)
    requeued = []
    lease = 0.3

    def slow_predict(ids):
        (job,) = [j for j in store.jobs() if j.item_id == ids[0]]
        first_deadline = job.lease_until
        waiter = threading.Event()
        # Wall-clock leases: run past the first deadline, requeueing all the while.
        while time.time() < first_deadline + lease:
            requeued.append(len(store.requeue_expired()))
            waiter.wait(0.02)
        return FakePredictor().predict(ids)

    reports = []
    n = run_one_batch(store, "w", slow_predict, 10, lambda k, p: reports.append((k, p)), lease)
    assert n == 2 and sum(requeued) == 0 and len(requeued) > 3
    assert [k for k, _ in reports] == ["started", "finished"]
    assert store.counts() == {"queued": 0, "leased": 0, "done": 2, "failed": 0}
    assert not [t for t in threading.enumerate() if t.name == "lease-heartbeat"]


def test_heartbeat_ends_when_every_job_of_the_batch_fails(store):
    store.submit([1, 2, 3], V1)

    def broken(ids):
        raise RuntimeError("model down")

    failed = []
    run_batch(store, "w", broken, 10, threading.Event(),
              lambda k, p: failed.extend(p) if k == "failed" else None)
    assert sorted(i for i, _ in failed) == [1, 2, 3]
    assert store.counts() == {"queued": 0, "leased": 0, "done": 0, "failed": 3}
    assert not [t for t in threading.enumerate() if t.name == "lease-heartbeat"]


# --- retry and re-asking -------------------------------------------------------------------------

def test_a_failed_job_asked_again_is_queued_with_fresh_attempts_and_then_done(store):
    store.submit([4], V1)
    for _ in range(store.max_attempts):
        store.lease("w", 1, 60)
        store.fail("w", 4, "RuntimeError: boom")
    (job,) = store.jobs()
    assert job.state == FAILED and job.attempts == store.max_attempts
    report = store.submit([4], V1)          # the user asks again (the window, `salesapp submit`)
    assert report.queued == [4]
    (job,) = store.jobs()
    assert (job.state, job.attempts, job.error) == (QUEUED, 0, None)
    (leased,) = store.lease("w", 1, 60)
    assert leased.attempts == 1
    assert store.complete("w", {4: {"item_id": 4}}) == [4]
    assert store.result(V1, 4) == {"item_id": 4}


def test_retry_requeues_failed_jobs_only(store):
    store.submit([1, 2, 3], V1)
    store.lease("w", 3, 60)
    store.complete("w", {1: {"item_id": 1}})
    store.fail("w", 3, "x")                 # back to queued (attempts remain)
    for _ in range(store.max_attempts - 1):
        store.lease("w", 5, 60)
        store.fail("w", 3, "x")
    assert {j.item_id: j.state for j in store.jobs()} == {1: DONE, 2: LEASED, 3: FAILED}
    assert store.retry([1, 2, 3, 99]) == [3]
    assert {j.item_id: j.state for j in store.jobs()} == {1: DONE, 2: LEASED, 3: QUEUED}


# --- cancel while a batch runs --------------------------------------------------------------------

def test_cancel_while_a_batch_runs_finishes_the_batch_and_drops_the_rest(qtbot, store):
    from salesapp.workers.dispatcher import PredictionDispatcher
    from salesapp.workers.predict_job import FIRST_BATCH

    plain = FakePredictor()
    go = threading.Event()

    class Gated:
        version = plain.version

        @staticmethod
        def predict(ids):
            go.wait(10)
            return plain.predict(ids)

    ids = list(range(40))
    store.submit(ids, plain.version)
    d = PredictionDispatcher(store, Gated(), pool_size=1, batch_size=20)
    finished = []
    d.job_finished.connect(finished.extend)
    try:
        with qtbot.waitSignal(d.job_started, timeout=5000) as started:
            d.start()
        running = started.args[0]
        assert len(running) == FIRST_BATCH   # leased: the first, small batch
        with qtbot.waitSignal(d.job_cancelled, timeout=5000) as cancelled:
            d.cancel()
            d.cancel_jobs(ids)
        assert sorted(cancelled.args[0]) == sorted(set(ids) - set(running))
        with qtbot.waitSignal(d.idle, timeout=10000):
            go.set()
    finally:
        go.set()
        assert d.shutdown(5000)
    assert sorted(r["item_id"] for r in finished) == sorted(running)
    assert store.counts() == {"queued": 0, "leased": 0, "done": FIRST_BATCH, "failed": 0}
    assert sorted(j.item_id for j in store.jobs()) == sorted(running)


# --- another process holding the lock: bounded wait, one sentence naming the store -------------

def test_submit_against_a_store_locked_elsewhere_fails_in_bounded_time_with_one_sentence(
        tmp_path, small_bundle):
    where = tmp_path / "store"
    with JobStore.open(where) as s:
        s.submit([1], V1)
    holder = sqlite3.connect(where / "cache.db", timeout=5)   # another writer, held throughout
    holder.execute("BEGIN IMMEDIATE")
    try:
        start = time.monotonic()
        proc = run_cli("submit", "--store", where, "--model", small_bundle, "--items", "2",
                    timeout=60)
        took = time.monotonic() - start
    finally:
        holder.rollback()
        holder.close()
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(where) in lines[0] and "locked by another process" in lines[0]
    assert took < 30
    with JobStore.open(where) as s:
        assert [j.item_id for j in s.jobs()] == [1]      # nothing half-written


# --- odd --store paths through the real commands -------------------------------------------------

@pytest.mark.parametrize("name", ["with space", "q?h#p%41", "кириллица ü", "semi;colon'quote"])
def test_submit_and_work_on_a_store_path_with_odd_characters(tmp_path, small_bundle, name):
    where = tmp_path / name / "store"
    sub = run_cli("submit", "--store", where, "--model", small_bundle, "--items", "1-5")
    assert sub.returncode == 0, sub.stderr
    work = run_cli("work", "--store", where, "--model", small_bundle)
    assert work.returncode == 0, work.stderr
    assert "5 done, 0 failed." in work.stderr
    with JobStore.open(where) as s:
        assert s.counts() == {"queued": 0, "leased": 0, "done": 5, "failed": 0}
        assert len(s.results()) == 5
    assert sorted(p.name for p in (tmp_path / name).iterdir()) == ["store"]


def test_work_exit_status_is_one_when_a_job_fails_and_names_it(tmp_path, small_bundle):
    where = tmp_path / "store"
    assert run_cli("submit", "--store", where, "--model", small_bundle, "--items", "1-6"
                ).returncode == 0
    proc = run_cli("work", "--store", where, "--model", small_bundle, SALESAPP_POISON_ID=3)
    assert proc.returncode == 1
    assert "item 3 failed: RuntimeError: test poison" in proc.stderr
    assert "5 done, 1 failed." in proc.stderr
    again = run_cli("work", "--store", where, "--model", small_bundle)   # nothing left: success
    assert again.returncode == 0 and "0 done, 0 failed." in again.stderr


# --- every arrow, at random: counts, states and results stay consistent ---------------------------

class StoreMachine(RuleBasedStateMachine):
    """Random sequences of every transition on one real store (one model version)."""

    ids = st.lists(st.integers(0, 9), min_size=1, max_size=5)
    owners = st.sampled_from(["a", "b"])

    def __init__(self):
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        self.store = JobStore.open(Path(self.dir.name) / "s", max_attempts=2)
        self.accepted: list[int] = []
        self.leased_by: dict[int, str] = {}

    @rule(ids=ids)
    def submit(self, ids):
        report = self.store.submit(ids, V1)
        assert sorted(report.queued + report.already_pending + report.cached) == sorted(set(ids))

    @rule(owner=owners, limit=st.integers(1, 3))
    def lease(self, owner, limit):
        for job in self.store.lease(owner, limit, 60):
            assert job.state == LEASED and job.owner == owner
            self.leased_by[job.item_id] = owner

    @rule(owner=owners, ids=ids)
    def complete(self, owner, ids):
        accepted = self.store.complete(owner, {i: {"item_id": i} for i in ids})
        assert not set(accepted) & set(self.accepted), "an id was completed twice"
        self.accepted += accepted

    @rule(owner=owners, item_id=st.integers(0, 9))
    def fail(self, owner, item_id):
        assert self.store.fail(owner, item_id, "boom") in (None, QUEUED, FAILED)

    @rule()
    def expire_all(self):
        self.store.requeue_expired(now=time.time() + 3600)

    @rule(ids=ids)
    def cancel(self, ids):
        gone = self.store.cancel(ids)
        assert not set(gone) & set(self.accepted)

    @rule(ids=ids)
    def retry(self, ids):
        self.store.retry(ids)

    @invariant()
    def consistent(self):
        jobs = self.store.jobs()
        tally = {s: 0 for s in STATES}
        for job in jobs:
            tally[job.state] += 1
            assert (self.store.result(V1, job.item_id) is not None) == (job.state == DONE)
            assert (job.owner is not None) == (job.state == LEASED)
            assert job.attempts <= self.store.max_attempts
        assert self.store.counts() == tally
        assert sorted(r["item_id"] for r in self.store.results()) == sorted(set(self.accepted))

    def teardown(self):
        self.store.close()
        self.dir.cleanup()


StoreMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
test_store_state_machine = StoreMachine.TestCase



def test_a_job_leased_by_a_gone_worker_is_taken_over_once_its_lease_ends(qtbot, store):
    """The dispatcher waits out a lease held elsewhere, requeues it on its tick, then runs it."""
    from salesapp.workers.dispatcher import PredictionDispatcher

    p = FakePredictor()
    store.submit([7, 8], p.version)
    (gone,) = store.lease("gone-worker", 1, 0.5)
    d = PredictionDispatcher(store, p, pool_size=1, lease_seconds=0.4)
    finished = []
    d.job_finished.connect(finished.extend)
    with qtbot.waitSignal(d.idle, timeout=10000):
        d.start()
    assert d.shutdown(5000)
    assert sorted(r["item_id"] for r in finished) == [7, 8]
    assert store.counts() == {"queued": 0, "leased": 0, "done": 2, "failed": 0}
    job = next(j for j in store.jobs() if j.item_id == gone.item_id)
    assert job.attempts == 2 and job.owner is None   # the lost lease counted as an attempt
