"""`salesapp work` and `submit` as processes: exit statuses, sentences, options."""

import sqlite3
import time

import pytest
from engine_cli import run_cli, use_up_attempts_but_one

from salesapp.store.job_store import JobStore


def _queue_two_with_item_1_on_its_last_lease(store_dir, version, lease_seconds):
    """Items 1 and 2 queued; item 1 leased by a gone worker on its last attempt."""
    with JobStore.open(store_dir) as s:
        s.submit([1], version)
        use_up_attempts_but_one(s, 1)
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


V1 = "aaaaaaaaaaaa"


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


def test_results_names_a_job_its_store_opening_failed(tmp_path, small_bundle):
    from salesapp.commands.queue_commands import bundle_version

    store = tmp_path / "store"
    _queue_two_with_item_1_on_its_last_lease(store, bundle_version(small_bundle), 0.01)
    proc = run_cli("results", "--store", store, "--out", tmp_path / "r.csv")
    assert proc.returncode == 0, proc.stderr
    assert "1 earlier job(s) ended failed" in proc.stderr and "(item 1)" in proc.stderr
    version = bundle_version(small_bundle)
    assert f"1,,,,{version},,,,the worker stopped" in (tmp_path / "r.csv").read_text(
        encoding="utf-8")


def test_work_counts_unknown_ids_apart_and_they_fail_no_run(tmp_path, small_bundle):
    from salesapp.model.predictor import Predictor

    known = [int(i) for i in Predictor.load(small_bundle).item_ids[:3]]
    unknown = [5_000_001, 5_000_002, 5_000_003, 5_000_004]
    store = tmp_path / "store"
    ids = ",".join(map(str, known + unknown))
    assert run_cli("submit", "--store", store, "--model", small_bundle,
                   "--items", ids).returncode == 0
    proc = run_cli("work", "--store", store, "--model", small_bundle)
    assert proc.returncode == 0, proc.stderr
    assert "salesapp: 3 done, 4 unknown item, 0 failed." in proc.stderr


def test_work_counts_job_rows_it_set_aside_as_failed_and_exits_non_zero(tmp_path, small_bundle):
    import pickle

    from salesapp.commands.queue_commands import bundle_version

    store = tmp_path / "store"
    with JobStore.open(store) as s:
        s.submit([1, 2, 3], bundle_version(small_bundle))
    con = sqlite3.connect(store / "cache.db")
    with con:
        con.execute("UPDATE Cache SET mode = 4, value = ? WHERE key = 'j:2'",
                    (pickle.dumps({"item_id": 2}),))
        con.execute("UPDATE Cache SET value = ? WHERE key = 'j:3'",
                    (b'{"item_id": 3, "state": "queued", "seq": "x"}',))
    con.close()
    proc = run_cli("work", "--store", store, "--model", small_bundle)
    assert proc.returncode == 1, proc.stderr
    for item in (2, 3):
        assert f"item {item} failed: its stored job row could not be read" in proc.stderr
    assert "1 done, 2 failed." in proc.stderr and "Traceback" not in proc.stderr
