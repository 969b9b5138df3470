"""Predictor: item ids in, per-shop forecasts for the month after the history out (vectorised)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from salesapp.errors import BundleError
from salesapp.gc_pause import gc_paused
from salesapp.model import bundle, bundle_check, context_cache, ranges
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


def _range_tables(card: dict, where) -> tuple | None:
    """The card's (pairs, total) `ranges.RangeTable`s; None if it has none; BundleError if bad."""
    data = card.get("ranges")
    if data is None or data == {}:   # trained before ranges, or on too few months for them
        return None
    if not isinstance(data, dict):
        raise BundleError(f"{where}: ranges must be an object; retrain the model")
    try:
        return tuple(ranges.RangeTable.from_json(data.get(k), f"ranges.{k}")
                     for k in ("pairs", "total"))
    except (TypeError, ValueError) as exc:
        raise BundleError(f"{where}: {exc}; retrain the model") from None


class Predictor:
    """A verified model bundle ready to forecast; `predict` is safe to call from several threads."""

    def __init__(self, directory: Path, version: str, num_threads: int = 1):
        d = Path(directory)
        self.directory = d   # the verified bundle's folder (state, history: forecast_accuracy)
        self.version = version
        self.num_threads = num_threads
        self.card = bundle.read_json_object(d / "card.json")
        # (pairs' table, totals' table), or None for a bundle trained before ranges existed
        self.ranges = _range_tables(self.card, d / "card.json")
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
        _range_tables(bundle.read_json_object(card), card)
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
        if not len(items):
            return np.zeros(0), {k: np.zeros(0) for k in _RANGE_COLUMNS}
        names, X = self.forecast_features(items, shops)
        pred = self._booster.predict(X, num_threads=self.num_threads)
        cols = {k: X[:, names.index(k)] for k in _RANGE_COLUMNS}
        return np.clip(np.asarray(pred, dtype=np.float64), 0, CLIP), cols

    def _pair_ranges(self, pred: np.ndarray, cols: dict) -> tuple[np.ndarray, np.ndarray]:
        cls = ranges.pair_classes(cols["item_age"], cols["pair_age"],
                                  cols["pair_months_since_sale"])
        return self.ranges[0].bounds(pred, cls)

    def predict_pairs(self, test_df: pd.DataFrame) -> np.ndarray:
        """Forecasts for (shop_id, item_id) pairs, in the frame's row (ID) order."""
        return self.predict_pairs_with_ranges(test_df)[0]

    def predict_pairs_with_ranges(self, test_df: pd.DataFrame):
        """(forecast, P10, P90) arrays for (shop_id, item_id) pairs, in the frame's row order;
        P10 and P90 are None for a bundle without ranges. An unknown item: 0, 0, 0."""
        items = test_df["item_id"].to_numpy(np.int64)
        forecast, cols = self._forecast_rows(items, test_df["shop_id"].to_numpy(np.int64))
        known = np.isin(items, self.item_ids)
        forecast = np.where(known, forecast, 0.0)
        if self.ranges is None:
            return forecast, None, None
        p10, p90 = self._pair_ranges(forecast, cols)
        return forecast, np.where(known, p10, 0.0), np.where(known, p90, 0.0)

    def predict(self, item_ids: Sequence[int]) -> list[dict]:
        """One result dict per id (docs/ARCHITECTURE.md "Prediction result"), same order.

        Plain dicts and lists only. Forecasts and totals are rounded to 3 decimals; every shop of
        an item adds up to its total. The item's sales history is not in it: see `history`.
        With a bundle that has ranges, a forecast also holds "p10" and "p90" (lists in the order
        of "shops") and "total_p10", "total_p90": 0 <= P10 <= forecast <= P90.
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
        raw, cols = self._forecast_rows(
            np.repeat(np.array(known, dtype=np.int64), n),
            np.tile(np.array(self.shop_ids, dtype=np.int64), len(known)))
        with gc_paused():   # hundreds of thousands of small lists, none in a cycle
            values = np.round(raw.reshape(len(known), n), DECIMALS)
            rows, totals = rounded(values)
            shops = shop_pairs(self.shop_ids, rows)
            sold = self._history.sold(known)
            out = [self._result(i, shops[k], totals[k], sold[k]) for k, i in enumerate(known)]
            if self.ranges is not None and known:
                self._add_ranges(out, values, np.array(totals), cols)
            return out

    def _add_ranges(self, out: list[dict], values: np.ndarray, totals: np.ndarray,
                    cols: dict) -> None:
        """P10 and P90 per shop ("p10", "p90": lists in the order of "shops") and for the total
        ("total_p10", "total_p90"), the total's from the totals' own table."""
        p10, p90 = self._pair_ranges(values.reshape(-1), cols)
        lo, hi = range_lists(values, p10.reshape(values.shape), p90.reshape(values.shape))
        n = values.shape[1]
        cls = ranges.total_classes(cols["item_age"][::n], cols["item_lag1"][::n])
        t10, t90 = self.ranges[1].bounds(totals, cls)
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
