"""Benchmark: what a new bundle's trial in a child process (model/bundle_check.py) adds to its
first `Predictor.load`, against the same first load with the verdict already remembered.

Each load runs in a fresh process with a fresh user folder (no feature-context cache), on the
bundled default model; `--repeat` runs of each, medians. Writes benchmarks/results/bundle_check.json.
Budget: the trial is paid once per bundle; later loads pay nothing (warm within noise of the peer).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "bundle_check.json"

CHILD = """
import sys, time
from salesapp.model.predictor import Predictor
start = time.perf_counter()
Predictor.load(sys.argv[1])
print(time.perf_counter() - start)
"""


def _load_seconds(bundle: Path, home: Path, verdicts: Path) -> float:
    env = {**os.environ, "SALESAPP_HOME": str(home), "SALESAPP_BUNDLE_VERDICTS": str(verdicts),
           "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", CHILD, str(bundle)], env=env, capture_output=True,
                         text=True, check=True, timeout=300)
    return float(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", default=str(ROOT / "weights"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bundle = Path(args.bundle)
    trial, peer, warm = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.repeat):
            verdicts = Path(tmp) / f"verdicts{n}"
            home = Path(tmp) / f"home{n}"
            trial.append(_load_seconds(bundle, home, verdicts))          # no verdict yet: a trial
            warm.append(_load_seconds(bundle, home, verdicts))           # both caches warm
            peer.append(_load_seconds(bundle, Path(tmp) / f"peer{n}", verdicts))   # verdict kept
    med = statistics.median
    result = {
        "bundle": str(bundle), "repeat": args.repeat,
        "first_load_with_trial_s": med(trial), "first_load_verdict_remembered_s": med(peer),
        "added_first_load_s": med(trial) - med(peer),
        "ratio_first_load_trial_vs_remembered": med(trial) / med(peer),
        "later_load_s": med(warm),
        "runs": {"trial": trial, "remembered": peer, "later": warm},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
