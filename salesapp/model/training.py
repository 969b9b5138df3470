"""Train LightGBM on the monthly grid, with a rolling-origin backtest of the same procedure.

The procedure: a model for month F is fit on the TRAIN_MONTHS months before F, for as many
rounds as early stopping chose when the previous model (the one for month F - 1) was fit and
validated on month F - 1. So the rounds of a model never come from the month it forecasts. The
backtest runs that procedure for each of the last BACKTEST_ORIGINS months of the history and
scores it there (the model card's figures); the bundle's model is the next step of the chain,
for the month after the history. Each early-stopped fit is also the backtest model for its own
month, read at the previous fit's rounds: a fit to N rounds holds the fit to fewer as its first
trees, so the chain costs one fit per month, not two.

Horizons (`horizons`): the model for h months ahead is trained the same way on rows built at
each target month's origin, h - 1 months earlier; its fit validated on month v learns from the
targets up to v - h (what v's origin knows) and is read at the rounds chosen on month v - h, so
its chain steps h months. Every horizon is trained as if it were the only one, one feature
matrix in memory at a time: its final fit's Dataset is binned before the next one is built.

Memory at full scale (about 0.4 M grid rows a month) is kept down by building the features one
month at a time into one preallocated float32 matrix, in month order: every fit's rows are a
contiguous slice of it, handed to LightGBM without a copy and binned for that fit alone (bins
built from all months would carry later months into an earlier origin's model).
"""

from __future__ import annotations

import gc
import math
import sys
import time
from collections.abc import Callable

import lightgbm as lgb
import numpy as np
import pandas as pd

from salesapp.model import horizons, range_calibration
from salesapp.model.evaluation import backtest_summary, segment_scores
from salesapp.model.features import (
    FeatureContext,
    MonthlyHistory,
    build_features,
    grid_month,
    monthly_history,
)
from salesapp.model.horizons import HORIZONS

TRAIN_MONTHS = 12   # recent months only: bounds memory and time at full scale
BACKTEST_ORIGINS = 3   # the minimum; each origin is one more LightGBM fit
MAX_ROUNDS = 600
EARLY_STOP = 20
CATEGORICAL = ["shop_id", "category_id"]

# A training's stages, in order, as its progress callback names them: `progress(stage, fraction)`
# with fraction the part of that stage done (0 to 1). "reading" is the caller's (the data files).
STAGES = ("reading", "features", "backtest", "final fit")
Progress = Callable[[str, float], None]


def _no_progress(_stage: str, _fraction: float) -> None:
    pass


def params(seed: int, threads: int) -> dict:
    """LightGBM parameters; deterministic so that same data + seed -> same model."""
    # learning rate, leaf size, L2 and feature fraction chosen by paired runs of the robustness
    # suite on two data seeds (benchmarks/results/robustness_variants.json), not on one regime
    return {"objective": "regression", "learning_rate": 0.05, "num_leaves": 63,
            # max_bin at LightGBM's default 255: fewer bins cost accuracy on smaller data sets
            "min_data_in_leaf": 50, "feature_fraction": 0.7, "bagging_fraction": 0.5,
            "max_bin": 255, "bagging_freq": 1, "lambda_l2": 10.0, "seed": seed, "bagging_seed": seed,
            "feature_fraction_seed": seed, "data_random_seed": seed, "deterministic": True,
            "force_row_wise": True, "num_threads": threads, "verbose": -1}


def _log(msg: str) -> None:
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def item_categories(items: pd.DataFrame) -> pd.Series:
    """item_category_id indexed by item_id."""
    return pd.Series(items["item_category_id"].to_numpy(), index=items["item_id"].to_numpy())


