"""Why an item's forecast is what it is: LightGBM's own contributions, grouped into a few buckets.

`pred_contrib=True` splits each raw prediction into one value per feature plus the model's
expected value (the last column); they add up to the raw prediction exactly (LightGBM's promise,
checked by the tests). Thirty-odd feature names mean nothing to staff, so they are summed into
the buckets of `BUCKETS`, by name, see `bucket_of`.

A Qt-free core: `group` (contributions -> buckets), `ItemReasons` (one item, every open shop,
and its words), `Explainer` (computes them from a loaded `Predictor`). `pred_contrib` is not safe
on a Booster that other threads predict with at the same time (LightGBM issue #5482), so the
Explainer has a Booster of its own, made from the predictor's verified model text, behind a lock.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from salesapp.model.features import CLIP
from salesapp.model.lightgbm_import import import_lightgbm

# (bucket, feature name patterns); a name takes the first bucket one of whose patterns it matches.
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("recent sales in this shop", ("pair_lag*", "pair_mean3", "pair_age",
                                   "pair_months_since_sale")),
    # pair_hat*: the item's sales per open shop scaled by the shop's size (and last year's step)
    ("the item across all shops", ("item_lag*", "item_mean3", "item_rate_*", "pair_hat*")),
    ("category and season", ("category_id", "cat_*")),
    ("price change", ("price_*",)),
    ("a new item", ("item_age", "new_*")),
    ("the shop", ("shop_id", "shop_*", "shopcat_*")),
)
OTHER = "other features"   # a feature no rule names (a newer model): still counted, never lost
BUCKETS = tuple(name for name, _ in RULES)

# Objectives whose raw score is the forecast itself, and those with a log link (raw = log of it).
IDENTITY_OBJECTIVES = {"regression", "regression_l2", "l2", "mean_squared_error", "mse",
                       "l2_root", "root_mean_squared_error", "rmse", "regression_l1", "l1",
                       "mean_absolute_error", "mae", "huber", "fair", "quantile"}
LOG_OBJECTIVES = {"poisson", "tweedie", "gamma"}


def bucket_of(feature: str) -> str:
    """The bucket a feature's contribution is counted in (OTHER if no rule names it)."""
    for bucket, patterns in RULES:
        if any(fnmatch.fnmatchcase(feature, p) for p in patterns):
            return bucket
    return OTHER


def buckets_for(features: Sequence[str]) -> tuple[str, ...]:
    """The buckets shown for a model with these features: BUCKETS, then OTHER if it is needed."""
    extra = (OTHER,) if any(bucket_of(f) == OTHER for f in features) else ()
    return BUCKETS + extra


