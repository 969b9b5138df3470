"""Feature rows for (month, shop, item): one code path for training and prediction.

Everything is computed from `MonthlyHistory` restricted to months strictly before each row's month,
so the target month never leaks into its own features. Lookups use int64 composite keys and
`pd.Index.get_indexer` instead of repeated DataFrame merges: fast enough for the prediction path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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


def _key(*cols: np.ndarray) -> np.ndarray:
    """Composite int64 key: month (<4096) x shop/category (<4096) x item (<2^31)."""
    out = np.zeros(len(cols[0]), dtype=np.int64)
    for c in cols:
        out = out * np.int64(1 << 20) + np.asarray(c, dtype=np.int64)
    return out


def _lookup(table: pd.Series, keys: np.ndarray, fill: float = np.nan) -> np.ndarray:
    idx = table.index.get_indexer(keys)
    vals = table.to_numpy(np.float32)
    out = np.where(idx >= 0, vals[np.maximum(idx, 0)] if len(vals) else fill, fill)
    return out.astype(np.float32)


def _last_before(hist_key: np.ndarray, hist_month: np.ndarray, key: np.ndarray,
                 month: np.ndarray) -> np.ndarray:
    """Latest history month < month for the same key (NONE if none), via one searchsorted."""
    return _last_in(_sorted_combo(hist_key, hist_month), key, month)


def _sorted_combo(hist_key: np.ndarray, hist_month: np.ndarray) -> np.ndarray:
    """The (key, month) pairs of a history as sorted int64 codes, for `_last_in`."""
    return np.sort(hist_key * 64 + hist_month, kind="stable")


def _memo(ctx, name: str, make):
    """A value derived from the whole history, made once per context, not once per call.

    Prediction calls `build_features` once per batch; re-sorting the full history each time was
    about 0.2 s of every call at full scale, however small the batch.
    """
    memo = ctx.__dict__.setdefault("_per_call_memo", {})
    if name not in memo:
        memo[name] = make()
    return memo[name]


def _last_in(combo_sorted: np.ndarray, key: np.ndarray, month: np.ndarray) -> np.ndarray:
    """`_last_before` over codes already made by `_sorted_combo`."""
    pos = np.searchsorted(combo_sorted, key * 64 + month, side="left") - 1
    ok = pos >= 0
    safe = np.maximum(pos, 0)
    ok &= (combo_sorted[safe] // 64) == key if len(combo_sorted) else False
    return np.where(ok, combo_sorted[safe] % 64, NONE).astype(np.int16)


class FeatureContext:
    """Per-level monthly means and first-sale months, built once from the history."""

    def __init__(self, hist: MonthlyHistory, item_cats: pd.Series):
        """`item_cats`: item_category_id indexed by item_id (every known item)."""
        self.hist = hist
        self.item_cats = item_cats
        cat = item_cats.reindex(hist.item).to_numpy()
        self.hist_cat = np.nan_to_num(cat, nan=0).astype(np.int64)
        df = pd.DataFrame({"m": hist.month, "s": hist.shop, "i": hist.item, "c": self.hist_cat,
                           "y": np.clip(hist.cnt, 0, CLIP), "p": hist.price})
        shops_open = df.groupby("m")["s"].nunique()
        items_active = df.groupby("m")["i"].nunique()
        self.tables = {
            "pair": pd.Series(df["y"].to_numpy(), index=_key(df.m, df.s, df.i)),
            "item": self._mean(df, ["i"], shops_open),
            "shop": self._mean(df, ["s"], items_active),
            "cat": self._mean(df, ["c"], shops_open),
            "shopcat": self._sum(df, ["s", "c"]),
        }
        first_item = df.groupby("i")["m"].min()
        self.first_item = first_item
        self._rate_tables(hist, df, shops_open, first_item)
        self.first_pair = df.groupby(["s", "i"])["m"].min()
        self.first_pair.index = _key(self.first_pair.index.get_level_values(0),
                                     self.first_pair.index.get_level_values(1))
        self.first_price = df[df.m == df.i.map(first_item)].groupby("i")["p"].mean()
        self.cat_price = df.groupby(["m", "c"])["p"].mean()
        self.cat_price.index = _key(self.cat_price.index.get_level_values(0),
                                    self.cat_price.index.get_level_values(1))
        self.item_month = df.groupby(["i", "m"]).agg(y=("y", "sum"), p=("p", "mean")).reset_index()
        self.new_items = self._new_item_signals(df, first_item)

    def _rate_tables(self, hist: MonthlyHistory, df: pd.DataFrame, shops_open: pd.Series,
                     first_item: pd.Series) -> None:
        """Unclipped rates: the data's multiplicative structure (item x shop x season) made explicit.

        Trees find products hard to learn; an item's units per open shop times a shop's share of
        the chain's sales is close to the pair's expected count, so it is given directly.
        """
        units = pd.DataFrame({"m": df.m, "s": df.s, "i": df.i, "c": df.c,
                              "u": np.maximum(hist.cnt, 0)})
        per_shop = units.groupby(["m", "s"])["u"].sum()
        months = per_shop.index.get_level_values(0)
        month_mean = per_shop.groupby(level=0).mean()
        mean = month_mean.reindex(months).to_numpy()
        weight = np.divide(per_shop.to_numpy(), mean, out=np.full(len(mean), np.nan),
                           where=mean > 0)
        self.shop_weight = pd.Series(weight, index=_key(months, per_shop.index.get_level_values(1)))
        self.rates = {"item": self._mean(units.rename(columns={"u": "y"}), ["i"], shops_open),
                      "cat": self._mean(units.rename(columns={"u": "y"}), ["c"], shops_open)}
        chain = units.groupby("m")["u"].sum() / shops_open
        self.chain_rate = pd.Series(chain.to_numpy(), index=chain.index.to_numpy(np.int64))
        # units per open shop of the items first sold that month: the prior of a new item
        new = units[units.m.to_numpy() == units.i.map(first_item).to_numpy()]
        n_new = new.groupby("m")["i"].nunique()
        new_rate = new.groupby("m")["u"].sum() / n_new / shops_open.reindex(n_new.index)
        self.new_rate = pd.Series(new_rate.to_numpy(), index=new_rate.index.to_numpy(np.int64))

    @staticmethod
    def _mean(df: pd.DataFrame, keys: list[str], per_month: pd.Series) -> pd.Series:
        tot = df.groupby(["m", *keys])["y"].sum()
        months = tot.index.get_level_values(0)
        vals = tot.to_numpy() / per_month.reindex(months).to_numpy()
        return pd.Series(vals, index=_key(months, *[tot.index.get_level_values(k) for k in keys]))

    @staticmethod
    def _sum(df: pd.DataFrame, keys: list[str]) -> pd.Series:
        # shop x category: mean per item active in that shop and category that month
        tot = df.groupby(["m", *keys])["y"].mean()
        lv = [tot.index.get_level_values(i) for i in range(len(keys) + 1)]
        return pd.Series(tot.to_numpy(), index=_key(*lv))

    @staticmethod
    def _new_item_signals(df: pd.DataFrame, first_item: pd.Series) -> dict[str, pd.Series]:
        """Mean first-month sales of the category's new items, per shop and chain-wide."""
        new = df[df.m == df.i.map(first_item)]
        n_new = new.groupby(["m", "c"])["i"].nunique()
        shop_sum = new.groupby(["m", "s", "c"])["y"].sum()
        m, s, c = (shop_sum.index.get_level_values(k) for k in range(3))
        denom = n_new.reindex(pd.MultiIndex.from_arrays([m, c])).to_numpy()
        by_shop = pd.Series(shop_sum.to_numpy() / denom, index=_key(m, s, c))
        chain = new.groupby(["m", "c"])["y"].sum() / n_new
        chain = pd.Series(chain.to_numpy() / max(1, df["s"].nunique()),
                          index=_key(chain.index.get_level_values(0),
                                     chain.index.get_level_values(1)))
        return {"shop": by_shop, "chain": chain}


