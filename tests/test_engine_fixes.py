"""Defects of the workers and of `salesapp work` found in the engine review (issue 4), each pinned
down on the real parts: real diskcache store, real Qt offscreen, real `salesapp` processes."""

import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from engine_cli import FakePredictor, cli_env, run_cli

from salesapp.store.job_store import FAILED, JobStore


def _use_up_attempts_but_one(store, item_id):
    """Lease and lose `item_id` until one attempt is left (each lost lease is an attempt)."""
    for _ in range(store.max_attempts - 1):
        store.lease("dead-worker", 1, 60)
        store.requeue_expired(now=time.time() + 100)
    (job,) = [j for j in store.jobs() if j.item_id == item_id]
    assert job.attempts == store.max_attempts - 1


# --- M6: a job failed because its last lease expired is announced and counted ---------------------

def test_job_failed_by_expired_leases_is_announced_and_counted(qtbot, tmp_path):
    from salesapp.workers.dispatcher import PredictionDispatcher

    store = JobStore.open(tmp_path / "s")
    p = FakePredictor()
    store.submit([7], p.version)
    _use_up_attempts_but_one(store, 7)
    store.lease("dead-worker", 1, 0.3)   # the last attempt, held by a worker that is gone
    d = PredictionDispatcher(store, p, pool_size=1, lease_seconds=0.4)
    failures, progress = [], []
    d.job_failed.connect(failures.extend)
    d.progress_changed.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(d.idle, timeout=10000):
        d.start()
    assert d.shutdown(5000)
    (job,) = store.jobs()
    store.close()
    assert job.state == FAILED
    assert failures == [(7, job.error)] and "lease expired" in job.error
    assert progress[-1] == (1, 1)


def _queue_two_with_item_1_on_its_last_lease(store_dir, version, lease_seconds):
    """Items 1 and 2 queued; item 1 leased by a gone worker on its last attempt."""
    with JobStore.open(store_dir) as s:
        s.submit([1], version)
        _use_up_attempts_but_one(s, 1)
        s.submit([2], version)
        (job,) = s.lease("dead-worker", 1, lease_seconds)   # FIFO: item 1, requeued before 2
        assert job.item_id == 1


def test_work_exits_non_zero_for_a_job_its_store_opening_failed(tmp_path, small_bundle):
    from salesapp.commands.queue_commands import bundle_version

    store = tmp_path / "store"
    _queue_two_with_item_1_on_its_last_lease(store, bundle_version(small_bundle), 0.01)
    proc = run_cli("work", "--store", store, "--model", small_bundle)
    with JobStore.open(store) as s:
        counts = s.counts()
    assert counts["failed"] == 1 and counts["done"] == 1, counts
    assert proc.returncode == 1, proc.stderr
    assert "item 1 failed: the worker stopped before finishing" in proc.stderr
    assert "1 done, 1 failed." in proc.stderr and "2/2 jobs" in proc.stderr


def test_submit_names_a_job_its_store_opening_failed(tmp_path, small_bundle):
    """The command that opens the store after a gone worker's last lease ran out is the one that
    fails the job: `submit` says so (a later `work` no longer sees it happen)."""
    from salesapp.commands.queue_commands import bundle_version

    store = tmp_path / "store"
    _queue_two_with_item_1_on_its_last_lease(store, bundle_version(small_bundle), 0.01)
    proc = run_cli("submit", "--store", store, "--model", small_bundle, "--items", "3")
    assert proc.returncode == 0, proc.stderr
    assert "1 earlier job(s) ended failed" in proc.stderr and "(item 1)" in proc.stderr
    assert "1 queued" in proc.stderr
    with JobStore.open(store) as s:
        assert s.counts()["failed"] == 1 and s.given_back_at_open == []


def test_work_exits_non_zero_for_a_job_whose_last_lease_expires_during_the_run(
        tmp_path, small_bundle):
    from salesapp.commands.queue_commands import bundle_version

    store = tmp_path / "store"
    # Still valid when `work` opens the store (~1 s later); it runs out while `work` waits.
    _queue_two_with_item_1_on_its_last_lease(store, bundle_version(small_bundle), 4.0)
    proc = run_cli("work", "--store", store, "--model", small_bundle, SALESAPP_LEASE_SECONDS=1)
    with JobStore.open(store) as s:
        (job,) = [j for j in s.jobs() if j.item_id == 1]
        counts = s.counts()
    assert counts["failed"] == 1 and counts["done"] == 1, counts
    assert "lease expired" in job.error
    assert proc.returncode == 1, proc.stderr
    assert "item 1 failed: the worker stopped before finishing" in proc.stderr
    assert "1 done, 1 failed." in proc.stderr and "2/2 jobs" in proc.stderr


