"""Benchmark: load_dataset on a 3 M-row file of the schema, and read_id_csv on 100,000 ids.

Writes the files into a temp dir (numpy, fast), runs each load in a fresh subprocess so the peak
RSS is that of loading alone, and writes benchmarks/results/load.json.
Budget: <= 10 s and <= 1.5 GB peak RSS for ~3 M rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROWS = 3_000_000
N_SHOPS, N_ITEMS, N_CATS, N_BLOCKS = 60, 22_170, 84, 34
RESULTS = Path(__file__).resolve().parent / "results" / "load.json"

CHILD = """
import json, re, sys, time
from salesapp.model.dataset import load_dataset
from salesapp.model.id_input import read_id_csv
start = time.perf_counter()
if sys.argv[1] == "dataset":
    rows = len(load_dataset(sys.argv[2]).sales)
else:
    rows = len(read_id_csv(sys.argv[2]).ids)
seconds = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) parent.
status = open("/proc/self/status").read()
peak_mb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024
print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_mb, "rows": rows}))
"""


def write_reference_files(directory: Path, rng: np.random.Generator) -> None:
    """items/categories/shops with Cyrillic names holding commas and quotes."""
    cats = pd.DataFrame({"item_category_name": [f'Игры - PS{i % 5}, "Цифра" {i}'
                                                for i in range(N_CATS)],
                         "item_category_id": np.arange(N_CATS)})
    items = pd.DataFrame({"item_name": [f'Товар "№{i}", издание' for i in range(N_ITEMS)],
                          "item_id": np.arange(N_ITEMS),
                          "item_category_id": rng.integers(0, N_CATS, N_ITEMS)})
    shops = pd.DataFrame({"shop_name": [f'Город {i}, ТЦ "Мега {i}"' for i in range(N_SHOPS)],
                          "shop_id": np.arange(N_SHOPS)})
    cats.to_csv(directory / "item_categories.csv", index=False)
    items.to_csv(directory / "items.csv", index=False)
    shops.to_csv(directory / "shops.csv", index=False)


def write_sales(directory: Path, rng: np.random.Generator) -> None:
    """ROWS daily records; dates built from a (block, day) table so no per-row formatting."""
    blocks = rng.integers(0, N_BLOCKS, ROWS)
    days = rng.integers(1, 29, ROWS)
    table = np.array([[f"{d:02d}.{b % 12 + 1:02d}.{2013 + b // 12}" for d in range(1, 29)]
                      for b in range(N_BLOCKS)])
    frame = pd.DataFrame({
        "date": table[blocks, days - 1],
        "date_block_num": blocks,
        "shop_id": rng.integers(0, N_SHOPS, ROWS),
        "item_id": np.minimum(rng.zipf(1.3, ROWS), N_ITEMS) - 1,
        "item_price": rng.lognormal(6, 1.2, ROWS).round(2),
        "item_cnt_day": np.where(rng.random(ROWS) < 0.01, -1, rng.geometric(0.7, ROWS)),
    })
    frame.to_csv(directory / "sales_train.csv", index=False)


def run_child(kind: str, path: Path) -> dict:
    """Run one load in a fresh interpreter and return its timing and peak RSS."""
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(path)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    """Write the files, time the loads, write the JSON result."""
    rng = np.random.default_rng(42)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        start = time.perf_counter()
        write_reference_files(tmp_dir, rng)
        write_sales(tmp_dir, rng)
        ids = tmp_dir / "ids.csv"
        ids.write_text("item_id\n" + "\n".join(map(str, rng.integers(0, 10**6, 100_000))) + "\n")
        generate_s = time.perf_counter() - start
        size_mb = (tmp_dir / "sales_train.csv").stat().st_size / 2**20
        dataset = run_child("dataset", tmp_dir)
        id_csv = run_child("ids", ids)
    result = {"rows": ROWS, "sales_csv_mb": round(size_mb, 1), "generate_seconds": generate_s,
              "load_dataset": dataset, "read_id_csv_100k": id_csv,
              "budget": {"seconds": 10, "peak_rss_mb": 1536},
              "within_budget": dataset["seconds"] <= 10 and dataset["peak_rss_mb"] <= 1536}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
