"""`salesapp results` writes, byte for byte, what `csv.writer` writes for the unpacked results
(the long layout's columns, `exports.layouts.LONG_COLUMNS`).

The export builds its rows from the stored JSON text without `csv.writer` (for speed); the
reference here is the plain way: every job and its unpacked result through `csv.writer`.
"""

import csv
import io
import pickle
import random
import sqlite3

import pytest
from ahead import with_ahead
from hypothesis import given
from hypothesis import strategies as st

from salesapp.cli import main
from salesapp.commands.results_csv import ResultRows
from salesapp.csv_cells import text_cell
from salesapp.errors import StoreError
from salesapp.exports.shop_names import shop_names_of
from salesapp.model.predictor import Predictor
from salesapp.paths import default_model_dir
from salesapp.store.job_store import JobStore
from salesapp.store.reads import ExportRow

HEADER = ["item_id", "item_name", "category", "forecast_month", "model", "shop_id", "shop_name",
          "forecast", "error", "p10", "p90", "month"]
AWKWARD_NAMES = ['Игра "Ведьмак", 3', "two\nlines", "cr\rlf\r\n", "=HYPERLINK(\"x\")", "+1",
                 "-minus", "@at", "", 'only "quotes"', "comma, only", "  spaced  ", "'=quoted"]


