"""The job store's state machine on a real diskcache store: every arrow, and durability."""

import os
import subprocess
import sys
import time

from salesapp.store.job_store import DONE, FAILED, LEASED, QUEUED, JobStore, owner_alive
from salesapp.store.json_disk import encode_json

V1, V2 = "aaaaaaaaaaaa", "bbbbbbbbbbbb"


def result(item_id, version=V1):
    return {"item_id": item_id, "status": "ok", "total": 1.5, "shops": [[2, 0.5], [3, 1.0]],
            "model_version": version}


def states(store):
    return {j.item_id: j.state for j in store.jobs()}


def test_fresh_store_is_empty_and_has_no_notice(store):
    assert store.notice is None
    assert store.counts() == {"queued": 0, "leased": 0, "done": 0, "failed": 0}
    assert store.jobs() == []


def test_submit_lease_complete_in_fifo_order(store):
    report = store.submit([30, 10, 20], V1)
    assert report.queued == [30, 10, 20] and report.cached == [] and report.already_pending == []
    leased = store.lease("w1", 2, 60)
    assert [j.item_id for j in leased] == [30, 10]
    assert all(j.state == LEASED and j.owner == "w1" and j.attempts == 1 for j in leased)
    assert leased[0].lease_until > time.time()
    assert store.counts() == {"queued": 1, "leased": 2, "done": 0, "failed": 0}
    assert store.complete("w1", {30: result(30), 10: result(10)}) == [30, 10]
    assert states(store) == {30: DONE, 10: DONE, 20: QUEUED}
    assert store.result(V1, 30) == result(30)


def test_a_result_exists_iff_its_job_is_done(store):
    store.submit(range(6), V1)
    jobs = store.lease("w", 4, 60)
    store.complete("w", {j.item_id: result(j.item_id) for j in jobs[:2]})
    for job in store.jobs():
        assert (store.result(V1, job.item_id) is not None) == (job.state == DONE)


def test_submit_twice_adds_nothing_for_pending_ids(store):
    store.submit([1, 2, 2, 3], V1)
    store.lease("w", 1, 60)
    report = store.submit([1, 2, 3, 4], V1)
    assert report.already_pending == [1, 2, 3] and report.queued == [4]
    assert len(store.jobs()) == 4


def test_known_result_is_answered_from_the_store(store):
    store.submit([7], V1)
    store.complete("w", {j.item_id: result(7) for j in store.lease("w", 1, 60)})
    report = store.submit([7, 8], V1)
    assert report.cached == [7] and report.queued == [8]
    assert states(store)[7] == DONE
    assert [j.item_id for j in store.lease("w", 10, 60)] == [8]  # no model run for 7


def test_done_under_another_model_version_is_requeued(store):
    store.submit([7], V1)
    store.complete("w", {7: result(7)})  # queued job completed directly is accepted once
    report = store.submit([7], V2)
    assert report.queued == [7]
    job = store.lease("w", 1, 60)[0]
    assert job.model_version == V2
    store.complete("w", {7: result(7, V2)})
    assert store.result(V1, 7) == result(7) and store.result(V2, 7) == result(7, V2)


def test_complete_from_a_stale_owner_is_refused(store):
    store.submit([5], V1)
    store.lease("w1", 1, 60)
    store.requeue_expired(now=time.time() + 120)
    store.lease("w2", 1, 60)
    assert store.complete("w1", {5: result(5)}) == []
    assert store.result(V1, 5) is None
    assert store.complete("w2", {5: result(5)}) == [5]
    assert store.complete("w2", {5: result(5)}) == []  # exactly once


