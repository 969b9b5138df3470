"""The months ahead in every export: the long layout's set of rows per month with its `month`
column, the wide layout's row per item and month, `salesapp results` writing what the window's
export writes, and months that do not fit their result left out, from a real model's results."""

from __future__ import annotations

import csv

import pytest
from ahead import with_ahead

from salesapp.cli import main
from salesapp.exports.export_file import write_export
from salesapp.exports.layouts import LONG_COLUMNS, WIDE_COLUMNS, Entry, forecast_month
from salesapp.exports.result_months import month_in, months_of
from salesapp.model.predictor import Predictor
from salesapp.store.job_store import JobStore
from salesapp.ui.job_table_model import compact_result

UNKNOWN = 999_999


@pytest.fixture(scope="module")
def predicted(small_bundle):
    p = Predictor.load(small_bundle)
    ids = [int(i) for i in p.item_ids[:4]]
    return p, [with_ahead(r) for r in p.predict([*ids, UNKNOWN])]


def _rows(path, encoding="utf-8") -> list[dict]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.DictReader(f))


def _expected_long(result: dict, names: dict) -> list[list]:
    """The long rows of one result, month by month, worked out here from the agreed format."""
    head = [str(result["item_id"]), result["item_name"], result["category_name"]]
    months = [(result["forecast_block"], [f for _, f in result["shops"]], result["p10"],
               result["p90"])]
    months += [(m["forecast_block"], m["forecasts"], m["p10"], m["p90"])
               for m in result["ahead"]]
    return [[*head, f"{2013 + b // 12}-{b % 12 + 1:02d}", result["model_version"], str(s),
             names[s], repr(f), "", repr(lo), repr(hi), str(b)]
            for b, values, lows, highs in months
            for s, f, lo, hi in zip([s for s, _ in result["shops"]], values, lows, highs)]


def test_the_long_layout_writes_a_set_of_rows_per_month(tmp_path, predicted):
    p, res = predicted
    entries = [Entry(r["item_id"], compact_result(r)) for r in res]   # as the table keeps them
    out = tmp_path / "long.csv"
    n = len(p.shop_ids)
    assert write_export(out, entries, p.shop_names) == (len(res) - 1) * 3 * n + 1
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(LONG_COLUMNS) and rows[0][-1] == "month"
    body = rows[1:]
    for r in res[:-1]:
        assert [row for row in body if row[0] == str(r["item_id"])] == _expected_long(
            r, p.shop_names)
    assert [row[-1] for row in body if row[0] == str(UNKNOWN)] == [str(p.forecast_block)]
    # the columns before `month` are where they were, and the first month's rows are first
    one = tmp_path / "one.csv"
    write_export(one, entries, p.shop_names, months=1)
    with open(one, encoding="utf-8", newline="") as f:
        first = list(csv.reader(f))
    assert len(first) == (len(res) - 1) * n + 2
    item = str(res[0]["item_id"])
    assert [row for row in first if row[0] == item] == [row for row in body if row[0] == item][:n]
    # only one month: that month's rows; a result without it one row saying why
    later = tmp_path / "later.csv"
    old = Entry(5, {k: v for k, v in res[0].items() if k != "ahead"})
    write_export(later, [*entries, old], p.shop_names, block=p.forecast_block + 1)
    rows = _rows(later)
    assert {r["month"] for r in rows if r["forecast"]} == {str(p.forecast_block + 1)}
    assert [r["error"] for r in rows if r["item_id"] == "5"] == [
        (f"no forecast for {forecast_month(p.forecast_block + 1)}: its model forecasts "
        f"{forecast_month(p.forecast_block)}")]


def test_the_wide_layout_writes_a_row_per_item_and_month(tmp_path, predicted):
    p, res = predicted
    entries = [Entry(r["item_id"], compact_result(r)) for r in res]
    out = tmp_path / "wide.csv"
    assert write_export(out, entries, p.shop_names, "wide") == (len(res) - 1) * 3 + 1
    rows = _rows(out)
    assert list(rows[0])[:len(WIDE_COLUMNS)] == list(WIDE_COLUMNS)
    shop_column = {s: next(c for c in rows[0] if c.split(" ")[0] == str(s)) for s in p.shop_ids}
    for r in res[:-1]:
        mine = [row for row in rows if row["item_id"] == str(r["item_id"])]
        blocks = [r["forecast_block"] + k for k in range(3)]
        assert [row["forecast_month"] for row in mine] == [forecast_month(b) for b in blocks]
        totals = [r["total"], *(m["total"] for m in r["ahead"])]
        assert [float(row["total"]) for row in mine] == totals
        assert [float(row["total_p90"]) for row in mine] == [
            r["total_p90"], *(m["total_p90"] for m in r["ahead"])]
        last = r["ahead"][-1]
        assert [float(mine[2][shop_column[s]]) for s, _ in r["shops"]] == last["forecasts"]


