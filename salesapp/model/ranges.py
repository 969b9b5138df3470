"""P10 / P90 ranges around the mean forecast, calibrated on the rolling backtest's residuals.

Sales are counts with many zeros, so a symmetric mean ± z·σ band goes below 0 and misses the
long right tail. Instead the backtest's residuals (actual - forecast) are pooled by bin of the
forecast and by demand class, and each pool's own 10th and 90th percentile is kept: the bounds
are as asymmetric as the errors were, and never below 0.

What is pooled is the actual value, divided by max(forecast / SCALE_FROM, 1): below SCALE_FROM
units a bound is a whole number of the pool's own (a count of 1 is below a P10 of 1.05 but not
of 1.0, and a bound scaled with each forecast would cross whole numbers inside the pool); above
it, the bound grows with the forecast inside its bin.

Item totals have a table of their own, fit on the totals' residuals: the range of a sum is
narrower than the sum of its parts' ranges (their errors partly cancel), so it is not summed.

Where the mean falls outside the two quantiles (an item that rarely sells: 0.3 units forecast, at
least 90 % of such months sell nothing, so P90 is 0) the range is widened to hold the mean:
0 <= P10 <= mean <= P90 always, so the figure shown is never outside its own range.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

LEVELS = (0.1, 0.9)
# The levels the tables are fit at: a table fit on the backtest's months bounds a month it never
# saw, whose errors differ a little, so at its own 10 % and 90 % more than 10 % of that month
# falls outside (measured leave-one-origin-out: benchmarks/results/ranges.json); the fit reaches
# a little further so that about 10 % do.
FIT_LEVELS = (0.08, 0.92)
# lower edges of the forecast bins; fine where most forecasts are (below 1 unit)
PAIR_EDGES = (0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
TOTAL_EDGES = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 20.0, 35.0, 60.0, 100.0, 200.0,
               400.0)
# demand classes: how much of the pair's (or item's) own history the forecast stands on
PAIR_CLASSES = ("new_to_chain", "new_to_shop", "sold_last_month", "lapsed")
TOTAL_CLASSES = ("new_to_chain", "sold_last_month", "lapsed")
# an observed value, never one between two: no more than 10 % of a pool's own counts lie outside
QUANTILE_METHOD = "inverted_cdf"
# below this many units a bound is a pool's own count (counts are whole numbers: a bound scaled
# with the forecast would cross them, and a pool's 10 % would not be 10 % of its rows); above
# it, bounds grow with the forecast inside their bin
SCALE_FROM = 8.0
MIN_ROWS = 60     # fewer residuals than this in a pool: too few for a 10th percentile
MAX_WIDEN = 2     # a sparse pool borrows from up to this many bins either side of its class


def pair_classes(item_age, pair_age, months_since_sale, horizon: int = 1) -> np.ndarray:
    """PAIR_CLASSES code per (shop, item) row from its feature values, those of a model
    `horizon` months ahead (its ages are the target month's: "sold last month" is the origin's
    last month, `horizon` months before the target)."""
    item_age, pair_age = np.asarray(item_age), np.asarray(pair_age)
    since = np.asarray(months_since_sale)
    return np.select([item_age <= 0, pair_age <= 0, since == horizon], [0, 1, 2],
                     3).astype(np.int8)


def total_classes(item_age, item_lag1) -> np.ndarray:
    """TOTAL_CLASSES code per item from its age and its units last month (NaN: none sold)."""
    item_age, lag1 = np.asarray(item_age), np.nan_to_num(np.asarray(item_lag1, dtype=float))
    return np.select([item_age <= 0, lag1 > 0], [0, 1], 2).astype(np.int8)


def _scale(pred: np.ndarray) -> np.ndarray:
    return np.maximum(pred / SCALE_FROM, 1.0)


@dataclass
class RangeTable:
    """Scaled residual quantiles per (class, bin): lo[c][b] for P10, hi[c][b] for P90."""

    edges: list[float]
    classes: list[str]
    lo: list[list[float]]
    hi: list[list[float]]
    rows: list[list[int]]   # residuals behind each pool (before borrowing)

    def bounds(self, pred, cls) -> tuple[np.ndarray, np.ndarray]:
        """(P10, P90) for forecasts `pred` of classes `cls`: 0 <= P10 <= pred <= P90."""
        pred = np.maximum(np.asarray(pred, dtype=np.float64), 0.0)
        b = np.searchsorted(np.asarray(self.edges), pred, side="right") - 1
        c = np.asarray(cls, dtype=np.int64)
        s = _scale(pred)
        p10 = s * np.asarray(self.lo)[c, b]
        p90 = s * np.asarray(self.hi)[c, b]
        return np.clip(p10, 0.0, pred), np.maximum(p90, pred)

    def to_json(self) -> dict:
        """Plain JSON for the model card."""
        return {"edges": list(self.edges), "classes": list(self.classes), "p10": self.lo,
                "p90": self.hi, "rows": self.rows}

    @classmethod
    def from_json(cls, data, where: str) -> RangeTable:
        """Read `to_json`'s form back, checked; ValueError (TypeError: not an object) naming
        `where` and the key if wrong."""
        if not isinstance(data, dict):
            raise TypeError(f"{where} must be an object")
        edges, classes = data.get("edges"), data.get("classes")
        if not _numbers(edges) or not edges or edges[0] != 0 or any(
                a >= b for a, b in pairwise(edges)):
            raise ValueError(f"{where}: edges must be increasing numbers from 0")
        if not isinstance(classes, list) or not classes or not all(
                isinstance(c, str) for c in classes):
            raise ValueError(f"{where}: classes must be a list of names")
        shape = (len(classes), len(edges))
        for key in ("p10", "p90", "rows"):
            cells = data.get(key)
            if not (isinstance(cells, list) and len(cells) == shape[0]
                    and all(_numbers(r) and len(r) == shape[1] for r in cells)):
                raise ValueError(f"{where}: {key} must be {shape[0]} rows of {shape[1]} numbers")
        lo, hi = np.asarray(data["p10"], dtype=float), np.asarray(data["p90"], dtype=float)
        if not (np.isfinite(lo).all() and np.isfinite(hi).all() and (lo <= hi).all()):
            raise ValueError(f"{where}: every p10 must be a finite number no larger than its p90")
        return cls(list(map(float, edges)), list(classes), lo.tolist(), hi.tolist(),
                   [[int(n) for n in r] for r in data["rows"]])


def _numbers(values) -> bool:
    return isinstance(values, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def fit_table(pred, actual, cls, edges, classes) -> RangeTable:
    """The quantile table of backtest forecasts `pred`, their `actual` values and classes `cls`.

    A pool with fewer than MIN_ROWS residuals takes in the same class's neighbouring bins (up to
    MAX_WIDEN either side); still too few, the bin's residuals of every class; then every bin's.
    """
    pred = np.maximum(np.asarray(pred, dtype=np.float64), 0.0)
    resid = np.asarray(actual, dtype=np.float64) / _scale(pred)
    b = np.searchsorted(np.asarray(edges), pred, side="right") - 1
    c = np.asarray(cls, dtype=np.int64)
    nb, nc = len(edges), len(classes)
    rows = np.bincount(c * nb + b, minlength=nc * nb).reshape(nc, nb)
    everywhere = (tuple(np.quantile(resid, FIT_LEVELS, method=QUANTILE_METHOD)) if len(resid)
                  else (0.0, 0.0))
    pooled = [_widened(resid, b, bi, nb) or everywhere for bi in range(nb)]
    lo, hi = np.zeros((nc, nb)), np.zeros((nc, nb))
    for ci in range(nc):
        mine = resid[c == ci], b[c == ci]
        for bi in range(nb):
            q = _widened(*mine, bi, MAX_WIDEN)
            lo[ci, bi], hi[ci, bi] = q if q is not None else pooled[bi]
    return RangeTable(list(map(float, edges)), list(classes), np.round(lo, 6).tolist(),
                      np.round(hi, 6).tolist(), rows.tolist())


def _widened(resid, b, at, most):
    """Quantiles of bin `at` and up to `most` bins either side, until MIN_ROWS; else None."""
    for w in range(most + 1):
        sel = resid[(b >= at - w) & (b <= at + w)]
        if len(sel) >= MIN_ROWS:
            return tuple(np.quantile(sel, FIT_LEVELS, method=QUANTILE_METHOD))
    return None


def pinball(lower, upper, actual) -> float:
    """Mean pinball loss of a range: at 0.1 for the lower bound plus at 0.9 for the upper."""
    y = np.asarray(actual, dtype=np.float64)

    def loss(q, tau):
        d = y - np.asarray(q, dtype=np.float64)
        return np.maximum(tau * d, (tau - 1) * d)

    return float(np.mean(loss(lower, LEVELS[0]) + loss(upper, LEVELS[1]))) if len(y) else 0.0


def naive_range(last12: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The naive range: each row's own 10th and 90th percentile over its last 12 months (rows x
    12, zeros where nothing sold; a row without history is all zeros, so 0 and 0)."""
    last12 = np.asarray(last12, dtype=np.float64)
    if not len(last12):
        return np.zeros(0), np.zeros(0)
    q = np.quantile(last12, LEVELS, axis=1)
    return q[0], q[1]


REPORT_EDGES = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)   # the coverage table's forecast bins


def coverage(pred, lower, upper, actual, edges=REPORT_EDGES) -> list[dict]:
    """Per bin of the forecast: rows, share of actuals above P90 and below P10 (strictly)."""
    pred, y = np.asarray(pred, dtype=np.float64), np.asarray(actual, dtype=np.float64)
    b = np.searchsorted(np.asarray(edges), pred, side="right") - 1
    out = []
    for k, lo in enumerate(edges):
        sel = b == k
        n = int(sel.sum())
        hi = edges[k + 1] if k + 1 < len(edges) else None
        row = {"from": float(lo), "to": hi, "rows": n}
        if n:
            row["above_p90"] = float(np.mean(y[sel] > np.asarray(upper)[sel]))
            row["below_p10"] = float(np.mean(y[sel] < np.asarray(lower)[sel]))
        out.append(row)
    return out
