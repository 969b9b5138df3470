"""The one rule for a cell of every CSV (or TSV) the app exports: `results`, `predict`, the window.

A text cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`) or that starts with a
tab or a carriage return (some spreadsheets drop those and then read what follows as a formula)
gets a leading apostrophe. Every cell is then quoted exactly as `csv.writer` quotes it, whatever
it holds: the exports that build their text without `csv.writer` (for speed) call `cell_text`.
Numbers are numbers: `-3` stays `-3`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe; others as is."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def quoted(text: str) -> str:
    """`text` quoted as `csv.writer` (excel dialect) quotes a cell of a row of several.

    QUOTE_MINIMAL, doubled quotes, no escape character: a cell is quoted when it holds the
    delimiter, the quote or a line-end character; nothing else changes a text cell.
    """
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def text_cell(text: str) -> str:
    """`text` neutralised, then quoted as `csv.writer` would."""
    return quoted(neutralise(text))


def cell_text(value) -> str:
    """The CSV text of any cell value read back from a store or a model: what `csv.writer`
    writes for it after `neutralise` (None is empty; a number its text; anything else its text,
    neutralised and quoted)."""
    if value is None:
        return ""
    if type(value) in (int, float):
        return repr(value)
    return text_cell(value if isinstance(value, str) else str(value))


def csv_line(cells: Iterable) -> str:
    """One CSV line of `cells`, each neutralised, exactly as `csv.writer` writes it (`\\r\\n`)."""
    buf = io.StringIO()
    csv.writer(buf).writerow([neutralise(c) for c in cells])
    return buf.getvalue()


def write_csv(path: str | Path, header: Iterable[str], rows: Iterable[Iterable],
              encoding: str = "utf-8") -> int:
    """Write `header` and `rows` (cells neutralised) with `csv.writer`; returns the rows written."""
    n = 0
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(header))
        for row in rows:
            writer.writerow([neutralise(c) for c in row])
            n += 1
    return n


def to_tsv(rows: Iterable[Iterable]) -> str:
    """Tab-separated text of cells (for the clipboard), cells neutralised, one `\n` per row.

    Not `csv.writer`: with a `\n` line end it leaves a bare `\r` unquoted, which a reader then
    takes for the end of the row.
    """
    return "".join("\t".join(map(_tsv_cell, row)) + "\n" for row in rows)


def _tsv_cell(value) -> str:
    text = "" if value is None else str(neutralise(value))
    if any(c in text for c in '\t"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text
