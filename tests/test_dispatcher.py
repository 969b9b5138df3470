"""Dispatcher and drain_queue against the real JobStore; real Predictor (small_bundle) and a fake."""

import os
import sys
import threading

import pytest

from salesapp.errors import StoreError
from salesapp.pacing import DEFAULT_BATCH, FIRST_BATCH, GUI_BATCH, GUI_POOL, MAX_BATCH
from salesapp.store.job_store import JobStore
from salesapp.workers.batch_runner import drain_queue
from salesapp.workers.dispatcher import PredictionDispatcher
from salesapp.workers.store_writer import StoreWriter
from salesapp.workers.test_hooks import TestHooks


class FakePredictor:
    """Same interface as Predictor; raises for `poison` ids (isolates the retry path)."""

    version = "fake00000000"

    def __init__(self, poison=()):
        self.poison = set(poison)
        self.calls = []

    def predict(self, item_ids):
        self.calls.append(list(item_ids))
        if self.poison & set(item_ids):
            raise RuntimeError("model blew up")
        return [{"item_id": i, "status": "ok", "shops": [[0, float(i)]], "item_name": f"n{i}",
                 "model_version": self.version} for i in item_ids]


def test_run_batch_batches_and_records_every_result(store):
    p = FakePredictor()
    store.submit(range(10), p.version)
    reports = []
    n = drain_queue(store, "w1", p.predict, 4, threading.Event(),
                  lambda kind, payload: reports.append((kind, payload)))
    assert n == 10
    assert [len(c) for c in p.calls] == [4, 4, 2]   # one predict call per batch
    assert store.counts()["done"] == 10
    assert store.result(p.version, 7)["shops"] == [[0, 7.0]]
    assert [k for k, _ in reports].count("finished") == 3


def test_poison_id_fails_alone_after_attempt_limit(store):
    p = FakePredictor(poison={3})
    store.submit(range(6), p.version)
    failed = []
    drain_queue(store, "w1", p.predict, 6, threading.Event(),
              lambda kind, payload: failed.extend(payload) if kind == "failed" else None)
    counts = store.counts()
    assert counts["done"] == 5 and counts["failed"] == 1
    assert failed == [(3, "RuntimeError: model blew up")]
    job = next(j for j in store.jobs() if j.item_id == 3)
    assert job.attempts == store.max_attempts and "model blew up" in job.error


def test_cancel_stops_leasing(store):
    p = FakePredictor()
    store.submit(range(10), p.version)
    cancel = threading.Event()
    cancel.set()
    assert drain_queue(store, "w1", p.predict, 4, cancel, lambda *a: None) == 0
    assert store.counts()["queued"] == 10


def test_expired_lease_is_not_completed_twice(store):
    p = FakePredictor()
    store.submit([1, 2], p.version)
    store.lease("frozen", 2, 0.0)          # a worker that froze: its lease is already over
    store.requeue_expired(now=1e12)
    drain_queue(store, "w2", p.predict, 10, threading.Event(), lambda *a: None)
    assert store.complete("frozen", {1: {"x": 1}}) == []   # the late worker is refused
    assert store.counts()["done"] == 2


def test_dispatcher_real_predictor_signals_and_idle(qtbot, store, small_bundle):
    from salesapp.model.predictor import Predictor

    predictor = Predictor.load(small_bundle)
    d = PredictionDispatcher(store, predictor, pool_size=2, batch_size=8)
    finished, progress = [], []
    d.jobs_finished.connect(finished.extend)
    d.progress_changed.connect(lambda done, total: progress.append((done, total)))
    ids = list(range(40))
    with qtbot.waitSignal(d.jobs_queued, timeout=5000) as queued:
        d.submit(ids)
    assert queued.args[0] == ids
    with qtbot.waitSignal(d.idle, timeout=30000):
        d.start()
    assert d.shutdown(5000)
    assert sorted(r["item_id"] for r in finished) == ids
    assert finished == [store.result(predictor.version, r["item_id"]) for r in finished]
    assert progress[-1] == (40, 40)
    assert store.counts()["done"] == 40 and store.counts()["leased"] == 0


