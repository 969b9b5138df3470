"""The ranges' tables from the rolling backtest, and their coverage measured out of sample.

Each backtest origin gives a sample: for every grid row of its month the forecast, the actual
value, the demand class and the naive range (the pair's own last 12 months), and the same per
item for the totals. The bundle's tables are fit on every origin. The card's figures are
leave-one-origin-out: each origin's rows are bounded by tables fit on the other origins only, so
the coverage reported is that of months the tables never saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesapp.model import ranges
from salesapp.model.features import CLIP, MonthlyHistory

NAIVE_MONTHS = 12


@dataclass
class Sample:
    """One origin's rows (pairs or item totals): forecast, actual, class, naive bounds."""

    pred: np.ndarray
    actual: np.ndarray
    cls: np.ndarray
    naive_lo: np.ndarray
    naive_hi: np.ndarray


def last_months(hist: MonthlyHistory, month: int, shop: np.ndarray, item: np.ndarray,
                n: int = NAIVE_MONTHS) -> np.ndarray:
    """rows x n: each (shop, item) row's clipped sales in months month-n .. month-1 (0: none)."""
    sel = (hist.month >= month - n) & (hist.month < month)
    span = int(max(hist.item.max(initial=0), np.max(item, initial=0))) + 1
    keys = hist.shop[sel].astype(np.int64) * span + hist.item[sel]
    col = hist.month[sel].astype(np.int64) - (month - n)
    order = np.lexsort((col, keys))
    keys, col = keys[order], col[order]
    cnt = np.clip(hist.cnt[sel][order], 0, CLIP)
    want = np.asarray(shop, dtype=np.int64) * span + np.asarray(item, dtype=np.int64)
    out = np.zeros((len(want), n), dtype=np.float64)
    lo = np.searchsorted(keys, want, side="left")
    hi = np.searchsorted(keys, want, side="right")
    # each row's months lie in keys[lo:hi]; at most n of them, so n vector steps
    for k in range(n):
        at = lo + k
        ok = at < hi
        out[ok, col[at[ok]]] = cnt[at[ok]]
    return out


def origin_samples(hist: MonthlyHistory, month: int, shop: np.ndarray, item: np.ndarray,
                   pred: np.ndarray, actual: np.ndarray, feats,
                   horizon: int = 1) -> tuple[Sample, Sample]:
    """(pair sample, item-total sample) of one backtest origin's grid rows, forecast `horizon`
    months ahead: `month` is the month forecast, its naive range the 12 months before its
    origin (month - horizon + 1).

    `feats`: the rows' feature columns (item_age, pair_age, pair_months_since_sale, item_lag1).
    """
    pred = np.clip(np.asarray(pred, dtype=np.float64), 0, CLIP)
    actual = np.asarray(actual, dtype=np.float64)
    col = {k: np.asarray(feats[k]) for k in ("item_age", "pair_age", "pair_months_since_sale",
                                             "item_lag1")}
    past = last_months(hist, month - horizon + 1, shop, item)
    pairs = Sample(pred, actual, ranges.pair_classes(col["item_age"], col["pair_age"],
                                                     col["pair_months_since_sale"], horizon),
                   *ranges.naive_range(past))
    # `first`: one row of each item, for the item's own columns
    items, first, code = np.unique(np.asarray(item), return_index=True, return_inverse=True)

    def per_item(values):
        return np.bincount(code, weights=values, minlength=len(items))

    item_past = np.stack([per_item(past[:, k]) for k in range(past.shape[1])], axis=1)
    totals = Sample(per_item(pred), per_item(actual),
                    ranges.total_classes(col["item_age"][first], col["item_lag1"][first]),
                    *ranges.naive_range(item_past))
    return pairs, totals


def _joined(samples: list[Sample]) -> Sample:
    return Sample(*(np.concatenate([getattr(s, f) for s in samples])
                    for f in ("pred", "actual", "cls", "naive_lo", "naive_hi")))


def fit(samples: list[Sample], edges, classes) -> ranges.RangeTable:
    """The table of all the samples' rows."""
    s = _joined(samples)
    return ranges.fit_table(s.pred, s.actual, s.cls, edges, classes)


def held_out(samples: list[Sample], edges, classes) -> dict:
    """Coverage by forecast bin and pinball loss (model vs naive), leave-one-origin-out."""
    if len(samples) < 2:
        return {}
    parts = []
    for k, s in enumerate(samples):
        table = fit(samples[:k] + samples[k + 1:], edges, classes)
        lo, hi = table.bounds(s.pred, s.cls)
        parts.append((s, lo, hi))
    s = _joined([p[0] for p in parts])
    lo, hi = np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])
    return {"rows": len(s.pred), "bins": ranges.coverage(s.pred, lo, hi, s.actual),
            "pinball": ranges.pinball(lo, hi, s.actual),
            "pinball_naive": ranges.pinball(s.naive_lo, s.naive_hi, s.actual)}


def calibrate(pair_samples: list[Sample], total_samples: list[Sample]) -> dict:
    """The card's "ranges": the pairs' and the totals' tables, and their held-out figures."""
    out = {}
    for name, samples, edges, classes in (
            ("pairs", pair_samples, ranges.PAIR_EDGES, ranges.PAIR_CLASSES),
            ("total", total_samples, ranges.TOTAL_EDGES, ranges.TOTAL_CLASSES)):
        if samples:
            out[name] = {**fit(samples, edges, classes).to_json(),
                         "held_out": held_out(samples, edges, classes)}
    return out