def group(contrib: np.ndarray, features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(expected value per row, rows x buckets_for(features) sums) of a `pred_contrib` matrix.

    `contrib` has one column per feature, in `features`' order, and the expected value last.
    """
    contrib = np.asarray(contrib, dtype=np.float64)
    if contrib.ndim != 2 or contrib.shape[1] != len(features) + 1:
        raise ValueError(f"contributions have shape {contrib.shape}, expected (rows, "
                         f"{len(features) + 1}) for {len(features)} features and the base value")
    names = buckets_for(features)
    column = np.array([names.index(bucket_of(f)) for f in features])
    sums = np.zeros((contrib.shape[0], len(names)))
    for b in range(len(names)):
        sums[:, b] = contrib[:, :-1][:, column == b].sum(axis=1)
    return contrib[:, -1].copy(), sums


def objective_of(model_text: str) -> str:
    """The objective's name from a LightGBM model text's header (`objective=poisson ...`)."""
    end = model_text.find("\nTree=")
    for line in model_text[:end if end >= 0 else len(model_text)].splitlines():
        if line.startswith("objective="):
            words = line.split("=", 1)[1].split()
            return words[0] if words else ""
    raise ValueError("the model text has no objective= line in its header")


def scale_of(objective: str) -> str:
    """"units" (contributions add up to the forecast) or "log" (they multiply it as factors)."""
    if objective in IDENTITY_OBJECTIVES:
        return "units"
    if objective in LOG_OBJECTIVES:
        return "log"
    raise ValueError(f"reasons need a regression model; this model's objective is {objective!r}")


@dataclass(frozen=True)
class ItemReasons:
    """One item's reasons for every open shop (rows in `shop_ids` order).

    scale "units": base + buckets.sum(axis=1) == raw for each shop, and the forecast is raw clipped
    to 0..CLIP. scale "log": the same sums hold on the log scale; the forecast is exp(raw).
    """

    item_id: int
    shop_ids: tuple[int, ...]
    buckets: tuple[str, ...]
    scale: str
    base: np.ndarray      # (shops,) the model's expected value
    values: np.ndarray    # (shops, buckets)
    raw: np.ndarray       # (shops,) the raw prediction: base + values summed

    @property
    def forecast(self) -> np.ndarray:
        """The forecast per shop as the Predictor gives it (before rounding)."""
        if self.scale == "log":
            return np.clip(np.exp(self.raw), 0, CLIP)
        return np.clip(self.raw, 0, CLIP)

    def shop(self, shop_id: int) -> dict:
        """{"base", "values" (bucket -> value), "forecast", "raw"} of one shop."""
        k = self.shop_ids.index(int(shop_id))
        return {"base": float(self.base[k]), "raw": float(self.raw[k]),
                "forecast": float(self.forecast[k]),
                "values": dict(zip(self.buckets, map(float, self.values[k])))}

    def total(self) -> dict:
        """The same for the item's total over its open shops.

        "units": sums over the shops, and "clipped" is what turning the shops' negative (or above
        CLIP) raw values into 0 (CLIP) adds to the total. "log": the shops' factors do not add up;
        each bucket's is the forecast-weighted mean of the shops' log contributions.
        """
        forecast = self.forecast
        if self.scale == "log":
            w = forecast / forecast.sum() if forecast.sum() > 0 else np.full(len(forecast),
                                                                           1 / len(forecast))
            values, base, clipped = w @ self.values, float(w @ self.base), 0.0
        else:
            values, base = self.values.sum(axis=0), float(self.base.sum())
            clipped = float(forecast.sum() - self.raw.sum())
        return {"base": base, "raw": float(self.raw.sum()), "forecast": float(forecast.sum()),
                "clipped": clipped, "values": dict(zip(self.buckets, map(float, values)))}

    def describe(self, shop_id: int | None = None, shop_name: str = "") -> str:
        """The reasons in words: for one shop, or (None) the item's total.

        Figures have two decimals when the forecast and the starting point are below 1 unit (a
        shop's forecasts often are), one otherwise.
        """
        part = self.total() if shop_id is None else self.shop(shop_id)
        d = decimals_for(part["forecast"], part["base"] if self.scale == "units" else 0.0)
        least = 0.5 * 10 ** -d   # what still shows as a non-zero figure
        where = "all shops" if shop_id is None else (shop_name or f"shop {shop_id}")
        ranked = sorted(part["values"].items(), key=lambda kv: -abs(kv[1]))
        if self.scale == "log":
            start = (f"{part['forecast']:.{d}f} units in {where}: a typical item-shop would get "
                     f"{np.exp(part['base']):.2f}")
            steps = [f"{name} ×{np.exp(v):.2f}" for name, v in ranked if abs(v) >= 0.01]
            note = " (factors: the model works on the log of sales)"
        else:
            typical = ("a typical item would get" if shop_id is None
                       else "a typical item-shop would get")
            start = f"{part['forecast']:.{d}f} units in {where}: {typical} {part['base']:.{d}f}"
            if shop_id is None:   # the total's starting point is the shops' added up
                start += f" ({part['base'] / len(self.shop_ids):.2f} a shop)"
            shown = [(name, v) for name, v in ranked if abs(v) >= least]
            steps = [f"{name} {'adds' if v > 0 else 'takes away'} {abs(v):.{d}f}"
                     for name, v in shown]
            rest = part["raw"] - part["base"] - sum(v for _, v in shown)
            if abs(rest) >= least:
                steps.append(f"smaller effects {rest:+.{d}f}")
            clipped = part.get("clipped", part["forecast"] - part["raw"])
            note = (f"; shops kept within 0-{CLIP:g} units: {clipped:+.{d}f}"
                    if abs(clipped) >= least else "")
        return start + ("; " + "; ".join(steps) if steps else "") + note + "."


def decimals_for(*figures: float) -> int:
    """Decimals that keep small figures readable: 2 when every one is below 1 unit, else 1."""
    return 2 if all(abs(f) < 1 for f in figures) else 1


class Explainer:
    """Computes `ItemReasons` from a loaded Predictor; one call at a time (its own lock).

    Cheap to make: the Booster is built at the first `explain`, on the caller's thread (a worker).
    """

    def __init__(self, predictor):
        self._predictor = predictor
        self._lock = threading.Lock()
        self._booster = None
        self.scale = scale_of(objective_of(predictor.model_text))

    def prepare(self) -> None:
        """Make the Booster now (a worker thread, before the first item is opened)."""
        with self._lock:
            self._ready_booster()

    def _ready_booster(self):
        if self._booster is None:
            lgb = import_lightgbm()
            self._booster = lgb.Booster(model_str=self._predictor.model_text)
        return self._booster

    def explain(self, item_id: int) -> ItemReasons:
        """The reasons of `item_id`'s forecast in every open shop; ValueError for an unknown id."""
        p = self._predictor
        item_id = int(item_id)
        known = p.item_ids
        at = int(np.searchsorted(known, item_id))
        if at >= len(known) or known[at] != item_id:
            raise ValueError(f"item {item_id} is not in items.csv")
        shops = np.array(p.shop_ids, dtype=np.int64)
        names, X = p.forecast_features(np.full(len(shops), item_id, dtype=np.int64), shops)
        with self._lock:
            booster = self._ready_booster()
            if list(booster.feature_name()) != list(names):
                raise ValueError("the model's feature names differ from the features the app "
                                 "computes: the bundle does not match this version of the app")
            contrib = booster.predict(X, pred_contrib=True, num_threads=1)
        base, values = group(contrib, names)
        return ItemReasons(item_id, tuple(int(s) for s in shops), buckets_for(names), self.scale,
                           base, values, base + values.sum(axis=1))
