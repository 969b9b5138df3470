"""The month picker: the table's forecast, range and top shops columns show the month picked,
sorted and filtered on it; a result without that month shows a dash that says why; the choice
is remembered. From a real model's results with the months ahead."""

from __future__ import annotations

import csv

import pytest
from ahead import with_ahead
from PySide6.QtCore import Qt

from salesapp.ui.job_filter import JobFilterProxy
from salesapp.ui.job_table_model import (
    COLUMNS,
    MAIN_COLUMN,
    NO_MONTH,
    RANGE_COLUMN,
    TOP_SHOPS_COLUMN,
    JobRow,
    JobTableModel,
)
from salesapp.ui.month_choice import MonthChoice
from salesapp.ui.months import month_label

UNKNOWN = 999_999


@pytest.fixture
def table(qtbot, small_predictor):
    """A table of five items forecast three months, one of an older model (the next month
    only) and an unknown item; (model, results by id, the old result's id)."""
    p = small_predictor
    ids = [int(i) for i in p.item_ids[:6]]
    results = [with_ahead(r) for r in p.predict([*ids[:5], UNKNOWN])]
    old = {**p.predict([ids[5]])[0], "model_version": "0ld0ld0ld0ld"}
    old.pop("ahead", None)   # as a model trained before horizons gave it
    model = JobTableModel(p.shop_names)
    model.set_active_version(p.version)
    model.add_rows([JobRow(i) for i in [*ids, UNKNOWN]])
    model.queue_results([*results, old])
    qtbot.waitUntil(lambda: model.pending_updates() == 0, timeout=5000)
    return model, {r["item_id"]: r for r in [*results, old]}, ids[5]


def _cell(model, item_id, col):
    return model.index(model.position_of(item_id), col).data()


def test_the_picked_month_fills_the_forecast_range_and_top_shops(table, small_predictor):
    model, results, old = table
    p = small_predictor
    last = p.forecast_block + 2
    model.set_main_month(last, month_label(last))
    assert model.headerData(MAIN_COLUMN, Qt.Horizontal) == f"Total\n{month_label(last)}"
    for item_id, r in results.items():
        if item_id in (old, UNKNOWN):
            continue
        month = r["ahead"][1]
        assert _cell(model, item_id, MAIN_COLUMN) == f"{month['total']:.2f}"
        assert _cell(model, item_id, RANGE_COLUMN) == (f"{month['total_p10']:.1f} – "
                                                       f"{month['total_p90']:.1f}")
        best = max(zip([s for s, _ in r["shops"]], month["forecasts"]), key=lambda sf: sf[1])
        assert _cell(model, item_id, TOP_SHOPS_COLUMN).startswith(
            f"{p.shop_names.get(best[0], best[0])} ({best[1]:.1f})")
    # the older model's result has no such month: a dash, and its tooltip says why
    pos = model.position_of(old)
    assert _cell(model, old, MAIN_COLUMN) == NO_MONTH and _cell(model, old, RANGE_COLUMN) == ""
    tip = model.index(pos, MAIN_COLUMN).data(Qt.ToolTipRole)
    assert f"no forecast for {month_label(last)}" in tip
    assert f"{month_label(p.forecast_block)} only" in tip and "Re-forecast" in tip
    assert _cell(model, UNKNOWN, MAIN_COLUMN) == ""   # an unknown item: no forecast at all
    # my shop in the month picked: that shop's forecast and range of that month
    shop = p.shop_ids[1]
    model.set_main_shop(shop, "a shop")
    assert model.headerData(MAIN_COLUMN, Qt.Horizontal) == f"Shop {shop}\n{month_label(last)}"
    for item_id, r in results.items():
        if item_id not in (old, UNKNOWN):
            k = [s for s, _ in r["shops"]].index(shop)
            month = r["ahead"][1]
            assert _cell(model, item_id, MAIN_COLUMN) == f"{month['forecasts'][k]:.2f}"
            assert _cell(model, item_id, RANGE_COLUMN) == (f"{month['p10'][k]:.1f} – "
                                                           f"{month['p90'][k]:.1f}")
    # back to the next month: each row's own, the older model's too
    model.set_main_shop(None)
    model.set_main_month(None, month_label(p.forecast_block))
    assert model.headerData(MAIN_COLUMN, Qt.Horizontal) == COLUMNS[MAIN_COLUMN]
    for item_id, r in results.items():
        if item_id != UNKNOWN:
            assert _cell(model, item_id, MAIN_COLUMN) == f"{r['total']:.2f}"