def _plain(text: str) -> str:
    """The formula neutralisation, written again here so the reference does not share it."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _month(block) -> str:
    return "" if block is None else f"{2013 + block // 12}-{block % 12 + 1:02d}"


def _months(r: dict) -> list[tuple]:
    """(block, [[shop, forecast], ...], p10s, p90s) of each month of a stored result: the next
    month, then each of "ahead" (written here again, so the reference does not share the code)."""
    n = len(r["shops"])   # a range the store dropped on read (it did not fit): empty
    out = [(r.get("forecast_block"), r["shops"], r.get("p10", [""] * n), r.get("p90", [""] * n))]
    for month in r.get("ahead") or []:
        out.append((month["forecast_block"], [[s, f] for (s, _), f in
                                              zip(r["shops"], month["forecasts"])],
                    month.get("p10", [""] * n), month.get("p90", [""] * n)))
    return out


def _reference(store_dir, shop_names=None) -> bytes:
    """csv.writer over every finished job and its unpacked result, in item id order."""
    # without --model, `results` names the shops of the default bundle
    names = shop_names if shop_names is not None else shop_names_of(default_model_dir())[0]
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    with JobStore.open(store_dir) as store:
        for job in sorted(store.jobs(), key=lambda j: j.item_id):
            if job.state == "failed":
                writer.writerow([job.item_id, "", "", "", job.model_version, "", "", "",
                                 _plain(job.error or "failed"), "", "", ""])
            if job.state != "done" or (r := store.result(job.model_version, job.item_id)) is None:
                continue
            name, category = _plain(r.get("item_name") or ""), _plain(r.get("category_name") or "")
            if r.get("status") != "ok":
                block = r.get("forecast_block")
                writer.writerow([job.item_id, name, category, _month(block), r.get("model_version"),
                                 "", "", "", _plain(r.get("error") or ""), "", "",
                                 "" if block is None else block])
                continue
            for block, shops, lows, highs in _months(r):
                head = [job.item_id, name, category, _month(block), r.get("model_version")]
                writer.writerows([*head, s, _plain(names.get(s, "")), f, "", lo, hi,
                                  "" if block is None else block]
                                 for (s, f), lo, hi in zip(shops, lows, highs))
    return buf.getvalue().encode("utf-8")


def _export(store_dir, out, model=None) -> bytes:
    more = ["--model", str(model)] if model else []
    assert main(["results", "--store", str(store_dir), "--out", str(out), *more]) == 0
    return out.read_bytes()


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30))
def test_a_text_cell_is_what_csv_writer_writes(text):
    buf = io.StringIO(newline="")
    csv.writer(buf).writerow([7, _plain(text), "", 2])
    assert buf.getvalue() == f"7,{text_cell(text)},,2\r\n"


def _no_whole_read(*_args, **_kwargs):
    raise AssertionError("a result in the current stored form was read whole")


def test_the_export_of_a_real_store_is_what_csv_writer_writes(tmp_path, small_bundle,
                                                              monkeypatch):
    predictor = Predictor.load(small_bundle)
    ids = [int(i) for i in predictor.item_ids[:len(AWKWARD_NAMES) + 3]]
    results = {r["item_id"]: r for r in predictor.predict(ids + [999_999])}
    for item_id, name in zip(ids, AWKWARD_NAMES):
        results[item_id]["item_name"] = name
    for item_id in ids[:3]:   # the months after the next, as a bundle with horizons gives them
        results[item_id] = with_ahead(results[item_id])
    # The clip's ends, and a shop list of its own (a result of another bundle).
    bounds = results[ids[-1]]
    bounds["shops"] = [[s, 20.0 if k % 2 else 0.0] for k, (s, _) in enumerate(bounds["shops"])]
    bounds["p10"] = bounds["p90"] = [f for _, f in bounds["shops"]]
    bounds["total"] = bounds["total_p10"] = bounds["total_p90"] = 20.0 * (len(bounds["p10"]) // 2)
    results[ids[-2]].update(shops=[[3, 0.5], [70, 1.25]], p10=[0, 1.0], p90=[2.5, 1.25],
                            total=1.75, total_p10=1.0, total_p90=4.0)
    store_dir = tmp_path / "s"
    with JobStore.open(store_dir, max_attempts=1) as store:
        store.submit([*ids, 999_999, 424_242], predictor.version)
        store.lease("w", len(ids) + 2, 60)
        assert sorted(store.complete("w", results)) == sorted(results)
        store.fail("w", 424_242, '-crashed, "badly"')
    assert results[999_999]["status"] == "error"
    # Every result is in the current stored form: none may take the whole-result way.
    monkeypatch.setattr(JobStore, "results_of", _no_whole_read)
    exported = _export(store_dir, tmp_path / "r.csv", small_bundle)
    monkeypatch.undo()
    assert exported == _reference(store_dir, predictor.shop_names)
    lines = exported.decode("utf-8").split("\r\n")
    last = results[ids[-1]]
    shop = bounds["shops"][1][0]
    assert (f"{ids[-1]},{text_cell(last['item_name'])},{text_cell(last['category_name'])},"
            f"{_month(last['forecast_block'])},{predictor.version},{shop},"
            f"{text_cell(predictor.shop_names[shop])},20.0,,20.0,20.0,{last['forecast_block']}"
            ) in lines
    v = predictor.version
    assert lines[-3:] == [f"424242,,,,{v},,,,\"'-crashed, \"\"badly\"\"\",,,",
                          (f"999999,,,{_month(predictor.forecast_block)},{v},,,,item 999999 is not "
                           f"in the product list of model {v},,,{predictor.forecast_block}"),
                          ""]


def test_random_names_and_forecasts_export_as_csv_writer_writes(tmp_path):
    rng = random.Random(4)
    alphabet = 'aЖ ,"\r\n=+-@\'é0'
    shops = [2, 3, 5, 8, 13]
    results = {}
    for item_id in range(1, 301):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randrange(8)))
        values = [rng.choice([0, 20_000, rng.randrange(20_001)]) / 1000 for _ in shops]
        results[item_id] = {"item_id": item_id, "model_version": "v1", "status": "ok",
                            "item_name": name, "shops": [list(p) for p in zip(shops, values)]}
    store_dir = tmp_path / "s"
    with JobStore.open(store_dir) as store:
        store.submit(list(results), "v1")
        store.lease("w", len(results), 60)
        store.complete("w", results)
    assert _export(store_dir, tmp_path / "r.csv") == _reference(store_dir)


def _row(shops: str, forecasts: str, name="n", p10=None, p90=None, total=None) -> ExportRow:
    return ExportRow(1, "done", None, "v1", True, name, "ok", None, shops, forecasts,
                     p10_json=p10, p90_json=p90, total=total, total_p10=0.0, total_p90=9.0)


def test_stored_text_outside_the_plain_form_is_left_to_the_whole_result():
    rows = ResultRows()
    assert rows.exported(_row("[2,3]", "[0.125,20.0]")) == (
        b"1,n,,,v1,2,,0.125,,,,\r\n1,n,,,v1,3,,20.0,,,,\r\n", 2)
    assert rows.exported(_row("[2,3]", "[3,1e-07]")) == (
        b"1,n,,,v1,2,,3,,,,\r\n1,n,,,v1,3,,1e-07,,,,\r\n", 2)
    ranged = _row("[2,3]", "[3,1.5]", p10="[0,1.5]", p90="[7.25,4]", total=4.5)
    assert rows.exported(ranged) == (b"1,n,,,v1,2,,3,,0,7.25,\r\n1,n,,,v1,3,,1.5,,1.5,4,\r\n",
                                     2)
    # a range that does not fit its forecasts (length, order, half of it, a text) is left out,
    # as the whole result's rows leave it out
    for p10, p90 in (("[0]", "[7,4]"), ("[0,2]", "[7,4]"), ("[0,1]", None), ('[0,"1"]', "[7,4]")):
        assert rows.exported(ranged._replace(p10_json=p10, p90_json=p90)) == (
            b"1,n,,,v1,2,,3,,,,\r\n1,n,,,v1,3,,1.5,,,,\r\n", 2), (p10, p90)
    assert rows.exported(ranged._replace(p10_json="[0,1.50]")) is None   # not as csv writes it
    for forecasts in ("[0.125,-0]", "[0.125,007]", "[0.125,1E5]", "[0.125,Infinity]",
                      "[0.125,NaN]", "[0.125,null]", "[0.125,true]", '[0.125,"1"]', "[0.125]",
                      "[1.0,2.0,3.0]", "[0.125,[1]]"):
        assert rows.exported(_row("[2,3]", forecasts)) is None, forecasts
    assert rows.exported(_row("[]", "[]")) == (b"", 0)
    assert rows.exported(_row("[2]", "[0.0]", name=5)) == (b"1,5,,,v1,2,,0.0,,,,\r\n", 1)
    named = ResultRows({2: "=Shop, two"}).exported(
        _row("[2]", "[0.5]")._replace(category_name="Игры", forecast_block=34))
    line = "1,n,Игры,2015-11,v1,2,\"'=Shop, two\",0.5,,,,34\r\n".encode()
    assert named == (line, 1)


def _store_of_two_results(tmp_path):
    """A store with items 1 and 2 done under version "v1"; its directory."""
    store_dir = tmp_path / "s"
    with JobStore.open(store_dir) as store:
        store.submit([1, 2], "v1")
        store.lease("w", 2, 60)
        store.complete("w", {i: {"item_id": i, "status": "ok", "shops": [[2, 0.5]]}
                             for i in (1, 2)})
    return store_dir


@pytest.mark.parametrize("damage", ["pickle", b'{"item_id": 2, ', b'{"status":"ok","shop_ids":[2],',
                                    b"[" * 100_000 + b"]" * 100_000,
                                    b'{"status":"ok","shop_ids":[2],"forecasts":[NaN]}'])
def test_a_bad_result_row_is_named_and_skipped_and_the_rest_exported(tmp_path, capsys, damage):
    store_dir = _store_of_two_results(tmp_path)
    out = tmp_path / "r.csv"
    out.write_text("the last good export\n", encoding="utf-8")
    con = sqlite3.connect(store_dir / "cache.db")
    with con:
        if damage == "pickle":
            con.execute("UPDATE Cache SET mode = 4, value = ? WHERE key = 'r:v1:2'",
                        (pickle.dumps({"item_id": 2}),))
        else:
            con.execute("UPDATE Cache SET value = ? WHERE key = 'r:v1:2'", (damage,))
    con.close()
    assert main(["results", "--store", str(store_dir), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "item 2 skipped" in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if "item 2" in line]) == 1
    with open(out, newline="", encoding="utf-8") as f:
        shop = _plain(shop_names_of(default_model_dir())[0].get(2, ""))
        assert list(csv.reader(f)) == [HEADER, ["1", "", "", "", "v1", "2", shop, "0.5", "", "",
                                                "", ""]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "s"]   # no temporary left


def test_a_failed_export_leaves_the_last_good_file(tmp_path, capsys, monkeypatch):
    store_dir = _store_of_two_results(tmp_path)
    out = tmp_path / "r.csv"
    out.write_text("the last good export\n", encoding="utf-8")
    from salesapp.commands import results_csv

    def broken(store, on_bad, tally=None, names=None):
        yield b"1,,,,v1,2,,0.5,,,,\r\n", 1
        raise StoreError("the store s could not be read (disk I/O error)")

    monkeypatch.setattr(results_csv, "result_chunks", broken)
    assert main(["results", "--store", str(store_dir), "--out", str(out)]) == 2
    assert out.read_text(encoding="utf-8") == "the last good export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "s"]
    assert "could not be read" in capsys.readouterr().err


def test_an_output_file_that_cannot_be_written_is_one_sentence_naming_it(tmp_path, capsys):
    with JobStore.open(tmp_path / "s") as store:
        store.submit([1], "v1")
    out = tmp_path / "missing" / "r.csv"
    assert main(["results", "--store", str(tmp_path / "s"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"salesapp: {out}: the folder {out.parent} does not exist") and "Traceback" \
        not in err and len(err.strip().splitlines()) == 1


def test_the_closing_line_counts_forecasts_unknown_items_failures_and_skipped_rows(tmp_path,
                                                                                capsys):
    store_dir = tmp_path / "s"
    with JobStore.open(store_dir, max_attempts=1) as store:
        store.submit([1, 2, 3, 4, 5], "v1")
        store.lease("w", 5, 60)
        store.complete("w", {1: {"item_id": 1, "status": "ok", "shops": [[2, 0.5], [3, 1.0]]},
                             2: {"item_id": 2, "status": "ok", "shops": [[2, 0.25]]},
                             3: {"item_id": 3, "status": "error", "error": "not in the list"},
                             5: {"item_id": 5, "status": "ok", "shops": [[2, 1.0]]}})
        store.fail("w", 4, "it broke")
    con = sqlite3.connect(store_dir / "cache.db")
    with con:
        con.execute("UPDATE Cache SET value = ? WHERE key = 'r:v1:5'", (b'{"item_id": 5, ',))
    con.close()
    assert main(["results", "--store", str(store_dir), "--out", str(tmp_path / "r.csv")]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.endswith(": 2 items forecast, 1 unknown item, 1 failed, 1 skipped."), last
    assert last.startswith("salesapp: wrote 5 rows")   # 3 shop rows, the unknown, the failure


def test_a_range_that_does_not_fit_its_result_is_dropped_and_the_forecast_kept(tmp_path):
    store_dir = tmp_path / "s"
    good = {"status": "ok", "shops": [[2, 0.5], [3, 1.0]], "total": 1.5, "total_p10": 0.0,
            "total_p90": 4.0, "p10": [0.0, 0.0], "p90": [2.0, 3.0], "model_version": "v1"}
    bad = {**good, "p90": [2.0]}   # one bound short
    with JobStore.open(store_dir) as store:
        store.submit([1, 2], "v1")
        store.lease("w", 2, 60)
        store.complete("w", {1: {"item_id": 1, **good}, 2: {"item_id": 2, **bad}})
        assert store.result("v1", 1)["p90"] == [2.0, 3.0]
        assert "p90" not in store.result("v1", 2) and store.result("v1", 2)["shops"] == [
            [2, 0.5], [3, 1.0]]
    lines = _export(store_dir, tmp_path / "r.csv").decode().splitlines()
    rows = [[r[5], *r[7:11]] for r in csv.reader(lines)]   # shop id, forecast, error, p10, p90
    assert rows[1:] == [["2", "0.5", "", "0.0", "2.0"], ["3", "1.0", "", "0.0", "3.0"],
                        ["2", "0.5", "", "", ""], ["3", "1.0", "", "", ""]]
    assert _export(store_dir, tmp_path / "r.csv") == _reference(store_dir)
    wide = tmp_path / "w.csv"
    assert main(["results", "--store", str(store_dir), "--out", str(wide), "--layout",
                 "wide"]) == 0
    cells = list(csv.DictReader(wide.read_text(encoding="utf-8").splitlines()))
    assert [(c["total_p10"], c["total_p90"]) for c in cells] == [("0.0", "4.0"), ("", "")]


cell_values = st.one_of(st.none(), st.integers(-3, 40), st.text(max_size=6), st.just(1.0),
                        st.booleans(),
                        st.sampled_from(["=1+2", "-x", 'a"b', "a,b", "Игры", "\tt", ""]))


@given(st.lists(st.tuples(st.integers(0, 10**6), cell_values, cell_values, cell_values,
                          cell_values), min_size=1, max_size=8))
def test_an_items_cells_are_written_as_each_cell_on_its_own(items):
    """The fast CSV makes the cells after an item's name once per category, month and version:
    each row still says what `item_cells` and `cell_text` say for that item."""
    from salesapp.commands.results_csv import _prefix

    rows = ResultRows()
    for item_id, name, category, block, version in items:
        row = _row("[2]", "[0.5]", name=name)._replace(
            item_id=item_id, category_name=category, forecast_block=block,
            model_version=version)
        assert rows._prefix(row, block) == _prefix(row, block)
        assert rows._prefix(row, 35) == _prefix(row, 35)


def test_items_forecast_alike_share_their_texts_but_not_a_range_their_totals_refuse(monkeypatch):
    """The fast CSV keeps the checked texts of arrays it met (items forecast alike): the same
    arrays with a total outside its own range still leave the range out, and rows written from
    kept texts equal rows written afresh, also once the kept texts were let go."""
    from salesapp.commands import results_csv

    monkeypatch.setattr(results_csv, "EXPORT_PARTS_KEPT", 2)
    ranged = _row("[2,3]", "[3,1.5]", p10="[0,1.5]", p90="[7.25,4]", total=4.5)
    outside = ranged._replace(total=9.5)   # above the total's P90 (9.0): the range is dropped
    with_range = b"1,n,,,v1,2,,3,,0,7.25,\r\n1,n,,,v1,3,,1.5,,1.5,4,\r\n"
    without = b"1,n,,,v1,2,,3,,,,\r\n1,n,,,v1,3,,1.5,,,,\r\n"
    other = b"1,n,,,v1,2,,0.5,,,,\r\n1,n,,,v1,3,,1.0,,,,\r\n"
    rows = ResultRows()
    for row, expected in [(ranged, with_range), (outside, without), (ranged, with_range),
                          (_row("[2,3]", "[0.5,1.0]"), other), (outside, without),
                          (ranged, with_range)]:
        assert rows.exported(row) == (expected, 2)
        assert ResultRows().exported(row) == (expected, 2)
