"""Item ids from an Excel workbook (.xlsx), with the same id rule and column question as a CSV.

Read with openpyxl in read-only mode: the sheet's XML is parsed as a stream, a row at a time, so
memory grows with the distinct ids, not with the sheet.
"""

from __future__ import annotations

import datetime
import math
import zipfile
from pathlib import Path

from salesapp.errors import InputError
from salesapp.model.csv_sniff import open_regular
from salesapp.model.id_input import (
    AmbiguousColumnError,
    IdParse,
    bad_cell_lists,
    choose_column,
)
from salesapp.model.id_values import FRACTION, ID_LIMIT, NOT_ID, OUT_OF_RANGE, id_value

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # the old binary .xls (and .doc) container


class AmbiguousSheetError(InputError):
    """The workbook has several sheets and none was chosen: the user must pick one."""

    def __init__(self, path: str | Path, sheets: list[str]):
        self.sheets = list(sheets)
        super().__init__(f"has {len(sheets)} sheets; choose one of: {', '.join(sheets)}", path)


def is_workbook(path: str | Path) -> bool:
    """True when the file is an .xlsx/.xlsm workbook, whatever its name; an old .xls is refused
    (InputError). A file that cannot be opened is left to the CSV reader to name."""
    try:
        with open_regular(path) as fh:
            magic = fh.read(8)
            if magic == OLE_MAGIC:
                raise InputError("is an old Excel workbook (.xls); save it as .xlsx or CSV", path)
            if not magic.startswith(ZIP_MAGIC):
                return False
            try:
                names = zipfile.ZipFile(fh).namelist()
            except (zipfile.BadZipFile, OSError, EOFError):
                names = []
    except InputError as exc:
        if "old Excel" in str(exc):
            raise
        return False
    if "xl/workbook.xml" not in names:
        raise InputError("is a ZIP archive, not a CSV file or an Excel workbook", path)
    return True


def _cell_value(value) -> int | str:
    """The id a cell holds, or the kind of value it is instead (see `id_values`)."""
    if value is None or isinstance(value, (bool, datetime.date, datetime.time,
                                           datetime.timedelta)):
        return NOT_ID
    if isinstance(value, int):
        return value if 0 <= value < ID_LIMIT else (OUT_OF_RANGE if value >= 0 else NOT_ID)
    if isinstance(value, float):
        if not math.isfinite(value):
            return NOT_ID
        if not value.is_integer():
            return FRACTION
        return _cell_value(int(value))
    return id_value(str(value))


def _header(row: tuple) -> list[str]:
    cells = list(row)
    while cells and cells[-1] in (None, ""):
        cells.pop()   # read-only rows run to the sheet's widest row
    return [("" if c is None else str(c)).strip() for c in cells] or [""]


def _open(path: Path):
    import openpyxl

    fh = open_regular(path)
    try:
        # A file object, not a name: openpyxl would refuse a workbook named .csv by its suffix.
        return openpyxl.load_workbook(fh, read_only=True, data_only=True), fh
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged workbook
        fh.close()
        raise InputError(f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})",
                         path) from None


def _choose_sheet(path: Path, names: list[str], sheet: str | None, ask: bool) -> str:
    if not names:
        raise InputError("has no worksheet", path)
    if sheet is not None:
        if sheet not in names:
            raise InputError(f"has no sheet {sheet!r}; its sheets are {', '.join(names)}", path)
        return sheet
    if ask and len(names) > 1:
        raise AmbiguousSheetError(path, names)
    return names[0]


def read_id_xlsx(path: str | Path, column: str | None = None, sheet: str | None = None,
                 ask_sheet: bool = False) -> IdParse:
    """Read item ids from one sheet of an .xlsx workbook (the first, or ``sheet``).

    As `read_id_csv`: the first row is the header unless the sheet has one column and its first
    cell is an id; the id column is item_id (any case), the only column or ``column``, else
    AmbiguousColumnError (with ``.sheet``). A cell is an id by `id_values.id_value`'s rule (a
    number cell 5037.0 is 5037); bad rows are named by their row in the sheet; empty rows are
    skipped. With ``ask_sheet``, a workbook of several sheets raises AmbiguousSheetError.
    """
    path = Path(path)
    book, fh = _open(path)
    name = sheet
    try:
        name = _choose_sheet(path, list(book.sheetnames), sheet, ask_sheet)
        return _read_sheet(path, book[name], name, column)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet's XML, in one sentence
        raise InputError(f"sheet {name!r} cannot be read ({type(exc).__name__}: {exc})",
                         path) from None
    finally:
        book.close()
        fh.close()


def _read_sheet(path: Path, ws, name: str, column: str | None) -> IdParse:
    rows = ws.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None:
        raise InputError(f"sheet {name!r} is empty", path)
    names = _header(first)
    has_header = not (len(names) == 1 and column is None
                      and type(_cell_value(first[0] if first else None)) is int)
    if has_header:
        try:
            index = choose_column(path, names, column)
        except AmbiguousColumnError as exc:
            raise AmbiguousColumnError(path, exc.columns, sheet=name) from None
    else:
        index, rows = 0, _chain(first, rows)
    seen: dict[int, None] = {}
    bad = bad_cell_lists("row")
    count = 0
    for number, row in enumerate(rows, start=2 if has_header else 1):
        if not any(c is not None and c != "" for c in row):
            continue
        count += 1
        value = _cell_value(row[index] if index < len(row) else None)
        if type(value) is int:
            seen[value] = None
        else:
            bad[value].add(number)
    problems = [s for s in (kind.sentence() for kind in bad.values()) if s]
    return IdParse(ids=list(seen), problems=problems, rows=count, sheet=name,
                   column=names[index] if has_header else None)


def _chain(first, rows):
    yield first
    yield from rows

