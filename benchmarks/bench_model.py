"""Model benchmark -> benchmarks/results/model.json, against the budgets in BUDGETS.

Generates data (with `salesapp.model.synthetic.generate` when present, else a vectorised stand-in
with the same files and an oracle), trains with `salesapp train` internals, and measures train wall
time and peak RSS (child process), RMSE vs oracle and naive baselines on test.csv, bundle size,
load time and 5,100 items predicted.
Run: nice python -m benchmarks.bench_model [--quick | --case 1.0:0 ...]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "model.json"
CASES = [(1.0, 0), (1.0, 1), (0.25, 0)]
# time and memory apply at full scale only
BUDGETS = {"model_vs_oracle": 1.06, "model_vs_best_naive": 0.85, "train_seconds": 300.0,
           "train_peak_rss_mb": 4096.0, "bundle_mb": 50.0, "load_seconds": 1.0,
           "predict_5100_items_seconds": 1.0}


def standin_generate(out: Path, scale: float, seed: int) -> None:
    """Life-cycle Poisson sales of the 1C schema; oracle.csv holds each test pair's true rate."""
    rng = np.random.default_rng(seed)
    n_items, n_shops, n_cats, months = max(200, int(22170 * scale)), 60, 84, 35
    cat = rng.integers(0, n_cats, n_items)
    launch = rng.integers(-20, months + 1, n_items)
    base = rng.gamma(0.6, 1.2, n_items) * rng.gamma(2.0, 0.5, n_cats)[cat]
    decay = rng.uniform(0.05, 0.4, n_items)
    shop_size = rng.gamma(2.0, 0.5, n_shops)
    opened = rng.integers(-10, 20, n_shops)
    closed = np.where(rng.random(n_shops) < 0.25, rng.integers(15, 34, n_shops), 99)
    parts, rates34 = [], None
    for m in range(months):
        age = m - launch
        active = np.nonzero(age >= 0)[0]
        shops = np.nonzero((opened <= m) & (closed > m))[0]
        season = 1.0 + 0.6 * (m % 12 == 11)
        rate = (base[active, None] * np.exp(-decay[active, None] * age[active, None])
                * np.where(age[active, None] == 0, 1.8, 1.0) * shop_size[None, shops] * season)
        if m == months - 1:
            rates34 = (active, shops, rate)
            break
        cnt = rng.poisson(rate)
        ii, ss = np.nonzero(cnt)
        parts.append(pd.DataFrame({"date": f"15.{m % 12 + 1:02d}.{2013 + m // 12}",
                                   "date_block_num": m, "shop_id": shops[ss],
                                   "item_id": active[ii], "item_price": 100.0 + active[ii] % 900,
                                   "item_cnt_day": cnt[ii, ss].astype(float)}))
    out.mkdir(parents=True, exist_ok=True)
    pd.concat(parts).to_csv(out / "sales_train.csv", index=False)
    pd.DataFrame({"item_name": [f"item {i}" for i in range(n_items)], "item_id": range(n_items),
                  "item_category_id": cat}).to_csv(out / "items.csv", index=False)
    pd.DataFrame({"item_category_name": [f"cat {c}" for c in range(n_cats)],
                  "item_category_id": range(n_cats)}).to_csv(out / "item_categories.csv",
                                                             index=False)
    pd.DataFrame({"shop_name": [f"City{s % 30} shop {s}" for s in range(n_shops)],
                  "shop_id": range(n_shops)}).to_csv(out / "shops.csv", index=False)
    active, shops, rate = rates34
    # like Kaggle's test.csv: items that did sell in the forecast month, x every open shop
    realised = rng.poisson(rate)
    sold = np.nonzero(realised.sum(axis=1))[0]
    pick = np.sort(rng.choice(sold, min(len(sold), max(50, int(5100 * scale))), replace=False))
    ii, ss = np.meshgrid(pick, np.arange(len(shops)), indexing="ij")
    expected = rate[ii.ravel(), ss.ravel()]
    realised = realised[ii.ravel(), ss.ravel()]
    test = pd.DataFrame({"ID": np.arange(expected.size), "shop_id": shops[ss.ravel()],
                         "item_id": active[ii.ravel()]})
    test.to_csv(out / "test.csv", index=False)
    pd.DataFrame({"ID": test.ID, "expected": expected,
                  "realised": realised.astype(float)}).to_csv(out / "oracle.csv",
                                                                           index=False)


