"""Process-level reliability of `salesapp work` (real processes, real store, real small model).

Test hooks used (documented in salesapp/workers/batch_runner.py and queue_commands.py):
SALESAPP_TEST_SLOW_MS (slow each batch so kills land mid-work), SALESAPP_CRASH_AT (die at a named
point), SALESAPP_POISON_ID (the model raises for one id), SALESAPP_LEASE_SECONDS (short leases),
SALESAPP_BATCH_SIZE (small batches).
"""

import os
import random
import re
import signal
import subprocess
import sys
import time

import pytest

from salesapp.model.predictor import Predictor
from salesapp.store.inspect import integrity_check, pickle_rows
from salesapp.store.job_store import JobStore

FAST = {"SALESAPP_LEASE_SECONDS": "1", "SALESAPP_BATCH_SIZE": "25"}


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESAPP_")}
    env.update(FAST)
    env.update({k: str(v) for k, v in extra.items()})
    env["SALESAPP_HOME"] = os.environ["SALESAPP_HOME"]
    return env


def _cmd(*args):
    return [sys.executable, "-m", "salesapp", *map(str, args)]


def _run(*args, env=None, check=True):
    proc = subprocess.run(_cmd(*args), check=False, env=env or _env(), capture_output=True,
                          text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def _start_work(store, bundle, **hooks):
    return subprocess.Popen(_cmd("work", "--store", store, "--model", bundle), env=_env(**hooks),
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)


def _wait_first_progress(proc):
    """Block until the worker reports its first recorded batch (or ends)."""
    for line in proc.stderr:
        if "jobs" in line:
            return True
    return False


@pytest.fixture(scope="module")
def reference(small_bundle):
    """Results of an uninterrupted in-process run, by item id."""
    ids = list(range(2000))
    return {r["item_id"]: r for r in Predictor.load(small_bundle).predict(ids)}


def _check_store(store_dir, ids, reference, failed=()):
    """Every id: one job, done once with the reference result (or failed as expected); sane DB."""
    store = JobStore.open(store_dir)
    try:
        jobs = store.jobs()
        assert sorted(j.item_id for j in jobs) == sorted(set(ids))
        counts = store.counts()
        assert counts["leased"] == 0 and counts["queued"] == 0
        assert counts["failed"] == len(failed)
        for job in jobs:
            if job.item_id in failed:
                assert job.state == "failed"
                continue
            assert job.state == "done"
            assert store.result(job.model_version, job.item_id) == reference[job.item_id]
        assert len(store.results()) == len(set(ids)) - len(failed)
    finally:
        store.close()
    assert integrity_check(store_dir) == "ok"
    assert pickle_rows(store_dir) == 0


def test_kill_soak(tmp_path, small_bundle, reference):
    store = tmp_path / "store"
    _run("submit", "--store", store, "--model", small_bundle, "--items", "0-1999")
    rng = random.Random(4)
    kills = 0
    for _ in range(10):
        proc = _start_work(store, small_bundle, SALESAPP_TEST_SLOW_MS=200)
        if _wait_first_progress(proc):
            # Waiting on another process, not on Qt: a random moment inside its work.
            time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        proc.stderr.close()
        kills += proc.returncode == -signal.SIGKILL
    assert kills >= 10
    _run("work", "--store", store, "--model", small_bundle)
    _check_store(store, range(2000), reference)


@pytest.mark.parametrize("point", ["after_lease", "mid_batch", "after_complete"])
def test_crash_at_named_point(tmp_path, small_bundle, reference, point):
    store = tmp_path / "store"
    _run("submit", "--store", store, "--model", small_bundle, "--items", "0-199")
    crashed = _run("work", "--store", store, "--model", small_bundle,
                   env=_env(SALESAPP_CRASH_AT=point), check=False)
    assert crashed.returncode == 137
    _run("work", "--store", store, "--model", small_bundle)
    _check_store(store, range(200), reference)


def test_two_workers_and_overlapping_producers(tmp_path, small_bundle, reference):
    store = tmp_path / "store"
    ranges = ["0-599", "300-899", "500-1199", "0-1199"]
    producers = [subprocess.Popen(_cmd("submit", "--store", store, "--model", small_bundle,
                                       "--items", r), env=_env(), stderr=subprocess.PIPE)
                 for r in ranges[:2]]
    workers = [_start_work(store, small_bundle, SALESAPP_TEST_SLOW_MS=20) for _ in range(2)]
    producers += [subprocess.Popen(_cmd("submit", "--store", store, "--model", small_bundle,
                                        "--items", r), env=_env(), stderr=subprocess.PIPE)
                  for r in ranges[2:]]
    for p in producers:
        assert p.wait(60) == 0, p.stderr.read()
        p.stderr.close()
    for w in workers:
        w.stderr.read()
        assert w.wait(60) == 0
        w.stderr.close()
    # Producers may have added work after both workers went idle: one more pass drains it.
    _run("work", "--store", store, "--model", small_bundle)
    _check_store(store, range(1200), reference)


def _stop_inside_model_call(proc, marker):
    """SIGSTOP `proc` at a moment it is inside the model call, never mid-write to the store.

    The worker keeps `marker` only while inside the call, with its store writes held; the file
    still there after the stop proves the stop landed inside. Otherwise resume and try again.
    """
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if marker.exists():
            proc.send_signal(signal.SIGSTOP)
            if marker.exists():
                return
            proc.send_signal(signal.SIGCONT)
        time.sleep(0.01)   # polling another process's file, not waiting on Qt
    raise AssertionError("the worker never stayed inside a model call long enough to stop it")


def test_frozen_worker_past_its_lease(tmp_path, small_bundle, reference):
    store, marker = tmp_path / "store", tmp_path / "in_model_call"
    _run("submit", "--store", store, "--model", small_bundle, "--items", "0-299")
    frozen = _start_work(store, small_bundle, SALESAPP_TEST_SLOW_MS=1500, SALESAPP_BATCH_SIZE=100,
                         SALESAPP_TEST_MODEL_MARKER=marker)
    _stop_inside_model_call(frozen, marker)
    try:
        _run("work", "--store", store, "--model", small_bundle)   # takes over expired leases
        _check_store(store, range(300), reference)
    finally:
        frozen.send_signal(signal.SIGCONT)
    frozen.stderr.read()
    assert frozen.wait(60) == 0
    frozen.stderr.close()
    _check_store(store, range(300), reference)
    assert not marker.exists()


def test_poison_id_fails_alone(tmp_path, small_bundle, reference):
    store = tmp_path / "store"
    _run("submit", "--store", store, "--model", small_bundle, "--items", "0-99")
    proc = _run("work", "--store", store, "--model", small_bundle,
                env=_env(SALESAPP_POISON_ID=42), check=False)
    assert proc.returncode == 1
    assert "item 42 failed: RuntimeError: test poison" in proc.stderr
    _check_store(store, range(100), reference, failed={42})
    out = tmp_path / "r.csv"
    _run("results", "--store", store, "--out", out)
    assert re.search(r"^42,,,,\w+,,,,RuntimeError: test poison", out.read_text(encoding="utf-8"),
                     re.MULTILINE)


def test_three_kills_during_one_default_batch_fail_no_job(tmp_path, small_bundle, reference):
    """The laptop dying during a long batch is not its jobs' failure (attempts are a job's own).

    The default headless batch (no SALESAPP_BATCH_SIZE): after the small first batch, the rest
    is one lease of thousands of jobs, killed three times while the model works on it.
    """
    env = {k: v for k, v in _env().items() if k not in FAST}
    store = tmp_path / "store"
    n = 2000
    _run("submit", "--store", store, "--model", small_bundle, "--items", f"0-{n - 1}", env=env)
    rng = random.Random(13)
    for _ in range(3):
        proc = subprocess.Popen(_cmd("work", "--store", store, "--model", small_bundle),
                                env={**env, "SALESAPP_TEST_SLOW_MS": "1500"},
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        assert _wait_first_progress(proc)   # the first batch is recorded: the big one is leased
        time.sleep(rng.uniform(0.2, 1.0))   # a moment inside its model call (another process)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
        proc.stderr.close()
        with JobStore.open(store) as s:   # the big lease was lost: no attempt of its jobs spent
            assert s.counts()["failed"] == 0
            assert max(j.attempts for j in s.jobs()) <= 1
    clean = _run("work", "--store", store, "--model", small_bundle, env=env)
    assert " 0 failed." in clean.stderr
    _check_store(store, range(n), reference)
