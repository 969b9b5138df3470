"""Excel and UTF-16 id files dropped on and opened in the real window (offscreen, real store)."""

from __future__ import annotations

import openpyxl
import pytest

from salesapp.cli import main

WAIT_MS = 20000

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


def two_sheet_workbook(path):
    book = openpyxl.Workbook()
    book.active.title = "Итого"
    book.active.append(["total"])
    book.active.append([999])
    ws = book.create_sheet("Заказ")
    ws.append(["Товар", "Код", "Кол-во"])
    for item in (3, 4, 5):
        ws.append([f"товар {item}", item, 2])
    book.save(path)
    return path


def wait_rows(qtbot, w, ids):
    def done():
        assert all((r := w.model.row_for(i)) is not None and r.status == "done" for i in ids)
    qtbot.waitUntil(done, timeout=WAIT_MS)


def test_a_workbook_asks_its_sheet_then_its_column(qtbot, shown_window, tmp_path, monkeypatch):
    w = shown_window
    path = two_sheet_workbook(tmp_path / "order.xlsx")
    asked = []
    monkeypatch.setattr(w, "ask_sheet", lambda p, sheets: asked.append(sheets) or "Заказ")
    monkeypatch.setattr(w, "ask_column", lambda p, cols: asked.append(cols) or "Код")
    w.import_files([path])
    wait_rows(qtbot, w, [3, 4, 5])
    assert asked == [["Итого", "Заказ"], ["Товар", "Код", "Кол-во"]]
    assert w.model.row_for(999) is None
    qtbot.waitUntil(lambda: "order.xlsx" in w.banner.text(), timeout=WAIT_MS)
    assert "3 item ids read from column 'Код', sheet 'Заказ' (3 rows)" in w.banner.text()


def test_cancelling_the_sheet_question_reads_nothing(qtbot, shown_window, tmp_path, monkeypatch):
    w = shown_window
    path = two_sheet_workbook(tmp_path / "order.xlsx")
    asked = []
    monkeypatch.setattr(w, "ask_sheet", lambda p, sheets: asked.append(sheets) or None)
    w.import_files([path])
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    assert "order.xlsx not read: no sheet chosen" in w.statusBar().currentMessage()
    assert w.model.rowCount() == 0


def test_excel_unicode_text_dropped_is_read(qtbot, shown_window, tmp_path):
    w = shown_window
    path = tmp_path / "ids.txt"
    path.write_bytes("item_id\tНазвание\r\n6\tМолоко\r\n7\tХлеб\r\n".encode("utf-16"))
    w.import_files([path])
    wait_rows(qtbot, w, [6, 7])
    assert "binary" not in w.banner.text()


def test_predict_reads_a_chosen_sheet_and_column(tmp_path, small_bundle, capsys):
    path = two_sheet_workbook(tmp_path / "order.xlsx")
    out = tmp_path / "f.csv"
    code = main(["predict", "--model", str(small_bundle), "--file", str(path), "--sheet", "Заказ",
                 "--column", "Код", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert {line.split(",")[0] for line in out.read_text().splitlines()[1:]} == {"3", "4", "5"}
    code = main(["predict", "--model", str(small_bundle), "--file", str(path), "--out",
                 str(out)])   # the first sheet by default
    assert code == 0
    assert "999" in capsys.readouterr().err   # not in the product list of the model


def test_the_command_line_names_the_option_that_answers_the_question(tmp_path, small_bundle,
                                                                    capsys):
    two = tmp_path / "two.csv"
    two.write_text("code;qty\n3;1\n", encoding="utf-8")
    base = ["predict", "--model", str(small_bundle), "--out", str(tmp_path / "f.csv")]
    assert main([*base, "--file", str(two)]) == 2
    assert "no column is named item_id; name one with --column: code, qty" in \
        capsys.readouterr().err
    assert main([*base, "--file", str(two), "--column", "code"]) == 0
    assert main([*base, "--items", "3", "--sheet", "A"]) == 2
    assert "--column and --sheet are for --file" in capsys.readouterr().err
    book = two_sheet_workbook(tmp_path / "order.xlsx")
    assert main([*base, "--file", str(book), "--sheet", "Нет"]) == 2
    assert "has no sheet 'Нет'; its sheets are Итого, Заказ" in capsys.readouterr().err
