"""Forecast versus actual: a kept model's forecast of its month F beside what F really sold.

The forecast grid (what is scored): the model's open shops (state.json) x the items of its
product list that had a sale row in any shop in the model's last month (F - 1, from the bundle's
history) or in month F (from the actual sales). So an item the model expected to sell and that
sold nothing is scored, and so is a launch the product list already held; an item that stayed
silent in both months is left out (it would only dilute every error towards zero).

Both sides follow the rule training scores by: the actual monthly sum of a pair is clipped to
[0, 20], as the training target is, and so is the forecast. Sales the model could not have
forecast (items not in its product list, shops it did not forecast) are counted apart, not scored.

The naive baselines are read from the model's own history, as in the backtest: last month (F - 1),
mean of the last 3 months, seasonal naive (F - 12) and zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesapp.errors import InputError
from salesapp.model import bundle
from salesapp.model.evaluation import baselines
from salesapp.model.features import CLIP, MonthlyHistory

if TYPE_CHECKING:
    from salesapp.model.predictor import Predictor

FORECASTS = ("model", "last_month", "mean_last3", "seasonal_naive", "zero")
METRICS = ("rmse", "mae", "bias")


def _month_number(block: int) -> str:
    return f"month {block}"


@dataclass
class MonthSales:
    """Net units sold per (shop, item) in one month (not clipped), and where they came from."""

    month: int
    shop: np.ndarray   # int64
    item: np.ndarray   # int64
    cnt: np.ndarray    # float64, the month's sum of item_cnt_day
    source: str        # named in sentences: "the sales data in DIR"
    item_names: dict[int, str] = field(default_factory=dict)


def month_sales(hist: MonthlyHistory, month: int, source: str,
                item_names: dict[int, str] | None = None,
                month_name: Callable[[int], str] = _month_number) -> MonthSales:
    """Month `month` of a monthly history, one row per (shop, item) (rows of shops merged into
    one id are summed); InputError naming the month if it has no sales."""
    sel = np.asarray(hist.month) == month
    if not sel.any():
        held = np.unique(np.asarray(hist.month))
        holds = (f"it holds {month_name(int(held[0]))} to {month_name(int(held[-1]))}"
                 if len(held) else "it holds no sales at all")
        raise InputError(f"{source} has no sales in {month_name(month)}, the month the model "
                         f"forecast ({holds}); add that month's sales first")
    pairs, at = np.unique(_pair_key(np.asarray(hist.shop)[sel], np.asarray(hist.item)[sel]),
                          return_inverse=True)
    cnt = np.bincount(at.reshape(-1), weights=np.asarray(hist.cnt)[sel].astype(np.float64),
                      minlength=len(pairs))
    return MonthSales(month, pairs >> 32, pairs & 0xFFFFFFFF, cnt, source, item_names or {})


def month_sales_from_folder(directory: str | Path, month: int, shop_aliases: dict[int, int],
                            month_name: Callable[[int], str] = _month_number) -> MonthSales:
    """Month `month` of a data folder in the 1C schema (a full history or that month alone).

    Read with the loader's checks and cleaning, its duplicate shop ids merged as the model's
    were (`shop_aliases`). InputError (file, line, column) for a bad file, or naming the month
    when the folder holds no sales in it.
    """
    from salesapp.model.dataset import load_dataset
    from salesapp.model.features import monthly_history

    data = load_dataset(directory, shop_aliases=shop_aliases)
    names = dict(zip(data.items["item_id"].astype(int), data.items["item_name"].astype(str)))
    return month_sales(monthly_history(data.sales), month, f"the sales data in {directory}",
                       names, month_name)


HELD_SOURCE = "the sales history the desk holds"


def month_sales_from_held(held, month: int, shop_aliases: dict[int, int],
                          month_name: Callable[[int], str] = _month_number) -> MonthSales:
    """Month `month` of the held history (a `salesapp.history.WorkingHistory`, whose monthly
    sums keep the files' shop ids), the model's merged shop ids applied as for a folder.
    InputError naming the month when the history holds no sales in it."""
    raw = held.raw
    shop = np.asarray(raw.shop, dtype=np.int64)
    for duplicate, kept in shop_aliases.items():
        shop = np.where(shop == duplicate, kept, shop)
    names = dict(zip(held.items["item_id"].astype(int), held.items["item_name"].astype(str)))
    return month_sales(MonthlyHistory(raw.month, shop, raw.item, raw.cnt, raw.price), month,
                       HELD_SOURCE, names, month_name)


@dataclass
class AccuracyReport:
    """What one model's forecast of its month did against the month's actual sales.

    - `pairs`: one row per grid pair: item_id, shop_id, actual (clipped), and one column per
      name in FORECASTS (the model's forecast and each baseline, clipped).
    - `overall`: forecast name -> {"rmse", "mae", "bias"} over every pair; bias is the mean of
      forecast - actual (positive: forecasts too high).
    - `by_shop`, `by_item`: one row per shop / item: pairs, actual and forecast units, then
      `<forecast>_<metric>` for each forecast and metric.
    - `exceptions`: `by_item`'s items ordered by units missed (the sum over shops of
      |forecast - actual|), most first, with item_name.
    - `unscored`: sales left out of the grid: items not in the model's product list and shops the
      model did not forecast, each with its units.
    """

    month: int
    model_version: str
    pairs: pd.DataFrame
    overall: dict
    by_shop: pd.DataFrame
    by_item: pd.DataFrame
    exceptions: pd.DataFrame
    unscored: dict

    @property
    def actual_units(self) -> float:
        """Units sold in the grid (clipped per pair)."""
        return float(self.pairs["actual"].sum())

    @property
    def forecast_units(self) -> float:
        """Units the model forecast for the grid."""
        return float(self.pairs["model"].sum())


def forecast_grid(predictor: Predictor, sales: MonthSales) -> tuple[np.ndarray, np.ndarray]:
    """(shop ids, item ids) of the scored grid, item-major: see the module's docstring."""
    shops = np.array(sorted(predictor.shop_ids), dtype=np.int64)
    last = bundle.load_history(Path(predictor.directory) / "history.npz")
    before = np.asarray(last.item)[np.asarray(last.month) == sales.month - 1]
    items = np.union1d(before.astype(np.int64), sales.item)
    items = items[np.isin(items, predictor.item_ids)]
    return np.tile(shops, len(items)), np.repeat(items, len(shops))


def compare(predictor: Predictor, sales: MonthSales) -> AccuracyReport:
    """Score `predictor`'s forecast of its month against `sales` of that month, with baselines.

    `sales.month` must be the model's forecast month (ValueError otherwise: a caller's mistake,
    not the user's).
    """
    if sales.month != predictor.forecast_block:
        raise ValueError(f"sales of month {sales.month} for a model of month "
                         f"{predictor.forecast_block}")
    shop, item = forecast_grid(predictor, sales)
    frame = pd.DataFrame({"item_id": item, "shop_id": shop})
    feats = predictor.features_for_pairs(frame)
    frame["actual"] = _actual_on_grid(sales, shop, item)
    frame["model"] = np.clip(predictor.predict_pairs(frame), 0, CLIP)
    for name, values in baselines(feats).items():
        frame[name] = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), 0, CLIP)
    by_shop = group_scores(frame, "shop_id")
    by_item = group_scores(frame, "item_id")
    return AccuracyReport(sales.month, predictor.version, frame, overall_scores(frame),
                          by_shop, by_item, exception_list(by_item, sales.item_names),
                          _unscored(predictor, sales))


