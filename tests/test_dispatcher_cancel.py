"""Cancelling queued jobs while batches run."""

import threading

from engine_cli import FakePredictor

from salesapp.store.job_store import JobStore


def test_cancelling_an_id_asked_again_shows_its_earlier_result_not_cancelled(qtbot, tmp_path):
    """The store gives the job back its earlier done state (Job.earlier_version): the view must
    get that result again, not a "cancelled" that disagrees with the store."""
    from salesapp.workers.dispatcher import PredictionDispatcher

    store = JobStore.open(tmp_path / "s")
    store.submit([5, 6], "older0000000")
    store.lease("w", 2, 60)
    store.complete("w", {5: {"item_id": 5, "status": "ok", "shops": [[0, 1.5]],
                             "model_version": "older0000000"}})
    d = PredictionDispatcher(store, FakePredictor(), pool_size=1)
    d.cancel()   # nothing runs: both stay queued under the new model until cancelled
    cached, cancelled = [], []
    d.results_cached.connect(cached.extend)
    d.jobs_cancelled.connect(cancelled.extend)
    d.submit_later([5, 7])
    d.cancel_jobs([5, 7])
    qtbot.waitUntil(lambda: bool(cancelled and cached), timeout=10000)
    assert d.shutdown(5000)
    jobs = {j.item_id: (j.state, j.model_version) for j in store.jobs()}
    store.close()
    assert cancelled == [7]
    assert [(r["item_id"], r["model_version"]) for r in cached] == [(5, "older0000000")]
    assert jobs[5] == ("done", "older0000000") and 7 not in jobs


V1 = "aaaaaaaaaaaa"


def test_cancel_while_a_batch_runs_finishes_the_batch_and_drops_the_rest(qtbot, store):
    from salesapp.pacing import FIRST_BATCH
    from salesapp.workers.dispatcher import PredictionDispatcher

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
    d.jobs_finished.connect(finished.extend)
    try:
        with qtbot.waitSignal(d.jobs_started, timeout=5000) as started:
            d.start()
        running = started.args[0]
        assert len(running) == FIRST_BATCH   # leased: the first, small batch
        with qtbot.waitSignal(d.jobs_cancelled, timeout=5000) as cancelled:
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
