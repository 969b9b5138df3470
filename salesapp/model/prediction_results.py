"""Assembly of prediction result dicts (docs/ARCHITECTURE.md "Prediction result") from arrays.

A batch of 5,100 items x 42 shops is 214,200 forecasts: the per-item work here is one list
comprehension over plain Python lists sliced from arrays converted once per batch, never a numpy or
pandas call per item (those cost seconds per batch).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Forecasts and totals are kept to 3 decimals: a thousandth of a unit is below anything a user
# reads, and it keeps each stored result (JSON) about a third smaller.
DECIMALS = 3


class ItemHistory:
    """Units sold per (item, month) in all shops, sorted by item then month, sliced per item."""

    def __init__(self, item: np.ndarray, month: np.ndarray, units: np.ndarray):
        order = np.lexsort((month, item))
        self._item = np.asarray(item, dtype=np.int64)[order]
        self._month = np.asarray(month, dtype=np.int64)[order].tolist()
        self._units = np.round(np.asarray(units, dtype=np.float64)[order], DECIMALS).tolist()

    def of_items(self, item_ids: Sequence[int]) -> list[list[list]]:
        """[[month, units], ...] per id in `item_ids` (empty for an id that never sold)."""
        ids = np.asarray(item_ids, dtype=np.int64)
        lo = np.searchsorted(self._item, ids, side="left").tolist()
        hi = np.searchsorted(self._item, ids, side="right").tolist()
        months, units = self._month, self._units
        return [[[m, u] for m, u in zip(months[a:b], units[a:b])] for a, b in zip(lo, hi)]


def rounded(forecasts: np.ndarray) -> tuple[list[list[float]], list[float]]:
    """Rows of a (items x shops) forecast matrix and their totals, rounded, as Python floats.

    Each total is the sum of its rounded row, so the shops always add up to the total shown.
    """
    values = np.round(forecasts, DECIMALS)
    return values.tolist(), np.round(values.sum(axis=1), DECIMALS).tolist()


def shop_pairs(shop_ids: list[int], rows: list[list[float]]) -> list[list[list]]:
    """[[shop_id, forecast], ...] per row."""
    return [[[s, f] for s, f in zip(shop_ids, row)] for row in rows]
