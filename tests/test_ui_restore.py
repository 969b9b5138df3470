"""Restoring earlier sessions: rows come in slices, and nothing that happens meanwhile is lost.

A real store of a few thousand jobs (done with real Predictor results, failed with a reason, and
queued), the real window, dispatcher and worker pool, small real model.
"""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QCoreApplication, Qt

from salesapp import pacing
from salesapp.model.predictor import Predictor
from salesapp.store.job_store import JobStore
from salesapp.ui.job_table_model import JobRow, JobTableModel, ResultRole, compact_result
from salesapp.ui.main_window import MainWindow
from salesapp.ui.session_restore import SessionRestore
from salesapp.workers.dispatcher import PredictionDispatcher

WAIT_MS = 30000
N_DONE = 2400
N_FAILED = 40
FIRST_UNKNOWN = 1_000_000

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


@pytest.fixture(scope="module")
def predictor(small_bundle):
    return Predictor.load(small_bundle)


@pytest.fixture(scope="module")
def earlier_session(tmp_path_factory, predictor):
    """A store as a long earlier session left it, in submission order: done jobs (real results,
    relabelled to ids of their own), failed ones (some of them known items), then every other
    known item still queued: runners lease those first, while their rows are shown last."""
    root = tmp_path_factory.mktemp("earlier_session") / "store"
    known = [int(i) for i in predictor.item_ids]
    real = [r for r in predictor.predict(known) if r["status"] == "ok"]
    done = list(range(FIRST_UNKNOWN, FIRST_UNKNOWN + N_DONE))
    failed = list(range(FIRST_UNKNOWN + N_DONE, FIRST_UNKNOWN + N_DONE + N_FAILED)) + known[:5]
    queued = known[5:]
    with JobStore.open(root, max_attempts=1) as store:
        store.submit(done, predictor.version)
        store.lease("earlier", N_DONE, 600)
        store.complete("earlier", {i: dict(real[k % len(real)], item_id=i)
                                   for k, i in enumerate(done)})
        store.submit(failed, predictor.version)
        store.lease("earlier", len(failed), 600)
        for i in failed:
            store.fail("earlier", i, "it broke earlier")
        store.submit(queued, predictor.version)
        stored = {j.item_id: j.state for j in store.jobs()}
        results = {i: store.result(predictor.version, i) for i in done}
    return {"dir": root, "done": done, "failed": failed, "queued": queued, "stored": stored,
            "results": results}


@pytest.fixture
def open_window(qtbot, tmp_path, predictor, earlier_session):
    """A window attached at once on a fresh copy of the earlier session's store."""
    made = []

    def make():
        store_dir = tmp_path / "store"
        shutil.copytree(earlier_session["dir"], store_dir)
        store = JobStore.open(store_dir)
        dispatcher = PredictionDispatcher(store, predictor, pool_size=2)
        window = MainWindow()
        window.session.attach(store, dispatcher, predictor)
        qtbot.addWidget(window)
        made.append(window)
        return window, store_dir

    yield make
    for w in made:
        w.close()


def wait_restored(qtbot, window, ids):
    def restored():
        assert not window.session.restore.active()
        assert all(window.model.row_for(i) is not None for i in ids)
        rows = [window.model.row_for(i) for i in ids]
        assert all(r.status in ("done", "unknown item", "failed", "cancelled") for r in rows)
        # an unknown item is shown so before its result is read (its model's catalogue says it)
        assert all(r.result is not None for r in rows if r.status in ("done", "unknown item"))
        assert window.model.pending_updates() == 0
    qtbot.waitUntil(restored, timeout=WAIT_MS)


def test_rows_come_in_slices_and_every_state_and_result_arrives(qtbot, open_window,
                                                                 earlier_session):
    s = earlier_session
    window, _ = open_window()
    # rows from the next turn on
    assert window.model.rowCount() == 0 and window.session.restore.active()
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=WAIT_MS)
    assert window.model.rowCount() < len(s["stored"])   # a slice, not everything at once
    wait_restored(qtbot, window, list(s["stored"]))
    assert window.model.rowCount() == len(s["stored"])
    for i in s["done"]:
        row = window.model.row_for(i)
        assert (row.status, row.result) == ("done", compact_result(s["results"][i]))
    for i in s["failed"]:
        row = window.model.row_for(i)
        assert (row.status, row.note) == ("failed", "it broke earlier")
    for i in s["queued"]:   # leased FIFO by the runners, mostly before their rows were shown
        row = window.model.row_for(i)
        assert row.status == "done" and row.result["item_id"] == i
    counts = window.model.counts()
    assert counts["done"] == N_DONE + len(s["queued"]) and counts["queued"] == 0


