"""When the dispatcher says idle."""

import threading

from engine_cli import FakePredictor

from salesapp.store.job_store import JobStore


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
    real_results_of = store.readable_results_of

    def results_of(*args, **kwargs):   # the real read, held until the last runner has ended
        runner_ended.wait(10)
        return real_results_of(*args, **kwargs)

    monkeypatch.setattr(store, "readable_results_of", results_of)
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
    d.results_cached.connect(cached.extend)
    with qtbot.waitSignal(d.jobs_started, timeout=5000):
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
