"""Feature rows for (month, shop, item): one code path for training and prediction.

Everything is computed from `MonthlyHistory` restricted to months strictly before each row's month,
so the target month never leaks into its own features.

Speed: the per-level monthly tables are dense numpy arrays (month x compact id codes), filled with
`np.bincount` and read with plain fancy indexing, not pandas group-bys and hashed index lookups:
every prediction batch reads dozens of them, and at full scale the arrays stay a few MB.
Only the pair level stays sparse (months x shops x items would be 45 M cells): its history rows
in month order, one month made into a dense shops x items slice when it is read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
# pandas is imported only where a frame is made: the prediction path (`feature_matrix`) runs
# without it, which keeps pandas' import out of the start-up of `salesapp work` and the window.

LAGS = (1, 2, 3, 6, 12)
# Lags kept per level. Shop-level values are nearly constant within a month, so many of them
# would let the trees tell the training months apart and fit each month's noise; `shop_weight`
# carries the shop's size instead. The pair's lags 1-3 and 12 also feed the naive baselines.
LEVEL_LAGS = {"pair": LAGS, "item": LAGS, "shop": (1,), "cat": (1, 2, 12), "shopcat": (1,)}
CLIP = 20.0
LEVELS = ("pair", "item", "shop", "cat", "shopcat")
NONE = -1  # "no such month" in the age features


@dataclass
class MonthlyHistory:
    """Monthly sums per (month, shop, item): the compact state both training and prediction use."""

    month: np.ndarray   # int16
    shop: np.ndarray    # int16
    item: np.ndarray    # int32
    cnt: np.ndarray     # float32, monthly sum of item_cnt_day (not clipped)
    price: np.ndarray   # float32, mean price that month


def monthly_history(sales: pd.DataFrame) -> MonthlyHistory:
    """Aggregate daily sales to one row per (month, shop, item)."""
    g = sales.groupby(["date_block_num", "shop_id", "item_id"], sort=True, observed=True)
    agg = g.agg(cnt=("item_cnt_day", "sum"), price=("item_price", "mean")).reset_index()
    return MonthlyHistory(agg["date_block_num"].to_numpy(np.int16),
                          agg["shop_id"].to_numpy(np.int16), agg["item_id"].to_numpy(np.int32),
                          agg["cnt"].to_numpy(np.float32), agg["price"].to_numpy(np.float32))


def _codes(known: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Position of each id in the sorted array `known` (its dense code); -1 for an unknown id."""
    ids = np.asarray(ids, dtype=np.int64)
    if not len(known):
        return np.full(len(ids), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(known, ids), len(known) - 1)
    return np.where(known[pos] == ids, pos, -1)


def _ids_and_codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct ids, code of each element): by counting when ids are small, else sorting."""
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        ids = ids.astype(np.int64)
    # (the history's int16/int32 ids are used as they are: a 2 M-row int64 copy is not free)
    if len(ids) and ids.min() >= 0 and ids.max() < 1 << 24:
        known = np.flatnonzero(np.bincount(ids))
        code_of = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
        code_of[known] = np.arange(len(known))
        return known, code_of[ids]
    known, codes = np.unique(ids, return_inverse=True)
    return known, codes.reshape(-1)


def _take(table: np.ndarray, *index: np.ndarray) -> np.ndarray:
    """table[index] as float32; every index in -1..n-1, where -1 reads the table's padding."""
    return table[index].astype(np.float32, copy=False)


def _padded(table: np.ndarray, fill=np.nan) -> np.ndarray:
    """`table` with one more cell at the end of every axis holding `fill`.

    Unknown codes and months outside the history are -1, which numpy reads as that last cell: a
    lookup is one fancy-indexing call, with no bounds masks to build and apply for each one.
    """
    return np.pad(table, [(0, 1)] * table.ndim, constant_values=fill)