def test_results_of_jobs_run_before_their_rows_are_shown_are_not_lost(qtbot, open_window,
                                                                       earlier_session,
                                                                       monkeypatch):
    # A restore slower than the runners, made certain: no row is shown until a runner has
    # finished its first batch of the (restored, still unshown) queued jobs.
    held = []
    real_start = SessionRestore.start

    def start(restore, *args, **kwargs):
        real_start(restore, *args, **kwargs)
        held.append((restore, restore._rows.take()))   # every row held back, parking still on

    monkeypatch.setattr(SessionRestore, "start", start)
    s = earlier_session
    window, _ = open_window()
    before_row = []

    def on_finished(results):
        before_row.extend(window.model.row_for(r["item_id"]) is None for r in results)
        if held:
            restore, jobs = held.pop()
            restore._rows.add(jobs)

    window.session.dispatcher.jobs_finished.connect(on_finished)
    assert window.model.rowCount() == 0
    wait_restored(qtbot, window, list(s["stored"]))
    assert any(before_row)   # the case this test is about did happen
    for i in s["queued"]:
        row = window.model.row_for(i)
        assert row.status == "done" and row.result["item_id"] == i


def test_results_are_read_only_as_fast_as_the_table_applies_them(qtbot, open_window,
                                                                   earlier_session, monkeypatch):
    # Decoded results waiting to be applied are many small lists each, for every full collection
    # to walk while they wait: each read waits for the table and the writer.
    calls = []
    real_fetch = PredictionDispatcher.fetch_results

    def fetch_results(dispatcher, pairs):
        session = dispatcher.parent()
        calls.append((len(pairs), session.model.pending_updates(), dispatcher.writes_pending()))
        real_fetch(dispatcher, pairs)

    monkeypatch.setattr(PredictionDispatcher, "fetch_results", fetch_results)
    window, _ = open_window()
    wait_restored(qtbot, window, list(earlier_session["stored"]))
    assert sum(n for n, _, _ in calls) == N_DONE   # every done row's result, read once
    assert all(n <= pacing.FETCH_BATCH for n, _, _ in calls)
    assert all(waiting < pacing.FETCH_AHEAD and not busy for _, waiting, busy in calls)


def test_ids_typed_while_restoring_keep_their_rows(qtbot, open_window, earlier_session):
    s = earlier_session
    window, _ = open_window()
    again = s["failed"][-1]   # a known item that failed earlier; its stored row is still to come
    new = 5_000_000           # never asked before, not an item: its result is an error
    assert window.model.row_for(again) is None
    window.session.submit_ids([again, new])
    wait_restored(qtbot, window, [*s["stored"], new])
    # the writer may still be answering an idle check asked when the last result came
    qtbot.waitUntil(lambda: not window.session.submitting(), timeout=WAIT_MS)
    row = window.model.row_for(again)
    assert row.status == "done" and row.result["item_id"] == again   # asked again: run again
    assert window.model.row_for(new).status == "unknown item"
    assert "not in the product list of model" in window.model.row_for(new).note
    assert window.model.rowCount() == len(s["stored"]) + 1


def test_close_mid_restore_changes_and_loses_nothing(qtbot, open_window, predictor,
                                                     earlier_session):
    s = earlier_session
    window, store_dir = open_window()
    assert window.session.restore.active()
    window.close()
    shown = window.model.rowCount()
    for _ in range(20):   # turns the restore's timer would have used: it adds nothing more
        QCoreApplication.processEvents()
    assert window.model.rowCount() == shown < len(s["stored"])
    with JobStore.open(store_dir) as store:
        after = {j.item_id: j.state for j in store.jobs()}
        assert after.keys() == s["stored"].keys()
        for i, state in s["stored"].items():   # queued jobs may have been run before the close
            assert after[i] == state or (state == "queued" and after[i] == "done")
        assert all(store.result(predictor.version, i) == s["results"][i] for i in s["done"])


