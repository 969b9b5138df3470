"""One batch of the runner: leases, heartbeat, poison ids, model failures."""

import sqlite3
import threading
import time

import pytest
from engine_cli import FakePredictor

from salesapp.pacing import FIRST_BATCH, ONE_BY_ONE
from salesapp.store.job_store import JobStore
from salesapp.workers.batch_runner import drain_queue, run_batch


def test_heartbeat_survives_a_store_lock_held_past_the_timeout(tmp_path, monkeypatch, caplog):
    from salesapp.errors import StoreError

    store = JobStore.open(tmp_path / "s", timeout=0.1, retries=0)
    p = FakePredictor()
    store.submit([1], p.version)
    thread_errors, beats = [], {"failed": 0}
    failed_twice, renewed_after = threading.Event(), threading.Event()

    def hook(args):
        thread_errors.append(f"{args.thread.name}: {args.exc_type.__name__}: {args.exc_value}")
        failed_twice.set()   # the heartbeat died: stop waiting for it

    monkeypatch.setattr(threading, "excepthook", hook)
    real_renew = store.renew

    def renew(*args):   # the real renewal, counted
        try:
            ids = real_renew(*args)
        except StoreError:
            beats["failed"] += 1
            if beats["failed"] == 2:
                failed_twice.set()
            raise
        if beats["failed"]:
            renewed_after.set()
        return ids

    monkeypatch.setattr(store, "renew", renew)

    def predict(ids):
        other = sqlite3.connect(tmp_path / "s" / "cache.db", timeout=5)   # "another process"
        other.execute("BEGIN IMMEDIATE")
        try:
            assert failed_twice.wait(10), "no beat met the lock"
        finally:
            other.rollback()
            other.close()
        renewed_after.wait(10)   # an event: returns at the first beat after the lock
        return p.predict(ids)

    with caplog.at_level("WARNING", logger="salesapp.workers.batch_runner"):
        n = drain_queue(store, "w", predict, 10, threading.Event(), lambda k, x: None, 0.3)
    counts = store.counts()
    store.close()
    assert thread_errors == []
    assert beats["failed"] >= 2 and renewed_after.is_set(), beats
    assert n == 1 and counts["done"] == 1
    warnings = [r for r in caplog.records if "lease renewal failed" in r.getMessage()]
    assert len(warnings) == 1   # logged once, not once a beat


@pytest.mark.parametrize("poison", [[500], [1, 1000], [7, 8, 9]])
def test_a_poison_id_costs_few_model_calls_and_fails_alone(tmp_path, poison):
    p = FakePredictor()
    calls, failed = [], []

    def predict(ids):
        calls.append(len(ids))
        if set(poison) & set(ids):
            raise RuntimeError("poison")
        return p.predict(ids)

    with JobStore.open(tmp_path / "s", max_attempts=1) as store:
        store.submit(range(1, 1001), p.version)
        drain_queue(store, "w", predict, 1000, threading.Event(),
                    lambda kind, x: failed.extend(x) if kind == "failed" else None,
                    first_batch=FIRST_BATCH)
        counts = store.counts()
        stored = {i: store.result(p.version, i) for i in (1, 2, 499, 500, 501, 999, 1000)}
    assert counts == {"queued": 0, "leased": 0, "done": 1000 - len(poison),
                      "failed": len(poison)}
    assert sorted(failed) == [(i, "RuntimeError: poison") for i in poison]
    assert {i for i, r in stored.items() if r is None} == set(poison) & set(stored)
    assert all(r["item_id"] == i for i, r in stored.items() if r is not None)
    # A first small batch, then the rest; at most 2 calls per level a
    # poison id sits in, per poison id, then its part of at most ONE_BY_ONE ids one by one.
    assert len(calls) <= 2 + len(poison) * (2 * 10 + ONE_BY_ONE), calls


def test_a_model_failing_on_every_id_costs_about_one_call_per_id(tmp_path):
    """Halving down to single ids would cost 2n - 1 calls when every id fails (a broken bundle);
    parts of at most ONE_BY_ONE ids go one by one."""
    calls, failed = [], []

    def broken(ids):
        calls.append(len(ids))
        raise RuntimeError("broken bundle")

    with JobStore.open(tmp_path / "s", max_attempts=1) as store:
        store.submit(range(1, 65), FakePredictor.version)
        run_batch(store, "w", broken, 64, lambda kind, x: failed.extend(x)
                  if kind == "failed" else None)
    assert sorted(i for i, _ in failed) == list(range(1, 65))
    # 1 + 2 + 4 + 8 calls halving 64 down to parts of 8, then 64 single calls (halving all the way: 127)
    assert ONE_BY_ONE == 8 and len(calls) == 15 + 64


V1 = "aaaaaaaaaaaa"


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
    n = run_batch(store, "w", slow_predict, 10, lambda k, p: reports.append((k, p)), lease)
    assert n == 2 and sum(requeued) == 0 and len(requeued) > 3
    assert [k for k, _ in reports] == ["started", "finished"]
    assert store.counts() == {"queued": 0, "leased": 0, "done": 2, "failed": 0}
    assert not [t for t in threading.enumerate() if t.name == "lease-heartbeat"]


def test_heartbeat_ends_when_every_job_of_the_batch_fails(store):
    store.submit([1, 2, 3], V1)

    def broken(ids):
        raise RuntimeError("model down")

    failed = []
    drain_queue(store, "w", broken, 10, threading.Event(),
                lambda k, p: failed.extend(p) if k == "failed" else None)
    assert sorted(i for i, _ in failed) == [1, 2, 3]
    assert store.counts() == {"queued": 0, "leased": 0, "done": 0, "failed": 3}
    assert not [t for t in threading.enumerate() if t.name == "lease-heartbeat"]


def test_test_hooks_come_from_the_environment_once_and_none_is_the_default():
    from salesapp.workers.test_hooks import NO_HOOKS, TestHooks

    hooks = TestHooks.from_environ({"SALESAPP_CRASH_AT": "mid_batch", "SALESAPP_TEST_SLOW_MS": "5",
                                    "SALESAPP_POISON_ID": "7",
                                    "SALESAPP_TEST_MODEL_MARKER": "/tmp/m"})
    assert hooks == TestHooks(crash_at="mid_batch", slow_ms=5, poison_id=7,
                              model_marker="/tmp/m")
    assert TestHooks.from_environ({}) == NO_HOOKS
    predict = FakePredictor().predict
    assert NO_HOOKS.predicting(predict) is predict   # production calls the model itself


def test_injected_hooks_poison_and_slow_a_batch_without_any_environment(store, monkeypatch):
    from salesapp.workers.test_hooks import TestHooks

    for name in ("SALESAPP_POISON_ID", "SALESAPP_TEST_SLOW_MS"):
        monkeypatch.delenv(name, raising=False)
    store.submit([1, 2, 3], V1)
    failed = []
    started = time.monotonic()
    drain_queue(store, "w", FakePredictor().predict, 10, threading.Event(),
                lambda k, p: failed.extend(p) if k == "failed" else None,
                hooks=TestHooks(slow_ms=50, poison_id=2))
    assert time.monotonic() - started >= 0.05
    assert [i for i, _ in failed] == [2] and "test poison" in failed[0][1]
    assert store.counts()["done"] == 2
