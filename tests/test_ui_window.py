"""The main window end to end: real store, real dispatcher and worker pool, small real model."""

from __future__ import annotations

import csv
import math

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from salesapp.model.predictor import Predictor
from salesapp.store.job_store import JobStore
from salesapp.ui.main_window import MainWindow
from salesapp.workers.dispatcher import PredictionDispatcher

WAIT_MS = 20000


@pytest.fixture(autouse=True)
def _no_dangling_pool_threads(qapp):
    """Fail a test that leaves QThreadPool threads running (napari's _dangling_qthread_pool)."""
    yield
    pools = [QThreadPool.globalInstance()]
    for widget in QApplication.topLevelWidgets():
        pools += widget.findChildren(QThreadPool)
    busy = [p for p in pools if p.activeThreadCount()]
    for p in busy:
        p.waitForDone(5000)
    assert not busy, "a test left QThreadPool threads running"


@pytest.fixture(scope="module")
def predictor(small_bundle):
    return Predictor.load(small_bundle)


@pytest.fixture
def make_window(qtbot, tmp_path, predictor):
    """Build windows on a store directory; each is closed (workers stopped) after the test."""
    made = []

    def make(store_dir=None):
        store = JobStore.open(store_dir or tmp_path / "store")
        dispatcher = PredictionDispatcher(store, predictor, pool_size=2)
        window = MainWindow(store, dispatcher, predictor)
        dispatcher.setParent(window)
        qtbot.addWidget(window)
        made.append(window)
        return window

    yield make
    for w in made:
        w.close()


def known_ids(predictor, n):
    return [int(i) for i in predictor._items.index[:n]]


def wait_all_final(qtbot, window, ids):
    def final():
        rows = [window.model.row_for(i) for i in ids]
        assert all(r is not None and r.status in ("done", "failed") for r in rows)
        assert window.model.pending_updates() == 0
    qtbot.waitUntil(final, timeout=WAIT_MS)


def test_typed_ids_go_pending_then_done(qtbot, make_window, predictor):
    w = make_window()
    ids = known_ids(predictor, 4)
    w.input.setText(f"{ids[0]}, {ids[1]}\n{ids[2]}-{ids[3]} 999999")
    qtbot.keyClick(w.input, Qt.Key_Return)
    qtbot.waitUntil(lambda: w.model.row_for(ids[0]) is not None, timeout=WAIT_MS)
    assert w.model.row_for(ids[0]).status in ("queued", "running", "done")
    wait_all_final(qtbot, w, ids + [999999])
    for i in ids:
        r = w.model.row_for(i).result
        assert r["status"] == "ok"
        assert all(math.isfinite(f) and f >= 0 for _, f in r["shops"])
    bad = w.model.row_for(999999)
    assert bad.status == "failed" and "not in items.csv" in bad.note
    assert w.model.counts()["done"] == len(ids)
    assert "done 4" in w.counts_label.text()


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
    w1.submit_ids(ids)
    wait_all_final(qtbot, w1, ids)
    w1.close()
    w2 = make_window(tmp_path / "shared")
    assert sorted(w2.model.item_ids()) == sorted(ids)
    assert all(w2.model.row_for(i).status == "done" for i in ids)
    assert w2.model.row_for(ids[0]).result["total"] == w1.model.row_for(ids[0]).result["total"]


def test_close_mid_batch_keeps_jobs_queued(qtbot, make_window, predictor, tmp_path):
    ids = known_ids(predictor, 40)
    w1 = make_window(tmp_path / "mid")
    w1.submit_ids(ids)
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
    w.submit_ids(ids)
    wait_all_final(qtbot, w, ids)
    w.table.selectRow(0)
    w.table.setCurrentIndex(w.proxy.index(0, 0))
    item = int(w.proxy.index(0, 0).data())
    result = w.model.row_for(item).result
    assert w.detail.shops.rowCount() == len(result["shops"])
    forecasts = [float(w.detail.shops.item(r, 2).text()) for r in range(w.detail.shops.rowCount())]
    assert forecasts == sorted(forecasts, reverse=True)
    x, h = w.detail.chart.forecast_bar()
    assert x == [result["forecast_block"]] and h == [pytest.approx(result["total"])]
    assert str(item) in w.detail.title.text()


def test_export_and_clipboard(qtbot, make_window, predictor, tmp_path):
    w = make_window()
    ids = known_ids(predictor, 2)
    w.submit_ids(ids)
    wait_all_final(qtbot, w, ids)
    w.model.row_for(ids[0]).result["item_name"] = "=HYPERLINK(\"x\")"
    out = tmp_path / "out.csv"
    n = w.export_to(str(out))
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["item_id", "item_name", "shop_id", "shop_name", "forecast"]
    assert len(rows) - 1 == n == sum(len(w.model.row_for(i).result["shops"]) for i in ids)
    assert {r[1] for r in rows[1:] if r[0] == str(ids[0])} == {"'=HYPERLINK(\"x\")"}
    w.table.selectRow(0)
    assert w.export_to(str(out), selected_only=True) == len(w.model.row_for(
        int(w.proxy.index(0, 0).data())).result["shops"])
    w.copy_selection()
    text = QApplication.clipboard().text()
    assert text.splitlines()[0].startswith("Item id\tItem name")


def test_cancel_and_remove(qtbot, make_window, predictor):
    w = make_window()
    ids = known_ids(predictor, 30)
    w.dispatcher.cancel()   # hold the pool so that ids stay pending for the Cancel
    w._cancelled = False
    w.dispatcher.submit([])
    w.model.add_rows([])
    w._to_submit = list(ids)
    w._submit_slice()
    w.cancel_pending()
    assert w.model.counts()["queued"] == 0
    w.table.selectAll()
    w.remove_selected()
    assert w.model.rowCount() == 0
