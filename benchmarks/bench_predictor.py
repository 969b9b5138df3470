"""Predictor benchmark -> benchmarks/results/predictor.json (budgets: load <= 1 s, 5,100 items <= 1 s;
with three horizons <= 1.5 s).

For each full-scale bundle made by `bench_model` (or given with --bundle DIR), in fresh child
processes: bundle load with an empty per-user cache (cold) and with the cache written by the
previous load (warm), then 5,100 items predicted five times. Each figure is the median of the
runs, wall and CPU, beside the load average, because the 2-core machine is shared. The peer
measured in the same child: LightGBM alone on the same feature rows (what any design pays).
A bundle with horizons (months ahead) is also measured as its one-month copy (the same files
without model_h2.txt, model_h3.txt: `one_horizon_copy`), in the same run: the cost of the months
after the next is the ratio of the two.
Run: nice python -m benchmarks.bench_predictor [--runs N] [--bundle DIR ...] [--out JSON]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "predictor.json"
DEFAULT_BUNDLES = [Path(f"/tmp/bench_model_bundle_s{s}_seed{seed}")
                   for s, seed in ((1.0, 0), (1.0, 1), (0.25, 0))]
BUDGETS = {"load_cold_s": 1.0, "load_warm_s": 1.0, "predict_5100_s": 1.0}
HORIZONS_BUDGET_S = 1.5   # 5,100 items x open shops x 3 months, with ranges

CHILD = """
import json, sys, time
from salesapp.model.predictor import Predictor
t, c = time.perf_counter(), time.process_time()
p = Predictor.load(sys.argv[1])
out = {"load_s": time.perf_counter() - t, "load_cpu_s": time.process_time() - c}
ids = [int(i) for i in p.item_ids[:5100]]
runs = []
for _ in range(5):
    t, c = time.perf_counter(), time.process_time()
    p.predict(ids)
    runs.append((time.perf_counter() - t, time.process_time() - c))
out["predict_s"] = sorted(r[0] for r in runs)[2]
out["predict_cpu_s"] = sorted(r[1] for r in runs)[2]
import numpy as np
from salesapp.model.features import feature_matrix
n = len(p.shop_ids)
month = np.full(n * len(ids), p.forecast_block)
_, feats = feature_matrix(p._ctx, month, np.tile(np.array(p.shop_ids), len(ids)),
                          np.repeat(np.array(ids), n))
t = time.perf_counter()
p._booster.predict(feats, num_threads=1)
out["lightgbm_only_s"] = time.perf_counter() - t
out["items"] = len(ids)
out["rows"] = len(feats)
out["horizons"] = len(p.horizons)
print(json.dumps(out))
"""


def _child(bundle: Path, home: str) -> dict:
    env = {**os.environ, "SALESAPP_HOME": home}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(bundle)], check=True, env=env,
                          stdout=subprocess.PIPE, text=True, cwd=ROOT.parent)
    return json.loads(proc.stdout)


def _median(runs: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 3)


def measure(bundle: Path, n_runs: int) -> dict:
    """Cold and warm children, `n_runs` each; medians of every figure."""
    cold, warm = [], []
    for _ in range(n_runs):
        with tempfile.TemporaryDirectory() as home:   # an empty cache: the first load ever
            cold.append(_child(bundle, home))
            warm.append(_child(bundle, home))   # the cache the cold child wrote
    both = cold + warm
    res = {"bundle": str(bundle), "runs": n_runs, "rows": both[0]["rows"],
           "load_cold_s": _median(cold, "load_s"), "load_cold_cpu_s": _median(cold, "load_cpu_s"),
           "load_warm_s": _median(warm, "load_s"), "load_warm_cpu_s": _median(warm, "load_cpu_s"),
           "predict_5100_s": _median(both, "predict_s"),
           "predict_5100_cpu_s": _median(both, "predict_cpu_s"),
           "lightgbm_only_s": _median(both, "lightgbm_only_s"),
           "load_cold_all_s": [round(r["load_s"], 3) for r in cold],
           "predict_all_s": [round(r["predict_s"], 3) for r in both]}
    res["predict_vs_lightgbm_only"] = round(res["predict_5100_s"] / res["lightgbm_only_s"], 2)
    res["horizons"] = both[0]["horizons"]
    budgets = dict(BUDGETS, predict_5100_s=HORIZONS_BUDGET_S if res["horizons"] > 1 else
                   BUDGETS["predict_5100_s"])
    res["within_budget"] = {k: res[k] <= v for k, v in budgets.items()}
    return res


def one_horizon_copy(bundle: Path, dest: Path) -> Path:
    """A copy of `bundle` that forecasts the next month only (its horizon files and the card's
    "horizons" left out, the manifest written again): the peer of the months-ahead case."""
    import shutil

    from salesapp.model import bundle as bundle_files

    shutil.copytree(bundle, dest)
    for name in bundle_files.HORIZON_FILES:
        (dest / name).unlink(missing_ok=True)
    card = json.loads((dest / "card.json").read_text(encoding="utf-8"))
    card.pop("horizons", None)
    (dest / "card.json").write_text(json.dumps(card), encoding="utf-8")
    bundle_files.write_manifest(dest)
    return dest


def measure_horizons(bundle: Path, n_runs: int) -> dict:
    """`measure` of a bundle with horizons and of its one-month copy, side by side."""
    res = measure(bundle, n_runs)
    if res["horizons"] == 1:
        return res
    with tempfile.TemporaryDirectory() as tmp:
        peer = measure(one_horizon_copy(bundle, Path(tmp) / "one_month"), n_runs)
    res["one_month_peer"] = {k: peer[k] for k in ("load_warm_s", "predict_5100_s",
                                                    "predict_5100_cpu_s", "lightgbm_only_s",
                                                    "predict_all_s")}
    res["ratio_horizons_vs_one_month"] = round(res["predict_5100_s"] / peer["predict_5100_s"], 2)
    return res


def main() -> None:
    """Measure every bundle that exists and write the JSON."""
    args = sys.argv[1:]
    n_runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 3
    given = [Path(a) for a, flag in zip(args[1:], args) if flag == "--bundle"]
    bundles = [b for b in (given or DEFAULT_BUNDLES) if (b / "manifest.json").is_file()]
    before = os.getloadavg()
    results = [measure_horizons(b, n_runs) for b in bundles]
    out = {"budgets": {**BUDGETS, "predict_5100_s_3_horizons": HORIZONS_BUDGET_S}, "cores": os.cpu_count(), "load_average_before": before,
           "load_average_after": os.getloadavg(), "results": results}
    code = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT.parent,
                          stdout=subprocess.PIPE, text=True).stdout.strip()
    out["code"] = code
    where = Path(args[args.index("--out") + 1]) if "--out" in args else RESULTS
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