def test_dispatcher_idle_on_empty_store_and_failed_signal(qtbot, store):
    p = FakePredictor(poison={5})
    d = PredictionDispatcher(store, p, pool_size=1, batch_size=4)
    with qtbot.waitSignal(d.idle, timeout=5000):
        d.start()
    failures = []
    d.jobs_failed.connect(failures.extend)
    with qtbot.waitSignal(d.idle, timeout=10000):
        d.submit(range(8))
    assert failures == [(5, "RuntimeError: model blew up")]
    assert store.counts() == {"queued": 0, "leased": 0, "done": 7, "failed": 1}
    assert d.shutdown(5000)


def test_shutdown_leaves_unrun_jobs_queued(qtbot, store):
    p = FakePredictor()
    store.submit(range(100), p.version)
    d = PredictionDispatcher(store, p, pool_size=1, batch_size=10)
    with qtbot.waitSignal(d.jobs_finished, timeout=5000):
        d.start()
    assert d.shutdown(5000)
    counts = store.counts()
    assert counts["leased"] == 0
    assert counts["done"] + counts["queued"] == 100 and counts["done"] >= 10


def test_model_call_marker_exists_only_inside_the_call(store, tmp_path):
    marker = tmp_path / "in_model_call"
    hooks = TestHooks(model_marker=str(marker))
    p = FakePredictor()
    seen = []

    def predict(ids):
        seen.append(marker.exists())
        return p.predict(ids)

    store.submit(range(5), p.version)
    drain_queue(store, "w1", predict, 2, threading.Event(), lambda *a: None, hooks=hooks)
    assert seen == [True, True, True] and not marker.exists()
    assert store.counts()["done"] == 5


def test_a_runner_starting_alone_begins_with_a_small_batch(store):
    p = FakePredictor()
    store.submit(range(FIRST_BATCH + 150), p.version)
    drain_queue(store, "w1", p.predict, 100, threading.Event(), lambda *a: None,
                first_batch=FIRST_BATCH)
    assert [len(c) for c in p.calls] == [FIRST_BATCH, 100, 50]


def test_headless_batches_split_the_queue_evenly_within_bounds():
    from salesapp.workers.headless import even_batch

    assert even_batch(5100, 2) == 2550
    assert even_batch(10, 2) == DEFAULT_BATCH
    assert even_batch(100_000, 2) == MAX_BATCH
    assert even_batch(5100, 1) == 5100


class GuiThreadCalls:
    """The real store; counts the calls of each method made on the GUI (main) thread."""

    def __init__(self, store, fail_submit=False):
        self._store = store
        self._fail_submit = fail_submit
        self.gui_calls: list[str] = []

    def __getattr__(self, name):
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            if threading.current_thread() is threading.main_thread():
                self.gui_calls.append(name)
            if name == "submit" and self._fail_submit:
                raise StoreError("the store is locked by another program")
            return attr(*args, **kwargs)
        return call


def test_submit_later_writes_off_the_gui_thread_and_counts_once(qtbot, store):
    p = FakePredictor()
    logged = GuiThreadCalls(store)
    d = PredictionDispatcher(logged, p, pool_size=2, batch_size=64)
    assert logged.gui_calls == ["counts"]
    queued, progress = [], []
    d.jobs_queued.connect(queued.extend)
    d.progress_changed.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(d.idle, timeout=10000):
        d.submit_later(range(1200))   # three write slices
        assert d.writes_pending()
    assert sorted(queued) == list(range(1200))
    assert progress[-1] == (1200, 1200) and all(done <= total for done, total in progress)
    cached = []
    d.results_cached.connect(cached.extend)
    with qtbot.waitSignal(d.idle, timeout=10000):
        d.submit_later([5, 6])   # done already: answered from the store, nothing queued
    assert [r["item_id"] for r in cached] == [5, 6]
    assert progress[-1] == (1200, 1200)
    assert logged.gui_calls == ["counts"]   # no store call on the GUI thread after start
    assert d.shutdown(5000)


