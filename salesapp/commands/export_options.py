"""The export options `predict` and `results` share: --layout, --format, --sep, --decimal.

Parsed here to one `ExportTarget`, checked before any work: a CSV named .xlsx is refused in one
sentence before the model loads, not after.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NamedTuple

from salesapp.commands.argument_checks import file_in_existing_folder
from salesapp.errors import InputError

SEPARATORS = {",": ",", ";": ";", "tab": "\t"}


def add_export_options(parser: argparse.ArgumentParser) -> None:
    """--layout, --format, --sep and --decimal on `parser` (`salesapp predict`, `results`)."""
    parser.add_argument("--layout", choices=("long", "wide"), default="long",
                        help="long: a row per item and shop (default); wide: a row per item, "
                             "a column per shop")
    parser.add_argument("--format", choices=("csv", "xlsx"), default=None,
                        help="file format (default: by the --out extension, .xlsx or CSV)")
    parser.add_argument("--sep", choices=tuple(SEPARATORS), default=",", metavar="SEP",
                        help="CSV separator: ',' (default), ';' (for Excel where the decimal "
                             "mark is a comma) or tab")
    parser.add_argument("--decimal", choices=(".", ","), default=".", metavar="MARK",
                        help="CSV decimal mark: '.' (default) or ','")


class ExportTarget(NamedTuple):
    """Where and how an export is written."""

    path: Path
    fmt: str            # "csv" | "xlsx"
    layout: str         # "long" | "wide"
    style: object       # exports.writers.CsvStyle

    @property
    def plain_long_csv(self) -> bool:
        """The long layout as a plain CSV (comma, point): `results` writes it the fast way."""
        return self.fmt == "csv" and self.layout == "long" and tuple(self.style)[:2] == (",", ".")


def export_target(args, option: str = "--out") -> ExportTarget:
    """The checked `ExportTarget` of parsed arguments; `InputError` naming what does not fit."""
    from salesapp.exports.writers import CsvStyle, format_of, mismatch

    path = file_in_existing_folder(args.out, option)
    fmt = format_of(path, getattr(args, "format", None))
    why = mismatch(path, fmt)
    if why:
        raise InputError(f"{option} {why}", path)
    sep, decimal = SEPARATORS[getattr(args, "sep", ",")], getattr(args, "decimal", ".")
    if fmt == "xlsx" and (sep, decimal) != (",", "."):
        raise InputError("--sep and --decimal are for CSV files; a workbook holds numbers as "
                         "numbers, so leave them out", path)
    # a CSV in a locale's own style is for a spreadsheet: with a BOM, so it reads UTF-8 names
    style = CsvStyle(sep, decimal, bom=(sep, decimal) != (",", "."))
    return ExportTarget(path, fmt, getattr(args, "layout", "long"), style)
