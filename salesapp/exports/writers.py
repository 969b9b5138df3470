"""Writing an export's header and rows: CSV (any separator and decimal mark) or an Excel workbook.

Every file is written to a temporary file beside the output and renamed over it at the end, so
a failed export never leaves half a file under the name of the last good one.

CSV cells follow `salesapp.csv_cells` (a text cell that a spreadsheet would run as a formula
gets an apostrophe). In a workbook, text is stored as text cells, which a spreadsheet never
runs, so names are written as they are; numbers are number cells.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from salesapp.csv_cells import neutralise

FORMATS = ("csv", "xlsx")
SUFFIXES = {"csv": ".csv", "xlsx": ".xlsx"}
SHEET = "Forecasts"


class CsvStyle(NamedTuple):
    """How a CSV looks: the separator, the decimal mark, and a BOM (Excel then reads UTF-8)."""

    separator: str = ","
    decimal: str = "."
    bom: bool = False


PLAIN = CsvStyle()
EXCEL_COMMA = CsvStyle(",", ".", True)          # the window's CSV for an English Excel
EXCEL_SEMICOLON = CsvStyle(";", ",", True)      # for locales whose decimal mark is a comma


def format_of(path: str | Path, given: str | None = None) -> str:
    """The format to write: `given`, else by the file's extension (.xlsx, anything else CSV)."""
    if given:
        return given
    return "xlsx" if Path(path).suffix.lower() == ".xlsx" else "csv"


def with_suffix(path: str | Path, fmt: str) -> Path:
    """`path` with the format's extension added when it has none ('forecasts' -> 'forecasts.csv')."""
    path = Path(path)
    return path if path.suffix else path.with_name(path.name + SUFFIXES[fmt])


def mismatch(path: str | Path, fmt: str) -> str | None:
    """Why `fmt` cannot be written under `path`'s name (a CSV named .xlsx or back), else None."""
    suffix = Path(path).suffix.lower()
    if fmt == "csv" and suffix == ".xlsx":
        return "is named .xlsx but the format asked for is CSV; name it .csv or ask for xlsx"
    if fmt == "xlsx" and suffix in (".csv", ".txt", ".tsv"):
        return f"is named {suffix} but the format asked for is xlsx; name it .xlsx"
    return None


@contextmanager
def replaced(path: str | Path, binary: bool = False, buffering: int = -1) -> Iterator:
    """An open temporary file beside `path`, renamed over `path` when the block ends well."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        mask = os.umask(0o022)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)   # what a plain open() would give, not mkstemp's 0600
        mode = "wb" if binary else "w"
        kwargs = {} if binary else {"encoding": "utf-8", "newline": ""}
        with open(fd, mode, buffering=buffering, **kwargs) as fh:
            yield fh
        os.replace(tmp, path)
        tmp = None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _csv_cell(value, decimal: str):
    if type(value) is float:
        text = repr(value)
        return text.replace(".", decimal) if decimal != "." else text
    return neutralise(value)


def write_csv(path: str | Path, header: Iterable, rows: Iterable[Iterable],
              style: CsvStyle = PLAIN) -> int:
    """Write a CSV in `style`; returns the rows written (the header not counted)."""
    n = 0
    with replaced(path) as fh:
        if style.bom:
            fh.write("\ufeff")
        writer = csv.writer(fh, delimiter=style.separator)
        writer.writerow([neutralise(c) for c in header])
        for row in rows:
            writer.writerow([_csv_cell(c, style.decimal) for c in row])
            n += 1
    return n


def write_xlsx(path: str | Path, header: Iterable, rows: Iterable[Iterable]) -> int:
    """Write a one-sheet workbook: a bold, frozen header; numbers as number cells, text as text
    cells (even one starting with '='); returns the rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value, font=None):
        c = WriteOnlyCell(sheet, value=None if value == "" else value)
        if isinstance(value, str):
            c.data_type = "s"   # openpyxl reads '=...' as a formula otherwise
        if font is not None:
            c.font = font
        return c

    def value(v):
        # a cell object only where openpyxl would guess wrong (text that looks like a formula
        # or an error code such as '#N/A'): plain values are written without one, faster
        if type(v) is str:
            return cell(v) if v.startswith(("=", "#")) else (v or None)
        return v

    sheet.append([cell(h, bold) for h in header])
    n = 0
    for row in rows:
        sheet.append(list(map(value, row)))
        n += 1
    with replaced(path, binary=True) as fh:
        book.save(fh)
    return n


def write_table(path: str | Path, fmt: str, header: Iterable, rows: Iterable[Iterable],
                style: CsvStyle = PLAIN) -> int:
    """Write `header` and `rows` as `fmt` ('csv' in `style`, or 'xlsx'); returns the rows."""
    if fmt == "xlsx":
        return write_xlsx(path, header, rows)
    return write_csv(path, header, rows, style)
