"""Threads racing on one store, and a model-checked sequence of store operations."""

import tempfile
import threading
import time
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from salesapp.store.job_store import DONE, FAILED, LEASED, QUEUED, STATES, JobStore

V1 = "aaaaaaaaaaaa"


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


def test_a_large_submit_is_written_in_chunks_so_other_writers_get_turns(tmp_path):
    """Each chunk is its own transaction (the write lock is given up between them); every id is
    queued once, in the order asked, and a second submit of the same ids queues nothing."""
    from salesapp.pacing import STORE_SUBMIT_CHUNK
    from salesapp.store.job_store import JobStore

    n = 2 * STORE_SUBMIT_CHUNK + 7
    with JobStore.open(tmp_path / "s") as store:
        transactions = []
        real = store._atomic

        def counting(body):
            transactions.append(1)
            return real(body)

        store._atomic = counting
        report = store.submit(range(n), "v1")
        assert len(transactions) == 3
        assert report.queued == list(range(n))
        again = store.submit(range(n), "v1")
        assert again.queued == [] and again.already_pending == list(range(n))
        store._atomic = real
        leased = store.lease("me", 10, 60)
        assert [int(j.item_id) for j in leased] == list(range(10))
        assert store.counts()["queued"] == n - 10
