"""Item ids from real Excel workbooks written by openpyxl: the same rule and column question as CSV."""

import datetime

import openpyxl
import pytest

from salesapp.errors import InputError
from salesapp.model.id_input import AmbiguousColumnError, read_id_file
from salesapp.model.id_xlsx import AmbiguousSheetError


def workbook(path, sheets):
    """Write {sheet name: rows} as a real .xlsx."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def test_number_and_text_cells_by_the_one_rule(tmp_path):
    rows = [["Название", "item_id"], ["Молоко", 7], ["Хлеб", 8.0], ["Сыр", "1\u00a0050"],
            ["Чай", 2.5], ["Кофе", "1e3"], ["Дата", datetime.date(2026, 1, 1)], [None, None],
            ["Сок", " 9 "]]
    result = read_id_file(workbook(tmp_path / "ids.xlsx", {"Лист1": rows}))
    assert result.ids == [7, 8, 1050, 9]
    assert (result.column, result.sheet, result.rows) == ("item_id", "Лист1", 7)
    assert result.problems == [
        "1 row is not an item id: row 7",
        "1 row is not a whole number: row 5",
        "1 row is in scientific notation like 1e3 (write the id in full): row 6",
    ]
    assert result.summary().startswith("4 item ids read from column 'item_id', sheet 'Лист1'")


def test_the_same_column_question_as_a_csv(tmp_path):
    path = workbook(tmp_path / "ids.xlsx", {"Sheet": [["code", "qty"], [3, 1], [4, 2]]})
    with pytest.raises(AmbiguousColumnError) as info:
        read_id_file(path)
    assert (info.value.columns, info.value.sheet) == (["code", "qty"], "Sheet")
    assert read_id_file(path, column="code").ids == [3, 4]


def test_first_sheet_or_a_chosen_one(tmp_path):
    path = workbook(tmp_path / "ids.xlsx", {"A": [["item_id"], [1]], "B": [["item_id"], [2]]})
    assert read_id_file(path).ids == [1]                  # the command line: the first sheet
    assert read_id_file(path, sheet="B").ids == [2]
    with pytest.raises(AmbiguousSheetError) as info:      # the window asks
        read_id_file(path, ask_sheet=True)
    assert info.value.sheets == ["A", "B"]
    with pytest.raises(InputError, match="has no sheet 'C'; its sheets are A, B"):
        read_id_file(path, sheet="C")


def test_a_single_column_without_header(tmp_path):
    path = workbook(tmp_path / "ids.xlsx", {"S": [[5], [6], [5]]})
    result = read_id_file(path)
    assert (result.ids, result.column, result.rows) == ([5, 6], None, 3)


def test_a_workbook_is_told_by_its_content_not_its_name(tmp_path):
    path = workbook(tmp_path / "ids.csv", {"S": [["item_id"], [11]]})
    assert read_id_file(path).ids == [11]


def test_damaged_and_foreign_files_in_one_sentence(tmp_path):
    import zipfile

    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("readme.txt", "hi")
    with pytest.raises(InputError, match="ZIP archive, not a CSV file or an Excel workbook"):
        read_id_file(z)
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(InputError, match=r"old Excel workbook \(.xls\)"):
        read_id_file(xls)
    good = workbook(tmp_path / "good.xlsx", {"S": [["item_id"], [1]]})
    cut = tmp_path / "cut.xlsx"   # the sheet's XML cut off in the middle of a row
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(cut, "w") as dst:
        for entry in src.namelist():
            data = src.read(entry)
            dst.writestr(entry, data[:len(data) // 2] if entry.endswith("sheet1.xml") else data)
    with pytest.raises(InputError, match="sheet 'S' cannot be read") as info:
        read_id_file(cut)
    assert str(info.value).startswith(str(cut)) and "\n" not in str(info.value)


def test_a_big_sheet_is_streamed(tmp_path):
    # memory is measured in benchmarks/bench_id_file.py; here correctness at a size that streams
    path = tmp_path / "big.xlsx"
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("S")
    ws.append(["shop_id", "item_id"])
    for i in range(20_000):
        ws.append([i % 40, i])
    book.save(path)
    result = read_id_file(path)
    assert result.ids == list(range(20_000)) and result.problems == []
