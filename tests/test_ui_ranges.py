"""The ranges in the window: the table's range column, the detail panel per shop, the chart's
band and the window's CSV export, from a real model's results."""

import csv

import pytest

from salesapp.exports.export_file import write_export
from salesapp.exports.layouts import Entry
from salesapp.model.predictor import Predictor
from salesapp.ui.detail_panel import DetailPanel
from salesapp.ui.history_chart import HistoryChart
from salesapp.ui.job_table_model import COLUMNS, JobRow, JobTableModel, compact_result


@pytest.fixture(scope="module")
def predicted(small_bundle):
    p = Predictor.load(small_bundle)
    return p, p.predict(p.item_ids[:6])


def test_the_table_shows_the_totals_range(qtbot, predicted):
    p, res = predicted
    model = JobTableModel(p.shop_names)
    model.add_rows([JobRow(r["item_id"]) for r in res])
    model.queue_results(res)
    qtbot.waitUntil(lambda: model.pending_updates() == 0, timeout=5000)
    col = COLUMNS.index("Range P10-P90")
    assert col == COLUMNS.index("Total forecast") + 1
    for pos, r in enumerate(res):
        assert model.index(pos, col).data() == f"{r['total_p10']:.1f} – {r['total_p90']:.1f}"
    # a manager's chosen shop in the main column: the range follows it
    shop = p.shop_ids[1]
    model.set_main_shop(shop, "a shop")
    for pos, r in enumerate(res):
        k = [s for s, _ in r["shops"]].index(shop)
        assert model.index(pos, col).data() == f"{r['p10'][k]:.1f} – {r['p90'][k]:.1f}"
    model.set_main_shop(None)
    assert model.index(0, col).data() == f"{res[0]['total_p10']:.1f} – {res[0]['total_p90']:.1f}"


def test_the_detail_panel_gives_each_shop_its_range(qtbot, predicted):
    p, res = predicted
    panel = DetailPanel(p.shop_names)
    qtbot.addWidget(panel)
    r = max(res, key=lambda x: x["total"])
    panel.show_result(r["item_id"], r)
    want = {s: (lo, hi) for (s, _), lo, hi in zip(r["shops"], r["p10"], r["p90"])}
    shown = {int(panel.shops.item(k, 0).text()): panel.shops.item(k, 3).text()
             for k in range(panel.shops.rowCount())}
    assert shown == {s: f"{lo:.1f} – {hi:.1f}" for s, (lo, hi) in want.items()}
    assert f"likely {r['total_p10']:.1f} – {r['total_p90']:.1f} (P10-P90)" in panel.title.text()
    # a result stored before ranges: the panel shows it without them
    old = {k: v for k, v in r.items() if k not in ("p10", "p90", "total_p10", "total_p90")}
    panel.show_result(old["item_id"], old)
    assert panel.shops.item(0, 3).text() == "" and "P10" not in panel.title.text()


def test_the_chart_draws_the_band_of_the_total(qtbot, predicted):
    p, res = predicted
    chart = HistoryChart()
    qtbot.addWidget(chart)
    r = max(res, key=lambda x: x["total"])
    chart.show_result(r, p.history(r["item_id"]))
    x, bottom, height = chart.range_band()   # the next month's band first (then any later one's)
    assert x[0] == r["forecast_block"] and bottom[0] == pytest.approx(r["total_p10"])
    assert height[0] == pytest.approx(r["total_p90"] - r["total_p10"])
    assert chart.forecast_text() == (f"{r['total']:.1f} ({r['total_p10']:.1f}-"
                                     f"{r['total_p90']:.1f})")
    chart.plotItem.vb.updateAutoRange()   # (what the next paint does)
    assert chart.viewRange()[1][1] >= r["total_p90"], "the band is inside the view"
    chart.show_result(None)
    assert chart.range_band() == ([], [], [])


def test_the_window_export_writes_each_shops_range_and_the_totals(tmp_path, predicted):
    p, res = predicted
    entries = [Entry(r["item_id"], compact_result(r)) for r in res]   # as the table keeps them
    out = tmp_path / "long.csv"
    # the next month's (`months=1`): the months ahead are test_export_months'
    assert write_export(out, entries, p.shop_names, "long", months=1) == len(res) * len(
        p.shop_ids)
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    first = [row for row in rows if row["item_id"] == str(res[0]["item_id"])]
    assert [float(row["p10"]) for row in first] == list(res[0]["p10"])
    assert [float(row["p90"]) for row in first] == list(res[0]["p90"])
    wide = tmp_path / "wide.csv"
    assert write_export(wide, entries, p.shop_names, "wide", months=1) == len(res)
    with open(wide, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(float(r["total_p10"]), float(r["total_p90"])) for r in rows] == [
        (r["total_p10"], r["total_p90"]) for r in res]