# --- M5: a runner's store error leaves no job leased for the rest of the session ---------------

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
    idles, requeued = [], []
    d.idle.connect(lambda: idles.append(1))
    d.job_requeued.connect(requeued.extend)   # a view shows them queued again, not running
    with qtbot.waitSignal(d.idle, timeout=10000):
        d.start()
    release.set()
    holder.join(10)
    try:
        assert d.errors and "StoreError" in d.errors[0]
        assert store.counts()["leased"] == 3   # the runner stopped with its batch leased
        # The lease is 0.5 s and nobody renews it: the requeue tick gives the batch back.
        qtbot.waitUntil(lambda: store.counts()["queued"] == 3, timeout=5000)
        qtbot.waitUntil(lambda: len(idles) == 2, timeout=5000)   # idle again once nothing is held
    finally:
        assert d.shutdown(5000)
        counts = store.counts()
        store.close()
    assert counts == {"queued": 3, "leased": 0, "done": 0, "failed": 0}
    assert sorted(requeued) == [1, 2, 3]


# --- M2: a negative worker count is refused at once, not a hang ----------------------------------

@pytest.mark.parametrize("value", ["-1", "-7", "two"])
def test_work_refuses_a_worker_count_below_zero_in_one_sentence(value):
    from salesapp.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["work", "--workers", value])
    assert exc.value.code == 2


def test_work_with_negative_workers_exits_at_once_naming_the_option(tmp_path, small_bundle):
    store = tmp_path / "store"
    assert run_cli("submit", "--store", store, "--model", small_bundle, "--items", "1-40"
                ).returncode == 0
    proc = run_cli("work", "--store", store, "--model", small_bundle, "--workers", "-1", timeout=40)
    assert proc.returncode == 2
    (line,) = [x for x in proc.stderr.splitlines() if not x.startswith("usage:")]
    assert "--workers" in line and "1 or more" in line
    with JobStore.open(store) as s:
        assert s.counts()["queued"] == 40   # nothing was touched


def test_workers_zero_still_means_the_automatic_pool():
    from salesapp.cli import build_parsers

    assert build_parsers()[1].parse_args(["work", "--workers", "0"]).workers == 0
    assert build_parsers()[1].parse_args(["work", "--workers", "3"]).workers == 3


def test_a_dispatcher_refuses_a_pool_or_batch_that_could_never_run(qtbot, tmp_path):
    from salesapp.workers.dispatcher import PredictionDispatcher

    with JobStore.open(tmp_path / "s") as store:
        for kwargs, says in (({"pool_size": -1}, r"pool size must be 0 \(automatic\) or more"),
                             ({"batch_size": 0}, "batch size must be 1 or more")):
            with pytest.raises(ValueError, match=says):
                PredictionDispatcher(store, FakePredictor(), **kwargs)


# --- M4: Ctrl-C (or SIGTERM) stops `salesapp work`, the running batch recorded, the rest queued ----

def _interrupt_work(store, bundle, after_lines, signum, items=200):
    """Start `work` on `items` slow jobs; send `signum` after `after_lines` progress lines.

    Returns (exit status, seconds from the signal to the exit, stderr after the signal).
    """
    assert run_cli("submit", "--store", store, "--model", bundle, "--items", f"1-{items}"
                ).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "salesapp", "work", "--store", str(store),
                             "--model", str(bundle)],
                            env=cli_env(SALESAPP_TEST_SLOW_MS=300, SALESAPP_BATCH_SIZE=10,
                                     PYTHONFAULTHANDLER=1),
                            stderr=subprocess.PIPE, text=True)
    seen = 0
    for line in proc.stderr:
        seen += "jobs" in line
        if seen == after_lines:
            break
    start = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, time.monotonic() - start, err


