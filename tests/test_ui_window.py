"""The main window end to end: real store, real dispatcher and worker pool, small real model."""

from __future__ import annotations

import csv
import math
import threading

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from salesapp.exports.layouts import LONG_COLUMNS
from salesapp.model.predictor import Predictor
from salesapp.store.job_store import JobStore
from salesapp.ui.history_chart import month_label
from salesapp.ui.main_window import MainWindow
from salesapp.workers.dispatcher import PredictionDispatcher
from salesapp.workers.test_hooks import TestHooks

WAIT_MS = 20000


pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


@pytest.fixture(scope="module")
def predictor(small_bundle):
    return Predictor.load(small_bundle)


@pytest.fixture
def make_window(qtbot, tmp_path, predictor):
    """Build windows on a store directory; each is closed (workers stopped) after the test."""
    made = []

    def make(store_dir=None, batch_size=1024):
        store = JobStore.open(store_dir or tmp_path / "store")
        dispatcher = PredictionDispatcher(store, predictor, pool_size=2, batch_size=batch_size,
                                          hooks=TestHooks.from_environ())
        window = MainWindow()
        window.session.attach(store, dispatcher, predictor)
        qtbot.addWidget(window)
        made.append(window)
        return window

    yield make
    for w in made:
        w.close()


def known_ids(predictor, n):
    known = getattr(predictor, "item_ids", None)   # `_items` before the predictor dropped pandas
    return [int(i) for i in (predictor.item_ids if known is None else known)[:n]]


def wait_all_final(qtbot, window, ids):
    def final():
        rows = [window.model.row_for(i) for i in ids]
        assert all(r is not None and r.status in ("done", "unknown item", "failed") for r in rows)
        assert window.model.pending_updates() == 0
    qtbot.waitUntil(final, timeout=WAIT_MS)


def test_typed_ids_go_pending_then_done(qtbot, make_window, predictor):
    w = make_window()
    ids = known_ids(predictor, 4)
    w.input.setText(f"{ids[0]}, {ids[1]}\n{ids[2]}-{ids[3]} 999999")
    qtbot.keyClick(w.input, Qt.Key_Return)
    qtbot.waitUntil(lambda: w.model.row_for(ids[0]) is not None, timeout=WAIT_MS)
    assert w.model.row_for(ids[0]).status in ("unsaved", "queued", "running", "done")
    wait_all_final(qtbot, w, ids + [999999])
    for i in ids:
        r = w.model.row_for(i).result
        assert r["status"] == "ok"
        assert all(math.isfinite(f) and f >= 0 for _, f in r["shops"])
    bad = w.model.row_for(999999)
    assert bad.status == "unknown item" and "not in the product list of model" in bad.note
    assert w.model.counts()["done"] == len(ids)
    # the label follows within a quarter second (at most 4 updates a second while busy)
    qtbot.waitUntil(lambda: "done 4 · unknown item 1 · failed 0" in w.status_panel.counts_label.text(), timeout=2000)


def drop(window, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    # Qt delivers a drop only to a widget that accepted the drag's enter, as in a real drag
    enter = QDragEnterEvent(QPoint(20, 20), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(20, 20), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, event)
    return event, mime   # the event does not own the mime data: keep both alive together


def test_dropped_csv_files_become_rows(qtbot, make_window, predictor, tmp_path):
    w = make_window()
    ids = known_ids(predictor, 6)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("item_id\n" + "\n".join(map(str, ids[:3])) + "\n", encoding="utf-8")
    b.write_text("shop;item_id\n1;" + "\n1;".join(map(str, ids[3:])) + "\n", encoding="utf-8")
    event, _mime = drop(w, [a, b])
    assert event.isAccepted()
    wait_all_final(qtbot, w, ids)
    assert sorted(w.model.item_ids()) == sorted(ids)


def test_bad_csv_reports_problems_and_queues_valid_rows(qtbot, make_window, predictor, tmp_path):
    w = make_window()
    ids = known_ids(predictor, 2)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"item_id\n{ids[0]}\nabc\n{ids[1]}\n-4\n", encoding="utf-8")
    w.import_files([bad])
    wait_all_final(qtbot, w, ids)
    assert w.banner.isVisible() or not w.isVisible()
    assert "bad.csv" in w.banner.text() and "line" in w.banner.text()
    assert w.model.rowCount() == 2


