"""Robustness suite -> benchmarks/results/robustness.json: the model on every generator regime.

For each regime of `salesapp.model.regimes` (scale 0.25 by default, the issue's minimum): generate
the data, then in a child process of its own (its wall time and peak RSS) load it as `salesapp
train` does, train with the project's training code, and forecast test.csv as the bundle's
Predictor does (features of the month after the history, shop ids aliased as the loader merged
them, items the catalogue does not know at 0). Scored against oracle.csv: RMSE (clipped to
[0, 20]) over the oracle's RMSE, and over the best naive baseline's (last month, mean of last 3);
then the worst regime and the mean over regimes, against the budgets.

Variants (for choosing features and parameters by the suite, not by eye): `--drop GROUP,...`
trains without those feature groups (their columns all missing, so no tree can split on them),
`--param key=value,...` overrides LightGBM parameters, `--origins N` backtests N months instead of
the project's BACKTEST_ORIGINS (1: two fits fewer, for quicker comparisons of variants, which then
run at the same N). The plain run is the project's code.

Run: nice python -m benchmarks.bench_robustness [--scale 0.25] [--regimes a,b] [--threads 1]
     [--drop GROUP] [--param objective=tweedie] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "robustness.json"
BUDGETS = {"worst_vs_oracle": 1.08, "mean_vs_oracle": 1.05, "worst_vs_best_naive": 0.85}

# Feature groups for ablation: a column belongs to the first group whose prefix it starts with.
GROUPS = {
    "pair_lags": ("pair_lag", "pair_mean3"),
    "item_lags": ("item_lag", "item_mean3"),
    "shop_lags": ("shop_lag",),
    "cat_lags": ("cat_lag", "cat_mean3"),
    "shopcat_lags": ("shopcat_",),
    "rates": ("item_rate", "shop_weight", "pair_hat", "cat_season_step", "new_item_hat"),
    "ages": ("item_age", "pair_age", "pair_months_since_sale"),
    "prices": ("price_vs",),
    "new_items": ("new_shop", "new_chain"),
    "ids": ("shop_id", "category_id"),
}


def _mean_of_lags(level: str):
    def make(rows):
        import numpy as np
        cols = [f"{level}_lag{k}" for k in (1, 2, 3, 6, 12)]
        return np.nan_to_num(rows.frame[cols].to_numpy(np.float64)).mean(axis=1).astype(np.float32)
    return make


SHARE_MONTHS = 6          # a shop's mix of categories changes slowly: a longer window, less noise
SHARE_PRIOR_UNITS = 10.0  # below this many units of the category, lean on the shop's own weight


def _shopcat_share(rows):
    """The shop's units in the item's category over the chain's mean per open shop, in the last
    SHARE_MONTHS months the shop traded, shrunk toward the shop's overall weight where the
    category sells little: the pair_hat estimate with the shop's own category mix."""
    import numpy as np

    from salesapp.model import features as f

    ctx, hist = rows.ctx, rows.hist
    table = ctx.__dict__.get("_bench_shopcat")
    if table is None:   # units per (month, shop, category), NaN in months a shop did not trade
        s = f._codes(ctx.shops, hist.shop)
        c = f._codes(ctx.cats, f._category_of(ctx, hist.item))
        units = np.zeros((ctx.n_months, len(ctx.shops), len(ctx.cats)))
        np.add.at(units, (hist.month.astype(np.int64), s, c), np.maximum(hist.cnt, 0))
        traded = np.zeros(units.shape[:2], dtype=bool)
        traded[hist.month.astype(np.int64), s] = True
        table = f._padded(np.where(traded[:, :, None], units, np.nan))
        ctx.__dict__["_bench_shopcat"] = table
    s = f._codes(ctx.shops, rows.shop)
    c = f._codes(ctx.cats, f._category_of(ctx, rows.item))
    units, norm = np.zeros(len(s)), np.zeros(len(s))
    for k in range(1, SHARE_MONTHS + 1):
        at = f._month(ctx, np.asarray(rows.month) - k)
        here = table[at, s, c]
        traded = ~np.isnan(here)
        units += np.where(traded, here, 0.0)
        norm += np.where(traded, np.nan_to_num(ctx.rates["cat"][at, c]), 0.0)
    prior = np.nan_to_num(rows.frame["shop_weight"].to_numpy(np.float64), nan=1.0)
    return ((units + SHARE_PRIOR_UNITS * prior) / (norm + SHARE_PRIOR_UNITS)).astype(np.float32)