def _counts_after_interrupt(store, err):
    """The store's counts; checks that the last line's done count is what the store holds."""
    with JobStore.open(store) as s:
        counts = s.counts()
    last = err.strip().splitlines()[-1]
    assert last == (f"salesapp: interrupted: {counts['done']} done, 0 failed; "
                    "the rest stays queued in the store."), err
    return counts


@pytest.mark.parametrize("after_lines", [4, 1])   # inside the event loop / as Qt is imported
def test_ctrl_c_stops_work_and_leaves_the_rest_queued(tmp_path, small_bundle, after_lines):
    store = tmp_path / "store"
    code, took, err = _interrupt_work(store, small_bundle, after_lines, signal.SIGINT)
    assert code == 130 and took < 5, (code, took, err[-600:])
    assert "Traceback" not in err and "Fatal Python error" not in err
    counts = _counts_after_interrupt(store, err)
    assert counts["failed"] == 0 and counts["leased"] == 0
    assert counts["queued"] > 0 and counts["done"] + counts["queued"] == 200, counts


def test_sigterm_stops_work_like_ctrl_c_with_its_own_status(tmp_path, small_bundle):
    store = tmp_path / "store"
    code, took, err = _interrupt_work(store, small_bundle, 3, signal.SIGTERM, items=100)
    assert code == 128 + signal.SIGTERM and took < 5, (code, took, err[-600:])
    counts = _counts_after_interrupt(store, err)
    assert counts["queued"] > 0 and counts["done"] + counts["queued"] == 100, counts


def test_a_stop_request_is_a_flag_while_inside_and_the_handlers_come_back():
    from salesapp.workers.headless import stop_requested

    before = signal.getsignal(signal.SIGINT)
    with stop_requested() as stop:
        signal.raise_signal(signal.SIGINT)   # no KeyboardInterrupt: only the flag
        assert stop.signum == signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is before


def test_run_work_stopped_before_it_starts_leases_nothing(tmp_path, small_bundle):
    from salesapp.model.predictor import Predictor
    from salesapp.workers import headless

    predictor = Predictor.load(small_bundle)
    with JobStore.open(tmp_path / "s") as store:
        store.submit(range(40), predictor.version)
        with headless.stop_requested() as stop:
            stop.handle(signal.SIGINT, None)
            summary = headless.run_until_idle(store, predictor, stop=stop)
        assert store.counts()["queued"] == 40
    assert summary.interrupted == signal.SIGINT and summary.finished == 0


# --- m1: the lease heartbeat survives a store lock held past the timeout --------------------------

def test_heartbeat_survives_a_store_lock_held_past_the_timeout(tmp_path, monkeypatch, caplog):
    from salesapp.errors import StoreError
    from salesapp.workers.batch_runner import run_batch

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
        n = run_batch(store, "w", predict, 10, threading.Event(), lambda k, x: None, 0.3)
    counts = store.counts()
    store.close()
    assert thread_errors == []
    assert beats["failed"] >= 2 and renewed_after.is_set(), beats
    assert n == 1 and counts["done"] == 1
    warnings = [r for r in caplog.records if "lease renewal failed" in r.getMessage()]
    assert len(warnings) == 1   # logged once, not once a beat


# --- m2: idle follows at once when the last writer call pending was a fetch ----------------------

def test_idle_follows_promptly_when_a_fetch_was_pending_as_the_last_runner_ended(
        qtbot, tmp_path, monkeypatch):
    from salesapp.workers.dispatcher import PredictionDispatcher

    store = JobStore.open(tmp_path / "s")
    p = FakePredictor()
    done_ids = list(range(1000, 1100))
    store.submit(done_ids, p.version)
    store.lease("w", len(done_ids), 60)
    store.complete("w", dict(zip(done_ids, p.predict(done_ids))))
    store.submit([1], p.version)
    runner_ended = threading.Event()
    real_results_of = store.results_of

    def results_of(*args, **kwargs):   # the real read, held until the last runner has ended
        runner_ended.wait(10)
        return real_results_of(*args, **kwargs)

    monkeypatch.setattr(store, "results_of", results_of)
    go = threading.Event()

    class Gated:
        version = p.version

        @staticmethod
        def predict(ids):   # runs once the fetch is asked for
            go.wait(10)
            return p.predict(ids)

    # A 60 s lease: the periodic check comes every 30 s, so a lost idle check shows as a wait.
    d = PredictionDispatcher(store, Gated(), pool_size=1, lease_seconds=60)
    busy_at_exit = []

    def on_exit(_error):   # runs right after the dispatcher's own slot for the same signal
        busy_at_exit.append(d.writes_pending())
        runner_ended.set()

    d._runner_exited.connect(on_exit)
    cached = []
    d.job_cached.connect(cached.extend)
    with qtbot.waitSignal(d.job_started, timeout=5000):
        d.start()   # its requeue call is answered before the fetch is asked for
    qtbot.waitUntil(lambda: not d.writes_pending(), timeout=5000)
    d.fetch_results([(p.version, i) for i in done_ids])   # e.g. a session restore's reads
    go.set()
    try:
        with qtbot.waitSignal(d.idle, timeout=5000):
            pass
    finally:
        assert d.shutdown(5000)
        counts = store.counts()
        store.close()
    assert busy_at_exit == [True]   # the idle check met the pending fetch
    assert len(cached) == len(done_ids) and counts["done"] == len(done_ids) + 1


