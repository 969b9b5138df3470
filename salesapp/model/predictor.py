"""Predictor: item ids in, per-shop forecasts for the month after the history out (vectorised)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from salesapp.errors import BundleError
from salesapp.gc_pause import gc_paused
from salesapp.model import bundle, bundle_check, context_cache, ranges
from salesapp.model import horizons as horizon_features
from salesapp.model.features import CLIP, FeatureContext, build_features, feature_matrix
from salesapp.model.lightgbm_import import import_lightgbm
from salesapp.model.prediction_results import (
    DECIMALS,
    ItemHistory,
    range_lists,
    rounded,
    shop_pairs,
)

if TYPE_CHECKING:
    import pandas as pd

# Before anything else imports LightGBM: spares every entry point the scikit-learn import (and
# pandas, when nothing has imported it yet: prediction hands LightGBM numpy arrays only).
lgb = import_lightgbm()

# the feature columns a row's demand class is read from (`ranges.pair_classes`, `total_classes`)
_RANGE_COLUMNS = ("item_age", "pair_age", "pair_months_since_sale", "item_lag1")


def _range_tables(card: dict, where, horizon: int = 1) -> tuple | None:
    """The card's (pairs, total) `ranges.RangeTable`s of a horizon; None if it has none;
    BundleError if bad. Horizon 1's are the card's "ranges", a later one's are in "horizons"."""
    key = "ranges"
    if horizon != 1:
        entry = _horizon_entry(card, where, horizon)
        key, card = f"horizons.{horizon}.ranges", entry
    data = card.get("ranges")
    if data is None or data == {}:   # trained before ranges, or on too few months for them
        return None
    if not isinstance(data, dict):
        raise BundleError(f"{where}: {key} must be an object; retrain the model")
    try:
        return tuple(ranges.RangeTable.from_json(data.get(k), f"{key}.{k}")
                     for k in ("pairs", "total"))
    except (TypeError, ValueError) as exc:
        raise BundleError(f"{where}: {exc}; retrain the model") from None


def _horizon_entry(card: dict, where, horizon: int) -> dict:
    entry = card.get("horizons", {}).get(str(horizon)) if isinstance(card.get("horizons"),
                                                                      dict) else None
    if not isinstance(entry, dict):
        raise BundleError(f"{where} has no horizons.{horizon} for the bundle's model of "
                          f"{horizon} months ahead; retrain the model")
    return entry


def bundle_horizons(directory: Path) -> tuple[int, ...]:
    """The horizons a (verified) bundle forecasts: 1, then one per model file its manifest
    lists (`bundle.HORIZON_FILES`)."""
    mpath = Path(directory) / bundle.MANIFEST
    listed = bundle.horizon_files(bundle.read_json_object(mpath), mpath)
    return (1, *range(2, 2 + len(listed)))


def _horizon_ranges(card: dict, where, horizons: tuple[int, ...]) -> dict:
    """{horizon: (pairs, total) tables or None}, checked: with ranges for the next month every
    month has its own (a month shown without a range beside months with one would read as
    certain). Without them for the next month (trained before ranges) no month has a range."""
    first = _range_tables(card, where, 1)
    if first is None:
        return dict.fromkeys(horizons)
    out = {1: first}
    for h in horizons[1:]:
        out[h] = _range_tables(card, where, h)
        if out[h] is None:
            raise BundleError(f"{where}: horizons.{h} has no ranges but the next month's model "
                              "has; retrain the model")
    return out