def _pair_key(shop: np.ndarray, item: np.ndarray) -> np.ndarray:
    """One int64 per (shop, item): both ids are below 2**31."""
    return np.asarray(shop, dtype=np.int64) * (1 << 32) + np.asarray(item, dtype=np.int64)


def _actual_on_grid(sales: MonthSales, shop: np.ndarray, item: np.ndarray) -> np.ndarray:
    """Each grid pair's clipped actual units (0 for a pair with no sale row)."""
    grid = _pair_key(shop, item)
    sold = _pair_key(sales.shop, sales.item)
    if not len(sold):
        return np.zeros(len(grid))
    order = np.argsort(sold, kind="stable")
    sold, cnt = sold[order], np.clip(sales.cnt[order], 0, CLIP)
    pos = np.minimum(np.searchsorted(sold, grid), len(sold) - 1)
    return np.where(sold[pos] == grid, cnt[pos], 0.0)


def metrics(forecast: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """{"rmse", "mae", "bias"} of forecast against actual (both already clipped)."""
    err = np.asarray(forecast, dtype=np.float64) - np.asarray(actual, dtype=np.float64)
    if not len(err):
        return {m: float("nan") for m in METRICS}
    return {"rmse": float(np.sqrt(np.mean(err ** 2))), "mae": float(np.mean(np.abs(err))),
            "bias": float(np.mean(err))}


def overall_scores(pairs: pd.DataFrame) -> dict:
    """Forecast name -> `metrics` over every pair of the grid."""
    actual = pairs["actual"].to_numpy()
    return {name: metrics(pairs[name].to_numpy(), actual) for name in FORECASTS}


def group_scores(pairs: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per value of `key`: pairs, actual_units, forecast_units, `<forecast>_<metric>`."""
    ids, codes = np.unique(pairs[key].to_numpy(), return_inverse=True)
    n = np.bincount(codes, minlength=len(ids)).astype(np.float64)
    actual = pairs["actual"].to_numpy()
    out = {key: ids, "pairs": n.astype(np.int64),
           "actual_units": np.bincount(codes, actual, len(ids)),
           "forecast_units": np.bincount(codes, pairs["model"].to_numpy(), len(ids))}
    for name in FORECASTS:
        err = pairs[name].to_numpy() - actual
        out[f"{name}_rmse"] = np.sqrt(np.bincount(codes, err ** 2, len(ids)) / n)
        out[f"{name}_mae"] = np.bincount(codes, np.abs(err), len(ids)) / n
        out[f"{name}_bias"] = np.bincount(codes, err, len(ids)) / n
    return pd.DataFrame(out)


def exception_list(by_item: pd.DataFrame, item_names: dict[int, str]) -> pd.DataFrame:
    """Items by units missed over their shops (mae x pairs), most first; ties by item id."""
    out = by_item[["item_id", "pairs", "forecast_units", "actual_units", "model_rmse",
                   "last_month_rmse"]].copy()
    out.insert(1, "item_name", [item_names.get(int(i), "") for i in out["item_id"]])
    out["missed_units"] = by_item["model_mae"] * by_item["pairs"]
    out["over_units"] = out["forecast_units"] - out["actual_units"]
    return out.sort_values(["missed_units", "item_id"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


def _unscored(predictor: Predictor, sales: MonthSales) -> dict:
    """Units of the month outside the grid: unknown items, shops the model did not forecast."""
    units = np.maximum(sales.cnt, 0)
    unknown = ~np.isin(sales.item, predictor.item_ids)
    other = ~np.isin(sales.shop, predictor.shop_ids) & ~unknown
    return {"unknown_items": len(np.unique(sales.item[unknown])),
            "unknown_item_units": float(units[unknown].sum()),
            "other_shops": sorted(int(s) for s in np.unique(sales.shop[other])),
            "other_shop_units": float(units[other].sum())}
