"""Failed jobs asked for again."""

from salesapp.store.job_store import DONE, FAILED, LEASED, QUEUED

V1 = "aaaaaaaaaaaa"


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
