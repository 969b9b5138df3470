"""One export, whatever asks for it: entries in a layout, written as CSV or xlsx."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from salesapp.exports.layouts import Entry, table
from salesapp.exports.writers import PLAIN, CsvStyle, format_of, write_table


def write_export(path: str | Path, entries: Iterable[Entry], shop_names: dict,
                 layout: str = "long", fmt: str | None = None, style: CsvStyle = PLAIN,
                 months: int | None = None, block: int | None = None) -> int:
    """Write `entries` in `layout` to `path` (format `fmt`, else by its extension), at most
    `months` months of each result (None: all it has), or only its month `block` when given;
    returns the rows written (the header not counted)."""
    header, rows = table(layout, entries, shop_names, months, block)
    return write_table(path, format_of(path, fmt), header, rows, style)
