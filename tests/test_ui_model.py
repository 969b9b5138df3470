"""The job table model, the export helpers, the chart and the self-test command."""

from __future__ import annotations

import argparse
import csv

import pytest
from PySide6.QtCore import Qt

from salesapp.exports.export_file import write_export
from salesapp.exports.layouts import Entry
from salesapp.exports.writers import EXCEL_COMMA
from salesapp.model.predictor import Predictor
from salesapp.ui.export import neutralise, to_tsv
from salesapp.ui.history_chart import HistoryChart, month_label
from salesapp.ui.job_table_model import JobRow, JobTableModel, ResultRole, StatusRole
from salesapp.ui.model_card import card_text

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


@pytest.fixture(scope="module")
def results(small_bundle):
    p = Predictor.load(small_bundle)
    known = getattr(p, "item_ids", None)   # `_items` before the predictor dropped pandas
    ids = [int(i) for i in (p.item_ids if known is None else known)[:12]] + [999999]
    return p, p.predict(ids)


def test_model_passes_qtmodeltester_and_applies_results(qtbot, qtmodeltester, results):
    predictor, res = results
    model = JobTableModel(predictor.shop_names)
    model.add_rows([JobRow(r["item_id"]) for r in res])
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.dataChanged, timeout=5000):
        model.queue_results(res)
    qtbot.waitUntil(lambda: model.pending_updates() == 0, timeout=5000)
    qtmodeltester.check(model)
    assert model.counts()["done"] == len(res) - 1 and model.counts()["unknown item"] == 1
    first = model.index(0, 3)
    assert model.data(first, StatusRole) == "done"
    assert model.data(first, ResultRole)["item_id"] == res[0]["item_id"]
    assert model.data(first, Qt.DecorationRole) is not None
    assert model.data(model.index(0, 4)) == f"{res[0]['total']:.2f}"


def test_one_insert_per_batch_and_duplicates_merge(qtbot):
    model = JobTableModel({})
    inserts = []
    model.rowsInserted.connect(lambda *a: inserts.append(a[1:]))
    model.add_rows([JobRow(i) for i in range(500)])
    model.add_rows([JobRow(3, "running"), JobRow(500), JobRow(500)])
    assert inserts == [(0, 499), (500, 500)]
    assert model.rowCount() == 501 and model.row_for(3).status == "running"
    model.remove_ids([0, 1, 500])
    assert model.rowCount() == 498 and model.row_for(2) is not None
    assert model.counts()["queued"] == 497


def test_big_batch_is_applied_in_slices(qtbot):
    model = JobTableModel({})
    model.add_rows([JobRow(i) for i in range(20000)])
    fake = [{"item_id": i, "status": "ok", "total": 1.0, "shops": [[0, 1.0]], "item_name": "x",
             "category_name": "c", "cold_start": i % 2 == 0} for i in range(20000)]
    slices = []
    model.dataChanged.connect(lambda a, b, *r: slices.append(b.row() - a.row()))
    model.queue_results(fake)
    qtbot.waitUntil(lambda: model.pending_updates() == 0, timeout=20000)
    assert model.counts()["done"] == 20000 and len(slices) >= 1
    assert model.row_for(0).note.startswith("cold start")


def test_export_neutralises_formulas(tmp_path):
    results = [{"item_id": 1, "status": "ok", "item_name": "@SUM(A1)", "shops": [[2, 0.5]]},
               {"item_id": 2, "status": "error", "shops": []}]
    out = tmp_path / "x.csv"
    entries = [Entry(r["item_id"], r) for r in results]
    assert write_export(out, entries, {2: "-Shop, \"A\""}, style=EXCEL_COMMA) == 2
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1] == ["1", "'@SUM(A1)", "", "", "", "2", "'-Shop, \"A\"", "0.5", "", "", "", ""]
    assert rows[2] == ["2", "", "", "", "", "", "", "", "no forecast", "", "", ""]
    assert neutralise(-3) == -3 and neutralise("+1") == "'+1" and neutralise("ok") == "ok"
    assert to_tsv([["=1", "a\tb"]]) == "'=1\t\"a\tb\"\n"


