"""The stored form of a prediction result, and back: the store's own encoding, in one place.

A result's `shops` ([[shop_id, forecast], ...]) is stored as two flat lists, `shop_ids` and
`forecasts`: JSON of one list of numbers encodes and decodes faster than 43 small lists, and an
export can read both lists as JSON text without decoding the row (`cache_sql.EXPORT_ROWS`). Every
other field is stored as it is. Still plain JSON, never pickle.

A result's range is two more flat lists, `p10` and `p90` (in the order of `shop_ids`), and
`total_p10`, `total_p90`: stored as they are. A range that does not fit its result on read (a
list of another length, a value that is not a number, bounds out of order) is dropped, the
forecast kept: a wrong range must not be shown, and the forecast itself is still good.

A result's later months, `ahead` (a list of months, each with its own `forecast_block`, `total`,
`forecasts` in the order of `shop_ids` and maybe a range, as `Predictor.predict` makes them), are
stored as they are. On read a month that does not fit its result (not the months after its
`forecast_block` in order, forecasts of another length or not adding up to its total) is
dropped with the other months kept; a month whose range does not fit keeps its forecasts
without the range.

Older layouts still read: results stored as pairs, forecasts stored as integer thousandths
(`forecasts_milli`), results without a range (from a bundle trained before ranges), and results
that carried the item's sales history (dropped on read: the bundle holds the history, a result
does not).
"""

from __future__ import annotations

import operator

SHOP_IDS, FORECASTS = "shop_ids", "forecasts"
P10, P90, TOTAL_P10, TOTAL_P90 = "p10", "p90", "total_p10", "total_p90"
AHEAD = "ahead"
# a month's forecasts add up to its total rounded to 3 decimals: within half a thousandth, and
# the float error of summing many shops
SUM_SLACK, SUM_SLACK_PER_SHOP = 0.0005, 1e-9
_MILLI = "forecasts_milli"   # an older layout: integer thousandths of the forecasts
_NOT_A_RESULT_FIELD = ("history", "history_months", "history_units", "history_units_milli")


def pack(result: dict) -> dict:
    """The stored form of `result` (a new dict; `result` is not changed)."""
    out = dict(result)
    shops = out.get("shops")
    if isinstance(shops, list):
        del out["shops"]
        out[SHOP_IDS], out[FORECASTS] = _columns(shops)
    return out


def _columns(pairs: list) -> tuple[list, list]:
    """([key, ...], [value, ...]) of a list of [key, value] pairs."""
    try:
        keys, values = zip(*pairs) if pairs else ((), ())
    except ValueError:   # pairs of other lengths: the plain way (and its error)
        return [p[0] for p in pairs], [p[1] for p in pairs]
    return list(keys), list(values)


def unpack(stored: dict) -> dict:
    """The result dict of the architecture from its stored form (in place; returned)."""
    if SHOP_IDS in stored:
        ids, values = shop_columns(stored)
        for name in (SHOP_IDS, FORECASTS, _MILLI):
            stored.pop(name, None)
        stored["shops"] = [[s, f] for s, f in zip(ids, values)]
    for name in _NOT_A_RESULT_FIELD:
        stored.pop(name, None)
    if not _range_fits(stored):
        for name in (P10, P90, TOTAL_P10, TOTAL_P90):
            stored.pop(name, None)
    if AHEAD in stored:
        months = ahead_months(stored)
        if months:
            stored[AHEAD] = months
        else:
            del stored[AHEAD]
    return stored