def build_features(ctx: FeatureContext, month: np.ndarray, shop: np.ndarray,
                   item: np.ndarray) -> pd.DataFrame:
    """Feature frame for rows (month, shop, item); uses only history months < each row's month."""
    month = np.asarray(month, dtype=np.int64)
    shop = np.asarray(shop, dtype=np.int64)
    item = np.asarray(item, dtype=np.int64)
    cat = np.nan_to_num(ctx.item_cats.reindex(item).to_numpy(), nan=0).astype(np.int64)
    ids = {"pair": (shop, item), "item": (item,), "shop": (shop,), "cat": (cat,),
           "shopcat": (shop, cat)}
    out: dict[str, np.ndarray] = {"shop_id": shop.astype(np.int16), "category_id": cat.astype(np.int16)}
    for level in LEVELS:
        fill = 0.0 if level == "pair" else np.nan
        lags = {lag: _lookup(ctx.tables[level], _key(month - lag, *ids[level]), fill)
                for lag in sorted({*LEVEL_LAGS[level], 1, 2, 3})}
        out.update({f"{level}_lag{lag}": lags[lag] for lag in LEVEL_LAGS[level]})
        if level != "shop":
            out[f"{level}_mean3"] = (lags[1] + np.nan_to_num(lags[2])
                                     + np.nan_to_num(lags[3])) / np.float32(3)
    out.update(_rate_features(ctx, month, shop, item, cat))
    out.update(_age_features(ctx, month, shop, item))
    out.update(_price_features(ctx, month, item, cat))
    for name, table in ctx.new_items.items():
        keys = (month - 1, shop, cat) if name == "shop" else (month - 1, cat)
        out[f"new_{name}_lag1"] = _lookup(table, _key(*keys))
    return pd.DataFrame(out)