def _gone_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_leases_of_a_process_that_ended_go_back_at_open(tmp_path):
    with JobStore.open(tmp_path / "s") as s:
        s.submit([1, 2], V1)
        s.lease(f"{_gone_pid()}-deadbeef", 1, 600)       # a crashed worker's lease
        s.lease(f"{os.getpid()}-cafe0000", 1, 600)       # a live one's (this process)
    with JobStore.open(tmp_path / "s") as s:
        jobs = {j.item_id: j for j in s.jobs()}
        assert jobs[1].state == QUEUED and jobs[1].attempts == 1
        assert jobs[1].error == "the worker's process ended before finishing"
        assert jobs[2].state == LEASED


def test_owner_alive_reads_only_pid_owners():
    assert owner_alive(f"{os.getpid()}-x") and owner_alive("w1") and owner_alive(None)
    assert not owner_alive(f"{_gone_pid()}-x")


def test_renew_extends_only_own_leases(store):
    store.submit([1, 2], V1)
    store.lease("w1", 1, 1)
    store.lease("w2", 1, 1)
    assert store.renew("w1", [1, 2], 300) == [1]
    assert [j.item_id for j in store.requeue_expired(now=time.time() + 60)] == [2]
    assert states(store) == {1: LEASED, 2: QUEUED}


def test_expired_leases_go_back_to_queued(store):
    store.submit([1, 2, 3], V1)
    store.lease("gone", 3, 5)
    assert store.requeue_expired() == []
    assert len(store.requeue_expired(now=time.time() + 10)) == 3
    # a small lease lost: an attempt of each, and they go on in leases half as large
    again = store.lease("w", 3, 60)
    assert [(j.item_id, j.attempts, j.lost_in) for j in again] == [(1, 2, 3)]
    assert states(store) == {1: LEASED, 2: QUEUED, 3: QUEUED}
    assert [j.attempts for j in store.jobs()] == [2, 1, 1]