def test_sorting_and_the_filter_follow_the_picked_month(table, small_predictor):
    model, results, old = table
    p = small_predictor
    month = p.forecast_block + 1
    model.set_main_month(month, month_label(month))
    model.sort(MAIN_COLUMN, Qt.DescendingOrder)
    totals = {i: r["ahead"][0]["total"] for i, r in results.items() if "ahead" in r}
    shown = [model.row_at(pos).item_id for pos in range(model.rowCount())]
    assert shown[:len(totals)] == sorted(totals, key=lambda i: -totals[i])
    assert set(shown[len(totals):]) == {old, UNKNOWN}   # no figure for the month: last
    proxy = JobFilterProxy()
    proxy.setSourceModel(model)
    some = next(iter(totals))
    text = f"{totals[some]:.2f}"
    proxy.set_text(text)
    kept = {int(proxy.index(r, 0).data()) for r in range(proxy.rowCount())}
    assert some in kept
    proxy.set_text(NO_MONTH)
    assert {int(proxy.index(r, 0).data()) for r in range(proxy.rowCount())} == {old}


def test_the_month_choice_offers_the_models_months_and_is_remembered(qtbot):
    box = MonthChoice()
    qtbot.addWidget(box)
    chosen = []
    box.month_chosen.connect(lambda block, label: chosen.append((block, label)))
    box.set_months(34, 3)
    assert [box.itemText(k) for k in range(box.count())] == ["Nov 2015", "Dec 2015", "Jan 2016"]
    assert box.isEnabled() and chosen[-1] == (None, "Nov 2015")   # the next month: each row's own
    box.setCurrentIndex(2)
    assert chosen[-1] == (36, "Jan 2016")
    again = MonthChoice()   # another window of the same user, a model a month later
    qtbot.addWidget(again)
    again.set_months(35, 3)
    assert again.currentText() == "Feb 2016" and again.months_ahead() == 2
    again.set_months(35, 1)   # a model without horizons: its one month, nothing to pick
    assert again.currentText() == "Dec 2015" and not again.isEnabled()
    again.set_months(35, 3)   # the choice was kept for a model with horizons
    assert again.currentText() == "Feb 2016"


def test_the_detail_panel_shows_each_month_per_shop(qtbot, small_predictor):
    from salesapp.ui.detail_panel import DetailPanel

    p = small_predictor
    r = with_ahead(max(p.predict(p.item_ids[:6]), key=lambda x: x["total"]))
    panel = DetailPanel(p.shop_names)
    qtbot.addWidget(panel)
    panel.show_result(r["item_id"], r)
    blocks = [p.forecast_block + k for k in range(3)]
    header = [panel.shops.headerData(c, Qt.Horizontal) for c in range(panel.shops.columnCount())]
    assert header == ["Shop id", "Shop name", *(x for b in blocks for x in (month_label(b),
                                                                           "P10-P90"))]
    months = [(r["shops"], r["p10"], r["p90"])] + [
        (list(zip([s for s, _ in r["shops"]], m["forecasts"])), m["p10"], m["p90"])
        for m in r["ahead"]]
    for row in range(panel.shops.rowCount()):
        shop = int(panel.shops.item(row, 0).text())
        for k, (pairs, lows, highs) in enumerate(months):
            at = [s for s, _ in pairs].index(shop)
            assert panel.shops.item(row, 2 + 2 * k).text() == f"{pairs[at][1]:.2f}"
            assert panel.shops.item(row, 3 + 2 * k).text() == (f"{lows[at]:.1f} – "
                                                               f"{highs[at]:.1f}")
    later = r["ahead"]
    assert (f"then {later[0]['total']:.1f} in {month_label(blocks[1])} "
            f"({later[0]['total_p10']:.1f} – {later[0]['total_p90']:.1f}) and "
            f"{later[1]['total']:.1f} in {month_label(blocks[2])}") in panel.title.text()
    # a result of a model without horizons: one month, the columns as they were
    panel.show_result(r["item_id"], {k: v for k, v in r.items() if k != "ahead"})
    assert panel.shops.columnCount() == 4 and "then" not in panel.title.text()
    assert panel.shops.headerData(2, Qt.Horizontal) == "Forecast"


