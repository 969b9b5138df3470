"""Predictor benchmark -> benchmarks/results/predictor.json (budgets: load <= 1 s, 5,100 items <= 1 s).

For each full-scale bundle made by `bench_model` (or given with --bundle DIR), in fresh child
processes: bundle load with an empty per-user cache (cold) and with the cache written by the
previous load (warm), then 5,100 items predicted five times. Each figure is the median of the
runs, wall and CPU, beside the load average, because the 2-core machine is shared. The peer
measured in the same child: LightGBM alone on the same feature rows (what any design pays).
Run: nice python -m benchmarks.bench_predictor [--runs N] [--bundle DIR ...]
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
    res["within_budget"] = {k: res[k] <= v for k, v in BUDGETS.items()}
    return res


def main() -> None:
    """Measure every bundle that exists and write the JSON."""
    args = sys.argv[1:]
    n_runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 3
    given = [Path(a) for a, flag in zip(args[1:], args) if flag == "--bundle"]
    bundles = [b for b in (given or DEFAULT_BUNDLES) if (b / "manifest.json").is_file()]
    before = os.getloadavg()
    results = [measure(b, n_runs) for b in bundles]
    out = {"budgets": BUDGETS, "cores": os.cpu_count(), "load_average_before": before,
           "load_average_after": os.getloadavg(), "results": results}
    code = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT.parent,
                          stdout=subprocess.PIPE, text=True).stdout.strip()
    out["code"] = code
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