# --- m5: a poison id is found by halving its batch, not by one model call per id -----------------

@pytest.mark.parametrize("poison", [[500], [1, 1000], [7, 8, 9]])
def test_a_poison_id_costs_few_model_calls_and_fails_alone(tmp_path, poison):
    from salesapp.workers.batch_runner import ONE_BY_ONE, run_batch

    p = FakePredictor()
    calls, failed = [], []

    def predict(ids):
        calls.append(len(ids))
        if set(poison) & set(ids):
            raise RuntimeError("poison")
        return p.predict(ids)

    with JobStore.open(tmp_path / "s", max_attempts=1) as store:
        store.submit(range(1, 1001), p.version)
        run_batch(store, "w", predict, 1000, threading.Event(),
                  lambda kind, x: failed.extend(x) if kind == "failed" else None)
        counts = store.counts()
        stored = {i: store.result(p.version, i) for i in (1, 2, 499, 500, 501, 999, 1000)}
    assert counts == {"queued": 0, "leased": 0, "done": 1000 - len(poison),
                      "failed": len(poison)}
    assert sorted(failed) == [(i, "RuntimeError: poison") for i in poison]
    assert {i for i, r in stored.items() if r is None} == set(poison) & set(stored)
    assert all(r["item_id"] == i for i, r in stored.items() if r is not None)
    # First batch of 16 (no other runner working), then 984 ids; at most 2 calls per level a
    # poison id sits in, per poison id, then its part of at most ONE_BY_ONE ids one by one.
    assert len(calls) <= 2 + len(poison) * (2 * 10 + ONE_BY_ONE), calls


def test_a_model_failing_on_every_id_costs_about_one_call_per_id(tmp_path):
    """Halving down to single ids costs 2n - 1 calls when every id fails (a broken bundle);
    parts of at most ONE_BY_ONE ids go one by one (found in review)."""
    from salesapp.workers.batch_runner import ONE_BY_ONE, run_one_batch

    calls, failed = [], []

    def broken(ids):
        calls.append(len(ids))
        raise RuntimeError("broken bundle")

    with JobStore.open(tmp_path / "s", max_attempts=1) as store:
        store.submit(range(1, 65), FakePredictor.version)
        run_one_batch(store, "w", broken, 64, lambda kind, x: failed.extend(x)
                      if kind == "failed" else None)
    assert sorted(i for i, _ in failed) == list(range(1, 65))
    # 1 + 2 + 4 + 8 calls halving 64 down to parts of 8, then 64 single calls (was 127)
    assert ONE_BY_ONE == 8 and len(calls) == 15 + 64