def test_ambiguous_column_asks_the_user(qtbot, make_window, predictor, tmp_path, monkeypatch):
    w = make_window()
    ids = known_ids(predictor, 2)
    f = tmp_path / "two.csv"
    f.write_text("code,qty\n" + "\n".join(f"{i},1" for i in ids) + "\n", encoding="utf-8")
    asked = []
    monkeypatch.setattr(w, "ask_column", lambda path, cols: asked.append(cols) or "code")
    w.import_files([f])
    wait_all_final(qtbot, w, ids)
    assert asked == [["code", "qty"]]


def test_restart_restores_rows_and_results(qtbot, make_window, predictor, tmp_path):
    ids = known_ids(predictor, 3)
    w1 = make_window(tmp_path / "shared")
    w1.session.submit_ids(ids)
    wait_all_final(qtbot, w1, ids)
    w1.close()
    w2 = make_window(tmp_path / "shared")
    # rows from the next event-loop turn on, in slices; results read off-thread after them
    qtbot.waitUntil(lambda: not w2.session.restore.active(), timeout=WAIT_MS)
    assert sorted(w2.model.item_ids()) == sorted(ids)
    assert all(w2.model.row_for(i).status == "done" for i in ids)
    qtbot.waitUntil(lambda: all(w2.model.row_for(i).result for i in ids), timeout=WAIT_MS)
    for i in ids:
        assert w2.model.row_for(i).result == w1.model.row_for(i).result


def test_filters_and_sort(qtbot, make_window, predictor):
    w = make_window()
    ids = known_ids(predictor, 8)
    w.session.submit_ids(ids + [999999])
    wait_all_final(qtbot, w, ids + [999999])
    assert w.table.model() is w.model   # no proxy while nothing is filtered
    name = w.model.row_for(ids[3]).result["item_name"]
    w.filter_box.setText(name.upper())
    view = w.table.model()
    assert view is w.proxy and view.rowCount() >= 1
    assert all(name.casefold() in view.index(r, 1).data().casefold()
               for r in range(view.rowCount()))
    w.filter_box.setText("")
    w.status_filter.setCurrentText("unknown item")
    assert [w.table.model().index(r, 0).data() for r in range(w.table.model().rowCount())] == [
        "999999"]
    w.status_filter.setCurrentText("all")
    assert w.table.model() is w.model and w.model.rowCount() == 9
    w.table.selectRow(0)
    selected = int(w.model.index(0, 0).data())
    w.table.horizontalHeader().setSortIndicator(4, Qt.DescendingOrder)   # a header click
    totals = [float(w.model.index(r, 4).data() or -1) for r in range(w.model.rowCount())]
    assert totals == sorted(totals, reverse=True)
    assert [int(w.model.data(w.model.index(r.row(), 0))) for r in
            w.table.selectionModel().selectedRows()] == [selected]   # the selection follows


def test_close_mid_batch_keeps_jobs_queued(qtbot, make_window, predictor, tmp_path):
    ids = known_ids(predictor, 40)
    w1 = make_window(tmp_path / "mid")
    w1.session.submit_ids(ids)
    qtbot.waitUntil(lambda: w1.model.rowCount() == len(ids), timeout=WAIT_MS)
    w1.close()
    store = JobStore.open(tmp_path / "mid")
    try:
        counts = store.counts()
        # every id is either done or still waiting on disk: nothing asked for is lost
        assert sum(counts.get(k, 0) for k in ("queued", "leased", "done")) == len(ids)
    finally:
        store.close()


def test_detail_panel_shows_shops_and_chart(qtbot, make_window, predictor):
    w = make_window()
    ids = known_ids(predictor, 3)
    w.session.submit_ids(ids)
    wait_all_final(qtbot, w, ids)
    w.table.selectRow(0)
    w.table.setCurrentIndex(w.table.model().index(0, 0))
    item = int(w.table.model().index(0, 0).data())
    result = w.model.row_for(item).result
    assert w.detail.shops.rowCount() == len(result["shops"])
    forecasts = [float(w.detail.shops.item(r, 2).text()) for r in range(w.detail.shops.rowCount())]
    assert forecasts == sorted(forecasts, reverse=True)
    chart = w.detail.chart
    x, h = chart.forecast_points()   # the next month, then each month ahead the model gives
    later = result.get("ahead") or ()
    assert x == [result["forecast_block"], *(m.block for m in later)]
    assert h == [pytest.approx(result["total"]), *(pytest.approx(m.total) for m in later)]
    assert chart.history_line()[0] == [m for m, _ in predictor.history(item)]
    month = month_label(result["forecast_block"])
    assert month in chart.tick_labels()   # the forecast month is always a labelled tick
    assert chart.forecast_text().startswith(f"{result['total']:.1f} (")   # and its range
    assert chart.getAxis("left").labelText.startswith("units sold")
    assert str(item) in w.detail.title.text() and month in w.detail.title.text()
    shown = []
    real = w.detail.show_result
    w.detail.show_result = lambda *a: shown.append(a) or real(*a)
    w.model.dataChanged.emit(w.model.index(0, 0), w.model.index(2, 7))   # nothing changed
    assert shown == []
    w.model.queue_results([dict(result, total=123.0)])   # a new result: the panel follows
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=WAIT_MS)
    assert "123.0 units" in w.detail.title.text()


