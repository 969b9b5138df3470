"""Train LightGBM on the monthly grid: validate on the last month, then refit on every month.

Memory at full scale (about 0.4 M grid rows a month) is kept down by building the features one
month at a time into one preallocated float32 matrix, handing it to LightGBM once, and freeing it
as soon as LightGBM has binned it: the validation split is a subset of that binned data set, not a
second copy of the raw features.
"""

from __future__ import annotations

import gc
import sys
import time

import lightgbm as lgb
import numpy as np
import pandas as pd

from salesapp.model.evaluation import score
from salesapp.model.features import (
    FeatureContext,
    MonthlyHistory,
    build_features,
    grid_month,
    monthly_history,
)

TRAIN_MONTHS = 12   # recent months only: bounds memory and time at full scale
MAX_ROUNDS = 600
EARLY_STOP = 20
CATEGORICAL = ["shop_id", "category_id"]


def params(seed: int, threads: int) -> dict:
    """LightGBM parameters; deterministic so that same data + seed -> same model."""
    return {"objective": "regression", "learning_rate": 0.1, "num_leaves": 63,
            # max_bin at LightGBM's default 255: fewer bins cost accuracy on smaller data sets
            "min_data_in_leaf": 100, "feature_fraction": 0.8, "bagging_fraction": 0.5,
            "max_bin": 255, "bagging_freq": 1, "lambda_l2": 1.0, "seed": seed, "bagging_seed": seed,
            "feature_fraction_seed": seed, "data_random_seed": seed, "deterministic": True,
            "force_row_wise": True, "num_threads": threads, "verbose": -1}


def _log(msg: str) -> None:
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def item_categories(items: pd.DataFrame) -> pd.Series:
    """item_category_id indexed by item_id."""
    return pd.Series(items["item_category_id"].to_numpy(), index=items["item_id"].to_numpy())


def feature_table(hist: MonthlyHistory, cats: pd.Series, months: range):
    """(features float32 matrix, feature names, target, month) of the grid of the given months."""
    ctx = FeatureContext(hist, cats)
    grids = [g for g in (grid_month(hist, m) for m in months) if g is not None]
    total = sum(len(g[0]) for g in grids)
    X = names = None
    y = np.empty(total, dtype=np.float32)
    month = np.empty(total, dtype=np.int16)
    at = 0
    for m, (shop, item, target) in zip(months, grids):
        feats = build_features(ctx, np.full(len(shop), m), shop, item)
        if X is None:
            names = list(feats.columns)
            X = np.empty((total, len(names)), dtype=np.float32)
        X[at:at + len(shop)] = feats.to_numpy(np.float32)
        y[at:at + len(shop)], month[at:at + len(shop)] = target, m
        at += len(shop)
    return X, names, y, month


def train_model(sales: pd.DataFrame, items: pd.DataFrame, seed: int = 0,
                threads: int = 0) -> tuple[lgb.Booster, dict]:
    """Validate on the last month with early stopping, refit on all months; (booster, info)."""
    return train_history(monthly_history(sales), items, seed, threads)


def train_history(hist: MonthlyHistory, items: pd.DataFrame, seed: int = 0,
                  threads: int = 0) -> tuple[lgb.Booster, dict]:
    """`train_model` from the monthly history (what the bundle keeps)."""
    last = int(hist.month.max())
    _log(f"{len(hist.month):,} monthly pairs, months 0..{last}")
    months = range(max(1, last + 1 - TRAIN_MONTHS), last + 1)
    X, names, y, month = feature_table(hist, item_categories(items), months)
    _log(f"grid: {len(y):,} rows x {len(names)} features")
    p = params(seed, threads)
    val = np.flatnonzero(month == last)
    X_val, y_val = X[val], y[val]
    dall = lgb.Dataset(X, y, feature_name=names, categorical_feature=CATEGORICAL, params=p,
                       free_raw_data=True).construct()
    del X   # LightGBM keeps its binned copy only
    gc.collect()
    _log("binned")
    rounds, metrics = _validate(p, dall, np.flatnonzero(month != last), X_val, y_val, names)
    _log(f"validation month {last}: rounds={rounds} " +
         " ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    final = lgb.train(p, dall, rounds)
    _log("refit on all months done")
    info = {"rounds": rounds, "validation_month": last, "validation": metrics, "params": p,
            "features": names, "train_rows": len(y), "months": last + 1}
    return final, info


def _validate(p: dict, dall: lgb.Dataset, fit: np.ndarray, X_val: np.ndarray, y_val: np.ndarray,
              names: list[str]) -> tuple[int, dict]:
    """Early-stopped fit on the earlier months; (rounds, metrics on the last month)."""
    dtrain = dall.subset(fit)
    dval = lgb.Dataset(X_val, y_val, reference=dall)
    booster = lgb.train(p, dtrain, MAX_ROUNDS, valid_sets=[dval],
                        callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)])
    rounds = max(1, booster.best_iteration)
    frame = pd.DataFrame(X_val, columns=names)
    return rounds, score(booster.predict(X_val, num_iteration=rounds), y_val, frame)