def feature_table(hist: MonthlyHistory, cats: pd.Series, months: range,
                  progress: Progress = _no_progress, horizon: int = 1):
    """(features float32 matrix, feature names, target, month) of the grid of the given target
    months, rows in month order; `progress("features", part done)` after each month.

    Horizon h: a target month m's rows are built at its origin m - h + 1 (`horizons.retarget`),
    so a month's rows need an origin with history (m >= h)."""
    ctx = FeatureContext(hist, cats)
    grids = [(m, g) for m in months if m >= horizon and (g := grid_month(hist, m)) is not None]
    total = sum(len(g[0]) for _, g in grids)
    X = names = None
    y = np.empty(total, dtype=np.float32)
    month = np.empty(total, dtype=np.int16)
    at = 0
    for m, (shop, item, target) in grids:
        origin = np.full(len(shop), m - horizon + 1)
        feats = build_features(ctx, origin, shop, item)
        if horizon != 1:
            for name, values in horizons.retarget(ctx, feats, origin, item, horizon).items():
                feats[name] = values
        if X is None:
            names = list(feats.columns)
            X = np.empty((total, len(names)), dtype=np.float32)
        X[at:at + len(shop)] = feats.to_numpy(np.float32)
        y[at:at + len(shop)], month[at:at + len(shop)] = target, m
        at += len(shop)
        progress("features", at / total)
    return X, names, y, month


def train_model(sales: pd.DataFrame, items: pd.DataFrame, seed: int = 0,
                threads: int = 0, progress: Progress = _no_progress) -> tuple[lgb.Booster, dict]:
    """Backtest, then fit the model for the month after the history; (booster, info)."""
    return train_history(monthly_history(sales), items, seed, threads, progress)


def validation_months(last: int, horizon: int = 1) -> list[int]:
    """Months an early-stopped fit of `horizon` is validated on, oldest first: the one each
    backtest origin's rounds are chosen on (horizon months before it), then every origin. A fit
    validated on month v learns from targets up to v - horizon (known at v's origin); month 0
    has no lags, so its first target month is `horizon` and its first v is 2 * horizon."""
    return [v for v in range(last - BACKTEST_ORIGINS - horizon + 1, last + 1) if v >= 2 * horizon]


def train_history(hist: MonthlyHistory, items: pd.DataFrame, seed: int = 0,
                  threads: int = 0, progress: Progress = _no_progress) -> tuple[lgb.Booster, dict]:
    """`train_model` from the monthly history (what the bundle keeps): the next month's model.

    info["backtest"]: per origin month its model's and the naive baselines' RMSE, overall and by
    segment, the rounds and the months its model was fit on; and their mean. info["ranges"]: the
    P10/P90 tables fit on the origins' residuals (`range_calibration.calibrate`).
    `progress(stage, fraction)` is called as the stages "features", "backtest" and "final fit"
    advance (see STAGES), from this thread; fractions of one stage never go down.
    """
    boosters, info = train_horizons(hist, items, seed, threads, progress, horizons=(1,))
    return boosters[1], info


def train_horizons(hist: MonthlyHistory, items: pd.DataFrame, seed: int = 0, threads: int = 0,
                   progress: Progress = _no_progress,
                   horizons: tuple[int, ...] = HORIZONS) -> tuple[dict[int, lgb.Booster], dict]:
    """A direct model per horizon ({h: booster}, info), each trained and backtested on its own
    exactly as if it were the only one (so a horizon's model does not depend on the others).

    info holds horizon 1's figures as `train_history` gives them (or the first horizon's), and
    info["horizons"]: {str(h): {"rounds", "rounds_chosen_on", "backtest", "ranges"}} of every
    horizon but 1. Every horizon's backtest and its Dataset for the final fit are made first, one
    horizon's feature matrix in memory at a time; then the final fits.
    """
    last = int(hist.month.max())
    _log(f"{len(hist.month):,} monthly pairs, months 0..{last}, horizons {list(horizons)}")
    cats = item_categories(items)
    p = params(seed, threads)
    n = len(horizons)
    steps = []
    for k, h in enumerate(horizons):
        step = _backtest_horizon(hist, cats, h, p, last, _horizon_progress(progress, k, n),
                                 required=k == 0)
        if step is None or (k and not step[3]["backtest"]["origins"]):
            # a model whose months ahead no backtest month scored has no ranges either: the
            # history is too short for it (and for the horizons after it)
            _log(f"months 0..{last} are too few for a backtest {h} months ahead: the bundle "
                 f"forecasts {horizons[k - 1]} month(s)")
            horizons, n = horizons[:k], k
            break
        steps.append(step)
    boosters, per_horizon = {}, {}
    progress("final fit", 0.0)
    for k, (h, (rounds, chosen_on, dfinal, summary)) in enumerate(zip(horizons, steps)):
        boosters[h] = lgb.train(p, dfinal, rounds, callbacks=[_round_progress(
            progress, rounds, lo=k / n, hi=(k + 1) / n)])
        _log(f"horizon {h}: model for month {last + h}: {rounds} rounds "
             f"(chosen on month {chosen_on})")
        per_horizon[h] = {"rounds": rounds, "rounds_chosen_on": chosen_on, **summary}
        del dfinal
    steps.clear()
    gc.collect()
    first = per_horizon[horizons[0]]
    info = {"rounds": first["rounds"], "rounds_chosen_on": first["rounds_chosen_on"], "backtest": first["backtest"],
            "params": p, "features": first["features"], "train_rows": first["train_rows"],
            "months": last + 1, "ranges": first["ranges"]}
    extra = {str(h): {k: v for k, v in per_horizon[h].items() if k not in ("features",)}
             for h in horizons[1:]}
    if extra:
        info["horizons"] = extra
    return boosters, info