def _store_with(tmp_path, version: str, results: dict, failed=424_242):
    store_dir = tmp_path / "s"
    with JobStore.open(store_dir, max_attempts=1) as store:
        store.submit([*results, failed], version)
        store.lease("w", len(results) + 1, 60)
        store.complete("w", results)
        store.fail("w", failed, "the worker stopped")
    return store_dir


def test_results_writes_the_months_as_the_window_export_does(tmp_path, small_bundle, predicted,
                                                             monkeypatch):
    p, res = predicted
    store_dir = _store_with(tmp_path, p.version, {r["item_id"]: r for r in res})
    with JobStore.open(store_dir) as store:   # the months come back from the store as they went
        assert store.result(p.version, res[0]["item_id"])["ahead"] == res[0]["ahead"]

    def whole(*_a, **_k):
        raise AssertionError("a result in the current stored form was read whole")

    monkeypatch.setattr(JobStore, "results_of", whole)
    for layout in ("long", "wide"):
        by_results, by_window = tmp_path / f"r-{layout}.csv", tmp_path / f"w-{layout}.csv"
        assert main(["results", "--store", str(store_dir), "--model", str(small_bundle),
                     "--layout", layout, "--out", str(by_results)]) == 0
        write_export(by_window, [Entry(r["item_id"], compact_result(r)) for r in res],
                     p.shop_names, layout)
        got = [row for row in _rows(by_results) if row["item_id"] != "424242"]
        assert got == _rows(by_window), layout
    long = _rows(tmp_path / "r-long.csv")
    assert sorted({row["month"] for row in long if row["forecast"]}) == [
        str(p.forecast_block + k) for k in range(3)]


def test_a_month_that_does_not_fit_its_result_is_left_out(tmp_path, small_bundle, predicted):
    p, res = predicted
    r = res[0]
    short = {**r["ahead"][0], "forecasts": r["ahead"][0]["forecasts"][:-1]}   # a shop short
    crossed = {**r["ahead"][1], "p10": r["ahead"][1]["p90"], "p90": r["ahead"][1]["p10"]}
    twice = {**r["ahead"][1], "forecast_block": r["forecast_block"]}   # the next month again
    damaged = {**r, "ahead": [short, twice, crossed]}
    months = months_of(damaged)
    assert [m.block for m in months] == [r["forecast_block"], r["forecast_block"] + 2]
    assert months[1].forecasts == r["ahead"][1]["forecasts"] and not months[1].ranged
    assert month_in(damaged, r["forecast_block"] + 1) is None
    assert month_in(damaged, r["forecast_block"] + 2).total == r["ahead"][1]["total"]
    assert months_of({**r, "ahead": "soon"}) == months_of({k: v for k, v in r.items()
                                                           if k != "ahead"})
    good = r["ahead"][0]
    for bad in (True, "1", float("nan"), float("inf"), -0.5, None, [1.0]):
        values = [bad, *good["forecasts"][1:]]
        assert len(months_of({**r, "ahead": [{**good, "forecasts": values}]})) == 1, bad
        ranged = months_of({**r, "ahead": [{**good, "p90": [bad, *good["p90"][1:]]}]})
        assert len(ranged) == 2 and not ranged[1].ranged, bad
    assert months_of({**r, "ahead": [{**good, "total": "9"}]})[1:] == []
    store_dir = _store_with(tmp_path, p.version, {r["item_id"]: damaged})
    out = tmp_path / "r.csv"
    assert main(["results", "--store", str(store_dir), "--model", str(small_bundle),
                 "--out", str(out)]) == 0
    rows = [row for row in _rows(out) if row["item_id"] == str(r["item_id"])]
    n = len(p.shop_ids)
    assert [row["month"] for row in rows] == [str(r["forecast_block"])] * n + [
        str(r["forecast_block"] + 2)] * n
    assert {row["p10"] for row in rows[n:]} == {""}   # its range did not fit: left out
    assert [float(row["forecast"]) for row in rows[n:]] == r["ahead"][1]["forecasts"]
