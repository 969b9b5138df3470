"""Forecasts for more than the next month: one direct model per horizon, on the same features.

The model for horizon h forecasts month m from what is known at the forecast origin, month
m - h + 1 (the first month after the history): its rows are `features.build_features` at the
origin, so every lag is h - 1 months older than the one model 1 sees for the same target. A
few columns describe the target month rather than the history, and `retarget` makes them right
for month m: the ages (an item's age in the target month, not at the origin) and the seasonal
steps (last year's change from the origin's last known month to the target month, which for
h = 1 is the one-month step the features hold). At prediction time every horizon has the same
origin, so one feature matrix serves all of them, with these columns written over.

A feature added to `features` that describes the target month (a calendar month, a season
ratio) belongs in `retarget` too; one that describes the history does not.
"""

from __future__ import annotations

import numpy as np

from salesapp.model.features import (
    NONE,
    _category_of,
    _codes,
    _month,
    _nanmean3,
    _take,
)

HORIZONS = (1, 2, 3)   # the months a bundle forecasts: the plan of the next three
# the columns `retarget` writes: ages and the seasonal steps
RETARGETED = ("item_age", "pair_age", "pair_months_since_sale", "cat_season_step",
              "pair_hat3_season", "new_item_hat")


def retarget(ctx, cols, month: np.ndarray, item: np.ndarray, horizon: int) -> dict:
    """{name: column} of the RETARGETED columns for rows whose features `cols` ({name: column}
    or a frame) were built at origin `month`, for the target month `month + horizon - 1`.

    Only months before the origin are read (a seasonal step looks a year back), so nothing the
    origin does not know enters; for horizon 1 the columns come back as `cols` holds them.
    """
    month = np.asarray(month, dtype=np.int64)
    ahead = horizon - 1
    out = {}
    for name in ("item_age", "pair_age"):   # 0 stays 0: not sold before the origin ("new")
        age = np.asarray(cols[name])
        out[name] = np.where(age > 0, age + ahead, age).astype(age.dtype)
    since = np.asarray(cols["pair_months_since_sale"])
    out["pair_months_since_sale"] = np.where(since != NONE, since + ahead, since).astype(since.dtype)
    # last year's step from the origin's last known month (origin - 1) to the target month
    then, now = month - 13, month + ahead - 12
    c = _codes(ctx.cats, _category_of(ctx, np.asarray(item, dtype=np.int64)))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["cat_season_step"] = (_take(ctx.rates["cat"], _month(ctx, now), c)
                                  / _take(ctx.rates["cat"], _month(ctx, then), c))
        chain_step = (_take(ctx.chain_rate, _month(ctx, now))
                      / _take(ctx.chain_rate, _month(ctx, then)))
    new3 = _nanmean3(np.stack([_take(ctx.new_rate, _month(ctx, month - k)) for k in (1, 2, 3)]))
    weight = np.asarray(cols["shop_weight"])
    out["pair_hat3_season"] = np.asarray(cols["pair_hat3"]) * chain_step
    out["new_item_hat"] = new3 * weight * chain_step
    return {k: np.asarray(v, dtype=np.float32) if k in ("cat_season_step", "pair_hat3_season",
                                                         "new_item_hat") else v
            for k, v in out.items()}


def retarget_matrix(ctx, names: list[str], X: np.ndarray, month: np.ndarray, item: np.ndarray,
                    horizon: int, base: dict) -> None:
    """Write the RETARGETED columns of horizon `horizon` into the float32 matrix X (in place).

    `base`: those columns as built at the origin (horizon 1), kept by the caller, so that one
    matrix can be turned from one horizon to the next without building its features again.
    """
    for name, values in retarget(ctx, base, month, item, horizon).items():
        X[:, names.index(name)] = values


def base_columns(names: list[str], X: np.ndarray) -> dict:
    """Copies of the columns `retarget` reads from an origin's matrix."""
    return {k: X[:, names.index(k)].copy() for k in (*RETARGETED[:3], "shop_weight", "pair_hat3")}
