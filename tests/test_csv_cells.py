"""One cell rule for every export: formula starts, a leading tab or CR neutralised, every cell
quoted as csv.writer quotes it, checked by parsing each exporter's output with `csv`."""

import csv
import io

import pytest

from salesapp.cli import main
from salesapp.csv_cells import cell_text, neutralise
from salesapp.exports.export_file import write_export
from salesapp.exports.layouts import LONG_COLUMNS, Entry, long_rows
from salesapp.exports.writers import EXCEL_COMMA, write_csv
from salesapp.store.job_store import JobStore
from salesapp.ui.export import to_tsv

EVIL = ['=HYPERLINK("http://evil","x")', "\tX", "\rX", "+1", "-x", "@SUM(A1)", 'a,"b"\r\nc']


def _safe(text: str) -> str:
    """What a cell holding `text` must read back as (the rule, written again here)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _read(path, encoding="utf-8") -> list[list[str]]:
    with open(path, newline="", encoding=encoding) as f:
        return list(csv.reader(f))


def test_cell_text_is_what_csv_writer_writes_after_neutralising():
    for value in [*EVIL, "", "plain", 'q"uote', 5, -3, 0.125, 1e-07, None, True, [1, "=2"]]:
        buf = io.StringIO()
        csv.writer(buf).writerow([1, neutralise(value if not isinstance(value, list)
                                                else str(value)), 2])
        assert f"1,{cell_text(value)},2\r\n" == buf.getvalue(), value
    assert cell_text(-3) == "-3" and neutralise(-3) == -3   # numbers stay numbers


def test_results_neutralises_names_shop_ids_forecasts_and_errors(tmp_path):
    store_dir, out = tmp_path / "s", tmp_path / "r.csv"
    items = list(range(1, len(EVIL) + 1))
    with JobStore.open(store_dir) as store:
        store.submit([*items, 100, 101], "v1")
        store.lease("w", 100, 60)
        results = {i: {"item_id": i, "status": "ok", "item_name": name,
                       "shops": [[name, 0.5], [3, 1.0]]} for i, name in zip(items, EVIL)}
        # forecasts the fast path does not take: the whole result is read and written
        results[100] = {"item_id": 100, "status": "ok", "item_name": EVIL[0],
                        "shops": [[EVIL[1], EVIL[2]]]}
        assert sorted(store.complete("w", results)) == [*items, 100]
        store.fail("w", 101, EVIL[0])   # attempts remain: queued again
        store.lease("w", 1, 60)
        store.max_attempts = 1
        store.fail("w", 101, EVIL[0])
    model = tmp_path / "m"   # a bundle's shop table, with a name to neutralise
    model.mkdir()
    (model / "shops.csv").write_text('shop_name,shop_id\n"+1",3\n', encoding="utf-8")
    assert main(["results", "--store", str(store_dir), "--out", str(out),
                 "--model", str(model)]) == 0
    rows = _read(out)
    assert all(len(r) == len(LONG_COLUMNS) for r in rows), rows
    body = rows[1:]
    for i, name in zip(items, EVIL):
        assert [r for r in body if r[0] == str(i)] == [
            [str(i), _safe(name), "", "", "v1", _safe(name), "", "0.5", "", "", "", ""],
            [str(i), _safe(name), "", "", "v1", "3", "'+1", "1.0", "", "", "", ""]]
    assert [r for r in body if r[0] == "100"] == [
        ["100", _safe(EVIL[0]), "", "", "v1", _safe(EVIL[1]), "", _safe(EVIL[2]), "", "", "",
         ""]]
    assert [r for r in body if r[0] == "101"] == [["101", "", "", "", "v1", "", "", "",
                                                   _safe(EVIL[0]), "", "", ""]]


def test_the_window_export_and_the_clipboard_neutralise_every_text_cell(tmp_path):
    out = tmp_path / "w.csv"
    entries = [Entry(7, {"item_id": 7, "status": "ok", "item_name": name, "category_name": name,
                         "shops": [[2, 0.5], [name, 1.0]]}) for name in EVIL]
    assert write_export(out, entries, {2: EVIL[0]}, style=EXCEL_COMMA) == 2 * len(EVIL)
    rows = _read(out, "utf-8-sig")
    assert rows[0] == list(LONG_COLUMNS)
    expected = []
    for name in EVIL:
        expected += [["7", _safe(name), _safe(name), "", "", "2", _safe(EVIL[0]), "0.5", "", "",
                      "", ""],
                     ["7", _safe(name), _safe(name), "", "", _safe(name), "", "1.0", "", "", "",
                      ""]]
    assert rows[1:] == expected
    tsv = list(csv.reader(io.StringIO(to_tsv([EVIL, [1, -2.5]])), delimiter="\t"))
    assert tsv == [[_safe(t) for t in EVIL], ["1", "-2.5"]]


def test_predict_writes_its_rows_by_the_same_rule(tmp_path):
    out = tmp_path / "p.csv"
    results = [{"item_id": 1, "status": "ok", "shops": [[name, 0.5] for name in EVIL],
                "total": 3.5},
               {"item_id": 2, "status": "unknown", "error": EVIL[0]}]
    write_csv(out, LONG_COLUMNS, long_rows([Entry(r["item_id"], r) for r in results], {}))
    assert _read(out) == [list(LONG_COLUMNS),
                          *[["1", "", "", "", "", _safe(name), "", "0.5", "", "", "", ""]
                            for name in EVIL],
                          ["2", "", "", "", "", "", "", "", _safe(EVIL[0]), "", "", ""]]


@pytest.mark.parametrize("how", ["items", "pairs"])
def test_predict_output_parses_as_csv(tmp_path, small_bundle, how):
    out = tmp_path / "p.csv"
    if how == "items":
        args = ["--items", "1,2"]
    else:
        pairs = tmp_path / "pairs.csv"
        pairs.write_text("ID,shop_id,item_id\n0,2,1\n1,3,2\n", encoding="utf-8")
        args = ["--pairs", str(pairs)]
    assert main(["predict", "--model", str(small_bundle), *args, "--out", str(out)]) == 0
    rows = _read(out)
    assert rows[0] == (list(LONG_COLUMNS) if how == "items"
                       else ["ID", "item_cnt_month", "p10", "p90"])
    value = LONG_COLUMNS.index("forecast") if how == "items" else 1
    assert len(rows) > 2 and all(float(r[value]) >= 0 for r in rows[1:])
