"""The months a result forecasts: the next month (the result's own fields) and the months after it
(its "ahead" list, from a bundle with horizons), each read back checked.

One reader for the table, the detail panel, the chart and every export, so that a month shown is a
month exported. A result may come from a bundle without horizons or from the store of an older
version: it then has one month, and everything works with one. What does not fit is not shown:
an "ahead" month whose length or numbers do not fit its result, or whose block does not come
after the month before it, is dropped, the other months kept (each names its own block, so
none is shown under another's month); a month's range that does not fit its forecasts is
dropped, the forecast kept (as `result_codec` does for the first month).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from salesapp.store.result_codec import range_columns, range_fits, shop_columns

AHEAD = "ahead"


class Month(NamedTuple):
    """One month of a result's forecast, in the order of its shops."""

    block: int | None          # the date_block_num forecast (None: a result that does not say)
    shop_ids: list
    forecasts: list
    total: float | None
    p10: list | None = None    # None: no (fitting) range
    p90: list | None = None
    total_p10: float | None = None
    total_p90: float | None = None

    @property
    def ranged(self) -> bool:
        return self.p10 is not None


def _number(v) -> bool:
    return type(v) in (int, float) and math.isfinite(v) and v >= 0


_NUMBER_TYPES = frozenset((int, float))


def _numbers(values) -> bool:
    """Whether `values` (a list or tuple) are all finite numbers >= 0 (not bools, not text).

    In C-level passes over the list (types, min, sum): a table of 10,000 results with months
    ahead checks each once, on the GUI thread."""
    if not isinstance(values, (list, tuple)) or not set(map(type, values)) <= _NUMBER_TYPES:
        return False
    return not values or (min(values) >= 0 and math.isfinite(sum(values)))


def _block(result: dict) -> int | None:
    block = result.get("forecast_block")
    return block if type(block) is int and block >= 0 else None


def first_month(result: dict) -> Month | None:
    """The result's next month (None: not a forecast)."""
    if result.get("status") != "ok":
        return None
    block = _block(result)
    ids, values = shop_columns(result)
    ids, values = list(ids), list(values)
    total = result.get("total")
    bounds = range_columns(result)
    if bounds is None:
        return Month(block, ids, values, total)
    return Month(block, ids, values, total, list(bounds[0]), list(bounds[1]),
                 result["total_p10"], result["total_p90"])


def _ahead_month(entry, after: int, ids) -> Month | None:
    """An "ahead" entry read as a month after block `after` of a result with shops `ids`, or
    None."""
    if type(entry) is not dict:
        return None
    block = entry.get("forecast_block")
    if type(block) is not int or block <= after:
        return None
    values, total = entry.get("forecasts"), entry.get("total")
    if not (_numbers(values) and len(values) == len(ids) and _number(total)):
        return None
    lo, hi = entry.get("p10"), entry.get("p90")
    t_lo, t_hi = entry.get("total_p10"), entry.get("total_p90")
    if _numbers(lo) and _numbers(hi) and range_fits(values, lo, hi, total, t_lo, t_hi):
        return Month(block, ids, values, total, lo, hi, t_lo, t_hi)
    return Month(block, ids, values, total)


def _later(result: dict, block: int | None, ids, limit: int | None) -> list[Month]:
    """The checked months after the next (block `block`, shops `ids`), at most `limit`."""
    ahead = result.get(AHEAD)
    if block is None or not isinstance(ahead, (list, tuple)) or limit == 0:
        return []
    if ahead and all(type(m) is Month for m in ahead):   # checked already (`checked_ahead`)
        return list(ahead[:limit])
    out: list[Month] = []
    for entry in ahead:
        if limit is not None and len(out) >= limit:
            break
        month = _ahead_month(entry, out[-1].block if out else block, ids)
        if month is not None:
            out.append(month)
    return out


def months_of(result: dict | None, limit: int | None = None) -> list[Month]:
    """The months `result` forecasts, in order, at most `limit` (None: all); [] for no forecast."""
    first = first_month(result or {})
    if first is None or limit == 0:
        return []
    return [first, *_later(result, first.block, first.shop_ids,
                           None if limit is None else limit - 1)]


def month_in(result: dict | None, block: int) -> Month | None:
    """The result's forecast of month `block` (a date_block_num), or None when it has none."""
    first = first_month(result or {})
    if first is None or first.block is None or block < first.block:
        return None
    if block == first.block:
        return first
    return next((m for m in months_of(result)[1:] if m.block == block), None)


def month_count(result: dict | None) -> int:
    """How many months `result` forecasts, checked (0: no forecast)."""
    return len(months_of(result))


def checked_ahead(result: dict) -> tuple[Month, ...]:
    """The months after the next of `result`, checked, as tuples (a `Month` each, its lists
    tuples): what the window keeps, so that the cyclic GC need not walk them and later reads
    need not check them again."""
    if result.get("status") != "ok":
        return ()
    ids = tuple(shop_columns(result)[0])
    return tuple(m._replace(shop_ids=ids, forecasts=tuple(m.forecasts),
                            p10=None if m.p10 is None else tuple(m.p10),
                            p90=None if m.p90 is None else tuple(m.p90))
                 for m in _later(result, _block(result), ids, None))
