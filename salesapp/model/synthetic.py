"""Synthetic data of the 1C sales schema, with an oracle that knows each forecast's true mean.

`generate(out_dir, scale, seed)` writes `sales_train.csv.gz`, `items.csv`, `item_categories.csv`,
`shops.csv`, `test.csv` and `oracle.csv` (ID, expected = E[clip(Y, 0, 20)] under the true process,
realised = the sampled forecast-month count clipped to [0, 20]). Byte-identical for a seed.
`regime` picks a family of dynamics (`salesapp.model.regimes`); "default" is the one of old.
Everything is vectorised: the only Python loops run over months, never over rows or pairs.
"""

from __future__ import annotations

import calendar
import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from salesapp.model import synthetic_names as names
from salesapp.model.regimes import DEFAULT, Regime
from salesapp.model.regimes import regime as regime_named
from salesapp.model.synthetic_process import (
    FORECAST_BLOCK,
    N_CATEGORIES,
    N_MONTHS,
    N_SHOPS,
    REAL_NEW_ITEMS,
    REAL_TEST_ITEMS,
    TEST_CAP,
    Process,
    expected_clipped,
    expected_clipped_unknown_popularity,
    make_process,
    month_prices,
    sample_counts,
)

# Chance that each unit after the first of a month is sold on a day of its own: tunes the mean
# item_cnt_day (~1.24 in the real data).
ROW_SHARE = 0.5
RETURN_SHARE = 0.0025          # rows that get a return (-1) on another day of the month
DISCOUNT_SHARE, DISCOUNT = 0.08, 0.9
OUTLIER_COUNT, OUTLIER_PRICE = 2169, 307980.0   # the real data's absurd day and price
GZIP_LEVEL = 6
SALES_COLUMNS = ("date", "date_block_num", "shop_id", "item_id", "item_price", "item_cnt_day")


@dataclass
class MonthlyPairs:
    """Nonzero monthly counts of the history: one entry per (month, shop, item)."""

    month: np.ndarray
    shop: np.ndarray
    item: np.ndarray
    count: np.ndarray


def sample_history(rng: np.random.Generator, process: Process) -> MonthlyPairs:
    """Draw the monthly count of every open shop x launched item, keep the nonzero ones."""
    parts = []
    for month in range(N_MONTHS):
        shops = np.flatnonzero(process.shop_rate(month) > 0)
        items = np.flatnonzero(process.item_rate(month) > 0)
        counts = sample_counts(rng, process.mean_grid(month, shops, items),
                               process.regime.nb_shape)
        s_idx, i_idx = np.nonzero(counts)
        parts.append((np.full(s_idx.size, month), shops[s_idx], items[i_idx],
                      counts[s_idx, i_idx]))
    return MonthlyPairs(*(np.concatenate([p[k] for p in parts]) for k in range(4)))