def test_a_large_lost_lease_is_no_attempt_and_its_jobs_go_on_in_halves(store):
    from salesapp.pacing import BLAMED_LEASE

    n = 4 * BLAMED_LEASE
    store.submit(range(n), V1)
    store.lease("gone", n, 5)
    lost = store.requeue_expired(now=time.time() + 10)
    assert {(j.state, j.attempts, j.lost_in) for j in lost} == {(QUEUED, 0, n)}
    half = store.lease("w", n, 5)
    assert [j.item_id for j in half] == list(range(n // 2))   # FIFO, half the lost lease
    assert {j.attempts for j in half} == {1}
    store.requeue_expired(now=time.time() + 10)   # lost again: still not their failure
    quarter = store.lease("w", n, 5)
    assert len(quarter) == n // 4 == BLAMED_LEASE
    blamed = {j.item_id for j in quarter}
    store.requeue_expired(now=time.time() + 10)   # a small lease lost: an attempt each
    assert {j.item_id: j.attempts for j in store.jobs()} == {
        i: int(i in blamed) for i in range(n)}
    assert store.counts()["queued"] == n


def test_failures_use_up_attempts_then_retry_resets(store):
    store.submit([9], V1)
    for attempt in range(1, 4):
        job = store.lease("w", 1, 60)[0]
        assert job.attempts == attempt
        expected = QUEUED if attempt < 3 else FAILED
        assert store.fail("w", 9, f"boom {attempt}") == expected
    (job,) = store.jobs()
    assert job.state == FAILED and job.error == "boom 3"
    assert store.lease("w", 1, 60) == []
    assert store.retry([9, 10]) == [9]
    (job,) = store.jobs()
    assert job.state == QUEUED and job.attempts == 0 and job.error is None


def test_fail_by_someone_else_changes_nothing(store):
    store.submit([9], V1)
    store.lease("w", 1, 60)
    assert store.fail("other", 9, "no") is None
    assert states(store) == {9: LEASED}


def test_a_job_whose_worker_keeps_dying_ends_failed(tmp_path):
    store = JobStore.open(tmp_path / "s", max_attempts=2)
    store.submit([4], V1)
    for _ in range(2):
        store.lease("w", 1, 1)
        store.requeue_expired(now=time.time() + 10)
    (job,) = store.jobs()
    assert job.state == FAILED and "lease expired" in job.error
    store.close()


def test_cancel_removes_queued_jobs_only(store):
    store.submit([1, 2, 3], V1)
    store.lease("w", 1, 60)
    assert store.cancel([1, 2, 3]) == [2, 3]
    assert states(store) == {1: LEASED}
    assert store.lease("w", 5, 60) == []


def test_every_arrow_is_durable_across_reopen(tmp_path):
    where = tmp_path / "store"

    def reopened():
        with JobStore.open(where) as s:
            return states(s), s.result(V1, 1)

    with JobStore.open(where) as s:
        s.submit([1, 2, 3], V1)
    assert reopened() == ({1: QUEUED, 2: QUEUED, 3: QUEUED}, None)
    with JobStore.open(where) as s:
        s.lease("w", 3, 600)
    assert reopened()[0] == {1: LEASED, 2: LEASED, 3: LEASED}
    with JobStore.open(where) as s:
        s.complete("w", {1: result(1)})
        s.fail("w", 2, "bad")
    assert reopened() == ({1: DONE, 2: QUEUED, 3: LEASED}, result(1))


def test_open_requeues_leases_of_dead_workers(tmp_path):
    with JobStore.open(tmp_path / "s") as s:
        s.submit([1], V1)
        s.lease("dead", 1, 0.01)
    time.sleep(0.05)  # let the lease's wall-clock deadline pass (not a Qt wait)
    with JobStore.open(tmp_path / "s") as s:
        assert states(s) == {1: QUEUED}


def test_all_results_can_be_listed(store):
    store.submit([1, 2], V1)
    store.complete("w", {1: result(1), 2: result(2)})
    assert sorted(r["item_id"] for r in store.results()) == [1, 2]


def test_threads_sharing_one_store_keep_their_writes_apart(store):
    import threading

    store.submit(range(200), V1)
    errors = []

    def worker(owner):
        try:
            while jobs := store.lease(owner, 5, 60):
                store.complete(owner, {j.item_id: result(j.item_id) for j in jobs})
                store.submit(range(1000 + 10 * len(owner), 1003 + 10 * len(owner)), V1)
        except Exception as exc:  # noqa: BLE001 - a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=("w" * n,)) for n in range(1, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert all(store.result(V1, i) is not None for i in range(200))
    for job in store.jobs():
        assert (store.result(V1, job.item_id) is not None) == (job.state == "done")


def test_leasing_searches_an_index_not_every_job(store):
    store.submit(range(50), V1)
    plans = []
    con = store._cache._con
    con.set_trace_callback(plans.append)
    store.lease("w", 5, 60)
    con.set_trace_callback(None)
    (select,) = [p for p in plans if p.startswith("SELECT rowid, key")]
    plan = " ".join(str(row[-1]) for row in con.execute("EXPLAIN QUERY PLAN " + select))
    assert "USING INDEX Cache_tag_rowid" in plan and "SCAN" not in plan
    (update,) = {p for p in plans if p.startswith("UPDATE Cache")}   # traced per trigger run too
    plan = " ".join(str(row[-1]) for row in con.execute("EXPLAIN QUERY PLAN " + update))
    assert "INTEGER PRIMARY KEY" in plan and "SCAN" not in plan


def test_completing_finds_jobs_by_key_not_by_scan(store):
    store.submit(range(50), V1)
    store.lease("w", 5, 60)
    plans = []
    con = store._cache._con
    con.set_trace_callback(plans.append)
    store.complete("w", {i: result(i) for i in range(5)})
    con.set_trace_callback(None)
    (update,) = {p for p in plans if p.startswith("UPDATE Cache")}   # traced per trigger run too
    plan = " ".join(str(row[-1]) for row in con.execute("EXPLAIN QUERY PLAN " + update))
    assert "Cache_key_raw" in plan and "SCAN" not in plan


def test_lease_and_complete_keep_the_job_rows_compact_json(store):
    store.submit([7], V1)
    (job,) = store.lease("w", 1, 60)
    assert (job.state, job.owner, job.attempts) == ("leased", "w", 1)
    assert job.lease_until > time.time() + 59
    store.complete("w", {7: result(7)})
    con = store._cache._con
    (raw,) = con.execute("SELECT value FROM Cache WHERE key = 'j:7'").fetchone()
    assert bytes(raw) == encode_json({"item_id": 7, "state": "done", "model_version": V1,
                                      "attempts": 1, "owner": None, "lease_until": None,
                                      "error": None, "seq": 0})


def test_writes_held_keeps_other_threads_out_of_write_transactions(store):
    import threading

    entered = threading.Event()

    def writer():
        store.submit([1], V1)
        entered.set()

    with store.writes_held():
        t = threading.Thread(target=writer)
        t.start()
        # The writer cannot finish while the writes are held (it would within milliseconds).
        assert not entered.wait(0.3)
        assert store.counts()["queued"] == 0
    t.join(10)
    assert entered.is_set() and store.counts()["queued"] == 1


def test_a_submitted_job_row_is_what_a_fresh_job_writes(store):
    store.submit([3], V1)
    store.lease("w", 1, 60)
    store.fail("w", 3, "boom")
    store.fail("w", store.lease("w", 1, 60)[0].item_id, "boom")
    store.fail("w", store.lease("w", 1, 60)[0].item_id, "boom")   # failed: attempts used up
    store.submit([4], V1)
    store.cancel([4])
    store.submit([3, 4], V2)   # a failed job under another version, and a cancelled one
    rows = dict(store._cache._con.execute("SELECT key, value FROM Cache WHERE key LIKE 'j:%'"))
    seqs = {j.item_id: j.seq for j in store.jobs()}
    assert seqs[4] == seqs[3] + 1
    for item_id in (3, 4):
        assert bytes(rows[f"j:{item_id}"]) == encode_json(
            {"item_id": item_id, "state": "queued", "model_version": V2, "attempts": 0,
             "owner": None, "lease_until": None, "error": None, "seq": seqs[item_id]})


def test_a_result_is_filed_under_the_model_version_that_made_it(store):
    """A job queued for one bundle and run by another (the bundle changed since): the result and
    the job name the model that ran, and the first bundle's cache stays empty."""
    store.submit([1, 2], V1)
    store.lease("w", 2, 60)
    assert sorted(store.complete("w", {1: result(1, V2), 2: {"item_id": 2, "shops": []}})) == [1, 2]
    assert store.result(V1, 1) is None and store.result(V2, 1) == result(1, V2)
    assert store.result(V1, 2) == {"item_id": 2, "shops": []}   # names none: its job's version
    assert {j.item_id: j.model_version for j in store.jobs()} == {1: V2, 2: V1}
    assert store.submit([1], V2).cached == [1] and store.submit([1], V1).queued == [1]


def test_cancelling_an_id_asked_again_under_a_newer_model_keeps_its_done_job(store):
    """Found by the engine review: the cancel deleted the job, so the earlier forecast, still
    stored, vanished from the restored window and from exports."""
    store.submit([5, 6], V1)
    store.lease("w", 2, 60)
    store.complete("w", {5: result(5), 6: result(6)})
    store.submit([5, 6, 7], V2)   # a newer bundle; 7 was never asked before
    assert sorted(store.cancel([5, 6, 7])) == [5, 6, 7]
    assert {j.item_id: (j.state, j.model_version) for j in store.jobs()} == {
        5: (DONE, V1), 6: (DONE, V1)}
    assert store.result(V1, 5) == result(5)
    assert store.counts() == {"queued": 0, "leased": 0, "done": 2, "failed": 0}
    store.submit([5], V2)
    store.lease("w", 1, 60)
    store.complete("w", {5: result(5, V2)})
    assert {j.item_id: j.earlier_version for j in store.jobs()} == {5: V1, 6: None}
