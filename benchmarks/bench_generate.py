"""Benchmark: `generate` at scale 1.0 (the real data's size) — time, peak memory, statistics.

Generation runs in a fresh subprocess so its peak RSS is its own; the statistics are then measured
from the written files and set beside the real data's. Writes benchmarks/results/generate.json.
Budget: <= 60 s at scale 1.0 on the 2-core machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

SCALE, SEED = 1.0, 0
BUDGET_SECONDS = 60.0
RESULTS = Path(__file__).resolve().parent / "results" / "generate.json"

CHILD = """
import json, re, sys, time
from salesapp.model.synthetic import generate
start = time.perf_counter()
info = generate(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
seconds = time.perf_counter() - start
status = open("/proc/self/status").read()
peak_mb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024
print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_mb, **info}))
"""

# The real data's statistics (Predict Future Sales) that the generator is calibrated to.
TARGETS = {"rows": 2_935_849, "shops": 60, "items": 22_170, "categories": 84, "months": 34,
           "mean_item_cnt_day": 1.24, "grid_zero_share": 0.85, "test_shops": 42,
           "test_items": 5_100, "new_items_in_test": 363}


def statistics(out: Path) -> dict:
    """Measured statistics of a generated data set, named as in TARGETS, plus RMSEs."""
    sales = pd.read_csv(out / "sales_train.csv.gz")
    test, oracle = pd.read_csv(out / "test.csv"), pd.read_csv(out / "oracle.csv")
    monthly = sales.groupby(["date_block_num", "shop_id", "item_id"],
                            as_index=False)["item_cnt_day"].sum()
    zeros = [1 - len(g) / (g["shop_id"].nunique() * g["item_id"].nunique())
             for _, g in monthly.groupby("date_block_num")]
    last = monthly.query("date_block_num == 33").set_index(["shop_id", "item_id"])["item_cnt_day"]
    naive = test.join(last, on=["shop_id", "item_id"])["item_cnt_day"].fillna(0).clip(0, 20)
    truth = oracle["realised"].to_numpy()
    totals = monthly.query("item_cnt_day < 1000").groupby("date_block_num")["item_cnt_day"].sum()
    return {
        "rows": len(sales), "shops": int(sales["shop_id"].nunique()),
        "items": len(pd.read_csv(out / "items.csv")),
        "categories": len(pd.read_csv(out / "item_categories.csv")),
        "months": int(sales["date_block_num"].nunique()),
        "mean_item_cnt_day": float(sales["item_cnt_day"].mean()),
        "grid_zero_share": float(np.mean(zeros)),
        "test_shops": int(test["shop_id"].nunique()), "test_items": int(test["item_id"].nunique()),
        "new_items_in_test": len(set(test["item_id"]) - set(sales["item_id"])),
        "returns_rows": int((sales["item_cnt_day"] < 0).sum()),
        "max_item_cnt_day": float(sales["item_cnt_day"].max()),
        "max_item_price": float(sales["item_price"].max()),
        "monthly_units_first_last": [float(totals.iloc[0]), float(totals.iloc[-1])],
        "december_over_november": [float(totals[b] / totals[b - 1]) for b in (11, 23)],
        "rmse_oracle": float(np.sqrt(np.mean((oracle["expected"] - truth) ** 2))),
        "rmse_last_month": float(np.sqrt(np.mean((naive - truth) ** 2))),
        "rmse_zero": float(np.sqrt(np.mean(truth ** 2))),
        "mean_target": float(truth.mean()),
    }


def main() -> None:
    """Run the benchmark and write the JSON result."""
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run([sys.executable, "-c", CHILD, tmp, str(SCALE), str(SEED)],
                             check=True, capture_output=True, text=True)
        timing = json.loads(run.stdout.strip().splitlines()[-1])
        measured = statistics(Path(tmp))
    result = {"scale": SCALE, "seed": SEED, "seconds": round(timing["seconds"], 2),
              "budget_seconds": BUDGET_SECONDS, "within_budget": timing["seconds"] <= BUDGET_SECONDS,
              "peak_rss_mb": round(timing["peak_rss_mb"], 1), "measured": measured,
              "targets": TARGETS}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
