"""The stored (compact) form of a prediction result, and back.

A result's `shops` and `history` are lists of [key, value] pairs (docs/ARCHITECTURE.md "Prediction
result"). Stored as two flat lists each, the JSON is encoded about 2.5x and decoded about 2x faster
(one list instead of 43 per field). Values that are floats with at most 3 decimals (the Predictor
rounds to 3) are stored as integer thousandths: JSON writes and reads integers 2-3x faster than
floats, and `k / 1000` gives back exactly the float that was stored. Anything else is stored as
it is. Still plain JSON, never pickle. Results written in the older pair layout read unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain, pairwise

from salesapp import thousandths

# field of pairs -> (stored list of keys, stored list of values)
PAIR_FIELDS = {"shops": ("shop_ids", "forecasts"),
               "history": ("history_months", "history_units")}
MILLI = "_milli"   # suffix of a values list stored as integer thousandths


def pack(result: dict) -> dict:
    """The stored form of `result` (a new dict; `result` is not changed)."""
    out = dict(result)
    for name, (keys, values) in PAIR_FIELDS.items():
        pairs = out.pop(name, None)
        if pairs is None:
            continue
        out[keys] = [p[0] for p in pairs]
        plain = [p[1] for p in pairs]
        milli = thousandths.of_list(plain)
        if milli is None:
            out[values] = plain
        else:
            out[values + MILLI] = milli
    return out


def pack_many(results: Sequence[dict]) -> list[dict]:
    """`pack` of each result (new dicts), with the thousandths of the whole batch found at once.

    A batch of 5,100 results holds ~400,000 values: checked one by one in Python that took
    ~0.5 s; as one numpy array it takes a few ms. Pair lists that carry their own columns
    (`columns` = keys, values, thousandths or None: the Predictor's `PairList`) are not taken
    apart at all; their `columns` is set to None once used. The stored forms equal `pack`'s.
    """
    out = [dict(r) for r in results]
    for name, (keys, values) in PAIR_FIELDS.items():
        columns = [_given_or_split(o.pop(name)) if name in o else None for o in out]
        todo = [c[1] for c in columns if c is not None and c[2] is _UNKNOWN]
        milli = iter(_thousandths_of_lists(todo))
        for o, c in zip(out, columns):
            if c is None:
                continue
            o[keys] = c[0]
            m = next(milli) if c[2] is _UNKNOWN else c[2]
            if m is None:
                o[values] = c[1]
            else:
                o[values + MILLI] = m
    return out


_UNKNOWN = object()   # thousandths not known yet


def _given_or_split(pairs) -> tuple[list, list, object] | None:
    """(keys, values, thousandths: a list, None or `_UNKNOWN`) of pairs; None stays None."""
    given = getattr(pairs, "columns", None)
    if given is not None and len(given[0]) == len(pairs) == len(given[1]):
        pairs.columns = None   # used once; results kept afterwards hold plain pairs only
        return given
    split = _columns(pairs)
    return None if split is None else (*split, _UNKNOWN)


def _columns(pairs) -> tuple[list, list] | None:
    """([key, ...], [value, ...]) of a list of [key, value] pairs; None stays None."""
    if pairs is None:
        return None
    try:
        keys, values = zip(*pairs) if pairs else ((), ())
    except ValueError:   # pairs of other lengths: the plain way (and its error)
        return [p[0] for p in pairs], [p[1] for p in pairs]
    return list(keys), list(values)


def _thousandths_of_lists(lists: list[list]) -> list[list[int] | None]:
    """`thousandths.of_list` of each list, computed over all of them in one array."""
    flat = list(chain.from_iterable(lists))
    if set(map(type, flat)) - {float}:   # ints, None, text...: the exact per-list rules
        return [thousandths.of_list(v) for v in lists]
    # Imported here: `salesapp submit` and `salesapp results` never need numpy.
    import numpy as np

    k, exact = thousandths.of_array(np.array(flat, dtype=np.float64))
    milli = k.tolist()
    bounds = np.cumsum([0] + [len(v) for v in lists]).tolist()
    misses = np.concatenate(([0], np.cumsum(~exact))).tolist()
    return [milli[a:b] if misses[a] == misses[b] else None
            for a, b in pairwise(bounds)]


def _values(stored: dict, values: str, pop: bool) -> list:
    take = stored.pop if pop else stored.get
    if values + MILLI in stored:
        return [k / 1000 for k in take(values + MILLI)]
    return take(values)


def unpack(stored: dict) -> dict:
    """The result dict of the architecture from its stored form (in place; returned)."""
    for name, (keys, values) in PAIR_FIELDS.items():
        if keys in stored:
            vals = _values(stored, values, pop=True)
            stored[name] = [[k, v] for k, v in zip(stored.pop(keys), vals)]
    return stored


def shop_forecasts(stored: dict) -> Iterator[tuple[int, float]]:
    """(shop_id, forecast) of a stored or unpacked result, without building the pairs."""
    keys, values = PAIR_FIELDS["shops"]
    if keys in stored:
        return zip(stored[keys], _values(stored, values, pop=False))
    return ((s, f) for s, f in stored.get("shops") or [])


def shop_columns(stored: dict) -> tuple[list, list, bool]:
    """(shop ids, forecasts, True if the forecasts are integer thousandths) of a stored result.

    For writers that format the numbers themselves (an export need not build floats first).
    Results in the older pair layout, or already unpacked, give their floats.
    """
    keys, values = PAIR_FIELDS["shops"]
    if keys in stored:
        if values + MILLI in stored:
            return stored[keys], stored[values + MILLI], True
        return stored[keys], stored[values], False
    pairs = stored.get("shops") or []
    return [p[0] for p in pairs], [p[1] for p in pairs], False