def test_cancel_while_restoring_also_cancels_the_rows_still_to_come(qtbot, open_window,
                                                                    earlier_session):
    s = earlier_session
    window, store_dir = open_window()
    assert all(window.model.row_for(i) is None for i in s["queued"])
    window.cancel_pending()
    wait_restored(qtbot, window, list(s["stored"]))
    qtbot.waitUntil(lambda: not window.session.submitting(), timeout=WAIT_MS)
    states = {window.model.row_for(i).status for i in s["queued"]}
    assert "cancelled" in states and states <= {"cancelled", "done"}   # batches running finish
    window.close()
    with JobStore.open(store_dir) as store:
        assert store.counts()["queued"] == 0


def test_updates_for_rows_still_to_come_are_kept_in_order(qtbot, predictor):
    model = JobTableModel(predictor.shop_names)
    known = [int(i) for i in predictor.item_ids[:3]]
    results = predictor.predict(known)
    model.park_unknown_updates(True)
    model.queue_status(known, "running")
    model.queue_results(results[:2])
    qtbot.waitUntil(lambda: model.pending_updates() == 0)
    assert model.rowCount() == 0
    model.add_rows([JobRow(i) for i in known])
    assert [model.row_for(i).status for i in known] == ["done", "done", "running"]
    assert model.row_for(known[0]).result == compact_result(results[0])
    assert model.counts()["done"] == 2 and model.counts()["running"] == 1
    model.park_unknown_updates(False)   # a restore ended: updates for ids never shown are dropped
    model.queue_results(results[2:] + predictor.predict([9_999_999]))
    qtbot.waitUntil(lambda: model.pending_updates() == 0)
    assert model.row_for(known[2]).status == "done" and model.row_for(9_999_999) is None
    assert model.rowCount() == 3


def test_rows_keep_no_python_item_wrappers(qtbot, predictor):
    # An item made in Python keeps its wrapper as long as its row, for every full collection to
    # walk, and PySide's wrapper map grows with them.
    import gc

    from PySide6.QtGui import QStandardItem

    model = JobTableModel(predictor.shop_names)
    known = [int(i) for i in predictor.item_ids[:50]]
    model.add_rows([JobRow(i, note="restored") for i in known])
    model.queue_results(predictor.predict(known))
    qtbot.waitUntil(lambda: model.pending_updates() == 0)
    model.sort(0)
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, QStandardItem)]
    row = model.row_for(known[0])
    status = model.index(model.item_ids().index(known[0]), 3)
    assert (status.data(), status.data(ResultRole)) == ("done", row.result)
    assert status.data(ResultRole) is row.result   # kept by reference, not converted
    assert status.data(Qt.ForegroundRole).color().name() == "#23803f"


class _RecordingDispatcher:
    """Stands in for the dispatcher's two calls a restore makes (isolates the fetch rule); while
    `busy`, its writer has work, so no read is asked for."""

    def __init__(self):
        self.asked = []
        self.busy = True

    def writes_pending(self):
        return self.busy

    def fetch_results(self, pairs):
        self.asked += pairs


def test_rows_asked_for_again_are_not_fetched_over(qtbot):
    """A restored done row asked for again (pending, or done with a newer result) before its
    paced read went out must keep its newer state, not get the earlier session's result."""
    from salesapp.store.job_store import Job

    model, dispatcher = JobTableModel(), _RecordingDispatcher()
    restore = SessionRestore(model)
    restore.start([Job(i, "done", "v1") for i in (1, 2, 3)], dispatcher)
    qtbot.waitUntil(lambda: not restore.active())   # the rows are shown; their reads are due
    model.set_status([2], "queued")           # asked for again
    model.queue_results([{"item_id": 3, "model_version": "v2", "status": "ok", "total": 1.0,
                          "shops": [[2, 1.0]], "history": []}])
    qtbot.waitUntil(lambda: model.pending_updates() == 0)
    assert dispatcher.asked == []
    dispatcher.busy = False                   # the writer is free: the reads go out
    qtbot.waitUntil(lambda: bool(dispatcher.asked))
    for _ in range(5):
        QCoreApplication.processEvents()
    restore.stop()
    assert dispatcher.asked == [("v1", 1)]


def test_the_loader_counts_pending_jobs_off_the_gui_thread():
    from salesapp.store.job_store import Job
    from salesapp.ui.session_restore import StoredJobs, pending_count

    jobs = [Job(1, "done", "v"), Job(2, "queued", "v"), Job(3, "leased", "v"), Job(4, "failed", "v")]
    stored = StoredJobs(jobs)
    assert stored == jobs and stored.pending == 2
    assert pending_count(stored) == pending_count(jobs) == 2 and pending_count([]) == 0
