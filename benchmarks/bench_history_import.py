"""Benchmark: importing sales into the held history (salesapp/history/) against the loader.

At `--scale` (default 0.25, about 0.73 M daily rows) of generated data, each in a fresh
process, so that its peak memory is its own:

- peer: `load_dataset` + `monthly_history` of the whole folder (what `train --data` reads first);
- a whole-history import of the same folder (read, checks, per-month cleaning, write), on a
  fresh home, which first makes the bundled default history as any first import does;
- the monthly cycle: the history without its last month, then that month's export alone onto
  it, and `history.load()` of the result.

Writes benchmarks/results/history_import.json: seconds and peak RSS of each, and the ratio of
the whole import to the peer. No budget names an import; the ratio shows what the history's
checks and writing cost on top of reading the same files.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "history_import.json"

CHILD = """
import json, sys, time
what, folder = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if what == "loader":
    from salesapp.model.dataset import load_dataset
    from salesapp.model.features import monthly_history
    rows = len(monthly_history(load_dataset(folder).sales).month)
elif what == "import":
    from salesapp import history
    rows = len(history.import_folder(folder).history.raw.month)
else:
    from salesapp import history
    rows = len(history.load().raw.month)
seconds = time.perf_counter() - start
# VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec
peak = next(int(line.split()[1]) for line in open("/proc/self/status")
            if line.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": round(seconds, 3), "peak_rss_mb": round(peak, 1),
                  "monthly_rows": rows}))
"""


def _child(what: str, folder: Path, home: Path) -> dict:
    env = {**os.environ, "SALESAPP_HOME": str(home), "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", CHILD, what, str(folder)], env=env,
                         capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(run.stdout.strip().splitlines()[-1])


def _split(src: Path, tmp: Path) -> tuple[Path, Path]:
    """(the folder without its last month, that month's sales_train.csv alone)."""
    import pandas as pd
    sales = pd.read_csv(src / "sales_train.csv.gz", dtype=str, keep_default_na=False)
    block = sales["date_block_num"].astype(int)
    before, last = tmp / "before", tmp / "last"
    before.mkdir()
    last.mkdir()
    sales[block < block.max()].to_csv(before / "sales_train.csv", index=False)
    sales[block == block.max()].to_csv(last / "sales_train.csv", index=False)
    for name in ("items.csv", "item_categories.csv", "shops.csv"):
        (before / name).write_bytes((src / name).read_bytes())
    return before, last


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from salesapp.model.synthetic import generate
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        info = generate(data, scale=args.scale, seed=args.seed)
        before, last = _split(data, tmp)
        loader = _child("loader", data, tmp / "home-loader")
        whole = _child("import", data, tmp / "home-whole")
        first = _child("import", before, tmp / "home-cycle")
        month = _child("import", last, tmp / "home-cycle")
        loaded = _child("load", data, tmp / "home-cycle")
    result = {
        "scale": args.scale, "seed": args.seed, "daily_rows": info["rows"],
        "load_average": os.getloadavg()[0],
        "loader_whole": loader, "import_whole": whole,
        "import_all_but_last_month": first, "import_last_month_alone": month,
        "load_held_history": loaded,
        "ratio_import_vs_loader_seconds": round(whole["seconds"] / loader["seconds"], 3),
        "ratio_import_vs_loader_peak": round(whole["peak_rss_mb"] / loader["peak_rss_mb"], 3),
        "same_monthly_rows": whole["monthly_rows"] == month["monthly_rows"]
        == loaded["monthly_rows"],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
