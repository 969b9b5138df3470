"""Export of results: CSV in long format and TSV for the clipboard, safe for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

EXPORT_HEADER = ("item_id", "item_name", "shop_id", "shop_name", "forecast")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe; others as is."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def long_rows(results: Iterable[dict], shop_names: dict[int, str]):
    """item_id, item_name, shop_id, shop_name, forecast for every shop of every ok result."""
    for r in results:
        if not r or r.get("status") != "ok":
            continue
        for shop_id, forecast in r.get("shops") or []:
            yield (r["item_id"], neutralise(r.get("item_name") or ""), shop_id,
                   neutralise(shop_names.get(shop_id, "")), forecast)


def export_csv(path: str | Path, results: Iterable[dict], shop_names: dict[int, str]) -> int:
    """Write the long-format CSV (UTF-8 with BOM, so Excel reads Cyrillic); returns rows written."""
    n = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(EXPORT_HEADER)
        for row in long_rows(results, shop_names):
            writer.writerow(row)
            n += 1
    return n


def to_tsv(rows: Iterable[Iterable]) -> str:
    """Tab-separated text of table cells for the clipboard, formula cells neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t", lineterminator="\n")
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
    return buf.getvalue()