def test_chart_and_card(qtbot, results):
    predictor, res = results
    chart = HistoryChart()
    qtbot.addWidget(chart)
    assert chart.viewRange()[1] == [0, 1]   # empty from the start: no negative units
    history = predictor.history(res[0]["item_id"])
    chart.show_result(res[0], history)
    assert chart.history_line()[0] == [m for m, _ in history]
    assert chart.forecast_points()[0][0] == res[0]["forecast_block"]
    chart.show_result(None)
    assert chart.forecast_points() == ([], [])
    assert month_label(34) == "Nov 2015"
    text = card_text(predictor.card, predictor.version)
    assert predictor.version in text and "RMSE" in text and "items" in text
    assert "Backtest" in text and "items new to the chain" in text


def test_self_test_command_passes(small_bundle, capsys):
    from salesapp.commands.gui_commands import self_test
    assert self_test(argparse.Namespace(model=str(small_bundle), store=None, files=[])) == 0
    assert "self-test OK" in capsys.readouterr().out


def test_delegate_reads_each_cell_alone_through_multidata(qtbot, results):
    """The delegate reuses one role span for every cell: nothing may leak from cell to cell."""
    from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

    predictor, res = results
    model = JobTableModel(predictor.shop_names)
    model.add_rows([JobRow(r["item_id"]) for r in res])
    model.queue_results(res)
    qtbot.waitUntil(lambda: model.pending_updates() == 0, timeout=5000)
    delegate = QStyledItemDelegate()

    def option(col):
        opt = QStyleOptionViewItem()
        delegate.initStyleOption(opt, model.index(0, col))
        return opt

    status = option(3)   # icon, colour
    assert not status.icon.isNull() and status.text == "done"
    name = option(1)     # read right after the status cell, through the same span
    assert name.icon.isNull() and name.text == res[0]["item_name"]
    assert not name.displayAlignment & Qt.AlignRight
    assert option(0).displayAlignment & Qt.AlignRight


def test_sort_is_one_layout_change_and_indexes_follow(qtbot, qtmodeltester, results):
    predictor, res = results
    model = JobTableModel(predictor.shop_names)
    model.add_rows([JobRow(r["item_id"]) for r in res])
    model.queue_results(res)
    qtbot.waitUntil(lambda: model.pending_updates() == 0, timeout=5000)
    from PySide6.QtCore import QPersistentModelIndex
    last = QPersistentModelIndex(model.index(len(res) - 1, 1))
    followed = model.data(model.index(len(res) - 1, 0))
    with qtbot.waitSignal(model.layoutChanged, timeout=5000):
        model.sort(4, Qt.DescendingOrder)
    totals = [model.row_for(i).result.get("total", -1.0) or -1.0 for i in model.item_ids()]
    assert totals == sorted(totals, reverse=True)
    assert model.data(model.index(last.row(), 0)) == followed
    assert model.row_for(int(followed)) is model._rows[last.row()]
    assert model.row_contains(0, model.data(model.index(0, 1)).casefold()[:3])
    qtmodeltester.check(model)


def test_results_in_the_table_cost_the_gc_nothing(qtbot, results):
    import gc

    predictor, res = results
    model = JobTableModel(predictor.shop_names)
    model.add_rows([JobRow(r["item_id"]) for r in res])
    model.queue_results(res)
    qtbot.waitUntil(lambda: model.pending_updates() == 0, timeout=5000)
    kept = model.row_for(res[0]["item_id"]).result
    assert isinstance(res[0]["shops"], list)   # the signal's payload is not changed
    assert [list(p) for p in kept["shops"]] == res[0]["shops"]
    gc.collect()   # a collection untracks the pairs; the outer tuple may need a second one,
    gc.collect()   # depending on the order the collector meets them
    assert not gc.is_tracked(kept["shops"]) and not gc.is_tracked(kept["shops"][0])