def test_cancel_jobs_runs_after_the_submits_before_it(qtbot, store):
    d = PredictionDispatcher(store, FakePredictor(), pool_size=1)
    d.cancel()   # nothing runs: every id is still queued when the cancel comes
    cancelled = []
    d.jobs_cancelled.connect(cancelled.extend)
    d.submit_later(range(1200))
    d.cancel_jobs(range(1200))
    # `writes_pending()` turns False in the event that runs the last continuation, so every
    # `jobs_cancelled` is in by then. A cancel that overtook a submit never reaches 1,200.
    qtbot.waitUntil(lambda: not d.writes_pending() and len(cancelled) >= 1200, timeout=10000)
    assert sorted(cancelled) == list(range(1200))
    assert store.counts()["queued"] == 0
    assert d.shutdown(5000)


def test_shutdown_finishes_the_writes_asked_for(qtbot, tmp_path):
    s = JobStore.open(tmp_path / "s")
    d = PredictionDispatcher(s, FakePredictor(), pool_size=1)
    d.cancel()
    d.submit_later(range(3000))
    assert d.shutdown(5000)   # at once: the writes were still in flight
    assert s.counts()["queued"] == 3000
    s.close()


def test_failed_submit_is_reported_with_its_ids(qtbot, store):
    d = PredictionDispatcher(GuiThreadCalls(store, fail_submit=True), FakePredictor())
    with qtbot.waitSignal(d.write_failed, timeout=10000) as failed:
        d.submit_later([1, 2, 3])
    kind, ids, reason = failed.args
    assert (kind, ids) == ("submit", [1, 2, 3]) and "locked" in reason
    assert d.shutdown(5000)


def test_store_writer_runs_calls_in_order(qtbot, store):
    writer = StoreWriter(store)
    seen, outcomes, errors = [], [], []
    for i in range(20):
        writer.call(lambda i=i: seen.append((i, threading.current_thread().name)) or i,
                    then=lambda value: outcomes.append((value, threading.current_thread().name)))
    writer.call(lambda: 1 / 0, then=outcomes.append, on_error=errors.append)
    assert writer.busy()
    assert writer.wait(5000)
    qtbot.waitUntil(lambda: not writer.busy(), timeout=5000)
    assert [i for i, _ in seen] == list(range(20)) and [v for v, _ in outcomes] == list(range(20))
    assert all(name != threading.main_thread().name for _, name in seen)
    # each continuation runs in the writer's own (here the main) thread
    assert all(name == threading.main_thread().name for _, name in outcomes)
    assert errors == ["ZeroDivisionError: division by zero"]


def test_a_runner_joining_work_under_way_starts_with_a_full_batch(qtbot, store):
    """The dispatcher's first runner begins small (a quick first result), the one it starts
    beside it goes straight to full batches (each model call has a fixed cost)."""
    p = FakePredictor()
    store.submit(range(300), p.version)
    d = PredictionDispatcher(store, p, pool_size=2, batch_size=100)
    with qtbot.waitSignal(d.idle, timeout=10000):
        d.start()
    assert d.shutdown(5000)
    sizes = sorted(len(c) for c in p.calls)
    assert sizes.count(FIRST_BATCH) == 1 and max(sizes) == 100 and sum(sizes) == 300
    assert store.counts()["done"] == 300
    # Started again with no runner working: small first again.
    store.submit(range(300, 600), p.version)
    p.calls.clear()
    d = PredictionDispatcher(store, p, pool_size=1, batch_size=100)
    with qtbot.waitSignal(d.idle, timeout=10000):
        d.start()
    assert d.shutdown(5000)
    assert [len(c) for c in p.calls] == [FIRST_BATCH, 100, 100, 84]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_yield_to_gui_lowers_worker_threads_only(qtbot, store):
    seen = {}

    class Recording(FakePredictor):
        def predict(self, item_ids):
            seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            return super().predict(item_ids)

    before = sys.getswitchinterval()
    d = PredictionDispatcher(store, Recording(), pool_size=1)
    try:
        d.yield_to_gui(3)
        with qtbot.waitSignal(d.idle, timeout=10000):
            d.submit_later(range(10))
        gui_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        assert seen["nice"] == min(19, gui_nice + 3)
        assert sys.getswitchinterval() <= 0.001
    finally:
        sys.setswitchinterval(before)
        assert d.shutdown(5000)