def _nanmean3(lags: np.ndarray) -> np.ndarray:
    """Mean of the non-missing lags (NaN where all three are missing), without a warning."""
    count = (~np.isnan(lags)).sum(axis=0)
    total = np.nansum(lags, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan).astype(np.float32)


def _rate_features(ctx: FeatureContext, month, shop, item, cat) -> dict[str, np.ndarray]:
    """Item rate x shop weight (x last year's seasonal step) and the new-item prior for the shop."""
    first = ctx.first_item.reindex(item).to_numpy(np.float64)
    rates = np.stack([_item_rate(ctx, month - k, item, first) for k in (1, 2, 3)])
    rate1, rate3 = rates[0], _nanmean3(rates)
    weight = _nanmean3(np.stack([_lookup(ctx.shop_weight, _key(month - k, shop))
                                 for k in (1, 2, 3)]))
    with np.errstate(invalid="ignore", divide="ignore"):
        cat_step = (_lookup(ctx.rates["cat"], _key(month - 12, cat))
                    / _lookup(ctx.rates["cat"], _key(month - 13, cat)))
        chain_step = _lookup(ctx.chain_rate, month - 12) / _lookup(ctx.chain_rate, month - 13)
    new3 = _nanmean3(np.stack([_lookup(ctx.new_rate, month - k) for k in (1, 2, 3)]))
    return {"item_rate_lag1": rate1, "item_rate_mean3": rate3, "shop_weight": weight,
            "pair_hat1": rate1 * weight, "pair_hat3": rate3 * weight,
            "pair_hat3_season": rate3 * weight * chain_step,
            "cat_season_step": cat_step, "new_item_hat": new3 * weight * chain_step}


def _item_rate(ctx: FeatureContext, month: np.ndarray, item: np.ndarray,
               first: np.ndarray) -> np.ndarray:
    """Units per open shop in `month`: 0 once the item has sold anywhere, NaN before that."""
    rate = _lookup(ctx.rates["item"], _key(month, item))
    return np.where(np.isnan(rate) & (first <= month), 0.0, rate).astype(np.float32)


def _age_features(ctx: FeatureContext, month, shop, item) -> dict[str, np.ndarray]:
    first_item = ctx.first_item.reindex(item).to_numpy(np.float64)
    first_pair = ctx.first_pair.reindex(_key(shop, item)).to_numpy(np.float64)
    # a first sale at or after the row's month is not history yet: age 0 means "new"
    item_age = np.where(first_item < month, month - first_item, 0)
    pair_age = np.where(first_pair < month, month - first_pair, 0)
    pairs = _memo(ctx, "pair_months", lambda: _sorted_combo(
        _key(ctx.hist.shop, ctx.hist.item), ctx.hist.month.astype(np.int64)))
    last = _last_in(pairs, _key(shop, item), month)
    since = np.where(last >= 0, month - last, NONE)
    return {"item_age": np.nan_to_num(item_age).astype(np.int16),
            "pair_age": np.nan_to_num(pair_age).astype(np.int16),
            "pair_months_since_sale": since.astype(np.int16)}


def _price_features(ctx: FeatureContext, month, item, cat) -> dict[str, np.ndarray]:
    im = ctx.item_month
    items = _memo(ctx, "item_months", lambda: _sorted_combo(im["i"].to_numpy(np.int64),
                                                          im["m"].to_numpy(np.int64)))
    last = _last_in(items, item, month)
    price_tbl = _memo(ctx, "item_prices",
                      lambda: pd.Series(im["p"].to_numpy(), index=_key(im["m"], im["i"])))
    last_price = _lookup(price_tbl, _key(np.maximum(last, 0), item))
    last_price[last < 0] = np.nan
    first_price = ctx.first_price.reindex(item).to_numpy(np.float32)
    cat_price = _lookup(ctx.cat_price, _key(month - 1, cat))
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
    parts = []
    for m in months:
        g = grid_month(hist, m)
        if g is not None:
            parts.append(pd.DataFrame({"month": np.int16(m), "shop": g[0], "item": g[1],
                                       "target": g[2]}))
    return pd.concat(parts, ignore_index=True)
