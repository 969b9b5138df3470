"""Benchmark: `salesapp submit --file` of 2,000,000 unique ids while another writer works.

The issue's case: one transaction of 2 M ids held the store's lock for ~23 s, so a running worker
or window stopped with "locked". The submit now writes in chunks; what matters is that another
writer gets turns during it. The child is the real command on a fresh store; beside it, in this
process, a peer writer submits one id per transaction in a loop against the same store: its
longest wait for one transaction is the figure (and it must never fail with "locked"). The
child's wall time and peak RSS are reported, with the peer's median transaction as the ratio's
base (same run, same machine load).

Writes benchmarks/results/big_submit.json.
Usage: python -m benchmarks.bench_big_submit [--ids 2000000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "big_submit.json"
ROOT = Path(__file__).resolve().parent.parent
# the real command, then its own peak RSS on stderr
CHILD = ("import resource, sys; from salesapp.cli import main; code = main(sys.argv[1:]); "
         "print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
         "sys.exit(code)")


def _peer_writer(store_dir: Path, stop: threading.Event, waits: list, errors: list) -> None:
    from salesapp.store.job_store import JobStore

    while not (store_dir / "cache.db").exists() and not stop.is_set():
        time.sleep(0.01)
    with JobStore.open(store_dir) as store:
        n = 0
        while not stop.is_set():
            start = time.perf_counter()
            try:
                store.submit([3_000_000_000 - 1 - n], "peer")   # ids outside the child's range
            except Exception as exc:  # noqa: BLE001 - the figure: a writer that was shut out
                errors.append(f"{type(exc).__name__}: {exc}")
            waits.append(time.perf_counter() - start)
            n += 1
            time.sleep(0.02)


def run(ids: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_big_submit_") as tmp:
        tmp = Path(tmp)
        id_file = tmp / "ids.csv"
        with open(id_file, "w", encoding="ascii") as fh:
            fh.write("item_id\n")
            fh.writelines("".join(f"{i}\n" for i in range(start, min(start + 1_000_000, ids)))
                          for start in range(0, ids, 1_000_000))
        store_dir = tmp / "store"
        env = dict(os.environ, SALESAPP_HOME=str(tmp / "home"), PYTHONPATH=str(ROOT))
        stop, waits, errors = threading.Event(), [], []
        peer = threading.Thread(target=_peer_writer, args=(store_dir, stop, waits, errors))
        peer.start()
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, "submit", "--store", str(store_dir), "--file",
             str(id_file)],
            env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        stop.set()
        peer.join(60)
    peak_kb = next((int(line.split()[1]) for line in proc.stderr.splitlines()
                    if line.startswith("peak ")), None)
    said = [line for line in proc.stderr.splitlines() if line.startswith("salesapp:")]
    return {
        "ids": ids, "returncode": proc.returncode, "said": said[-2:],
        "submit_seconds": round(seconds, 2),
        "submit_peak_rss_mb": None if peak_kb is None else round(peak_kb / 1024, 1),
        "peer_transactions": len(waits), "peer_errors": errors[:3],
        "peer_max_wait_s": round(max(waits), 3) if waits else None,
        "peer_median_wait_s": round(statistics.median(waits), 4) if waits else None,
        "ratio_peer_max_wait_vs_median": (round(max(waits) / statistics.median(waits), 1)
                                          if waits else None),
        "within_budget": proc.returncode == 0 and not errors,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ids", type=int, default=2_000_000)
    args = ap.parse_args()
    out = run(args.ids)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))
    return 0 if out["within_budget"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
