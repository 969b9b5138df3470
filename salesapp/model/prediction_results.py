"""Assembly of prediction result dicts (docs/ARCHITECTURE.md "Prediction result") from arrays.

A batch of 5,100 items x 42 shops is 214,200 forecasts: the per-item work here is one list
comprehension over plain Python lists sliced from arrays converted once per batch, never a numpy or
pandas call per item. Results hold plain lists only; how they are stored is the store's business.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Forecasts and totals are kept to 3 decimals: a thousandth of a unit is below anything a user
# reads, and it keeps each stored result small.
DECIMALS = 3


class ItemHistory:
    """Units sold per (item, month) in all shops, sorted by item then month, sliced per item."""

    def __init__(self, item: np.ndarray, month: np.ndarray, units: np.ndarray):
        order = np.lexsort((month, item))
        self._item = np.asarray(item, dtype=np.int64)[order]
        self._month = np.asarray(month, dtype=np.int64)[order].tolist()
        self._units = np.round(np.asarray(units, dtype=np.float64)[order], DECIMALS).tolist()

    def _bounds(self, item_ids: Sequence[int]) -> tuple[list[int], list[int]]:
        ids = np.asarray(item_ids, dtype=np.int64)
        return (np.searchsorted(self._item, ids, side="left").tolist(),
                np.searchsorted(self._item, ids, side="right").tolist())

    def sold(self, item_ids: Sequence[int]) -> list[bool]:
        """Whether each id in `item_ids` has sold in some month of the history."""
        lo, hi = self._bounds(item_ids)
        return [a < b for a, b in zip(lo, hi)]

    def of_item(self, item_id: int) -> list[tuple[int, float]]:
        """[(month, units), ...] of `item_id` in month order (empty for an id that never sold)."""
        (a,), (b,) = self._bounds([int(item_id)])
        return list(zip(self._month[a:b], self._units[a:b]))


def rounded(forecasts: np.ndarray) -> tuple[list[list[float]], list[float]]:
    """Rows of a (items x shops) forecast matrix and their totals, rounded, as Python floats.

    Each total is the sum of its rounded row, so the shops always add up to the total shown.
    """
    values = np.round(forecasts, DECIMALS)
    return values.tolist(), np.round(values.sum(axis=1), DECIMALS).tolist()


def shop_pairs(shop_ids: list[int], rows: list[list[float]]) -> list[list[list]]:
    """[[shop_id, forecast], ...] per row."""
    keys = list(shop_ids)
    return [[[s, f] for s, f in zip(keys, row)] for row in rows]


def range_lists(values: np.ndarray, p10: np.ndarray,
                p90: np.ndarray) -> tuple[list, list]:
    """P10 and P90 rounded as the forecasts are, as Python lists (rows of a matrix, or numbers),
    each on its side of the rounded forecast `values`: p10 <= value <= p90 after rounding too."""
    lo = np.minimum(np.round(p10, DECIMALS), values)
    hi = np.maximum(np.round(p90, DECIMALS), values)
    return lo.tolist(), hi.tolist()
