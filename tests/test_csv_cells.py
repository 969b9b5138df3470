"""One cell rule for every export: formula starts, a leading tab or CR neutralised, every cell
quoted as csv.writer quotes it, checked by parsing each exporter's output with `csv`."""

import csv
import io

import pytest

from salesapp.cli import main
from salesapp.commands.model_commands import long_rows as predict_rows
from salesapp.csv_cells import cell_text, neutralise, write_csv
from salesapp.store.job_store import JobStore
from salesapp.ui.export import export_csv, to_tsv

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
    assert main(["results", "--store", str(store_dir), "--out", str(out)]) == 0
    rows = _read(out)
    assert all(len(r) == 5 for r in rows), rows
    body = rows[1:]
    for i, name in zip(items, EVIL):
        assert [r for r in body if r[0] == str(i)] == [
            [str(i), _safe(name), _safe(name), "0.5", ""], [str(i), _safe(name), "3", "1.0", ""]]
    assert [r for r in body if r[0] == "100"] == [
        ["100", _safe(EVIL[0]), _safe(EVIL[1]), _safe(EVIL[2]), ""]]
    assert [r for r in body if r[0] == "101"] == [["101", "", "", "", _safe(EVIL[0])]]


def test_the_window_export_and_the_clipboard_neutralise_every_text_cell(tmp_path):
    out = tmp_path / "w.csv"
    results = [{"item_id": 7, "status": "ok", "item_name": name,
                "shops": [[2, 0.5], [name, 1.0]]} for name in EVIL]
    assert export_csv(out, results, {2: EVIL[0]}) == 2 * len(EVIL)
    rows = _read(out, "utf-8-sig")
    assert rows[0] == ["item_id", "item_name", "shop_id", "shop_name", "forecast"]
    expected = []
    for name in EVIL:
        expected += [["7", _safe(name), "2", _safe(EVIL[0]), "0.5"],
                     ["7", _safe(name), _safe(name), "", "1.0"]]
    assert rows[1:] == expected
    tsv = list(csv.reader(io.StringIO(to_tsv([EVIL, [1, -2.5]])), delimiter="\t"))
    assert tsv == [[_safe(t) for t in EVIL], ["1", "-2.5"]]


def test_predict_writes_its_rows_by_the_same_rule(tmp_path):
    out = tmp_path / "p.csv"
    results = [{"item_id": 1, "status": "ok", "shops": [[name, 0.5] for name in EVIL],
                "total": 3.5},
               {"item_id": 2, "status": "unknown", "error": "item 2 is unknown"}]
    unknown = []
    write_csv(out, ["item_id", "shop_id", "forecast"], predict_rows(results, unknown))
    assert _read(out) == [["item_id", "shop_id", "forecast"],
                          *[["1", _safe(name), "0.5"] for name in EVIL], ["1", "total", "3.5"]]
    assert [r["item_id"] for r in unknown] == [2]


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
    assert rows[0] == (["item_id", "shop_id", "forecast"] if how == "items"
                       else ["ID", "item_cnt_month"])
    assert len(rows) > 2 and all(float(r[-1]) >= 0 for r in rows[1:])
