"""RMSE (clipped to [0, 20]) of a forecast beside the naive baselines and the oracle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from salesapp.model.backtest_report import SEGMENTS
from salesapp.model.features import CLIP


def rmse(pred, truth) -> float:
    """Root mean squared error with both sides clipped to [0, 20] (the competition's rule)."""
    p = np.clip(np.asarray(pred, dtype=np.float64), 0, CLIP)
    t = np.clip(np.asarray(truth, dtype=np.float64), 0, CLIP)
    return float(np.sqrt(np.mean((p - t) ** 2))) if len(t) else float("nan")


def baselines(features: pd.DataFrame) -> dict[str, np.ndarray]:
    """Naive forecasts from the feature rows: zero, last month, mean of last 3, same month last year."""
    return {"zero": np.zeros(len(features)), "last_month": features["pair_lag1"].to_numpy(),
            "mean_last3": features["pair_mean3"].to_numpy(),
            "seasonal_naive": features["pair_lag12"].to_numpy()}


def score(pred, truth, features: pd.DataFrame) -> dict[str, float]:
    """The model's RMSE and every baseline's, plus the ratio to the best of last month / mean of 3."""
    out = {"model": rmse(pred, truth)}
    out.update({name: rmse(b, truth) for name, b in baselines(features).items()})
    best = min(out["last_month"], out["mean_last3"])
    out["model_vs_best_naive"] = out["model"] / best if best else float("nan")
    return out


def oracle_rmse(data_dir: str | Path) -> float | None:
    """RMSE of the generator's `expected` against `realised` (oracle.csv), or None without it."""
    path = Path(data_dir) / "oracle.csv"
    if not path.is_file():
        return None
    oracle = pd.read_csv(path)
    return rmse(oracle["expected"], oracle["realised"])


def evaluate_against_oracle(data_dir: str | Path, bundle_dir: str | Path) -> dict | None:
    """Score a bundle's forecast of test.csv against oracle.csv `realised` (generated data only).

    Returns model, oracle (expected vs realised) and baseline RMSEs and the two budget ratios, or
    None when the data directory has no test.csv/oracle.csv.
    """
    from salesapp.model.predictor import Predictor

    d = Path(data_dir)
    if not (d / "oracle.csv").is_file() or not (d / "test.csv").is_file():
        return None
    from salesapp.model.bundle import alias_pairs

    raw = pd.read_csv(d / "test.csv")
    test = alias_pairs(raw, bundle_dir)
    oracle = pd.read_csv(d / "oracle.csv").set_index("ID").reindex(raw["ID"])
    p = Predictor.load(bundle_dir)
    feats = p.features_for_pairs(test)
    out = score(p.predict_pairs(test), oracle["realised"].to_numpy(), feats)
    out["oracle"] = rmse(oracle["expected"], oracle["realised"])
    out["model_vs_oracle"] = out["model"] / out["oracle"]
    return out


def segment_masks(features: pd.DataFrame) -> dict[str, np.ndarray]:
    """Rows of a pair that sold before, of an item new to its shop only, of an item new to the
    chain (no sale anywhere before the row's month)."""
    pair_seen = features["pair_age"].to_numpy() > 0
    item_seen = features["item_age"].to_numpy() > 0
    return {"pairs_with_history": pair_seen, "new_to_shop": item_seen & ~pair_seen,
            "new_to_chain": ~item_seen}


def segment_scores(pred, truth, features: pd.DataFrame) -> dict:
    """`score` of all rows, plus "rows" and "segments": each segment's row count and `score`."""
    pred, truth = np.asarray(pred), np.asarray(truth)
    out = {**_finite(score(pred, truth, features)), "rows": len(truth), "segments": {}}
    for name, mask in segment_masks(features).items():
        out["segments"][name] = ({"rows": int(mask.sum()),
                                  **_finite(score(pred[mask], truth[mask], features[mask]))}
                                 if mask.any() else {"rows": 0})
    return out


def _finite(scores: dict) -> dict:
    """Without NaN (a ratio to a naive RMSE of 0): the card is strict JSON, and NaN != NaN."""
    return {k: v for k, v in scores.items() if np.isfinite(v)}


def backtest_summary(origins: list[dict]) -> dict:
    """{"origins": the per-origin scores, "mean": each RMSE's mean over the origins, the ratio
    recomputed from the means, and the mean per segment}."""
    def mean_of(scores: list[dict]) -> dict:
        keys = [k for k in scores[0] if k not in ("model_vs_best_naive", "rows") and
                isinstance(scores[0][k], float)] if scores else []
        out = {k: float(np.nanmean([s[k] for s in scores])) for k in keys}
        if out:
            best = min(out["last_month"], out["mean_last3"])
            if best > 0:
                out["model_vs_best_naive"] = out["model"] / best
        return out

    mean = mean_of(origins)
    if origins:
        mean["segments"] = {name: mean_of([o["segments"][name] for o in origins
                                           if o["segments"][name]["rows"]])
                            for name in SEGMENTS}
    return {"origins": origins, "mean": mean}

