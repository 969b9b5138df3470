"""Cleaning steps applied to loaded sales: each a small function returning new data plus a count.

Returns (negative item_cnt_day) are kept on purpose: monthly sums must net them out.
"""

from __future__ import annotations

import dataclasses
import unicodedata

import numpy as np
import pandas as pd

from salesapp.errors import InputError

# An outlier is a value above OUTLIER_FACTOR times the 99.99th percentile of its column: relative
# to the data, so it works at any scale, and the quantile is barely moved by a handful of absurd
# rows. Aimed at the real data's day of 2,169 units and price of 307,980 while keeping expensive
# but real items (~60,000); the real files are not available here, so this is not verified on them.
OUTLIER_QUANTILE = 0.9999
OUTLIER_FACTOR = 4.0
# Words that mark the same shop under another name in the real data ("... фран" = franchise).
ALIAS_NOISE_WORDS = ("фран",)
# A shop with at most this many active months, none of them consecutive, only ran sale events.
EVENT_MAX_MONTHS = 6


def outlier_thresholds(sales: pd.DataFrame, quantile: float = OUTLIER_QUANTILE,
                       factor: float = OUTLIER_FACTOR) -> dict[str, float]:
    """Upper limits for item_price and item_cnt_day: factor x the column's high quantile."""
    return {col: float(sales[col].quantile(quantile)) * factor
            for col in ("item_price", "item_cnt_day")}


def drop_outliers(sales: pd.DataFrame, quantile: float = OUTLIER_QUANTILE,
                  factor: float = OUTLIER_FACTOR) -> tuple[pd.DataFrame, int]:
    """Drop rows whose price or daily count is absurdly above the rest of the data."""
    limits = outlier_thresholds(sales, quantile, factor)
    bad = np.zeros(len(sales), dtype=bool)
    for col, limit in limits.items():
        if limit > 0:
            bad |= sales[col].to_numpy() > limit
    return sales.loc[~bad].reset_index(drop=True), int(bad.sum())


