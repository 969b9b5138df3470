"""The window's export dialog on the real window (offscreen): what the table shows, the file's
extension added, the folder, layout and format remembered, xlsx and locale CSV read back."""
# ruff: noqa: F811 - the window fixtures are test_ui_window's, imported by name

from __future__ import annotations

import csv

import openpyxl
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from test_ui_window import known_ids, make_window, predictor, wait_all_final  # noqa: F401

from salesapp.exports.layouts import LONG_COLUMNS, WIDE_COLUMNS
from salesapp.ui.export import ExportDialog, documents_folder

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")
UNKNOWN = 999_999


def _answer(qtbot, fill) -> list:
    """Answer the next modal export dialog with `fill(dialog)`; returns what fill saw."""
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


def _window_with_results(qtbot, make_window, predictor): 
    w = make_window()
    ids = known_ids(predictor, 3)
    w.session.submit_ids([*ids, UNKNOWN])
    wait_all_final(qtbot, w, [*ids, UNKNOWN])
    return w, ids


def test_export_takes_the_filtered_rows_adds_the_extension_and_remembers(
        qtbot, make_window, predictor, tmp_path): 
    w, ids = _window_with_results(qtbot, make_window, predictor)
    w.status_filter.setCurrentText("done")   # 3 of the 4 rows shown
    folder = tmp_path / "exports"
    folder.mkdir()

    def fill(d):
        d.layout_box.setCurrentIndex(d.layout_box.findData("wide"))
        d.format_box.setCurrentIndex(d.format_box.findData("xlsx"))
        d.file.setText(str(folder / "mine"))   # no extension typed
        return d.rows.itemText(0)

    seen = _answer(qtbot, fill)
    with qtbot.waitSignal(w.export_runner.finished, timeout=20000):
        w.export_all()   # written on the export's thread
    assert seen == ["Rows the filter shows (3 of 4)"]
    sheet = openpyxl.load_workbook(folder / "mine.xlsx").active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][:len(WIDE_COLUMNS)] == list(WIDE_COLUMNS)
    months = len(getattr(predictor, "horizons", (1,)))   # a row per item and month
    assert sorted(r[0] for r in rows[1:]) == sorted(ids * months)   # not the unknown row
    assert all(isinstance(v, float | int) for r in rows[1:] for v in r[len(WIDE_COLUMNS):])
    again = w.export_dialog()   # the next export starts where this one went, as it was
    assert again.choice().path.parent == folder
    assert (again.layout_box.currentData(), again.format_box.currentData()) == ("wide", "xlsx")


def test_first_export_starts_in_documents_and_lists_items_without_forecast(
        qtbot, make_window, predictor, tmp_path): 
    w, ids = _window_with_results(qtbot, make_window, predictor)
    d = w.export_dialog()
    assert d.choice().path.parent == documents_folder()
    out = tmp_path / "semi.csv"

    def fill(d):
        d.format_box.setCurrentIndex(d.format_box.findData("csv-semicolon"))
        d.file.setText(str(out))

    _answer(qtbot, fill)
    with qtbot.waitSignal(w.export_runner.finished, timeout=20000):
        w.export_all()
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0] == list(LONG_COLUMNS)
    unknown = [r for r in rows if r[0] == str(UNKNOWN)]
    error = LONG_COLUMNS.index("error")
    assert len(unknown) == 1 and "not in the product list" in unknown[0][error]
    forecasts = [r[LONG_COLUMNS.index("forecast")] for r in rows[1:] if r[0] != str(UNKNOWN)]
    months = len(getattr(predictor, "horizons", (1,)))
    assert len(forecasts) == len(ids) * len(predictor.shop_ids) * months
    assert all("." not in v for v in forecasts) and any("," in v for v in forecasts)


def test_export_selected_offers_only_the_selection(qtbot, make_window, predictor, tmp_path):
    w, _ = _window_with_results(qtbot, make_window, predictor)
    w.table.selectRow(0)
    out = tmp_path / "sel.csv"

    def fill(d):
        d.format_box.setCurrentIndex(d.format_box.findData("csv"))
        d.file.setText(str(out))
        return d.rows.currentData()

    assert _answer(qtbot, fill) is not None
    with qtbot.waitSignal(w.export_runner.finished, timeout=20000):
        w.export_selected()
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    first = w.model.row_at(0).item_id
    assert {r[0] for r in rows[1:]} == {str(first)}


def test_where_the_decimal_mark_is_a_comma_the_dialog_offers_semicolon_csv_first(qtbot):
    from PySide6.QtCore import QLocale

    from salesapp.ui.export import ExportDialog as Dialog
    from salesapp.ui.export import locale_format

    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Russian, QLocale.Russia))
    try:
        assert locale_format() == "csv-semicolon"
        dialog = Dialog({"shown": 1, "all": 1, "selected": 0}, False)
        qtbot.addWidget(dialog)
        assert dialog.format_box.currentData() == "csv-semicolon"
        choice = dialog.choice()
        assert (choice.fmt, choice.style.separator, choice.style.decimal) == ("csv", ";", ",")
        assert choice.path.suffix == ".csv"
    finally:
        QLocale.setDefault(before)
    assert locale_format() == "csv"


def test_an_export_that_cannot_be_written_is_one_sentence_and_the_window_goes_on(
        qtbot, make_window, predictor, tmp_path):
    w, _ = _window_with_results(qtbot, make_window, predictor)
    out = tmp_path / "missing" / "f.csv"
    _answer(qtbot, lambda d: d.file.setText(str(out)))
    with qtbot.waitSignal(w.export_runner.finished, timeout=20000) as blocker:
        w.export_all()
    assert blocker.args[2]   # the reason
    assert "cannot be written" in w.statusBar().currentMessage()
    assert not out.parent.exists() and not w.export_runner.busy()