def test_export_and_clipboard(qtbot, make_window, predictor, tmp_path):
    w = make_window()
    ids = known_ids(predictor, 2)
    w.session.submit_ids(ids)
    wait_all_final(qtbot, w, ids)
    w.model.row_for(ids[0]).result["item_name"] = "=HYPERLINK(\"x\")"
    out = tmp_path / "out.csv"
    n = w.export_to(str(out))
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == list(LONG_COLUMNS)
    months = 1 + len(w.model.row_for(ids[0]).result.get("ahead") or ())   # every month
    assert len(rows) - 1 == n == sum(len(w.model.row_for(i).result["shops"]) for i in ids) * months
    assert {r[1] for r in rows[1:] if r[0] == str(ids[0])} == {"'=HYPERLINK(\"x\")"}
    w.table.selectRow(0)
    assert w.export_to(str(out), "selected") == len(w.model.row_for(
        int(w.table.model().index(0, 0).data())).result["shops"]) * months
    w.copy_selection()
    text = QApplication.clipboard().text()
    assert text.splitlines()[0].startswith("Item id\tItem name")


def test_cancel_stops_pending_running_batches_finish(qtbot, make_window, predictor, tmp_path,
                                                    monkeypatch):
    monkeypatch.setenv("SALESAPP_TEST_SLOW_MS", "300")   # batches last long enough to cancel
    w = make_window(tmp_path / "cancel", batch_size=4)
    ids = known_ids(predictor, 40)
    with qtbot.waitSignal(w.session.dispatcher.jobs_started, timeout=WAIT_MS):
        w.session.submit_ids(ids)
    qtbot.waitUntil(lambda: not w.session.submitting(), timeout=WAIT_MS)
    with qtbot.waitSignal(w.session.dispatcher.jobs_cancelled, timeout=WAIT_MS) as cancelled:
        w.cancel_pending()
    qtbot.waitUntil(lambda: w.model.counts()["running"] == 0 and not w.model.pending_updates(),
                    timeout=WAIT_MS)
    counts = w.model.counts()
    assert counts["cancelled"] == len(cancelled.args[0]) > 0
    assert counts["done"] >= 4 and counts["done"] + counts["cancelled"] == len(ids)
    assert "cancelled" in w.statusBar().currentMessage()
    store = w.session.store
    assert store.counts()["queued"] == 0 and store.counts()["done"] == counts["done"]
    # new ids after a Cancel run again
    w.session.submit_ids(known_ids(predictor, 42)[40:])
    wait_all_final(qtbot, w, known_ids(predictor, 42)[40:])


def test_cancel_leaves_jobs_outside_the_view_queued(qtbot, make_window, predictor, tmp_path):
    w = make_window(tmp_path / "rest")
    w.session.dispatcher.cancel()   # hold the pool: every id stays pending
    ids = known_ids(predictor, 30)
    w.session.submit_ids(ids)
    qtbot.waitUntil(lambda: not w.session.submitting(), timeout=WAIT_MS)
    hidden = ids[:10]
    w.model.remove_ids(hidden)
    with qtbot.waitSignal(w.session.dispatcher.jobs_cancelled, timeout=WAIT_MS) as cancelled:
        w.cancel_pending()
    assert sorted(cancelled.args[0]) == sorted(ids[10:])
    qtbot.waitUntil(lambda: w.model.counts()["cancelled"] == 20, timeout=WAIT_MS)
    assert w.session.store.counts()["queued"] == len(hidden)