def _pair_hat3_cat(rows):
    return rows.frame["item_rate_mean3"].to_numpy() * _shopcat_share(rows)


def _chain_and_cat_rates(rows, lags):
    """Units per open shop, chain and item's category, at each of `lags` months before the row."""
    import numpy as np

    from salesapp.model import features as f

    ctx = rows.ctx
    c = f._codes(ctx.cats, f._category_of(ctx, rows.item))
    month = np.asarray(rows.month)
    chain = np.stack([f._take(ctx.chain_rate, f._month(ctx, month - k)) for k in lags])
    cat = np.stack([f._take(ctx.rates["cat"], f._month(ctx, month - k), c) for k in lags])
    return chain.astype(np.float64), cat.astype(np.float64)


def _momentum(level: int):
    """This month's rate over the mean of the last three (chain: level 0, category: level 1)."""
    def make(rows):
        import numpy as np
        rates = _chain_and_cat_rates(rows, (1, 2, 3))[level]
        with np.errstate(invalid="ignore", divide="ignore"):
            return (rates[0] / np.nanmean(rates, axis=0)).astype(np.float32)
    return make


def _season3(rows):
    """The category's month a year before the row over the mean of the three months before that:
    the step from a 3-month mean to the forecast month, as it went last year."""
    import numpy as np
    cat = _chain_and_cat_rates(rows, (12, 13, 14, 15))[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (cat[0] / np.nanmean(cat[1:], axis=0)).astype(np.float32)


def _pair_hat3_season3(rows):
    import numpy as np
    step = np.nan_to_num(_season3(rows), nan=1.0)
    return rows.frame["pair_hat3"].to_numpy() * step


def _pair_hat3_trend(rows):
    """pair_hat3 carried forward by the category's momentum (a 3-month mean lags a trend)."""
    import numpy as np
    step = np.nan_to_num(_momentum(1)(rows), nan=1.0)
    return rows.frame["pair_hat3"].to_numpy() * step


# Candidate features, tried with `--extra NAME,...` before one earns a place in
# salesapp/model/features.py: the mean of the lags 1, 2, 3, 6 and 12 (a longer memory than the
# 3-month means, where demand is steady or noisy), and the shop's share of the category (shops
# with their own mix of categories).
CANDIDATES = {"pair_mean5": _mean_of_lags("pair"), "item_mean5": _mean_of_lags("item"),
              "shopcat_share": _shopcat_share, "pair_hat3_cat": _pair_hat3_cat,
              "chain_momentum": _momentum(0), "cat_momentum": _momentum(1),
              "pair_hat3_trend": _pair_hat3_trend, "cat_season3": _season3,
              "pair_hat3_season3": _pair_hat3_season3}


def group_columns(names: list[str], groups: list[str]) -> list[str]:
    """The columns of `names` in the feature groups named."""
    prefixes = tuple(p for g in groups for p in GROUPS[g])
    return [n for n in names if n.startswith(prefixes)]


def _parse_params(text: str) -> dict:
    out = {}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        for kind in (int, float):
            try:
                out[key] = kind(value)
                break
            except ValueError:
                continue
        else:
            out[key] = value
    return out


def score_regime(data_dir: str, seed: int, threads: int, drop: list[str], overrides: dict,
                 origins: int | None = None, extra: tuple[str, ...] = ()) -> dict:
    """Train on data_dir as `salesapp train` does and score its test.csv forecast (child body)."""
    import numpy as np
    import pandas as pd

    from salesapp.model import training
    from salesapp.model.dataset import load_dataset
    from salesapp.model.evaluation import rmse, score
    from salesapp.model.features import CLIP, FeatureContext, build_features, monthly_history

    def without(ctx, month, shop, item):
        frame = build_features(ctx, month, shop, item)
        rows = SimpleNamespace(ctx=ctx, hist=hist, month=month, shop=shop, item=item, frame=frame)
        frame = frame.assign(**{n: CANDIDATES[n](rows) for n in extra})
        gone = group_columns(list(frame.columns), drop)
        return frame.assign(**{c: np.nan for c in gone}) if gone else frame

    if drop or extra:
        training.build_features = without
    if origins:
        training.BACKTEST_ORIGINS = origins
    if overrides:
        plain_params = training.params
        training.params = lambda s, t: {**plain_params(s, t), **overrides}
    start = time.perf_counter()
    data = load_dataset(data_dir)
    hist = monthly_history(data.sales)
    booster, info = training.train_history(hist, data.items, seed, threads)
    train_s = time.perf_counter() - start
    raw = pd.read_csv(Path(data_dir) / "test.csv")
    shop = raw["shop_id"].replace({int(k): int(v) for k, v in data.shop_aliases.items()})
    item = raw["item_id"].to_numpy(np.int64)
    ctx = FeatureContext(hist, training.item_categories(data.items))
    month = np.full(len(raw), int(hist.month.max()) + 1)
    feats = build_features(ctx, month, shop.to_numpy(np.int64), item)
    model_rows = without(ctx, month, shop.to_numpy(np.int64), item)
    pred = np.clip(booster.predict(model_rows.to_numpy(np.float32)), 0, CLIP)
    pred = np.where(np.isin(item, data.items["item_id"].to_numpy()), pred, 0.0)
    oracle = pd.read_csv(Path(data_dir) / "oracle.csv").set_index("ID").reindex(raw["ID"])
    out = score(pred, oracle["realised"].to_numpy(), feats)
    out["oracle"] = rmse(oracle["expected"], oracle["realised"])
    out["model_vs_oracle"] = out["model"] / out["oracle"]
    mean = info["backtest"]["mean"]
    return {"test": out, "backtest_mean_vs_best_naive": mean.get("model_vs_best_naive"),
            "rounds": info["rounds"], "features_used": len(info["features"]) - len(
                group_columns(info["features"], drop)),
            "train_seconds": train_s}


CHILD = """
import json, resource, sys
from benchmarks.bench_robustness import score_regime
res = score_regime(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]),
                   json.loads(sys.argv[5]), json.loads(sys.argv[6]), json.loads(sys.argv[7]))
res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(res))
"""


def data_dir(name: str, scale: float, seed: int) -> Path:
    """Generated once per (regime, scale, seed), kept in /tmp for the next run."""
    from salesapp.model.synthetic import generate

    out = Path(f"/tmp/bench_robustness/{name}_s{scale}_seed{seed}")
    if not (out / "oracle.csv").is_file():
        generate(out, scale, seed, name)
    return out


def run_regime(name: str, args) -> dict:
    d = data_dir(name, args.scale, args.seed)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT.parent), os.environ.get("PYTHONPATH", "")) if p)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(d), str(args.seed), str(args.threads),
         json.dumps(args.drop), json.dumps(args.params), json.dumps(args.origins),
         json.dumps(args.extra)],
        check=True, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT.parent,
        stderr=subprocess.DEVNULL if args.quiet else None)
    res = json.loads(child.stdout.strip().splitlines()[-1])
    test = res["test"]
    row = {"model_vs_oracle": test["model_vs_oracle"],
           "model_vs_best_naive": test["model_vs_best_naive"], **res}
    row["oracle_vs_best_naive"] = oracle_vs_best_naive(test)
    print(f"{name:16} x{row['model_vs_oracle']:.3f} oracle  x{row['model_vs_best_naive']:.3f} "
          f"best naive  rounds {res['rounds']}  {res['train_seconds']:.0f} s  "
          f"{res['peak_rss_mb']:.0f} MB", flush=True)
    return row


