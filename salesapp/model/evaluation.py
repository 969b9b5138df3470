"""RMSE (clipped to [0, 20]) of a forecast beside the naive baselines and the oracle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

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