def _horizon_progress(progress: Progress, k: int, n: int) -> Progress:
    """Horizon k of n's "features" and "backtest" as one run of the stages: the first horizon's
    features are the "features" stage, everything else before the final fits is "backtest"."""
    def report(stage: str, fraction: float) -> None:
        if stage == "features" and k == 0:
            progress(stage, fraction)
        elif stage == "features":
            progress("backtest", k / n)
        else:
            progress("backtest", (k + fraction) / n)
    return report


def _backtest_horizon(hist: MonthlyHistory, cats: pd.Series, h: int, p: dict, last: int,
                      progress: Progress, required: bool = True):
    """Horizon h's rolling backtest, and the Dataset of its final fit (binned, so that its
    feature matrix is freed): (rounds, the month they were chosen on, Dataset, {"backtest",
    "ranges", "features", "train_rows"}). Too few months for one fit: ValueError, or None if
    not `required`."""
    chain = validation_months(last, h)
    first = max(h, (chain[0] - h + 1 if chain else last + 1) - TRAIN_MONTHS)
    progress("features", 0.0)
    X, names, y, month = feature_table(hist, cats, range(first, last + 1), progress, h)
    _log(f"horizon {h} grid: {len(y):,} rows x {len(names)} features, months {first}..{last}")
    starts = np.searchsorted(month, np.arange(first, last + 3))

    def rows(lo: int, hi: int) -> slice:   # the rows of target months lo <= m < hi
        return slice(int(starts[max(lo, first) - first]), int(starts[max(hi, first) - first]))

    origins, samples, best_on = [], [], {}
    progress("backtest", 0.0)
    for step, v in enumerate(chain):
        # learns from the targets known at v's origin (v - h + 1); read at the rounds chosen on
        # month v - h, the last month known at that origin
        fit, val = rows(v - h + 1 - TRAIN_MONTHS, v - h + 1), rows(v, v + 1)
        if fit.stop <= fit.start or val.stop <= val.start:
            continue
        rounds = best_on.get(v - h)
        booster, best_on[v] = _early_stopped(p, X[fit], y[fit], X[val], y[val], names,
                                             rounds or 1,
                                             _fit_progress(progress, step, len(chain), rounds))
        if rounds is not None:
            frame = pd.DataFrame(X[val], columns=names)
            pred = booster.predict(X[val], num_iteration=rounds)
            fit_months = np.unique(month[fit])
            origins.append({"month": v, "rounds": rounds,
                            "train_months": [int(fit_months[0]), int(fit_months[-1])],
                            **segment_scores(pred, y[val], frame)})
            shop_v, item_v, _ = grid_month(hist, v)   # the rows of month v, in feature_table's order
            samples.append(range_calibration.origin_samples(hist, v, shop_v, item_v, pred,
                                                            y[val], frame, horizon=h))
            _log(f"horizon {h} backtest month {v}: rounds={rounds} "
                 f"model={origins[-1]['model']:.4f} "
                 f"best naive x{origins[-1]['model_vs_best_naive']:.3f}")
        del booster
        gc.collect()
        progress("backtest", (step + 1) / len(chain))
    if not best_on and not required:
        return None
    if not best_on:
        raise ValueError(f"months 0..{last} are too few to train on: at least "
                         f"{2 * h + 1} are needed" + (f" for a forecast {h} months ahead"
                                                     if h > 1 else ""))
    chosen_on = max(best_on)   # the last month: the final model's rounds come from it
    final_rows = rows(last + 1 - TRAIN_MONTHS, last + 1)
    dfinal = _dataset(p, X[final_rows], y[final_rows], names)
    dfinal.construct()   # binned now: the raw matrix can go before the next horizon's is built
    del X
    gc.collect()
    summary = {"backtest": backtest_summary(origins), "features": names,
               "train_rows": final_rows.stop - final_rows.start,
               "ranges": range_calibration.calibrate([s[0] for s in samples],
                                                     [s[1] for s in samples])}
    return best_on[chosen_on], chosen_on, dfinal, summary


