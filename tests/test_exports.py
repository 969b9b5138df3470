"""The export layouts through `salesapp predict` and `salesapp results`: the same columns for the
same layout, wide with a column per shop, items without a forecast listed with their reason,
Excel workbooks with typed cells, CSV with a locale's separator and decimal mark."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from salesapp.cli import main
from salesapp.exports.layouts import LONG_COLUMNS, WIDE_COLUMNS, forecast_month
from salesapp.exports.writers import write_xlsx
from salesapp.model.predictor import Predictor
from salesapp.store.job_store import JobStore

UNKNOWN = 999_999


@pytest.fixture(scope="module")
def predictor(small_bundle):
    return Predictor.load(small_bundle)


@pytest.fixture
def done_store(tmp_path, predictor):
    """A store with 3 known ids done, an unknown id answered and one id failed; (dir, ids)."""
    ids = [int(i) for i in predictor.item_ids[:3]]
    store_dir = tmp_path / "store"
    with JobStore.open(store_dir, max_attempts=1) as store:
        store.submit([*ids, UNKNOWN, 424_242], predictor.version)
        store.lease("w", 5, 60)
        store.complete("w", {r["item_id"]: r for r in predictor.predict([*ids, UNKNOWN])})
        store.fail("w", 424_242, "the worker stopped")
    return store_dir, ids


def _sheet(path) -> list[list]:
    book = openpyxl.load_workbook(path)
    return [[c.value for c in row] for row in book.active.iter_rows()]


def _csv(path, sep=",") -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_wide_workbook_has_a_row_per_item_a_column_per_shop_and_typed_cells(
        tmp_path, small_bundle, predictor):
    ids = [int(i) for i in predictor.item_ids[:3]]
    out = tmp_path / "wide.xlsx"
    assert main(["predict", "--model", str(small_bundle), "--items",
                 ",".join(map(str, [*ids, UNKNOWN])), "--layout", "wide", "--out", str(out)]) == 0
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    assert header[:len(WIDE_COLUMNS)] == list(WIDE_COLUMNS)
    shops = header[len(WIDE_COLUMNS):]
    assert len(shops) == len(predictor.shop_ids)
    assert shops[0] == f"{predictor.shop_ids[0]} {predictor.shop_names[predictor.shop_ids[0]]}"
    assert len(rows) == 1 + 4   # one row per item, the unknown one included
    results = {r["item_id"]: r for r in predictor.predict(ids)}
    for row in rows[1:4]:
        item = row[0].value
        assert row[0].data_type == "n" and isinstance(item, int)
        assert row[5].data_type == "n" and row[5].value == pytest.approx(results[item]["total"])
        by_shop = dict(results[item]["shops"])
        cells = row[len(WIDE_COLUMNS):]
        assert all(c.data_type == "n" for c in cells)
        assert [c.value for c in cells] == pytest.approx([by_shop[s] for s in predictor.shop_ids])
        assert row[3].value == forecast_month(predictor.forecast_block)
        assert row[4].value == predictor.version and row[1].data_type == "s"
    unknown = [c.value for c in rows[4]]
    assert unknown[0] == UNKNOWN and "not in the product list" in unknown[6]
    assert all(v is None for v in unknown[len(WIDE_COLUMNS):])


@pytest.mark.parametrize("layout,suffix", [("long", ".csv"), ("wide", ".csv"), ("long", ".xlsx"),
                                           ("wide", ".xlsx")])
def test_predict_and_results_write_the_same_columns_and_cells(tmp_path, small_bundle, done_store,
                                                              layout, suffix):
    store_dir, ids = done_store
    by_results, by_predict = tmp_path / f"r{suffix}", tmp_path / f"p{suffix}"
    assert main(["results", "--store", str(store_dir), "--model", str(small_bundle),
                 "--layout", layout, "--out", str(by_results)]) == 0
    # results writes every month a result holds; predict the months --horizon asks for
    assert main(["predict", "--model", str(small_bundle), "--items",
                 ",".join(map(str, [*ids, UNKNOWN])), "--layout", layout, "--horizon", "3",
                 "--out", str(by_predict)]) == 0
    read = _sheet if suffix == ".xlsx" else _csv
    got, expected = read(by_results), read(by_predict)
    assert got[0] == expected[0] == (list(LONG_COLUMNS) if layout == "long" else got[0])
    failed = [r for r in got if r[0] in (424_242, "424242")]
    assert len(failed) == 1 and "the worker stopped" in failed[0]
    # results lists the failed job too; everything else is the same, cell for cell
    assert [r for r in got if r not in failed] == expected
    if layout == "long":
        value = LONG_COLUMNS.index("forecast")
        assert all(r[LONG_COLUMNS.index("shop_id")] not in ("total",) for r in got[1:])
        predictor = Predictor.load(small_bundle)
        assert len([r for r in got[1:] if r[value] not in ("", None)]) == \
            len(ids) * len(predictor.shop_ids) * len(predictor.horizons)


def test_results_csv_in_a_locale_with_a_decimal_comma(tmp_path, small_bundle, done_store):
    store_dir, _ = done_store
    plain, local = tmp_path / "plain.csv", tmp_path / "local.csv"
    base = ["results", "--store", str(store_dir), "--model", str(small_bundle)]
    assert main([*base, "--out", str(plain)]) == 0
    assert main([*base, "--out", str(local), "--sep", ";", "--decimal", ","]) == 0
    a, b = _csv(plain), _csv(local, ";")
    assert len(a) == len(b) and a[0] == b[0]
    value = LONG_COLUMNS.index("forecast")
    commas = [r[value] for r in b[1:] if r[value]]
    assert commas and all("." not in v for v in commas) and any("," in v for v in commas)
    assert [float(v.replace(",", ".")) for v in commas] == [float(r[value]) for r in a[1:]
                                                          if r[value]]
    assert local.read_bytes().startswith(b"\xef\xbb\xbf")   # Excel then reads UTF-8 names


@pytest.mark.parametrize("extra,words", [
    (["--format", "csv", "--out", "r.xlsx"], "named .xlsx"),
    (["--format", "xlsx", "--out", "r.csv"], "named .csv"),
    (["--out", "r.xlsx", "--sep", ";"], "for CSV files"),
])
def test_a_format_that_does_not_fit_the_file_is_one_sentence(tmp_path, done_store, capsys,
                                                             extra, words):
    store_dir, _ = done_store
    extra = [str(tmp_path / e) if e.startswith("r.") else e for e in extra]
    assert main(["results", "--store", str(store_dir), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not list(tmp_path.glob("r.*"))


def test_predict_pairs_refuses_a_layout(tmp_path, small_bundle, capsys):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("ID,shop_id,item_id\n0,2,1\n", encoding="utf-8")
    assert main(["predict", "--model", str(small_bundle), "--pairs", str(pairs),
                 "--layout", "wide", "--out", str(tmp_path / "s.csv")]) == 2
    assert "--layout does not apply" in capsys.readouterr().err


def test_a_workbook_keeps_formula_like_text_as_text(tmp_path):
    out = tmp_path / "t.xlsx"
    assert write_xlsx(out, ["name", "n"], [["=HYPERLINK(\"x\")", 1.5], ["", -2],
                                           ["#N/A", 0]]) == 3
    sheet = openpyxl.load_workbook(out).active
    cell = sheet["A2"]
    assert cell.value == "=HYPERLINK(\"x\")" and cell.data_type == "s"
    assert sheet["A4"].value == "#N/A" and sheet["A4"].data_type == "s"   # text, not an error
    assert sheet["B2"].data_type == "n" and sheet["B3"].value == -2 and sheet["A3"].value is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]   # no temporary left
