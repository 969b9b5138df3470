"""The two export layouts, as rows of typed cells (numbers stay numbers, text stays text).

- long: one row per item, shop and month (`LONG_COLUMNS`); an item without a forecast is one row
  whose `error` says why.
- wide: one row per item and month (`WIDE_COLUMNS`, then one column per shop): the total and the
  shops side by side, as a store manager reads them in a spreadsheet.

A result from a bundle with horizons forecasts several months (`result_months`): each month is
one set of rows, the next month's first, so that a script that reads the first month's rows
finds them where they were. The long layout's `month` (the date_block_num forecast, last so that
the columns before it keep their places) tells the sets apart; in the wide layout
`forecast_month` does, and the months are rows rather than columns: a sheet of three months of
every shop side by side is too wide to read, and rows filter and pivot in Excel.

There is no "total" row in the long layout: summing its forecast column must give the total.
So the long layout has each shop's range (`p10`, `p90`), the wide one the total's own range
(`total_p10`, `total_p90`: computed for the total, not the sum of the shops' bounds).
Items without a forecast (unknown, failed, not forecast yet) are listed with their reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from salesapp.exports.result_months import Month, months_of

LAYOUTS = ("long", "wide")
ITEM_COLUMNS = ("item_id", "item_name", "category", "forecast_month", "model")
# the P10-P90 range after the columns before it, so that scripts reading those by position keep
# working; its cells are empty for a result without a range (a bundle trained before them)
LONG_COLUMNS = (*ITEM_COLUMNS, "shop_id", "shop_name", "forecast", "error", "p10", "p90", "month")
WIDE_COLUMNS = (*ITEM_COLUMNS, "total", "error", "total_p10", "total_p90")   # then a column per shop


class Entry(NamedTuple):
    """One item to export: its result dict (None: none yet) or why it has none."""

    item_id: int
    result: dict | None
    reason: str | None = None


def forecast_month(block) -> str | None:
    """'2015-11' for the data's month block 34 (block 0 is January 2013); None stays None."""
    if type(block) is not int:
        return None
    return f"{2013 + block // 12}-{block % 12 + 1:02d}"


def _ok(result: dict | None) -> bool:
    return bool(result) and result.get("status") == "ok"


def _pairs(result: dict) -> list:
    """[(shop_id, forecast), ...] of a result in the architecture's form or the store's."""
    if "shop_ids" in result:
        return list(zip(result["shop_ids"], result.get("forecasts") or []))
    return list(result.get("shops") or [])


def item_cells(entry: Entry) -> list:
    """The cells every layout starts a row of `entry` with (`ITEM_COLUMNS`)."""
    r = entry.result or {}
    return [entry.item_id, r.get("item_name") or "", r.get("category_name") or "",
            forecast_month(r.get("forecast_block")), r.get("model_version")]


def error_of(entry: Entry) -> str:
    """Why an entry has no forecast (its result's error, the job's reason, or 'no forecast')."""
    r = entry.result or {}
    return r.get("error") or entry.reason or "no forecast"


def month_cells(head: list, month: Month) -> list:
    """`head` (an entry's `item_cells`) with the forecast month of `month`."""
    head = list(head)
    head[3] = forecast_month(month.block)
    return head


def _block_of(entry: Entry):
    block = (entry.result or {}).get("forecast_block")
    return block if type(block) is int else None


def _wanted(entry: Entry, months: int | None, block: int | None) -> tuple[list[Month], str]:
    """(the months of `entry` to write, why there are none): at most `months`, or only the
    month `block` (a date_block_num) when given."""
    if not _ok(entry.result):
        return [], error_of(entry)
    found = months_of(entry.result, months if block is None else None)
    if block is None:
        return found, "no forecast"
    if picked := [m for m in found if m.block == block]:
        return picked, ""
    has = ", ".join(forecast_month(m.block) or "another month" for m in found)
    return [], f"no forecast for {forecast_month(block)}: its model forecasts {has}"


def long_rows(entries: Iterable[Entry], shop_names: dict, months: int | None = None,
              block: int | None = None) -> Iterator[list]:
    """The rows of the long layout (without its header, `LONG_COLUMNS`): per entry, a set of
    rows per month, at most `months` of them (None: every month its result has), or only the
    month `block` when given."""
    for entry in entries:
        head = item_cells(entry)
        found, why = _wanted(entry, months, block)
        if not found:
            yield [*head, None, "", None, why, None, None, _block_of(entry)]
            continue
        for month in found:
            cells = month_cells(head, month)
            n = len(month.shop_ids)
            lows, highs = (month.p10, month.p90) if month.ranged else ([None] * n, [None] * n)
            for shop_id, value, low, high in zip(month.shop_ids, month.forecasts, lows, highs):
                yield [*cells, shop_id, shop_names.get(shop_id, ""), value, "", low, high,
                       month.block]


def shop_header(shop_id, shop_names: dict) -> str:
    """A wide layout's shop column: '31 Москва ТЦ "Семеновский"', or 'shop 31' without a name."""
    name = shop_names.get(shop_id)
    return f"{shop_id} {name}" if name else f"shop {shop_id}"


def wide_table(entries: Iterable[Entry], shop_names: dict, months: int | None = None,
               block: int | None = None) -> tuple[list, list[list]]:
    """(header, rows) of the wide layout: the shops are every shop of any result, by id; a row
    per entry and month, at most `months` (None: every month its result has), or only the
    month `block` when given."""
    entries = list(entries)
    shops = sorted({s for e in entries if _ok(e.result) for s, _ in _pairs(e.result)},
                   key=lambda s: (not isinstance(s, int), str(s) if not isinstance(s, int) else s))
    column = {s: k for k, s in enumerate(shops)}
    header = [*WIDE_COLUMNS, *(shop_header(s, shop_names) for s in shops)]
    rows = []
    for entry in entries:
        head = item_cells(entry)
        found, why = _wanted(entry, months, block)
        if not found:
            rows.append([*head, None, why, None, None] + [None] * len(shops))
        for month in found:
            cells = [None] * len(shops)
            for shop_id, value in zip(month.shop_ids, month.forecasts):
                cells[column[shop_id]] = value
            total = month.total
            if total is None:   # a result stored without one: its shops add up to it
                total = round(sum(v for v in cells if v is not None), 3)
            rows.append([*month_cells(head, month), total, "",
                         *((month.total_p10, month.total_p90) if month.ranged else (None, None)),
                         *cells])
    return header, rows


def table(layout: str, entries: Iterable[Entry], shop_names: dict, months: int | None = None,
          block: int | None = None) -> tuple[list, Iterable]:
    """(header, rows) of `layout` ('long' or 'wide'), at most `months` months of each result
    (None: all it has), or only its month `block` when given."""
    if layout == "wide":
        return wide_table(entries, shop_names, months, block)
    return list(LONG_COLUMNS), long_rows(entries, shop_names, months, block)