def oracle_vs_best_naive(test: dict) -> float:
    """What the oracle itself reaches against the best naive baseline: no model can go below it,
    so a regime where it is above 0.85 cannot meet that budget."""
    return test["oracle"] / min(test["last_month"], test["mean_last3"])


def summarise(rows: dict) -> dict:
    """Worst and mean over the regimes, and the budget verdicts."""
    vs_oracle = {k: r["model_vs_oracle"] for k, r in rows.items()}
    vs_naive = {k: r["model_vs_best_naive"] for k, r in rows.items()}
    worst = max(vs_oracle, key=vs_oracle.get)
    worst_naive = max(vs_naive, key=vs_naive.get)
    out = {"worst_vs_oracle": vs_oracle[worst], "worst_regime": worst,
           "mean_vs_oracle": sum(vs_oracle.values()) / len(vs_oracle),
           "worst_vs_best_naive": vs_naive[worst_naive], "worst_naive_regime": worst_naive,
           "mean_vs_best_naive": sum(vs_naive.values()) / len(vs_naive),
           "oracle_vs_best_naive": {k: oracle_vs_best_naive(r["test"]) for k, r in rows.items()},
           "train_seconds_total": sum(r["train_seconds"] for r in rows.values())}
    out["within_budget"] = {k: out[k] <= b for k, b in BUDGETS.items()}
    return out


