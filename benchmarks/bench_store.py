"""Benchmark: job store throughput (submit, lease, complete) at 5,100 and 10,000 jobs.

Real diskcache store in a temp dir, results shaped like the app's (60 shops, 34 months of history).
Each size runs REPEATS times on a fresh store; the best and the median are kept (the build machine
is shared). Two ways of working: one transaction per step for the whole batch, and batches of
BATCH ids as a worker pool would lease them. Writes benchmarks/results/store.json.
Budget (issue 4): 5,100 jobs through submit -> lease -> complete well under 1 s in total.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from salesapp.store.inspect import pickle_rows
from salesapp.store.job_store import JobStore

SIZES = (5_100, 10_000)
REPEATS = 3
BATCH = 100
VERSION = "0123456789ab"
RESULTS = Path(__file__).resolve().parent / "results" / "store.json"


def fake_result(item_id: int) -> dict:
    """A result of the app's shape and size (ARCHITECTURE.md), cheap to build."""
    return {"item_id": item_id, "status": "ok", "error": None, "item_name": f"item {item_id}",
            "category_id": 19, "category_name": "Игры PS3", "cold_start": False, "total": 12.3,
            "shops": [[s, 0.41] for s in range(60)],
            "forecast_block": 34, "model_version": VERSION}


def timed(func):
    start = time.perf_counter()
    out = func()
    return out, time.perf_counter() - start


def run_whole(n: int, directory: str) -> dict:
    """Each step as one call (one transaction) over all n jobs."""
    store = JobStore.open(directory)
    results = {i: fake_result(i) for i in range(n)}
    _, t_submit = timed(lambda: store.submit(range(n), VERSION))
    jobs, t_lease = timed(lambda: store.lease("w", n, 60))
    _, t_complete = timed(lambda: store.complete("w", {j.item_id: results[j.item_id] for j in jobs}))
    # A peer in the same process: the JSON encoding the results need anyway, whatever the store.
    _, t_encode = timed(lambda: [json.dumps(r, separators=(",", ":")) for r in results.values()])
    _, t_cached = timed(lambda: store.submit(range(n), VERSION))
    _, t_counts = timed(store.counts)
    _, t_jobs = timed(store.jobs)
    assert store.counts()["done"] == n
    store.close()
    assert pickle_rows(directory) == 0
    return {"submit": t_submit, "lease": t_lease, "complete": t_complete,
            "resubmit_all_cached": t_cached,
            "peer_json_encode_results": t_encode, "counts": t_counts, "jobs": t_jobs}


def run_batched(n: int, directory: str) -> dict:
    """Submit once, then lease and complete BATCH jobs at a time, as workers do."""
    store = JobStore.open(directory)
    _, t_submit = timed(lambda: store.submit(range(n), VERSION))
    t_lease = t_complete = 0.0
    while True:
        jobs, t = timed(lambda: store.lease("w", BATCH, 60))
        t_lease += t
        if not jobs:
            break
        batch = {j.item_id: fake_result(j.item_id) for j in jobs}
        _, t = timed(lambda b=batch: store.complete("w", b))
        t_complete += t
    store.close()
    return {"submit": t_submit, "lease": t_lease, "complete": t_complete}


def summarise(runs: list[dict], n: int) -> dict:
    out = {}
    for step in runs[0]:
        values = [r[step] for r in runs]
        best, median = min(values), statistics.median(values)
        out[step] = {"best_s": round(best, 4), "median_s": round(median, 4),
                     "jobs_per_s_best": round(n / best), "jobs_per_s_median": round(n / median)}
    pipeline = [sum(r[s] for s in ("submit", "lease", "complete")) for r in runs]
    out["submit_lease_complete"] = {"best_s": round(min(pipeline), 4),
                                    "median_s": round(statistics.median(pipeline), 4)}
    if "peer_json_encode_results" in runs[0]:
        # The store's own cost: the pipeline minus encoding the results, which any store pays.
        own = [p - r["peer_json_encode_results"] for p, r in zip(pipeline, runs)]
        out["store_overhead_excluding_result_encoding"] = {
            "best_s": round(min(own), 4), "median_s": round(statistics.median(own), 4)}
    return out


def main() -> None:
    report = {"repeats": REPEATS, "batch": BATCH, "sizes": {}}
    for n in SIZES:
        entry = {}
        for name, runner in (("one_transaction_per_step", run_whole),
                             (f"batches_of_{BATCH}", run_batched)):
            runs = []
            for _ in range(REPEATS):
                with tempfile.TemporaryDirectory() as tmp:
                    runs.append(runner(n, tmp))
            entry[name] = summarise(runs, n)
        report["sizes"][str(n)] = entry
    whole = report["sizes"]["5100"]["one_transaction_per_step"]
    report["budget_s_5100"] = 1.0
    report["within_budget"] = whole["submit_lease_complete"]["median_s"] < 1.0
    report["load_average_1min"] = os.getloadavg()[0]  # the machine is shared: read with this
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