class Predictor:
    """A verified model bundle ready to forecast; `predict` is safe to call from several threads."""

    def __init__(self, directory: Path, version: str, num_threads: int = 1):
        d = Path(directory)
        self.directory = d   # the verified bundle's folder (state, history: forecast_accuracy)
        self.version = version
        self.num_threads = num_threads
        self.card = bundle.read_json_object(d / "card.json")
        # 1 for the next month, then one per month after it the bundle has a model of
        self.horizons = bundle_horizons(d)
        # per horizon: (pairs' table, totals' table), or None for a bundle trained before ranges
        self._ranges = _horizon_ranges(self.card, d / "card.json", self.horizons)
        self.ranges = self._ranges[1]
        self.forecast_block, self.shop_ids = bundle.read_state(d)
        shops = bundle.read_columns(d / "shops.csv", "shop_id", "shop_name")
        self.shop_names = dict(zip(map(int, shops["shop_id"]), shops["shop_name"]))
        items = bundle.read_columns(d / "items.csv", "item_id", "item_name", "item_category_id")
        item_ids = [int(i) for i in items["item_id"]]
        item_cats = [int(c) for c in items["item_category_id"]]
        cats = bundle.read_columns(d / "categories.csv", "item_category_id", "item_category_name")
        self._cat_names = dict(zip(map(int, cats["item_category_id"]), cats["item_category_name"]))
        # kept: `reasons.Explainer` loads a Booster of its own from the verified text
        self.model_text = (d / "model.txt").read_text(encoding="utf-8")
        self._booster = lgb.Booster(model_str=self.model_text)
        self._boosters = {1: self._booster}
        for h, name in zip(self.horizons[1:], bundle.HORIZON_FILES):
            booster = lgb.Booster(model_str=(d / name).read_text(encoding="utf-8"))
            if booster.num_feature() != self._booster.num_feature():
                raise BundleError(f"{d / name} reads {booster.num_feature()} features, "
                                  f"model.txt {self._booster.num_feature()}; the bundle is "
                                  "not one training's, retrain the model")
            self._boosters[h] = booster
        # Built once per bundle and code version, then read back from the per-user cache.
        self._ctx = context_cache.load_or_build(
            d, lambda: FeatureContext(bundle.load_history(d / "history.npz"),
                                      (np.array(item_ids), np.array(item_cats))))
        # plain arrays and dicts: per-item result assembly must not go through pandas indexing
        self._history = ItemHistory(*self._ctx.item_month_arrays())
        self._names = dict(zip(item_ids, items["item_name"]))
        self._cats = dict(zip(item_ids, item_cats))
        self.item_ids = self._ctx.catalogue_ids   # every id items.csv knows, sorted

    @classmethod
    def load(cls, directory: str | Path, num_threads: int = 1) -> Predictor:
        """Verify the SHA-256 manifest, try a new bundle in a child process (`bundle_check`), then
        load; raises BundleError on any mismatch or a model that fails or crashes its trial."""
        version = bundle.verify(directory)
        bundle.read_state(directory)   # its plain sentence, before a trial child would say it
        card = Path(directory) / "card.json"
        _horizon_ranges(bundle.read_json_object(card), card, bundle_horizons(Path(directory)))
        bundle_check.ensure_safe(directory)
        return cls(Path(directory), version, num_threads)

    def _features(self, items: np.ndarray, shops: np.ndarray) -> pd.DataFrame:
        month = np.full(len(items), self.forecast_block, dtype=np.int64)
        return build_features(self._ctx, month, shops, items)

    def features_for_pairs(self, test_df: pd.DataFrame) -> pd.DataFrame:
        """The model's feature rows for (shop_id, item_id) pairs (evaluation and the notebook)."""
        return self._features(test_df["item_id"].to_numpy(np.int64),
                              test_df["shop_id"].to_numpy(np.int64))

    def forecast_features(self, items: np.ndarray,
                          shops: np.ndarray) -> tuple[list[str], np.ndarray]:
        """(feature names, float32 matrix): the model's rows of (item, shop), forecast month."""
        month = np.full(len(items), self.forecast_block, dtype=np.int64)
        return feature_matrix(self._ctx, month, np.asarray(shops, dtype=np.int64),
                              np.asarray(items, dtype=np.int64))

    def _raw_forecast(self, items: np.ndarray, shops: np.ndarray) -> np.ndarray:
        """Clipped forecasts for (item, shop) rows (float64)."""
        return self._forecast_rows(items, shops)[0]

    def _forecast_rows(self, items: np.ndarray, shops: np.ndarray):
        """(clipped forecasts, {feature name: column} of the columns the ranges read)."""
        return self._forecast_horizons(items, shops, (1,))[0]

    def _forecast_horizons(self, items: np.ndarray, shops: np.ndarray,
                           horizons: Sequence[int]) -> list[tuple[np.ndarray, dict]]:
        """Per horizon asked: (clipped forecasts of its month, its range columns), from one
        feature matrix turned from one horizon to the next (`horizons.retarget_matrix`)."""
        if not len(items):
            return [(np.zeros(0), {k: np.zeros(0) for k in _RANGE_COLUMNS}) for _ in horizons]
        names, X = self.forecast_features(items, shops)
        base = horizon_features.base_columns(names, X) if set(horizons) != {1} else None
        month = np.full(len(items), self.forecast_block, dtype=np.int64)
        out, now = [], 1   # the horizon X's columns are for
        for h in horizons:
            if h != now:
                horizon_features.retarget_matrix(self._ctx, names, X, month, items, h, base)
                now = h
            pred = self._boosters[h].predict(X, num_threads=self.num_threads)
            cols = {k: X[:, names.index(k)].copy() for k in _RANGE_COLUMNS}
            out.append((np.clip(np.asarray(pred, dtype=np.float64), 0, CLIP), cols))
        return out

    def _pair_ranges(self, pred: np.ndarray, cols: dict,
                     horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
        cls = ranges.pair_classes(cols["item_age"], cols["pair_age"],
                                  cols["pair_months_since_sale"], horizon)
        return self._ranges[horizon][0].bounds(pred, cls)

    def predict_pairs(self, test_df: pd.DataFrame) -> np.ndarray:
        """Forecasts for (shop_id, item_id) pairs, in the frame's row (ID) order."""
        return self.predict_pairs_with_ranges(test_df)[0]

    def predict_pairs_with_ranges(self, test_df: pd.DataFrame, horizon: int = 1):
        """(forecast, P10, P90) arrays for (shop_id, item_id) pairs, in the frame's row order,
        for month forecast_block + horizon - 1 (`horizons`: the ones the bundle has; ValueError
        for another); P10 and P90 are None for a bundle without ranges. An unknown item: 0, 0, 0."""
        return self._pairs_months(test_df, (horizon,))[0]

    def predict_pairs_months(self, test_df: pd.DataFrame, months: int) -> list[tuple]:
        """`predict_pairs_with_ranges` of horizons 1 to `months`, from one feature matrix."""
        return self._pairs_months(test_df, tuple(range(1, months + 1)))

    def _pairs_months(self, test_df: pd.DataFrame, horizons: tuple[int, ...]) -> list[tuple]:
        for h in horizons:
            if h not in self.horizons:
                raise ValueError(f"model {self.version} forecasts {len(self.horizons)} "
                                 f"month(s) ahead, not {h}")
        items = test_df["item_id"].to_numpy(np.int64)
        known = np.isin(items, self.item_ids)
        out = []
        for h, (forecast, cols) in zip(horizons, self._forecast_horizons(
                items, test_df["shop_id"].to_numpy(np.int64), horizons)):
            forecast = np.where(known, forecast, 0.0)
            if self.ranges is None:
                out.append((forecast, None, None))
                continue
            p10, p90 = self._pair_ranges(forecast, cols, h)
            out.append((forecast, np.where(known, p10, 0.0), np.where(known, p90, 0.0)))
        return out

    def predict(self, item_ids: Sequence[int]) -> list[dict]:
        """One result dict per id (docs/ARCHITECTURE.md "Prediction result"), same order.

        Plain dicts and lists only. Forecasts and totals are rounded to 3 decimals; every shop of
        an item adds up to its total. The item's sales history is not in it: see `history`.
        With a bundle that has ranges, a forecast also holds "p10" and "p90" (lists in the order
        of "shops") and "total_p10", "total_p90": 0 <= P10 <= forecast <= P90. With a bundle
        that forecasts more months (`horizons`), a forecast also holds "ahead": one dict per
        month after the next, in order, with its "forecast_block", "total", "forecasts" (in the
        order of "shops", adding up to its total) and, with ranges, "p10", "p90", "total_p10",
        "total_p90" as above. An unknown item has no "ahead".
        """
        ids = [int(i) for i in item_ids]
        known = list(dict.fromkeys(i for i in ids if i in self._names))
        by_id = dict(zip(known, self._known_results(known)))
        out, seen = [], set()
        for i in ids:
            result = by_id.get(i) or self._unknown_result(i)
            # a repeated id gets its own dict, so callers may change one without the other
            out.append(dict(result) if i in seen else result)
            seen.add(i)
        return out

    def _known_results(self, known: list[int]) -> list[dict]:
        n = len(self.shop_ids)
        months = self._forecast_horizons(
            np.repeat(np.array(known, dtype=np.int64), n),
            np.tile(np.array(self.shop_ids, dtype=np.int64), len(known)), self.horizons)
        with gc_paused():   # hundreds of thousands of small lists, none in a cycle
            raw, cols = months[0]
            values = np.round(raw.reshape(len(known), n), DECIMALS)
            rows, totals = rounded(values)
            shops = shop_pairs(self.shop_ids, rows)
            sold = self._history.sold(known)
            out = [self._result(i, shops[k], totals[k], sold[k]) for k, i in enumerate(known)]
            if self.ranges is not None and known:
                self._add_ranges(out, values, np.array(totals), cols)
            if len(self.horizons) > 1:
                for r in out:
                    r["ahead"] = []
                for h, (raw_h, cols_h) in zip(self.horizons[1:], months[1:]):
                    self._add_month(out, h, raw_h.reshape(len(known), n), cols_h)
            return out

    def _add_month(self, out: list[dict], horizon: int, raw: np.ndarray, cols: dict) -> None:
        """Append month forecast_block + horizon - 1 to each result's "ahead" (the result
        format: docs/ARCHITECTURE.md), its forecasts in the order of "shops"."""
        values = np.round(raw, DECIMALS)
        rows, totals = rounded(values)
        months = [{"forecast_block": self.forecast_block + horizon - 1, "total": totals[k],
                   "forecasts": rows[k]} for k in range(len(out))]
        if self.ranges is not None and len(out):
            self._add_ranges(months, values, np.array(totals), cols, horizon)
        for r, month in zip(out, months):
            r["ahead"].append(month)

    def _add_ranges(self, out: list[dict], values: np.ndarray, totals: np.ndarray,
                    cols: dict, horizon: int = 1) -> None:
        """P10 and P90 per shop ("p10", "p90": lists in the order of "shops") and for the total
        ("total_p10", "total_p90"), the total's from the totals' own table."""
        p10, p90 = self._pair_ranges(values.reshape(-1), cols, horizon)
        lo, hi = range_lists(values, p10.reshape(values.shape), p90.reshape(values.shape))
        n = values.shape[1]
        cls = ranges.total_classes(cols["item_age"][::n], cols["item_lag1"][::n])
        t10, t90 = self._ranges[horizon][1].bounds(totals, cls)
        tlo, thi = range_lists(totals, t10, t90)
        for k, r in enumerate(out):
            r["p10"], r["p90"], r["total_p10"], r["total_p90"] = lo[k], hi[k], tlo[k], thi[k]

    def catalogue(self) -> list[tuple[int, str, str]]:
        """Every item the bundle knows as (item_id, name, category name), by id: what the
        window's name completer and category filter offer."""
        cats = self._cat_names
        return [(int(i), str(self._names[i]), str(cats.get(self._cats[i], "")))
                for i in sorted(self._names)]

    def history(self, item_id: int) -> list[tuple[int, float]]:
        """[(date_block_num, units sold in all shops), ...] of `item_id` in month order.

        Rounded to 3 decimals; empty for an item that never sold or that the bundle does not know.
        """
        return self._history.of_item(int(item_id))

    def _base(self, item_id: int) -> dict:
        return {"item_id": item_id, "model_version": self.version,
                "forecast_block": self.forecast_block}

    def _unknown_result(self, item_id: int) -> dict:
        # said to staff, who know products and models, not the bundle's files
        return {**self._base(item_id), "status": "error",
                "error": f"item {item_id} is not in the product list of model {self.version}",
                "item_name": None, "category_id": None, "category_name": None, "cold_start": False, "total": None,
                "shops": []}

    def _result(self, item_id: int, shops: list, total: float, sold: bool) -> dict:
        cat = self._cats[item_id]
        return {**self._base(item_id), "status": "ok", "error": None,
                "item_name": self._names[item_id], "category_id": cat,
                "category_name": str(self._cat_names.get(cat, "")), "cold_start": not sold,
                "total": total, "shops": shops}
