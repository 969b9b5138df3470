"""Train LightGBM on the monthly grid: validate on the last month, then refit on every month."""

from __future__ import annotations

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
    monthly_history,
    training_grid,
)

TRAIN_MONTHS = 18   # recent months only: bounds memory at full scale (a month ~ 0.4 M grid rows)
MAX_ROUNDS = 600
EARLY_STOP = 40


def params(seed: int, threads: int) -> dict:
    """LightGBM parameters; deterministic so that same data + seed -> same model."""
    return {"objective": "regression", "learning_rate": 0.08, "num_leaves": 63,
            "min_data_in_leaf": 50, "feature_fraction": 0.8, "bagging_fraction": 0.8,
            "bagging_freq": 1, "lambda_l2": 1.0, "seed": seed, "bagging_seed": seed,
            "feature_fraction_seed": seed, "data_random_seed": seed, "deterministic": True,
            "force_row_wise": True, "num_threads": threads, "verbose": -1}


def _log(msg: str) -> None:
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def item_categories(items: pd.DataFrame) -> pd.Series:
    """item_category_id indexed by item_id."""
    return pd.Series(items["item_category_id"].to_numpy(), index=items["item_id"].to_numpy())


def feature_table(hist: MonthlyHistory, cats: pd.Series, months: range):
    """(features, target, month) for the training grid of the given months."""
    ctx = FeatureContext(hist, cats)
    grid = training_grid(hist, months)
    feats = build_features(ctx, grid["month"].to_numpy(), grid["shop"].to_numpy(),
                           grid["item"].to_numpy())
    return feats, grid["target"].to_numpy(np.float32), grid["month"].to_numpy()


def train_model(sales: pd.DataFrame, items: pd.DataFrame, seed: int = 0,
                threads: int = 0) -> tuple[lgb.Booster, dict]:
    """Validate on the last month with early stopping, refit on all months; (booster, info)."""
    hist = monthly_history(sales)
    last = int(hist.month.max())
    _log(f"{len(hist.month):,} monthly pairs, months 0..{last}")
    months = range(max(1, last + 1 - TRAIN_MONTHS), last + 1)
    feats, y, month = feature_table(hist, item_categories(items), months)
    _log(f"grid: {len(y):,} rows x {feats.shape[1]} features")
    p = params(seed, threads)
    fit, val = month < last, month == last
    dtrain = lgb.Dataset(feats[fit], y[fit], categorical_feature=["shop_id", "category_id"],
                         free_raw_data=False)
    dval = lgb.Dataset(feats[val], y[val], reference=dtrain)
    booster = lgb.train(p, dtrain, MAX_ROUNDS, valid_sets=[dval],
                        callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)])
    rounds = max(1, booster.best_iteration)
    metrics = score(booster.predict(feats[val], num_iteration=rounds), y[val], feats[val])
    _log(f"validation month {last}: rounds={rounds} " +
         " ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    dall = lgb.Dataset(feats, y, categorical_feature=["shop_id", "category_id"])
    final = lgb.train(p, dall, rounds)
    _log("refit on all months done")
    info = {"rounds": rounds, "validation_month": last, "validation": metrics, "params": p,
            "features": list(feats.columns), "train_rows": len(y), "months": last + 1}
    return final, info
