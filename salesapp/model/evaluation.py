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