def ahead_months(stored: dict) -> list[dict]:
    """The later months of a result (stored or unpacked form) that fit it, in order: each a
    month after the result's own and after the one before it, with one forecast per shop of the
    result adding up to its total; a range that does not fit is left out of its month. [] for
    a result without later months."""
    months = stored.get(AHEAD)
    block = stored.get("forecast_block")
    if not isinstance(months, list) or type(block) is not int:
        return []
    shops = len(shop_columns(stored)[0])
    out = []
    for month in months:
        if not _month_fits(month, block, shops):
            continue
        block = month["forecast_block"]
        view = {"shops": [[None, f] for f in month[FORECASTS]],
                **{k: month[k] for k in (P10, P90, TOTAL_P10, TOTAL_P90, "total") if k in month}}
        if not _range_fits(view):
            month = {k: v for k, v in month.items() if k not in (P10, P90, TOTAL_P10, TOTAL_P90)}
        out.append(month)
    return out


def _month_fits(month, after: int, shops: int) -> bool:
    if not isinstance(month, dict):
        return False
    block, total, values = month.get("forecast_block"), month.get("total"), month.get(FORECASTS)
    return (type(block) is int and block > after and _number(total)
            and isinstance(values, list) and len(values) == shops
            and all(_number(v) for v in values)
            and abs(sum(values) - total) <= SUM_SLACK + SUM_SLACK_PER_SHOP * len(values))


def _number(v) -> bool:
    return type(v) in (int, float) and v >= 0   # (NaN is not >= 0)


def _range_fits(result: dict) -> bool:
    """Whether a result's range (if any) is one its forecasts can be shown with."""
    if not any(k in result for k in (P10, P90, TOTAL_P10, TOTAL_P90)):
        return True
    return range_fits([p[1] for p in result.get("shops") or []], result.get(P10),
                      result.get(P90), result.get("total"), result.get(TOTAL_P10),
                      result.get(TOTAL_P90))


def range_fits(forecasts: list, lo, hi, total, total_lo, total_hi) -> bool:
    """`_range_fits` of a result's columns: its forecasts in the order of `lo` and `hi` (the
    P10s and P90s), its total and the total's range. For readers that have the columns."""
    if not (isinstance(lo, (list, tuple)) and isinstance(hi, (list, tuple))
            and len(lo) == len(hi) == len(forecasts)):
        return False
    if not (_number(total_lo) and _number(total_hi) and _number(total)
            and total_lo <= total <= total_hi):
        return False
    return in_order(lo, forecasts, hi)


_NUMBER_TYPES = frozenset((int, float))


def in_order(lo, mid, hi) -> bool:
    """Whether 0 <= lo[k] <= mid[k] <= hi[k] for every k of three lists of the same length, each
    value an int or float (what `_number` takes).

    Checked by C loops (`map`), not a Python step per value: an export checks every range of
    every stored result. A NaN compares false, so it fails one of the two orders.
    """
    return (_NUMBER_TYPES.issuperset(map(type, lo)) and _NUMBER_TYPES.issuperset(map(type, mid))
            and _NUMBER_TYPES.issuperset(map(type, hi))
            and all(map(operator.le, lo, mid)) and all(map(operator.le, mid, hi))
            and (not lo or min(lo) >= 0))


def range_columns(stored: dict) -> tuple[list, list] | None:
    """(P10s, P90s) in the order of `shop_columns`, or None: a result without a (fitting) range.

    Reads the stored or the unpacked form, and checks the range as `unpack` does."""
    ids, values = shop_columns(stored)
    view = {k: stored.get(k) for k in (P10, P90, TOTAL_P10, TOTAL_P90, "total") if k in stored}
    view["shops"] = list(zip(ids, values))
    if P10 not in stored or not _range_fits(view):
        return None
    return stored[P10], stored[P90]


def shop_columns(stored: dict) -> tuple[list, list]:
    """(shop ids, forecasts) of a result in its stored form or already unpacked.

    For writers that format the numbers themselves: no pairs are built.
    """
    if SHOP_IDS in stored:
        if FORECASTS in stored:
            return stored[SHOP_IDS], stored[FORECASTS]
        return stored[SHOP_IDS], [k / 1000 for k in stored.get(_MILLI) or []]
    pairs = stored.get("shops") or []
    return [p[0] for p in pairs], [p[1] for p in pairs]
