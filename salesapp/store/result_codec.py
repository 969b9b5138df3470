"""The stored form of a prediction result, and back: the store's own encoding, in one place.

A result's `shops` ([[shop_id, forecast], ...]) is stored as two flat lists, `shop_ids` and
`forecasts`: JSON of one list of numbers encodes and decodes faster than 43 small lists, and an
export can read both lists as JSON text without decoding the row (`cache_sql.EXPORT_ROWS`). Every
other field is stored as it is. Still plain JSON, never pickle.

Older layouts still read: results stored as pairs, forecasts stored as integer thousandths
(`forecasts_milli`), and results that carried the item's sales history (dropped on read: the
bundle holds the history, a result does not).
"""

from __future__ import annotations

SHOP_IDS, FORECASTS = "shop_ids", "forecasts"
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
    return stored


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
