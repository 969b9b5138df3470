"""Benchmark: 5,100 items x every open shop through submit -> workers -> results, vs a bare
`Predictor.predict` of the same items in the same process; and `salesapp work` start-up to its
first recorded result (fresh process).

Usage: nice python benchmarks/bench_queue.py [MODEL_DIR]
MODEL_DIR must be a bundle with >= 5,100 items (e.g. trained on `generate-data --scale 0.25`);
without it, data is generated and a model trained into /tmp/bench_queue (slow, once).
Budgets (DESIGN.md): queue path <= 2 s and <= 2 x bare; start-up to first result <= 1 s.
Writes benchmarks/results/queue.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

N_ITEMS = 5_100
RESULTS = Path(__file__).resolve().parent / "results" / "queue.json"
WORK_DIR = Path(tempfile.gettempdir()) / "bench_queue"


def _ensure_model(argv: list[str]) -> Path:
    if argv:
        return Path(argv[0])
    bundle = WORK_DIR / "bundle"
    if not (bundle / "manifest.json").is_file():
        py = [sys.executable, "-m", "salesapp"]
        subprocess.run([*py, "generate-data", str(WORK_DIR / "data"), "--scale", "0.25"], check=True)
        subprocess.run([*py, "train", "--data", str(WORK_DIR / "data"), "--out", str(bundle),
                        "--threads", "1"], check=True)
    return bundle


def _items(bundle: Path) -> list[int]:
    ids = pd.read_csv(bundle / "items.csv", encoding="utf-8")["item_id"].astype(int).tolist()
    if len(ids) < N_ITEMS:
        raise SystemExit(f"{bundle} knows {len(ids)} items; the benchmark needs {N_ITEMS}")
    return ids[:N_ITEMS]


def _bare(bundle: Path, ids: list[int]) -> float:
    from salesapp.model.predictor import Predictor

    predictor = Predictor.load(bundle, num_threads=os.cpu_count() or 1)
    predictor.predict(ids[:10])   # warm caches so both paths start equal
    start = time.perf_counter()
    predictor.predict(ids)
    return time.perf_counter() - start


def _queue(bundle: Path, ids: list[int], store_dir: Path) -> dict:
    from types import SimpleNamespace

    from salesapp.commands.queue_commands import results
    from salesapp.model.predictor import Predictor
    from salesapp.store.job_store import JobStore
    from salesapp.workers.dispatcher import default_pool_size, model_threads
    from salesapp.workers.headless import run_until_idle

    pool = default_pool_size()
    predictor = Predictor.load(bundle, num_threads=model_threads(pool))
    predictor.predict(ids[:10])
    times = {}
    start = time.perf_counter()
    store = JobStore.open(store_dir)
    store.submit(ids, predictor.version)
    times["submit_s"] = time.perf_counter() - start
    summary = run_until_idle(store, predictor, pool_size=pool)
    times["work_s"] = time.perf_counter() - start - times["submit_s"]
    store.close()
    mark = time.perf_counter()
    results(SimpleNamespace(store=str(store_dir), out=str(store_dir.parent / "r.csv")))
    times["results_s"] = time.perf_counter() - mark
    times["total_s"] = time.perf_counter() - start
    times["finished"] = summary.finished
    return times


def _startup(bundle: Path, store_dir: Path) -> float:
    """Wall time from launching `salesapp work` to its first progress line (a recorded result)."""
    py = [sys.executable, "-m", "salesapp"]
    subprocess.run([*py, "submit", "--store", str(store_dir), "--model", str(bundle),
                    "--items", "1"], check=True, capture_output=True)
    start = time.perf_counter()
    proc = subprocess.Popen([*py, "work", "--store", str(store_dir), "--model", str(bundle)],
                            stderr=subprocess.PIPE, text=True)
    first = None
    for line in proc.stderr:
        if first is None and "jobs" in line:
            first = time.perf_counter() - start
    proc.wait()
    proc.stderr.close()
    return first


def main(argv: list[str]) -> None:
    """Run every measurement and write the JSON file."""
    from salesapp.paths import default_model_dir

    bundle = _ensure_model(argv)
    ids = _items(bundle)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bare = _bare(bundle, ids)
        queue = _queue(bundle, ids, tmp / "store")
        startup = _startup(bundle, tmp / "s1")
        startup_default = _startup(default_model_dir(), tmp / "s2")
    report = {"items": len(ids), "cores": os.cpu_count(), "bare_predict_s": round(bare, 3),
              **{k: round(v, 3) for k, v in queue.items()},
              "ratio_queue_vs_bare": round(queue["total_s"] / bare, 2),
              "startup_to_first_result_s": round(startup, 3),
              "startup_to_first_result_default_bundle_s": round(startup_default, 3),
              "budget": {"total_s": 2.0, "ratio": 2.0, "startup_s": 1.0}}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