def fix_negative_prices(sales: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Replace a negative price by the item's median price in that shop and month.

    Falls back to the item's median over all shops and months, then drops the row if the item has no
    valid price anywhere (rare; it cannot be priced).
    """
    neg = sales["item_price"].to_numpy() < 0
    if not neg.any():
        return sales, 0
    sales = sales.copy()
    valid = sales.loc[~neg]
    keys = ["item_id", "shop_id", "date_block_num"]
    local = valid.groupby(keys)["item_price"].median().rename("local")
    overall = valid.groupby("item_id")["item_price"].median()
    fix = sales.loc[neg, keys].merge(local, left_on=keys, right_index=True, how="left")
    # A copy: under pandas' copy-on-write, to_numpy of a float64 column is a read-only view.
    price = fix["local"].to_numpy(dtype="float64", copy=True)
    missing = np.isnan(price)
    price[missing] = fix["item_id"].map(overall).to_numpy(dtype="float64")[missing]
    sales.loc[neg, "item_price"] = price.astype(np.float32)
    sales = sales.loc[~sales["item_price"].isna()].reset_index(drop=True)
    return sales, int(neg.sum())


def normalise_shop_name(name: str) -> str:
    """Lower-case letters and digits only, noise words dropped: '!Якутск 56 фран' ~ 'Якутск 56'."""
    text = name.lower().replace("ё", "е")
    kept = "".join(ch if unicodedata.category(ch) in ("Ll", "Lu", "Nd") else " " for ch in text)
    words = [w for w in kept.split() if w not in ALIAS_NOISE_WORDS]
    # "39м?" and "39м²" differ only by the dropped symbol: glue words so spacing does not matter.
    return "".join(words)


def active_months(sales: pd.DataFrame) -> dict[int, set[int]]:
    """shop_id -> the set of date_block_num in which it sold anything."""
    pairs = sales[["shop_id", "date_block_num"]].drop_duplicates()
    return {int(s): set(g.tolist()) for s, g in pairs.groupby("shop_id")["date_block_num"]}


def detect_shop_aliases(shops: pd.DataFrame, sales: pd.DataFrame) -> dict[int, int]:
    """Duplicate shop id -> kept id: same normalised name and months of activity that never overlap.

    The kept id is the one the shop sold under most recently: the id it trades under now, which
    its users and the data's own forecast set (test.csv) know it by (in the real data:
    0->57, 1->58, 11->10). A tie (neither sold) keeps the highest id.
    """
    months = active_months(sales)
    groups = shops.groupby(shops["shop_name"].map(normalise_shop_name))["shop_id"]
    aliases: dict[int, int] = {}
    for _, ids in groups:
        ids = sorted(int(i) for i in ids)
        if len(ids) < 2:
            continue
        sets = [months.get(i, set()) for i in ids]
        if sum(len(s) for s in sets) != len(set().union(*sets)):
            continue  # overlapping months: two real shops that share a name
        kept = max(ids, key=lambda i: (max(months.get(i, ()), default=-1), i))
        aliases.update({i: kept for i in ids if i != kept})
    return aliases


def check_aliases(aliases: dict[int, int], shops: pd.DataFrame) -> dict[int, int]:
    """Validate an explicit mapping: every id must be in shops.csv."""
    known = set(shops["shop_id"].astype(int))
    for old, new in aliases.items():
        for sid in (old, new):
            if int(sid) not in known:
                raise InputError(f"shop alias {old}->{new} names shop {sid}, which is not in "
                                 "shops.csv")
    return {int(k): int(v) for k, v in aliases.items()}


def apply_shop_aliases(frame: pd.DataFrame, aliases: dict[int, int]) -> pd.DataFrame:
    """Replace duplicate shop ids by their kept id (dtype preserved)."""
    if not aliases or frame is None:
        return frame
    frame = frame.copy()
    lookup = np.arange(128, dtype=np.int64)
    for old, new in aliases.items():
        lookup[old] = new
    frame["shop_id"] = lookup[frame["shop_id"].to_numpy()].astype(frame["shop_id"].dtype)
    return frame


def find_event_shops(sales: pd.DataFrame, max_months: int = EVENT_MAX_MONTHS) -> list[int]:
    """Shops that only ran sale events: 2..max_months active months, no two of them consecutive."""
    events = []
    for shop, months in active_months(sales).items():
        ordered = sorted(months)
        if 2 <= len(ordered) <= max_months and min(np.diff(ordered)) > 1:
            events.append(shop)
    return sorted(events)


def clean(data, shop_aliases: dict[int, int] | None = None):
    """Run every cleaning step on a SalesData; returns a new SalesData with a cleaning report."""
    sales, outliers = drop_outliers(data.sales)
    sales, fixed = fix_negative_prices(sales)
    if shop_aliases is None:
        aliases = detect_shop_aliases(data.shops, sales)
    else:
        aliases = check_aliases(shop_aliases, data.shops)
    sales = apply_shop_aliases(sales, aliases)
    report = {"outliers_dropped": outliers, "negative_prices_fixed": fixed,
              "thresholds": outlier_thresholds(data.sales)}
    return dataclasses.replace(
        data, sales=sales, test=apply_shop_aliases(data.test, aliases), shop_aliases=aliases,
        event_shops=find_event_shops(sales), cleaning_report=report)


def open_shops(sales: pd.DataFrame, event_shops: list[int]) -> list[int]:
    """The shops the forecast month is expected to trade in: those that sold in the data's last
    month, without the shops that only ran sale events (one of those selling in the last month
    says nothing of the next, and its sales would inflate an item's total)."""
    last = sales["date_block_num"].max()
    sold = {int(s) for s in sales.loc[sales["date_block_num"] == last, "shop_id"].unique()}
    return sorted(sold - {int(s) for s in event_shops})