def _month(ctx, month: np.ndarray) -> np.ndarray | int:
    """Month numbers as table indices: -1 (the padding) outside the history's months.

    One month for every row (every forecast, every training month) comes back as a plain int:
    numpy then slices that month and gathers along the other axes only, rather than along all.
    """
    lo, hi = (int(month.min()), int(month.max())) if month.size else (0, 1)
    if lo == hi:
        return lo if 0 <= lo < ctx.n_months else -1
    return np.where((month >= 0) & (month < ctx.n_months), month, -1)


def _sums(shape: tuple, flat: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Sum of `weights` (or row count) per cell of a dense table; `flat`: C-order cell index."""
    size = int(np.prod(shape))
    return np.bincount(flat, weights=weights, minlength=size).reshape(shape)


def _ratio(num: np.ndarray, den: np.ndarray, present: np.ndarray) -> np.ndarray:
    """num / den as float32 where `present` (and den > 0), NaN elsewhere."""
    den = np.asarray(den, dtype=np.float64)
    shape = np.broadcast_shapes(np.shape(num), den.shape, present.shape)
    out = np.full(shape, np.nan, dtype=np.float32)
    # divided in float64, rounded once into float32; no temporary full-size arrays
    np.divide(num, den, out=out, where=present & (den > 0), casting="same_kind")
    return out


def _memo(ctx, name: str, make):
    """A value derived from the whole history, made once per context, not once per call."""
    memo = ctx.__dict__.setdefault("_per_call_memo", {})
    if name not in memo:
        memo[name] = make()
    return memo[name]


def _last_in(combo_sorted: np.ndarray, key: np.ndarray, month: np.ndarray,
             span: int) -> np.ndarray:
    """Latest month < month among sorted (key * span + month) codes of the same key (every month
    below `span`); NONE if none."""
    pos = np.searchsorted(combo_sorted, key * span + month, side="left") - 1
    ok = pos >= 0
    safe = np.maximum(pos, 0)
    ok &= (combo_sorted[safe] // span) == key if len(combo_sorted) else False
    return np.where(ok, combo_sorted[safe] % span, NONE).astype(np.int16)


class FeatureContext:
    """Per-level monthly tables and first/last-sale months, built once from the history.

    Tables are indexed [month, code...] with the compact codes of `shops`, `items`, `cats`
    (an id's code is its position in that sorted array); a cell with no history row is NaN, as a
    missing group in a group-by would be.
    """

    def __init__(self, hist: MonthlyHistory,
                 item_cats: pd.Series | tuple[np.ndarray, np.ndarray]):
        """`item_cats`: item_category_id indexed by item_id, or (item ids, category ids) arrays,
        for every item the catalogue knows."""
        ids, cats = item_cats if isinstance(item_cats, tuple) else (item_cats.index, item_cats)
        ids = np.asarray(ids, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        self.catalogue_ids = ids[order]
        self.catalogue_cats = np.nan_to_num(np.asarray(cats, dtype=np.float64)[order],
                                            nan=0).astype(np.int64)
        m = hist.month.astype(np.int64)
        self.shops, s = _ids_and_codes(hist.shop)
        self.items, i = _ids_and_codes(hist.item)
        self.cats, cat_code = _ids_and_codes(_category_of(self, self.items))
        nm, ns, ni, nc = (int(m.max()) + 1 if len(m) else 1, len(self.shops), len(self.items),
                          len(self.cats))
        y = np.clip(hist.cnt, 0, CLIP).astype(np.float64)
        u = np.maximum(hist.cnt, 0).astype(np.float64)
        p = hist.price.astype(np.float64)
        # Two passes over the rows: month x item and month x shop x category. Every other level
        # is a sum over one axis of the second (sums of counts are exact in any order).
        at_mi = m * ni
        at_mi += i
        at_msc = m * ns   # in place: a fresh process pays page faults for every 2 M-row array
        at_msc += s
        at_msc *= nc
        at_msc += cat_code[i]
        mi = {k: _sums((nm, ni), at_mi, v) for k, v in (("n", None), ("y", y), ("u", u), ("p", p))}
        msc = {k: _sums((nm, ns, nc), at_msc, v)
               for k, v in (("n", None), ("y", y), ("u", u), ("p", p))}
        ms = {k: v.sum(axis=2) for k, v in msc.items()}
        mc = {k: v.sum(axis=1) for k, v in msc.items()}
        shops_open = (ms["n"] > 0).sum(axis=1).astype(np.float64)
        items_active = (mi["n"] > 0).sum(axis=1).astype(np.float64)
        self.tables = {"item": _ratio(mi["y"], shops_open[:, None], mi["n"] > 0),
                       "shop": _ratio(ms["y"], items_active[:, None], ms["n"] > 0),
                       "cat": _ratio(mc["y"], shops_open[:, None], mc["n"] > 0),
                       "shopcat": _ratio(msc["y"], msc["n"], msc["n"] > 0)}
        self._pairs(m, s, i, y, nm, ns, ni)
        sold = mi["n"] > 0   # every item in the history sold in some month
        first = np.argmax(sold, axis=0)
        self.first_item = first.astype(np.float64)
        new = m == first[i]   # the rows of each item's first month
        new_msc = {k: _sums((nm, ns, nc), at_msc[new], v)
                   for k, v in (("n", None), ("y", y[new]), ("u", u[new]))}
        self._rates(mi, ms, mc, shops_open, new_msc["u"].sum(axis=(1, 2)), _sums((nm,), first))
        self._prices(mi, mc, i[new], p[new])
        n_new = _sums((nm, nc), first * nc + cat_code)   # items first sold per month, category
        per_new = np.maximum(n_new, 1)
        self.new_items = {
            "shop": _ratio(new_msc["y"] / per_new[:, None, :], 1.0, new_msc["n"] > 0),
            "chain": _ratio(new_msc["y"].sum(axis=1) / per_new / max(1, ns), 1.0,
                            new_msc["n"].sum(axis=1) > 0)}
        self.n_months = nm
        self._pad_tables()

    def _pad_tables(self) -> None:
        """Every lookup table gets its padding cell (see `_padded`)."""
        for group in (self.tables, self.rates, self.new_items):
            for name, table in group.items():
                group[name] = _padded(table)
        for name in ("shop_weight", "chain_rate", "new_rate", "first_item", "first_price",
                     "cat_price", "item_month_p", "item_month_y", "first_pair"):
            setattr(self, name, _padded(getattr(self, name)))
        self.item_last_sale = _padded(self.item_last_sale, NONE)
        self.last_pair = _padded(self.last_pair, NONE)

    def _pairs(self, m, s, i, y, nm, ns, ni) -> None:
        """The pair level: its rows sorted by month (a contiguous block per month), first/last sale."""
        if len(m) and (m[1:] < m[:-1]).any():   # `monthly_history` gives them sorted already
            order = np.argsort(m, kind="stable")
            m, s, i, y = m[order], s[order], i[order], y[order]
        self.pair_shop = s.astype(np.int32)
        self.pair_item = i.astype(np.int32)
        self.pair_y = y.astype(np.float32)
        self.pair_month_start = np.searchsorted(m, np.arange(nm + 1))
        # a pair appears at most once in a month's block: plain assignments, month by month, leave
        # the earliest (descending pass) and the latest (ascending pass) month of each pair
        first = np.full((ns, ni), np.nan)
        last = np.full((ns, ni), NONE, dtype=np.int16)
        blocks = list(zip(range(nm), self.pair_month_start[:-1], self.pair_month_start[1:]))
        for month, a, b in reversed(blocks):
            first[self.pair_shop[a:b], self.pair_item[a:b]] = month
        for month, a, b in blocks:
            last[self.pair_shop[a:b], self.pair_item[a:b]] = month
        self.first_pair, self.last_pair = first, last

    def _rates(self, mi, ms, mc, shops_open, new_units, n_new) -> None:
        """Unclipped rates: the data's multiplicative structure (item x shop x season) made explicit.

        Trees find products hard to learn; an item's units per open shop times a shop's share of
        the chain's sales is close to the pair's expected count, so it is given directly.
        """
        open_ms = ms["n"] > 0
        month_mean = (np.where(open_ms, ms["u"], 0).sum(axis=1)
                      / np.maximum(open_ms.sum(axis=1), 1))
        self.shop_weight = _ratio(ms["u"], month_mean[:, None], open_ms)
        self.rates = {"item": _ratio(mi["u"], shops_open[:, None], mi["n"] > 0),
                      "cat": _ratio(mc["u"], shops_open[:, None], mc["n"] > 0)}
        self.chain_rate = _ratio(ms["u"].sum(axis=1), shops_open, shops_open > 0)
        # units per open shop of the items first sold that month: the prior of a new item
        self.new_rate = _ratio(new_units / np.maximum(n_new, 1), shops_open, n_new > 0)

    def _prices(self, mi, mc, first_rows_item, first_rows_price) -> None:
        """Item and category prices; also the item's monthly units (its chart and last sale)."""
        nm, ni = mi["n"].shape
        sold = mi["n"] > 0
        self.item_month_y = np.where(sold, mi["y"], np.nan)
        self.item_month_p = _ratio(mi["p"], mi["n"], sold)
        # latest month <= m in which the item sold anywhere (NONE before its first sale)
        self.item_last_sale = np.maximum.accumulate(
            np.where(sold, np.arange(nm)[:, None], NONE), axis=0).astype(np.int16)
        n_first = _sums((ni,), first_rows_item)
        self.first_price = _ratio(_sums((ni,), first_rows_item, first_rows_price), n_first,
                                  n_first > 0)
        self.cat_price = _ratio(mc["p"], mc["n"], mc["n"] > 0)

    def item_month_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(item, month, units): clipped units summed over shops for every month an item sold,
        sorted by item then month."""
        units = self.item_month_y[:-1, :-1]   # without the padding
        ii, mm = np.nonzero(~np.isnan(units.T))
        return self.items[ii], mm.astype(np.int64), units[mm, ii]


def _category_of(ctx: FeatureContext, item: np.ndarray) -> np.ndarray:
    """Category id of each item id (0 for an id the catalogue does not know)."""
    pos = _codes(ctx.catalogue_ids, item)
    return np.where(pos >= 0, ctx.catalogue_cats[np.maximum(pos, 0)], 0) if len(pos) else pos


def build_features(ctx: FeatureContext, month: np.ndarray, shop: np.ndarray,
                   item: np.ndarray) -> pd.DataFrame:
    """Feature frame for rows (month, shop, item); uses only history months < each row's month."""
    import pandas as pd
    return pd.DataFrame(feature_columns(ctx, month, shop, item))


def feature_matrix(ctx: FeatureContext, month: np.ndarray, shop: np.ndarray,
                   item: np.ndarray) -> tuple[list[str], np.ndarray]:
    """(names, float32 rows x features matrix): what `build_features` gives, without pandas."""
    cols = feature_columns(ctx, month, shop, item)
    out = np.empty((len(np.asarray(month)), len(cols)), dtype=np.float32)
    for j, values in enumerate(cols.values()):
        out[:, j] = values
    return list(cols), out


def feature_columns(ctx: FeatureContext, month: np.ndarray, shop: np.ndarray,
                    item: np.ndarray) -> dict[str, np.ndarray]:
    """Feature name -> column for rows (month, shop, item), in the model's order."""
    month = np.asarray(month, dtype=np.int64)
    shop = np.asarray(shop, dtype=np.int64)
    item = np.asarray(item, dtype=np.int64)
    cat = _category_of(ctx, item)
    s, i, c = _codes(ctx.shops, shop), _codes(ctx.items, item), _codes(ctx.cats, cat)
    codes = {"item": (i,), "shop": (s,), "cat": (c,), "shopcat": (s, c)}
    out: dict[str, np.ndarray] = {"shop_id": shop.astype(np.int16), "category_id": cat.astype(np.int16)}
    for level in LEVELS:
        wanted = sorted({*LEVEL_LAGS[level], 1, 2, 3})
        if level == "pair":
            lags = {lag: _pair_lag(ctx, month - lag, s, i) for lag in wanted}
        else:
            lags = {lag: _take(ctx.tables[level], _month(ctx, month - lag), *codes[level])
                        for lag in wanted}
        out.update({f"{level}_lag{lag}": lags[lag] for lag in LEVEL_LAGS[level]})
        if level != "shop":
            out[f"{level}_mean3"] = (lags[1] + np.nan_to_num(lags[2])
                                     + np.nan_to_num(lags[3])) / np.float32(3)
    out.update(_rate_features(ctx, month, s, i, c))
    out.update(_age_features(ctx, month, s, i))
    out.update(_price_features(ctx, month, i, c))
    out["new_shop_lag1"] = _take(ctx.new_items["shop"], _month(ctx, month - 1), s, c)
    out["new_chain_lag1"] = _take(ctx.new_items["chain"], _month(ctx, month - 1), c)
    return out


def _pair_lag(ctx: FeatureContext, month, s, i) -> np.ndarray:
    """The pair's clipped sales in `month`; 0 for a month it did not sell.

    Each distinct month (one for a forecast or a training month) becomes a dense shops x items
    slice from its contiguous block of history rows, read by the rows' codes.
    """
    at = _month(ctx, month)
    if isinstance(at, int):
        return _pair_slice(ctx, at)[s, i]
    out = np.zeros(len(month), dtype=np.float32)
    for m in np.unique(at[at >= 0]):
        rows = at == m
        out[rows] = _pair_slice(ctx, int(m))[s[rows], i[rows]]
    return out


PAIR_SLICES_KEPT = 5   # a forecast reads 5 months (lags 1, 2, 3, 6, 12); each slice is shops x items
_PAIR_SLICES_LOCK = threading.Lock()


def _pair_slice(ctx: FeatureContext, m: int) -> np.ndarray:
    """Month m's clipped pair sales as a padded (shops + 1) x (items + 1) table (zeros: no sale).

    The last few are kept: the window predicts in batches of a few hundred items, and making the
    five slices again for each batch would cost more than the batch's own lookups.
    """
    with _PAIR_SLICES_LOCK:   # pool threads predict with one context at once
        kept = ctx.__dict__.setdefault("_pair_slices", {})
        if m not in kept:
            if len(kept) >= PAIR_SLICES_KEPT:
                del kept[next(iter(kept))]   # the oldest
            kept[m] = _make_pair_slice(ctx, m)
        return kept[m]


def _make_pair_slice(ctx: FeatureContext, m: int) -> np.ndarray:
    dense = np.zeros((len(ctx.shops) + 1, len(ctx.items) + 1), dtype=np.float32)
    if m >= 0:
        a, b = ctx.pair_month_start[m], ctx.pair_month_start[m + 1]
        dense[ctx.pair_shop[a:b], ctx.pair_item[a:b]] = ctx.pair_y[a:b]
    return dense


def _nanmean3(lags: np.ndarray) -> np.ndarray:
    """Mean of the non-missing lags (NaN where all three are missing), without a warning."""
    count = (~np.isnan(lags)).sum(axis=0)
    total = np.nansum(lags, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan).astype(np.float32)


def _rate_features(ctx: FeatureContext, month, s, i, c) -> dict[str, np.ndarray]:
    """Item rate x shop weight (x last year's seasonal step) and the new-item prior for the shop."""
    first = _take(ctx.first_item, i).astype(np.float64)
    rates = np.stack([_item_rate(ctx, month - k, i, first) for k in (1, 2, 3)])
    rate1, rate3 = rates[0], _nanmean3(rates)
    weight = _nanmean3(np.stack([_take(ctx.shop_weight, _month(ctx, month - k), s) for k in (1, 2, 3)]))
    with np.errstate(invalid="ignore", divide="ignore"):
        cat_step = (_take(ctx.rates["cat"], _month(ctx, month - 12), c)
                    / _take(ctx.rates["cat"], _month(ctx, month - 13), c))
        chain_step = (_take(ctx.chain_rate, _month(ctx, month - 12))
                      / _take(ctx.chain_rate, _month(ctx, month - 13)))
    new3 = _nanmean3(np.stack([_take(ctx.new_rate, _month(ctx, month - k)) for k in (1, 2, 3)]))
    return {"item_rate_lag1": rate1, "item_rate_mean3": rate3, "shop_weight": weight,
            "pair_hat1": rate1 * weight, "pair_hat3": rate3 * weight,
            "pair_hat3_season": rate3 * weight * chain_step,
            "cat_season_step": cat_step, "new_item_hat": new3 * weight * chain_step}


def _item_rate(ctx: FeatureContext, month: np.ndarray, i: np.ndarray,
               first: np.ndarray) -> np.ndarray:
    """Units per open shop in `month`: 0 once the item has sold anywhere, NaN before that."""
    rate = _take(ctx.rates["item"], _month(ctx, month), i)
    return np.where(np.isnan(rate) & (first <= month), 0.0, rate).astype(np.float32)


def _age_features(ctx: FeatureContext, month, s, i) -> dict[str, np.ndarray]:
    first_item = _take(ctx.first_item, i).astype(np.float64)
    first_pair = _take(ctx.first_pair, s, i).astype(np.float64)
    # a first sale at or after the row's month is not history yet: age 0 means "new"
    item_age = np.where(first_item < month, month - first_item, 0)
    pair_age = np.where(first_pair < month, month - first_pair, 0)
    return {"item_age": np.nan_to_num(item_age).astype(np.int16),
            "pair_age": np.nan_to_num(pair_age).astype(np.int16),
            "pair_months_since_sale": _months_since_pair_sale(ctx, month, s, i)}


def _months_since_pair_sale(ctx: FeatureContext, month, s, i) -> np.ndarray:
    """Months since the pair's latest sale before `month` (NONE if none).

    A row after the pair's last sale (every row of a forecast) reads it from the dense table;
    only rows inside the pair's selling life (training) search the sorted history.
    """
    last = ctx.last_pair[s, i].astype(np.int64)
    inside = last >= month
    if inside.any():
        ni, span = len(ctx.items), ctx.n_months + 1   # a row inside has month < n_months
        pairs = _memo(ctx, "pair_months", lambda: np.sort(
            (ctx.pair_shop.astype(np.int64) * ni + ctx.pair_item) * span
            + np.repeat(np.arange(ctx.n_months), np.diff(ctx.pair_month_start))))
        last[inside] = _last_in(pairs, s[inside] * ni + i[inside], month[inside], span)
    return np.where(last >= 0, month - last, NONE).astype(np.int16)


def _price_features(ctx: FeatureContext, month, i, c) -> dict[str, np.ndarray]:
    # latest month before the row's month with a sale of the item anywhere
    at = _month(ctx, np.minimum(month - 1, ctx.n_months - 1))
    last = ctx.item_last_sale[at, i].astype(np.int64)
    last_price = _take(ctx.item_month_p, last, i)
    first_price = _take(ctx.first_price, i)
    cat_price = _take(ctx.cat_price, _month(ctx, month - 1), c)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"price_vs_first": (last_price / first_price).astype(np.float32),
                "price_vs_cat": (last_price / cat_price).astype(np.float32)}


def grid_month(hist: MonthlyHistory, m: int):
    """(shop, item, clipped target) of month m's grid: its shops x its items; None if no sales."""
    sel = hist.month == m
    shops, items = np.unique(hist.shop[sel]), np.unique(hist.item[sel])
    if len(shops) == 0:
        return None
    target = np.zeros(len(shops) * len(items), dtype=np.float32)
    at = np.searchsorted(shops, hist.shop[sel]) * len(items) + np.searchsorted(items, hist.item[sel])
    target[at] = np.clip(hist.cnt[sel], 0, CLIP)
    return np.repeat(shops, len(items)), np.tile(items, len(shops)), target


def training_grid(hist: MonthlyHistory, months: range) -> pd.DataFrame:
    """Shops with sales that month x items with sales that month, with the clipped monthly target."""
    import pandas as pd
    parts = []
    for m in months:
        g = grid_month(hist, m)
        if g is not None:
            parts.append(pd.DataFrame({"month": np.int16(m), "shop": g[0], "item": g[1],
                                       "target": g[2]}))
    return pd.concat(parts, ignore_index=True)