def merge(paths: list[Path], out: Path) -> int:
    """Join runs of disjoint regimes (same arguments otherwise) into one result, in the suite's
    order, with the worst, the mean and the verdicts over all of them."""
    from salesapp.model.regimes import REGIMES

    runs = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    rows = {k: r["regimes"][k] for k in REGIMES for r in runs if k in r["regimes"]}
    result = {**runs[0], "load_average": [r["load_average"] for r in runs],
              "merged_from": [str(p) for p in paths], "regimes": rows, **summarise(rows)}
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"worst x{result['worst_vs_oracle']:.3f} oracle ({result['worst_regime']}), mean "
          f"x{result['mean_vs_oracle']:.3f}; worst x{result['worst_vs_best_naive']:.3f} best "
          f"naive ({result['worst_naive_regime']})")
    return 0


def main(argv=None) -> int:
    from salesapp.model.regimes import REGIMES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="LightGBM threads per fit (the suite runs one regime at a time)")
    parser.add_argument("--regimes", default=",".join(REGIMES))
    parser.add_argument("--drop", default="", help=f"feature groups: {', '.join(GROUPS)}")
    parser.add_argument("--param", default="", help="LightGBM overrides, key=value,...")
    parser.add_argument("--extra", default="", help=f"candidate features: {', '.join(CANDIDATES)}")
    parser.add_argument("--origins", type=int, default=None,
                        help="backtest origins (default: the project's)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--quiet", action="store_true", help="no training log")
    parser.add_argument("--merge", default="",
                        help="PATH,...: one result of the regimes of these runs of the same "
                             "arguments (the suite split over processes), written to --out")
    args = parser.parse_args(argv)
    if args.merge:
        return merge([Path(p) for p in args.merge.split(",")], args.out)
    args.drop = [g for g in args.drop.split(",") if g]
    unknown = sorted(set(args.drop) - set(GROUPS))
    if unknown:
        raise SystemExit(f"no feature group named {', '.join(unknown)}")
    args.params = _parse_params(args.param)
    args.extra = [n for n in args.extra.split(",") if n]
    if set(args.extra) - set(CANDIDATES):
        raise SystemExit(f"no candidate feature named {', '.join(set(args.extra) - set(CANDIDATES))}")
    rows = {name: run_regime(name, args) for name in args.regimes.split(",")}
    from salesapp.model.training import params

    result = {"scale": args.scale, "seed": args.seed, "threads": args.threads,
              "drop": args.drop, "param_overrides": args.params, "origins": args.origins,
              "extra": args.extra,
              "params": {**params(args.seed, args.threads), **args.params},
              "load_average": os.getloadavg(), "budgets": BUDGETS,
              "code": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=False,
                                     capture_output=True, text=True).stdout.strip(),
              "regimes": rows, **summarise(rows)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"worst x{result['worst_vs_oracle']:.3f} oracle ({result['worst_regime']}), mean "
          f"x{result['mean_vs_oracle']:.3f}; worst x{result['worst_vs_best_naive']:.3f} best "
          f"naive ({result['worst_naive_regime']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