def generate(out: Path, scale: float, seed: int) -> str:
    """Generate once (kept in /tmp); returns which generator was used."""
    try:
        from salesapp.model.synthetic import generate as project_generate
    except ImportError:
        project_generate = None
    if "--standin" in sys.argv:   # the model on data that does not come from the project's generator
        project_generate = None
    if not (out / "sales_train.csv").exists() and not (out / "sales_train.csv.gz").exists():
        (project_generate or standin_generate)(out, scale, seed)
    return "salesapp.model.synthetic" if project_generate else "benchmarks stand-in"


TRAIN_CHILD = """
import json, resource, sys, time
from salesapp.commands.model_commands import train_bundle
t = time.perf_counter(); train_bundle(sys.argv[1], sys.argv[2], int(sys.argv[3]), 2)
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"train_seconds": time.perf_counter() - t,
                  "train_peak_rss_mb": use.ru_maxrss / 1024,
                  "train_cpu_seconds": use.ru_utime + use.ru_stime}))
"""


def run_case(scale: float, seed: int) -> dict:
    """Generate, train in a child process (peak RSS), evaluate, time load and 5,100 items."""
    from salesapp.model.evaluation import evaluate_against_oracle
    from salesapp.model.predictor import Predictor

    tag = "_standin" if "--standin" in sys.argv else ""
    data = Path(f"/tmp/bench_model_data_s{scale}_seed{seed}{tag}")
    bundle = Path(f"/tmp/bench_model_bundle_s{scale}_seed{seed}{tag}")
    gen = generate(data, scale, seed)
    load_before = os.getloadavg()
    child = subprocess.run([sys.executable, "-c", TRAIN_CHILD, str(data), str(bundle), str(seed)],
                           check=True, stdout=subprocess.PIPE, text=True)
    res = {"scale": scale, "seed": seed, "generator": gen, "train_threads": 2,
           # the machine is shared: the load around training explains slow runs
           "load_average_before_training": load_before[0],
           "load_average_5min_after_training": os.getloadavg()[1], **json.loads(child.stdout)}
    res["bundle_mb"] = sum(f.stat().st_size for f in bundle.iterdir()) / 1e6
    t = time.perf_counter()
    p = Predictor.load(bundle)
    res["load_seconds"] = time.perf_counter() - t
    items = pd.read_csv(data / "items.csv")["item_id"].to_numpy()[:5100].tolist()
    t = time.perf_counter()
    p.predict(items)
    res["predict_5100_items_seconds"] = time.perf_counter() - t
    res["card_backtest_mean"] = p.card["backtest"]["mean"]
    res["test_vs_oracle"] = evaluate_against_oracle(data, bundle)
    res["code"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False,
                                 cwd=ROOT.parent, stdout=subprocess.PIPE, text=True).stdout.strip()
    res["budgets"] = BUDGETS
    res["within_budget"] = within_budget(res)
    return res


def within_budget(res: dict) -> dict:
    """Each budget -> measured value <= budget (time and memory only judged at scale 1.0)."""
    measured = {**res, **(res["test_vs_oracle"] or {})}
    out = {}
    for name, limit in BUDGETS.items():
        if name.startswith("train_") and res["scale"] < 1.0:
            continue
        if measured.get(name) is not None:
            out[name] = bool(measured[name] <= limit)
    return out


def _cases() -> list[tuple[float, int]]:
    """Every case; --quick: the first; --case SCALE:SEED (repeatable): just those."""
    picked = [a.split(":") for a, flag in zip(sys.argv[2:], sys.argv[1:]) if flag == "--case"]
    if picked:
        return [(float(sc), int(se)) for sc, se in picked]
    return CASES[:1] if "--quick" in sys.argv else CASES


def main() -> None:
    """Run the cases and write the JSON, keeping earlier results of cases not re-run."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else []
    results = {(r["scale"], r["seed"], r["generator"]): r for r in old}
    for scale, seed in _cases():   # written after each case: a long run still leaves results
        res = run_case(scale, seed)
        results[(scale, seed, res["generator"])] = res
        RESULTS.write_text(json.dumps(list(results.values()), indent=1), encoding="utf-8")
    print(json.dumps(list(results.values()), indent=1))


if __name__ == "__main__":
    main()
