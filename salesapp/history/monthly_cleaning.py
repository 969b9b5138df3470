"""Cleaning daily rows one month at a time, so that a month's monthly sums do not depend on
which other months came in the same import.

The loader's cleaning (`salesapp.model.cleaning`) decides on the whole data set at once: its
outlier limits are a quantile of every row, and a negative price falls back on the item's
median over all months. Applied to a single imported month those would give other limits, and
so other sums, than the same month inside a whole history. Here every rule looks only at the
month itself and at the months before it:

- outliers: each month keeps the high quantile of its own daily rows (stored with the history);
  the limit for month m is OUTLIER_FACTOR x the median of those quantiles over the held months
  up to m. The median keeps one month with an absurd row from lifting its own limit, and a
  month imported later never changes the limits of the months before it.
- a negative price becomes the item's median price in that shop and month, else in that month
  over all shops; a row that cannot be priced so is dropped (the loader's rule, per month).
- shop aliases are not applied here at all: the history keeps the shop ids of the files and
  merges duplicates when it is read (`WorkingHistory.monthly`), from every month held.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesapp.model.cleaning import OUTLIER_FACTOR, OUTLIER_QUANTILE, fix_negative_prices

COLUMNS = ("item_price", "item_cnt_day")


def month_quantiles(sales: pd.DataFrame) -> dict[int, dict[str, float]]:
    """Per month of `sales`: the OUTLIER_QUANTILE of each cleaned column over its own rows."""
    return {int(m): {c: float(g[c].quantile(OUTLIER_QUANTILE)) for c in COLUMNS}
            for m, g in sales.groupby("date_block_num", sort=True)}


def outlier_limit(quantiles: dict[int, dict[str, float]], month: int, column: str) -> float:
    """OUTLIER_FACTOR x the median quantile of `column` over the months up to `month`."""
    earlier = [q[column] for m, q in quantiles.items() if m <= month]
    return float(np.median(earlier)) * OUTLIER_FACTOR


def clean_months(sales: pd.DataFrame, held_quantiles: dict[int, dict[str, float]]
                 ) -> tuple[pd.DataFrame, dict[int, dict]]:
    """Clean validated daily rows month by month; (cleaned rows, per-month report).

    `held_quantiles` are the stored quantiles of the months already held; a month of `sales`
    replaces its own entry. Each report: daily_rows (kept), outliers_dropped,
    negative_prices_fixed and the month's quantiles (to store with the history).
    """
    own = month_quantiles(sales)
    quantiles = {**held_quantiles, **own}
    kept, report = [], {}
    for m, rows in sales.groupby("date_block_num", sort=True):
        m = int(m)
        bad = np.zeros(len(rows), dtype=bool)
        for col in COLUMNS:
            limit = outlier_limit(quantiles, m, col)
            if limit > 0:
                bad |= rows[col].to_numpy() > limit
        fixed_rows, fixed = fix_negative_prices(rows.loc[~bad].reset_index(drop=True))
        kept.append(fixed_rows)
        report[m] = {"daily_rows": len(fixed_rows), "outliers_dropped": int(bad.sum()),
                     "negative_prices_fixed": fixed, "quantiles": own[m]}
    cleaned = pd.concat(kept, ignore_index=True) if kept else sales.iloc[:0]
    return cleaned, report