def test_keyboard_delete_removes_rows_and_ctrl_c_copies(qtbot, make_window, predictor):
    w = make_window()
    ids = known_ids(predictor, 3)
    w.session.submit_ids(ids)
    wait_all_final(qtbot, w, ids)
    w.show()
    w.activateWindow()
    qtbot.waitActive(w)
    w.table.setFocus()
    w.table.selectRow(0)
    first = int(w.table.model().index(0, 0).data())
    QApplication.clipboard().clear()
    qtbot.keyClick(w.table, Qt.Key_C, Qt.ControlModifier)
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0].split("\t")[:2] == ["Item id", "Item name"]
    assert lines[1].split("\t")[0] == str(first) and len(lines) == 2
    qtbot.keyClick(w.table, Qt.Key_Delete)
    assert w.model.row_for(first) is None and w.model.rowCount() == 2
    assert w.session.store.counts()["done"] == 3   # removed from view only


def test_close_mid_submit_writes_every_id(qtbot, make_window, predictor, tmp_path):
    ids = known_ids(predictor, 20) + list(range(10**6, 10**6 + 2980))   # unknown ids queue too
    w1 = make_window(tmp_path / "closing")
    w1.session.dispatcher.cancel()   # nothing runs: every id must be found queued on disk
    w1.session.submit_ids(ids)
    w1.close()   # at once: rows and store writes still in flight
    assert "stay queued" in w1.statusBar().currentMessage()
    store = JobStore.open(tmp_path / "closing")
    try:
        assert sorted(int(j.item_id) for j in store.jobs()) == sorted(ids)
        assert store.counts()["queued"] == len(ids)
    finally:
        store.close()


def test_close_while_a_dropped_file_is_read_keeps_its_ids(qtbot, make_window, predictor,
                                                          tmp_path):
    ids = list(range(10**6, 10**6 + 20000))   # big enough to be still reading at the close
    f = tmp_path / "many.csv"
    f.write_text("item_id\n" + "\n".join(map(str, ids)) + "\n", encoding="utf-8")
    w = make_window(tmp_path / "dropclose")
    w.session.dispatcher.cancel()
    w.import_files([f])
    w.close()
    store = JobStore.open(tmp_path / "dropclose")
    try:
        assert store.counts()["queued"] == len(ids)
    finally:
        store.close()


class ThreadLog:
    """The real store, recording which of its methods run on the GUI thread."""

    def __init__(self, store):
        self._store = store
        self.gui_calls: list[str] = []

    def __getattr__(self, name):
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr

        def logged(*args, **kwargs):
            if threading.current_thread() is threading.main_thread():
                self.gui_calls.append(name)
            return attr(*args, **kwargs)
        return logged


def test_gui_thread_never_touches_the_store_during_a_batch(qtbot, predictor, tmp_path):
    store = ThreadLog(JobStore.open(tmp_path / "log"))
    dispatcher = PredictionDispatcher(store, predictor, pool_size=2, batch_size=16)
    w = MainWindow()
    w.session.attach(store, dispatcher, predictor)
    qtbot.addWidget(w)
    try:
        assert store.gui_calls == ["counts", "jobs"]   # once each, at start
        store.gui_calls.clear()
        ids = known_ids(predictor, 60) + [999999]
        with qtbot.waitSignal(dispatcher.idle, timeout=WAIT_MS):
            w.session.submit_ids(ids)
        wait_all_final(qtbot, w, ids)
        w.cancel_pending()
        w.session.submit_ids(ids[:5])   # cached now: answered from the store
        qtbot.waitUntil(lambda: not w.session.submitting() and not w.model.pending_updates(),
                        timeout=WAIT_MS)
        assert store.gui_calls == []

        def progress_full():
            assert w.status_panel.progress.value() == w.status_panel.progress.maximum() == len(ids)
        qtbot.waitUntil(progress_full, timeout=WAIT_MS)
    finally:
        w.close()


def test_rows_of_requeued_jobs_show_queued_again(qtbot, make_window, predictor):
    """The dispatcher's `jobs_requeued` (a stopped runner's batch back in the queue: emitted on the
    real store in tests/test_dispatcher_leases.py) turns rows shown running back to queued."""
    w = make_window()
    ids = known_ids(predictor, 2)
    w.session.submit_ids(ids)
    wait_all_final(qtbot, w, ids)
    w.model.queue_status([ids[0]], "running")
    w.session.dispatcher.jobs_requeued.emit([ids[0]])
    qtbot.waitUntil(lambda: w.model.row_for(ids[0]).status == "queued", timeout=WAIT_MS)
    assert "worker stopped" in w.model.row_for(ids[0]).note
    assert w.model.row_for(ids[1]).status == "done"
