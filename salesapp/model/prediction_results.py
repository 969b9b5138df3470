"""Assembly of prediction result dicts (docs/ARCHITECTURE.md "Prediction result") from arrays.

A batch of 5,100 items x 42 shops is 214,200 forecasts: the per-item work here is one list
comprehension over plain Python lists sliced from arrays converted once per batch, never a numpy or
pandas call per item (those cost seconds per batch).

The `shops` and `history` lists are `PairList`s: plain lists of [key, value] pairs that also carry
the same numbers as columns, with the values in integer thousandths, computed here once per batch
from the arrays. The job store packs a result into exactly that form (`result_codec`), so it takes
the columns instead of taking 400,000 pairs apart again (~0.1 s per 5,100 results).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from salesapp import thousandths

# Forecasts and totals are kept to 3 decimals: a thousandth of a unit is below anything a user
# reads, and it keeps each stored result (JSON) about a third smaller.
DECIMALS = 3


class PairList(list):
    """[[key, value], ...] as results hold them, with `columns` = (keys, values, thousandths).

    `thousandths` is the values as integers k with k / 1000 == value for every value, or None when
    that is not exact for all of them. `result_codec.pack_many` uses the columns once and then
    drops them (sets `columns` to None), so results kept afterwards hold plain pairs only.
    """

    __slots__ = ("columns",)

    def __init__(self, pairs, columns=None):
        super().__init__(pairs)
        self.columns = columns


def _thousandths(values: np.ndarray) -> tuple[list[list[int]], np.ndarray]:
    """Rows of integer thousandths of a float matrix (`thousandths.of_array`), and its mask."""
    k, exact = thousandths.of_array(values)
    return k.tolist(), exact


class RoundedRows(list):
    """Rows of rounded forecasts (plain float lists), with `milli`: each row in thousandths or None."""

    __slots__ = ("milli",)


class ItemHistory:
    """Units sold per (item, month) in all shops, sorted by item then month, sliced per item."""

    def __init__(self, item: np.ndarray, month: np.ndarray, units: np.ndarray):
        order = np.lexsort((month, item))
        self._item = np.asarray(item, dtype=np.int64)[order]
        self._month = np.asarray(month, dtype=np.int64)[order].tolist()
        rounded_units = np.round(np.asarray(units, dtype=np.float64)[order], DECIMALS)
        self._units = rounded_units.tolist()
        milli, exact = _thousandths(rounded_units)
        self._milli = milli
        # Count of inexact values up to each position: a slice is exact when the counts match.
        self._misses = np.concatenate(([0], np.cumsum(~exact))).tolist()

    def of_items(self, item_ids: Sequence[int]) -> list[PairList]:
        """[[month, units], ...] per id in `item_ids` (empty for an id that never sold)."""
        ids = np.asarray(item_ids, dtype=np.int64)
        lo = np.searchsorted(self._item, ids, side="left").tolist()
        hi = np.searchsorted(self._item, ids, side="right").tolist()
        months, units, milli, misses = self._month, self._units, self._milli, self._misses
        out = []
        for a, b in zip(lo, hi):
            m, u = months[a:b], units[a:b]
            exact = milli[a:b] if misses[a] == misses[b] else None
            out.append(PairList([[x, y] for x, y in zip(m, u)], (m, u, exact)))
        return out


def rounded(forecasts: np.ndarray) -> tuple[RoundedRows, list[float]]:
    """Rows of a (items x shops) forecast matrix and their totals, rounded, as Python floats.

    Each total is the sum of its rounded row, so the shops always add up to the total shown.
    """
    values = np.round(forecasts, DECIMALS)
    rows = RoundedRows(values.tolist())
    milli, exact = _thousandths(values)
    rows.milli = [m if ok else None for m, ok in zip(milli, exact.all(axis=1).tolist())]
    return rows, np.round(values.sum(axis=1), DECIMALS).tolist()


def shop_pairs(shop_ids: list[int], rows: list[list[float]]) -> list[PairList]:
    """[[shop_id, forecast], ...] per row (with its columns when `rows` came from `rounded`)."""
    milli = getattr(rows, "milli", None) or [None] * len(rows)
    keys = list(shop_ids)
    return [PairList([[s, f] for s, f in zip(keys, row)],
                     (keys, row, m) if m is not None else None)
            for row, m in zip(rows, milli)]