def test_a_second_ctrl_c_leaves_at_once_and_the_batch_is_taken_up_again(tmp_path, small_bundle):
    store, marker = tmp_path / "store", tmp_path / "in_model_call"
    assert run_cli("submit", "--store", store, "--model", small_bundle, "--items", "1-100"
                ).returncode == 0
    # A batch that takes 4 s: the first Ctrl-C would wait for it, the second does not.
    proc = subprocess.Popen([sys.executable, "-m", "salesapp", "work", "--store", str(store),
                             "--model", str(small_bundle)],
                            env=cli_env(SALESAPP_TEST_SLOW_MS=4000, SALESAPP_BATCH_SIZE=100,
                                     SALESAPP_TEST_MODEL_MARKER=marker),
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:   # the first batch (16 jobs) is done
        if "jobs" in line:
            break
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:   # the pool's batch is running
        time.sleep(0.02)   # a file another process makes: nothing to wait on but its presence
    assert marker.exists()
    start = time.monotonic()
    while proc.poll() is None and time.monotonic() - start < 10:
        proc.send_signal(signal.SIGINT)   # the first asks for a stop, the next ones insist
        try:
            proc.wait(timeout=0.3)
        except subprocess.TimeoutExpired:
            pass
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and time.monotonic() - start < 3, (proc.returncode, err)
    assert err.strip().splitlines()[-1].startswith("salesapp: stopped at once")
    with JobStore.open(store) as s:   # the dead worker's leases come back at the open
        counts = s.counts()
    assert counts == {"queued": 84, "leased": 0, "done": 16, "failed": 0}


def test_cancelling_an_id_asked_again_shows_its_earlier_result_not_cancelled(qtbot, tmp_path):
    """The store gives the job back its earlier done state (Job.earlier_version): the view must
    get that result again, not a "cancelled" that disagrees with the store (found in review)."""
    from salesapp.workers.dispatcher import PredictionDispatcher

    store = JobStore.open(tmp_path / "s")
    store.submit([5, 6], "older0000000")
    store.lease("w", 2, 60)
    store.complete("w", {5: {"item_id": 5, "status": "ok", "shops": [[0, 1.5]],
                             "model_version": "older0000000"}})
    d = PredictionDispatcher(store, FakePredictor(), pool_size=1)
    d.cancel()   # nothing runs: both stay queued under the new model until cancelled
    cached, cancelled = [], []
    d.job_cached.connect(cached.extend)
    d.job_cancelled.connect(cancelled.extend)
    d.submit_later([5, 7])
    d.cancel_jobs([5, 7])
    qtbot.waitUntil(lambda: bool(cancelled and cached), timeout=10000)
    assert d.shutdown(5000)
    jobs = {j.item_id: (j.state, j.model_version) for j in store.jobs()}
    store.close()
    assert cancelled == [7]
    assert [(r["item_id"], r["model_version"]) for r in cached] == [(5, "older0000000")]
    assert jobs[5] == ("done", "older0000000") and 7 not in jobs


def test_a_signal_after_the_last_job_interrupts_nothing(qtbot, qapp, tmp_path):
    """Found in review: Ctrl-C landing after the run went idle made `work` say "interrupted" and
    exit 130 with nothing left to do."""
    from salesapp.workers.headless import StopRequest, run_until_idle

    store = JobStore.open(tmp_path / "s")
    p = FakePredictor()
    store.submit([1, 2], p.version)
    stop = StopRequest()

    def late() -> None:   # the event loop has ended (idle): the signal comes now
        stop.signum = signal.SIGINT

    qapp.aboutToQuit.connect(late)
    try:
        summary = run_until_idle(store, p, pool_size=1, stop=stop)
    finally:
        qapp.aboutToQuit.disconnect(late)
        store.close()
    assert stop.signum == signal.SIGINT   # it did come
    assert summary.finished == 2 and summary.interrupted == 0


def test_a_job_started_again_before_its_requeue_outcome_is_not_shown_queued(qtbot, tmp_path):
    """Found in review: the requeue outcome (writer thread) can reach the GUI after a runner's
    "started" for the same job under a new lease; the view then showed it queued while it ran."""
    from salesapp.workers.dispatcher import PredictionDispatcher

    store = JobStore.open(tmp_path / "s")
    p = FakePredictor()
    store.submit([5, 6], p.version)
    store.lease("gone", 2, -1)   # both leases lost (ran out already)
    d = PredictionDispatcher(store, p, pool_size=1)
    d.cancel()   # no runner of its own: the test plays the runner's "started"
    requeued = []
    d.job_requeued.connect(requeued.extend)
    d._check_leases()
    d.job_started.emit([5])   # a runner leased 5 anew before the check's outcome came back
    qtbot.waitUntil(lambda: not d.writes_pending(), timeout=10000)
    assert d.shutdown(5000)
    counts = store.counts()
    store.close()
    assert counts["queued"] == 2 and requeued == [6], (counts, requeued)
