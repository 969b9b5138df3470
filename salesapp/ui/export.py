"""Export of results: CSV in long format and TSV for the clipboard, by `salesapp.csv_cells`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from salesapp.csv_cells import neutralise, to_tsv, write_csv

__all__ = ["EXPORT_HEADER", "export_csv", "long_rows", "neutralise", "to_tsv"]

EXPORT_HEADER = ("item_id", "item_name", "shop_id", "shop_name", "forecast")


def long_rows(results: Iterable[dict], shop_names: dict[int, str]):
    """item_id, item_name, shop_id, shop_name, forecast for every shop of every ok result."""
    for r in results:
        if not r or r.get("status") != "ok":
            continue
        for shop_id, forecast in r.get("shops") or []:
            yield (r["item_id"], r.get("item_name") or "", shop_id,
                   shop_names.get(shop_id, ""), forecast)


def export_csv(path: str | Path, results: Iterable[dict], shop_names: dict[int, str]) -> int:
    """Write the long-format CSV (UTF-8 with BOM, so Excel reads Cyrillic); returns rows written."""
    return write_csv(path, EXPORT_HEADER, long_rows(results, shop_names), encoding="utf-8-sig")