def test_the_chart_draws_the_history_line_then_each_month_with_its_band(qtbot, small_predictor):
    from salesapp.ui.history_chart import HistoryChart

    p = small_predictor
    sold = [i for i in p.item_ids[:40] if p.history(i) and p.history(i)[-1][0] ==
            p.forecast_block - 1]
    r = with_ahead(p.predict(sold[:1])[0])
    chart = HistoryChart()
    qtbot.addWidget(chart)
    history = p.history(r["item_id"])
    chart.show_result(r, history)
    assert chart.history_line() == ([m for m, _ in history], [u for _, u in history])
    blocks = [p.forecast_block + k for k in range(3)]
    totals = [r["total"], *(m["total"] for m in r["ahead"])]
    assert chart.forecast_points() == (blocks, [pytest.approx(t) for t in totals])
    x, bottom, height = chart.range_band()
    lows = [r["total_p10"], *(m["total_p10"] for m in r["ahead"])]
    highs = [r["total_p90"], *(m["total_p90"] for m in r["ahead"])]
    assert x == blocks and bottom == [pytest.approx(v) for v in lows]
    assert height == [pytest.approx(h - lo) for lo, h in zip(lows, highs)]
    chart.plotItem.vb.updateAutoRange()
    assert chart.viewRange()[0][1] >= blocks[-1], "the last month is inside the view"
    assert month_label(blocks[2]) in chart.toolTip()


class _MonthsAhead:
    """The small model, its results given the months ahead (`ahead.with_ahead`) where its
    bundle has no horizons."""

    horizons = (1, 2, 3)

    def __init__(self, predictor):
        self._predictor = predictor

    def __getattr__(self, name):
        return getattr(self._predictor, name)

    def predict(self, item_ids):
        return [with_ahead(r) for r in self._predictor.predict(item_ids)]


def test_the_window_picks_a_month_for_its_table_and_remembers_it(qtbot, tmp_path,
                                                                 small_predictor):
    from salesapp.store.job_store import JobStore
    from salesapp.ui.main_window import MainWindow
    from salesapp.workers.dispatcher import PredictionDispatcher

    predictor = (small_predictor if len(getattr(small_predictor, "horizons", ())) == 3
                 else _MonthsAhead(small_predictor))

    def open_window(name):
        store = JobStore.open(tmp_path / name)
        w = MainWindow()
        qtbot.addWidget(w)
        w.session.attach(store, PredictionDispatcher(store, predictor, pool_size=1), predictor)
        return w

    w = open_window("store")
    try:
        box = w.month_choice
        blocks = [small_predictor.forecast_block + k for k in range(3)]
        assert [box.itemText(k) for k in range(box.count())] == [month_label(b) for b in blocks]
        ids = [int(i) for i in small_predictor.item_ids[:5]]
        w.session.submit_ids(ids)
        qtbot.waitUntil(lambda: all((r := w.model.row_for(i)) is not None and r.status == "done"
                                    for i in ids), timeout=20000)
        qtbot.waitUntil(lambda: w.model.pending_updates() == 0, timeout=20000)
        box.setCurrentIndex(1)
        assert w.model.main_month() == blocks[1]
        for pos in range(w.model.rowCount()):
            month = w.model.row_at(pos).result["ahead"][0]
            assert w.model.index(pos, MAIN_COLUMN).data() == f"{month.total:.2f}"
        w.table.setCurrentIndex(w.table.model().index(0, 0))
        assert w.detail.shops.columnCount() == 8   # every month in the detail panel
        w.table.selectRow(0)   # copied rows say which month their forecast is
        header, first = w.selection.tsv().splitlines()[:2]
        assert f"Total {month_label(blocks[1])}" in header.split("\t")
        assert first.split("\t")[MAIN_COLUMN] == w.model.index(0, MAIN_COLUMN).data()
        # the export: every month, or only the month the table shows
        out = tmp_path / "dec.csv"

        def fill(d):
            d.months_box.setCurrentIndex(d.months_box.findData("shown"))
            d.format_box.setCurrentIndex(d.format_box.findData("csv"))
            d.file.setText(str(out))
            return [d.months_box.itemText(k) for k in range(d.months_box.count())]

        seen = _answer_export_dialog(fill)
        with qtbot.waitSignal(w.export_runner.finished, timeout=20000):
            w.export_all()
        assert seen == [[(f"Every month forecast ({month_label(blocks[0])} – "
                         f"{month_label(blocks[2])})"),
                         f"Only {month_label(blocks[1])}, the month the table shows"]]
        with open(out, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        assert {r["month"] for r in rows} == {str(blocks[1])}
        assert len(rows) == len(ids) * len(small_predictor.shop_ids)
        assert w.export_dialog().months_box.currentData() == "shown"   # remembered
    finally:
        w.close()
    again = open_window("store2")
    try:
        assert again.month_choice.currentIndex() == 1 and again.model.main_month() == blocks[1]
    finally:
        again.close()


def _answer_export_dialog(fill) -> list:
    """Answer the next modal export dialog with `fill(dialog)`; returns what fill saw."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from salesapp.ui.export import ExportDialog

    seen = []

    def run():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExportDialog):   # not shown yet: the next turn
            QTimer.singleShot(10, run)
            return
        seen.append(fill(dialog))
        dialog.accept()

    QTimer.singleShot(0, run)
    return seen