def _days_in_month(month: np.ndarray) -> np.ndarray:
    table = np.array([calendar.monthrange(2013 + b // 12, b % 12 + 1)[1]
                      for b in range(N_MONTHS + 1)])
    return table[month]


def split_days(rng: np.random.Generator, pairs: MonthlyPairs) -> pd.DataFrame:
    """Daily rows: each monthly count split over distinct days of its month (counts >= 1)."""
    ndays = _days_in_month(pairs.month)
    rows = np.minimum(1 + rng.binomial(pairs.count - 1, ROW_SHARE), ndays)
    starts = np.concatenate([[0], np.cumsum(rows)[:-1]])
    owner = np.repeat(np.arange(rows.size), rows)
    position = np.arange(owner.size) - starts[owner]
    # Units beyond one per row go to random rows of the same pair.
    extra = pairs.count - rows
    unit_owner = np.repeat(np.arange(rows.size), extra)
    unit_row = starts[unit_owner] + (rng.random(unit_owner.size) * rows[unit_owner]).astype(int)
    counts = 1 + np.bincount(unit_row, minlength=owner.size)
    # Rows of a pair spread evenly from a random first day, so their days are distinct.
    offset = rng.integers(0, ndays)
    day = (offset[owner] + position * ndays[owner] // rows[owner]) % ndays[owner] + 1
    return pd.DataFrame({"month": pairs.month[owner], "day": day, "shop": pairs.shop[owner],
                         "item": pairs.item[owner], "count": counts})


def add_prices_returns_outliers(rng: np.random.Generator, process: Process,
                                rows: pd.DataFrame) -> pd.DataFrame:
    """Row prices (markdowns, discounts), returns that net out in the month, absurd rows."""
    month, item = rows["month"].to_numpy(), rows["item"].to_numpy()
    price = np.zeros(len(rows))
    for m in range(N_MONTHS):
        sel = month == m
        price[sel] = month_prices(process, m, item[sel])
    price = np.where(rng.random(price.size) < DISCOUNT_SHARE, np.round(price * DISCOUNT, 2), price)
    rows = rows.assign(price=price)
    # A return: one more unit sold on the row's day, one unit back on another day (sum unchanged).
    picked = np.flatnonzero(rng.random(len(rows)) < RETURN_SHARE)
    rows.loc[picked, "count"] += 1
    back = rows.iloc[picked].copy()
    ndays = _days_in_month(back["month"].to_numpy())
    back["day"] = (back["day"].to_numpy() + rng.integers(1, 5, len(back)) - 1) % ndays + 1
    back["count"] = -1
    absurd = _absurd_rows(rng, process, rows)
    rows = pd.concat([rows, back, absurd], ignore_index=True)
    order = np.lexsort((rows["item"], rows["shop"], rows["day"], rows["month"]))
    return rows.iloc[order].reset_index(drop=True)


def _absurd_rows(rng: np.random.Generator, process: Process, rows: pd.DataFrame) -> pd.DataFrame:
    """A day of 2,169 units, a price of 307,980 and a negative price, as in the real data.

    The negative price copies an existing row (as in the real data, where the item also sold at
    its usual price that month), so a cleaner can repair it from the same shop and month.
    """
    item = rows["item"].to_numpy()
    pick = item[rng.integers(0, item.size, 2)]
    at = int(rng.integers(0, len(rows)))
    twin = {k: int(rows[k].iat[at]) for k in ("month", "day", "shop", "item")}
    return pd.DataFrame({"month": [33, 13, twin["month"]], "day": [15, 22, twin["day"]],
                         "shop": [12, 12, twin["shop"]], "item": [*pick, twin["item"]],
                         "count": [OUTLIER_COUNT, 1, 1], "price": [0.9, OUTLIER_PRICE, -1.0]})


def forecast_set(rng: np.random.Generator, process: Process, scale: float):
    """test.csv pairs (42 open shops x round(5,100 scale) items) and the oracle for each."""
    shops = np.flatnonzero(process.shop_rate(FORECAST_BLOCK) > 0)
    n_test = max(round(REAL_TEST_ITEMS * scale), 20)
    new = np.flatnonzero(process.item_launch == FORECAST_BLOCK)[:n_test]
    old = np.flatnonzero(process.item_launch < FORECAST_BLOCK)
    weight = process.item_rate(FORECAST_BLOCK)[old] + 1e-9
    chosen = rng.choice(old, size=n_test - new.size, replace=False, p=weight / weight.sum())
    items = rng.permutation(np.concatenate([chosen, new]))
    shop_col = np.repeat(shops, items.size)
    item_col = np.tile(items, shops.size)
    mean = process.expected(FORECAST_BLOCK, shop_col, item_col)
    test = pd.DataFrame({"ID": np.arange(shop_col.size), "shop_id": shop_col, "item_id": item_col})
    oracle = pd.DataFrame({"ID": test["ID"], "expected": np.round(oracle_expected(
                               process, mean, item_col), 6),
                           "realised": np.clip(sample_counts(rng, mean, process.regime.nb_shape),
                                               0, TEST_CAP)})
    return test, oracle


def oracle_expected(process: Process, mean: np.ndarray, items: np.ndarray) -> np.ndarray:
    """E[clip(Y, 0, 20)] given all that exists at forecast time, exactly from the process.

    Items with a history: from their true mean. Items first sold in the forecast month: their
    popularity is integrated out over its prior, since nothing in the data could reveal it.
    Promotions (regime "promotions"): whether one runs in the forecast month is not in the data
    (only the months before it, through prices), so the oracle averages over its chance.
    """
    shape = process.regime.nb_shape
    expected = expected_clipped(mean, shape=shape)
    new = process.item_launch[items] == FORECAST_BLOCK
    if new.any():
        base = mean[new] / process.item_popularity[items[new]]
        expected[new] = expected_clipped_unknown_popularity(base, shape=shape)
    if process.promo is not None:
        old = ~new
        lift = process.promo_lift[items[old]]
        plain = mean[old] / np.where(process.promo[FORECAST_BLOCK, items[old]], lift, 1.0)
        chance = process.promo_chance(FORECAST_BLOCK, items[old])
        expected[old] = (chance * expected_clipped(plain * lift, shape=shape)
                         + (1 - chance) * expected_clipped(plain, shape=shape))
    return expected


def _text(values: np.ndarray, fmt) -> np.ndarray:
    """Format a column through its distinct values only (few of them), as an object array."""
    uniques, inverse = np.unique(values, return_inverse=True)
    return np.array([fmt(v) for v in uniques], dtype=object)[inverse]


def _date_text(month: np.ndarray, day: np.ndarray) -> np.ndarray:
    table = np.array([[f"{d:02d}.{b % 12 + 1:02d}.{2013 + b // 12}" for d in range(32)]
                      for b in range(N_MONTHS + 1)], dtype=object)
    return table[month, day]


def write_sales(path: Path, rows: pd.DataFrame) -> None:
    """sales_train.csv.gz, built as text from per-value lookup tables (to_csv is far slower)."""
    month = rows["month"].to_numpy()
    line = (_date_text(month, rows["day"].to_numpy()) + "," + _text(month, str) + ","
            + _text(rows["shop"].to_numpy(), str) + "," + _text(rows["item"].to_numpy(), str)
            + "," + _text(rows["price"].to_numpy(), lambda v: repr(float(v))) + ","
            + _text(rows["count"].to_numpy(), lambda v: repr(float(v))))
    body = ",".join(SALES_COLUMNS) + "\n" + "\n".join(line.tolist()) + "\n"
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                compresslevel=GZIP_LEVEL) as gz:
        gz.write(body.encode("utf-8"))


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def reference_tables(rng: np.random.Generator, process: Process) -> dict[str, pd.DataFrame]:
    """items, item_categories and shops with their Cyrillic names."""
    return {
        "items.csv": pd.DataFrame({"item_name": names.item_names(rng, process.n_items),
                                   "item_id": np.arange(process.n_items),
                                   "item_category_id": process.item_category}),
        "item_categories.csv": pd.DataFrame({
            "item_category_name": names.category_names(N_CATEGORIES),
            "item_category_id": np.arange(N_CATEGORIES)}),
        "shops.csv": pd.DataFrame({"shop_name": names.shop_names(N_SHOPS),
                                   "shop_id": np.arange(N_SHOPS)}),
    }


def generate(out_dir: str | Path, scale: float = 1.0, seed: int = 0,
             regime: str | Regime = DEFAULT) -> dict:
    """Write a synthetic data set of the 1C schema plus `oracle.csv` into out_dir.

    Shops (60), categories (84) and months (34 of history, forecast month 34) are fixed; items,
    rows and the forecast set scale with `scale`. The same seed and regime (a `Regime` or its
    name) give byte-identical files. Returns a summary: rows, items, test pairs, new items in the
    forecast set, the regime's name.
    """
    if not scale > 0:
        raise ValueError("scale must be positive")
    if isinstance(regime, str):
        regime = regime_named(regime)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    process = make_process(rng, scale, regime)
    rows = split_days(rng, sample_history(rng, process))
    rows = add_prices_returns_outliers(rng, process, rows)
    test, oracle = forecast_set(rng, process, scale)
    for name, frame in reference_tables(rng, process).items():
        _write_csv(frame, out / name)
    _write_csv(test, out / "test.csv")
    _write_csv(oracle, out / "oracle.csv")
    write_sales(out / "sales_train.csv.gz", rows)
    new_in_test = int(np.isin(test["item_id"].unique(),
                              np.flatnonzero(process.item_launch == FORECAST_BLOCK)).sum())
    return {"rows": len(rows), "items": process.n_items, "test_pairs": len(test),
            "new_items_in_test": new_in_test, "expected_new_items": round(REAL_NEW_ITEMS * scale),
            "regime": regime.name}