def test_writer_is_not_idle_before_its_last_outcome_is_handled(qtbot, store):
    from PySide6.QtCore import QCoreApplication, QEvent

    writer = StoreWriter(store)
    handled = []

    def on_outcome(value):
        handled.append((value, writer.busy()))

    writer.call(lambda: 1, then=on_outcome)
    writer.call(lambda: 2, then=on_outcome)
    assert writer.wait(5000)
    assert writer.busy() and handled == []
    # Deliver only the events posted to the writer: every outcome is handled by then.
    QCoreApplication.sendPostedEvents(writer, QEvent.MetaCall)
    assert handled == [(1, True), (2, False)] and not writer.busy()


def test_yield_to_gui_caps_runners_and_batches_and_keeps_smaller_ones(qtbot, store):
    before = sys.getswitchinterval()   # yield_to_gui lowers it process-wide
    try:
        threads = set()

        class Recording(FakePredictor):
            def predict(self, item_ids):
                threads.add(threading.get_ident())
                return super().predict(item_ids)

        p = Recording()
        d = PredictionDispatcher(store, p, pool_size=2, batch_size=4 * GUI_BATCH)
        d.yield_to_gui(0)
        with qtbot.waitSignal(d.idle, timeout=20000):
            d.submit_later(range(3 * GUI_BATCH))
        d.shutdown()
        assert len(threads) == GUI_POOL == 1   # one runner beside the GUI thread
        assert sum(len(c) for c in p.calls) == 3 * GUI_BATCH
        assert store.counts()["done"] == 3 * GUI_BATCH
        assert max(len(c) for c in p.calls) == GUI_BATCH   # capped; full batches still used
        small = FakePredictor()
        d = PredictionDispatcher(store, small, pool_size=1, batch_size=4)
        d.yield_to_gui(0)   # a batch already below the cap stays as asked
        with qtbot.waitSignal(d.idle, timeout=20000):
            d.submit_later(range(10**5, 10**5 + 9))
        d.shutdown()
        assert max(len(c) for c in small.calls) == 4
    finally:
        sys.setswitchinterval(before)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_a_window_s_dispatcher_arguments_give_one_low_priority_runner_of_small_batches(
        qtbot, store):
    from salesapp.pacing import WORKER_NICE_STEPS
    from salesapp.workers.window_pacing import window_dispatcher_args, window_pacing

    seen = []

    class Recording(FakePredictor):
        def predict(self, item_ids):
            seen.append((threading.get_ident(),
                         os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
            return super().predict(item_ids)

    p = Recording()
    d = PredictionDispatcher(store, p, **window_dispatcher_args())
    with qtbot.waitSignal(d.idle, timeout=20000):
        d.submit_later(range(3 * GUI_BATCH))
    assert d.shutdown(5000)
    gui_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert len({t for t, _ in seen}) == GUI_POOL
    assert {n for _, n in seen} == {min(19, gui_nice + WORKER_NICE_STEPS)}
    assert max(len(c) for c in p.calls) == GUI_BATCH
    before = sys.getswitchinterval()   # the process-wide part is the window's own call
    try:
        window_pacing()
        assert sys.getswitchinterval() <= 0.001
    finally:
        sys.setswitchinterval(before)


def test_a_known_pending_count_spares_the_scan_and_starts_the_totals(store, qtbot, monkeypatch):
    """The window passes the count its loader read off the GUI thread: no counts() scan as the
    dispatcher is made (a scan of every job on the GUI thread); progress starts from it."""
    p = FakePredictor()
    store.submit([1, 2, 3], p.version)
    scans = []
    real = store.counts
    monkeypatch.setattr(store, "counts", lambda: scans.append(1) or real())
    d = PredictionDispatcher(store, p, pool_size=1, pending=3)
    assert scans == []
    progress = []
    d.progress_changed.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(d.idle, timeout=10000):
        d.start()
    assert d.shutdown(5000)
    assert progress[0][1] == 3 and progress[-1] == (3, 3)