def _dataset(p: dict, X: np.ndarray, y: np.ndarray, names: list[str], reference=None):
    return lgb.Dataset(X, y, feature_name=names, categorical_feature=CATEGORICAL, params=p,
                       reference=reference, free_raw_data=True)


def _round_progress(progress: Progress, rounds: int, stage: str = "final fit", lo: float = 0.0,
                    hi: float = 1.0):
    """A LightGBM callback telling `progress(stage, ...)` the rounds done of `rounds`, mapped
    onto lo..hi of the stage."""
    def callback(env) -> None:
        progress(stage, lo + (hi - lo) * min(1.0, (env.iteration + 1) / rounds))

    callback.order = 40
    return callback


def _fit_progress(progress: Progress, step: int, steps: int, rounds: int | None):
    """The round callback of backtest fit `step` of `steps`. Early stopping ends a fit at a
    round not known before, so its share of the stage fills towards the previous fit's rounds
    plus EARLY_STOP (the first fit: MAX_ROUNDS), and jumps to its end when the fit stops."""
    expected = MAX_ROUNDS if rounds is None else rounds + EARLY_STOP
    return _round_progress(progress, expected, "backtest", step / steps, (step + 1) / steps)


def _early_stopped(p: dict, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray,
                   names: list[str], min_rounds: int, on_round=None) -> tuple[lgb.Booster, int]:
    """Fit on (X, y), validated on (X_val, y_val): at least `min_rounds` trees, then until
    EARLY_STOP rounds bring no gain; (booster, the round with the best validation score).
    `on_round`: a LightGBM callback called after each round (progress)."""
    dtrain = _dataset(p, X, y, names)
    dval = _dataset(p, X_val, y_val, names, reference=dtrain)
    stop, best = _stop_after(min_rounds)
    callbacks = [stop] + ([on_round] if on_round is not None else [])
    booster = lgb.train(p, dtrain, max(MAX_ROUNDS, min_rounds), valid_sets=[dval],
                        callbacks=callbacks, keep_training_booster=True)
    # (kept as trained: LightGBM would otherwise cut it at the best round, below min_rounds)
    return booster, best["round"]


def _stop_after(min_rounds: int):
    """LightGBM's early stopping that never stops before `min_rounds` (the backtest reads the
    fit at the previous month's rounds); (callback, {"round": best round so far})."""
    best = {"round": 1, "score": math.inf}

    def callback(env) -> None:
        done = env.iteration + 1
        score = env.evaluation_result_list[0][2]
        if score < best["score"]:
            best.update(round=done, score=score)
        if done >= min_rounds and done - best["round"] >= EARLY_STOP:
            raise lgb.callback.EarlyStopException(best["round"] - 1, env.evaluation_result_list)

    callback.order = 30
    return callback, best
