"""Predictor: item ids in, per-shop forecasts for the month after the history out (vectorised)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from salesapp.model import bundle
from salesapp.model.features import CLIP, FeatureContext, build_features


class Predictor:
    """A verified model bundle ready to forecast; `predict` is safe to call from several threads."""

    def __init__(self, directory: Path, version: str, num_threads: int = 1):
        d = Path(directory)
        self.version = version
        self.num_threads = num_threads
        self.card = json.loads((d / "card.json").read_text(encoding="utf-8"))
        state = json.loads((d / "state.json").read_text(encoding="utf-8"))
        self.forecast_block: int = int(state["forecast_block"])
        self.shop_ids: list[int] = [int(s) for s in state["open_shops"]]
        shops = pd.read_csv(d / "shops.csv", encoding="utf-8")
        self.shop_names = dict(zip(shops["shop_id"].astype(int), shops["shop_name"].astype(str)))
        items = pd.read_csv(d / "items.csv", encoding="utf-8").set_index("item_id")
        cats = pd.read_csv(d / "categories.csv", encoding="utf-8")
        self._items = items
        self._cat_names = dict(zip(cats["item_category_id"], cats["item_category_name"]))
        self._booster = lgb.Booster(model_str=(d / "model.txt").read_text(encoding="utf-8"))
        hist = bundle.load_history(d / "history.npz")
        self._ctx = FeatureContext(hist, items["item_category_id"])
        self._history = self._ctx.item_month.groupby("i")

    @classmethod
    def load(cls, directory: str | Path, num_threads: int = 1) -> Predictor:
        """Verify the SHA-256 manifest, then load; raises BundleError on any mismatch."""
        version = bundle.verify(directory)
        return cls(Path(directory), version, num_threads)

    def predict_long(self, item_ids: Sequence[int]) -> pd.DataFrame:
        """item_id, shop_id, forecast for every known id x open shop (unknown ids skipped)."""
        ids = np.array([i for i in item_ids if i in self._items.index], dtype=np.int64)
        return self._forecast(np.repeat(ids, len(self.shop_ids)),
                              np.tile(np.array(self.shop_ids, dtype=np.int64), len(ids)))

    def _features(self, items: np.ndarray, shops: np.ndarray) -> pd.DataFrame:
        month = np.full(len(items), self.forecast_block, dtype=np.int64)
        return build_features(self._ctx, month, shops, items)

    def features_for_pairs(self, test_df: pd.DataFrame) -> pd.DataFrame:
        """The model's feature rows for (shop_id, item_id) pairs (evaluation and the notebook)."""
        return self._features(test_df["item_id"].to_numpy(np.int64),
                              test_df["shop_id"].to_numpy(np.int64))

    def _forecast(self, items: np.ndarray, shops: np.ndarray) -> pd.DataFrame:
        feats = self._features(items, shops)
        pred = self._booster.predict(feats, num_threads=self.num_threads) if len(items) else []
        return pd.DataFrame({"item_id": items, "shop_id": shops,
                             "forecast": np.clip(np.asarray(pred, dtype=np.float64), 0, CLIP)})

    def predict_pairs(self, test_df: pd.DataFrame) -> np.ndarray:
        """Forecasts for (shop_id, item_id) pairs, in the frame's row (ID) order."""
        out = self._forecast(test_df["item_id"].to_numpy(np.int64),
                             test_df["shop_id"].to_numpy(np.int64))
        known = test_df["item_id"].isin(self._items.index).to_numpy()
        return np.where(known, out["forecast"].to_numpy(), 0.0)

    def predict(self, item_ids: Sequence[int]) -> list[dict]:
        """One result dict per id (docs/ARCHITECTURE.md "Prediction result"), same order."""
        ids = [int(i) for i in item_ids]
        long = self.predict_long(ids)
        per_item = {i: g for i, g in long.groupby("item_id", sort=False)}
        return [self._result(i, per_item.get(i)) for i in ids]

    def _result(self, item_id: int, rows: pd.DataFrame | None) -> dict:
        base = {"item_id": item_id, "model_version": self.version,
                "forecast_block": self.forecast_block}
        if item_id not in self._items.index:
            return {**base, "status": "error", "error": f"item {item_id} is not in items.csv",
                    "item_name": None, "category_id": None, "category_name": None,
                    "cold_start": False, "total": None, "shops": [], "history": []}
        row = self._items.loc[item_id]
        cat = int(row["item_category_id"])
        history = []
        if item_id in self._history.groups:
            h = self._history.get_group(item_id)
            history = [[int(m), float(y)] for m, y in zip(h["m"], h["y"])]
        shops = [[int(s), round(float(f), 4)] for s, f in zip(rows["shop_id"], rows["forecast"])]
        return {**base, "status": "ok", "error": None, "item_name": str(row["item_name"]),
                "category_id": cat, "category_name": str(self._cat_names.get(cat, "")),
                "cold_start": not history, "total": round(float(rows["forecast"].sum()), 4),
                "shops": shops, "history": history}
