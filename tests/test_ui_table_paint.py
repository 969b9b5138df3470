"""The job table paints without calling Python, repaints only what is on screen, and skips
"running" updates that a queued result already overtook."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from salesapp.ui.job_table_model import JobRow, JobTableModel
from salesapp.ui.job_table_view import JobTableView

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


def fake_result(i: int) -> dict:
    return {"item_id": i, "status": "ok", "total": float(i % 7), "shops": [[0, 1.0], [1, 2.5]],
            "history": [[0, 3.0]], "item_name": f"name {i}", "category_name": "cat",
            "cold_start": False}


def applied(qtbot, model):
    qtbot.waitUntil(lambda: model.pending_updates() == 0, timeout=10000)


@pytest.fixture
def table(qtbot):
    model = JobTableModel({0: "Shop A", 1: "Shop B"})
    view = JobTableView()
    view.setModel(model)
    view.resize(800, 300)
    qtbot.addWidget(view)
    model.add_rows([JobRow(i) for i in range(2000)])
    model.queue_results([fake_result(i) for i in range(2000)])
    applied(qtbot, model)
    view.show()
    qtbot.waitExposed(view)
    return model, view


def test_painting_the_table_calls_no_python(table):
    """Every call from a paint into Python waits for the GIL the workers hold: there is none."""
    _model, view = table
    view.viewport().repaint()   # once before: PySide builds some enum classes on first use
    calls = []

    def profile(frame, event, _arg):
        if event == "call":
            calls.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        view.viewport().repaint()
    finally:
        sys.setprofile(None)
    assert calls == []


class PaintCounter(QObject):
    def __init__(self):
        super().__init__()
        self.paints = 0

    def eventFilter(self, _obj, event):
        if event.type() == QEvent.Paint:
            self.paints += 1
        return False


def test_changes_below_the_fold_repaint_nothing(qtbot, table):
    model, view = table
    counter = PaintCounter()
    view.viewport().installEventFilter(counter)
    QApplication.processEvents()   # any paint already scheduled happens before counting
    counter.paints = 0
    model.set_status(range(1500, 1900), "failed", "off screen")
    QApplication.processEvents()   # a repaint would be due now (posted UpdateRequest)
    assert counter.paints == 0
    model.set_status([0, 1], "failed", "on screen")
    qtbot.waitUntil(lambda: counter.paints > 0, timeout=5000)
    assert view.model().data(view.model().index(0, 7)) == "on screen"


def test_running_overtaken_by_its_result_is_skipped(qtbot):
    model = JobTableModel({})
    model.add_rows([JobRow(i) for i in range(4)])
    changed = []
    model.dataChanged.connect(lambda a, b, *_: changed.append((a.row(), b.row())))
    model.queue_status([0, 1, 2], "running")
    model.queue_results([fake_result(0), fake_result(1)])
    model.queue_failures([(3, "boom")])
    applied(qtbot, model)
    assert [model.row_for(i).status for i in range(4)] == ["done", "done", "running", "failed"]
    assert model.counts() == {"unsaved": 0, "queued": 0, "running": 1, "done": 2,
                              "unknown item": 0, "failed": 1,
                              "cancelled": 0}
    # a later "running" of the same id (a retry) is applied again once its result was shown
    model.queue_status([0], "running")
    applied(qtbot, model)
    assert model.row_for(0).status == "running" and changed


def test_sorting_keeps_python_rows_and_items_in_step(qtbot, table):
    from PySide6.QtCore import QPersistentModelIndex, Qt

    model, _view = table
    keep = QPersistentModelIndex(model.index(5, 1))
    model.sort(4, Qt.DescendingOrder)
    totals = [model.row_for(i).result["total"] for i in model.item_ids()]
    assert totals == sorted(totals, reverse=True)
    for pos in (0, 700, 1999):
        row = model.row_at(pos)
        assert model.data(model.index(pos, 0)) == str(row.item_id)
        assert model.data(model.index(pos, 1)) == row.result["item_name"]
    assert model.data(model.index(keep.row(), 0)) == "5"
    model.remove_ids([5, 6])
    assert model.rowCount() == 1998 and model.row_for(5) is None
    pos = model.item_ids().index(7)
    assert model.data(model.index(pos, 0)) == "7"
