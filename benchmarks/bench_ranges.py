"""P10 / P90 ranges -> benchmarks/results/ranges.json: tails by forecast bin and pinball loss.

For each case (the bundled data, generated data of a few seeds and scales, every generator
regime), in a child process of its own: train a bundle as `salesapp train` does, then measure
its ranges twice, both out of sample:
- the backtest: the card's leave-one-origin-out figures (each origin bounded by tables fit on
  the other origins only), for the pairs and for the item totals;
- the forecast month: the bundle's ranges for test.csv's pairs against the drawn counts of
  oracle.csv (`realised`), and the item totals against the sum of their pairs' counts when
  test.csv holds exactly the bundle's open shops.
Per bin of the forecast: the share of actuals above P90 and below P10 (strictly), checked
against the budget (each <= 12 % in every bin; 6-14 % each for forecasts of 2 units or more,
bins of at least MIN_ROWS); and the pinball loss (0.1 + 0.9) against the naive range (the
pair's own 10th and 90th percentile over its last 12 months, 0 without history), which must be
higher.

Run: nice python -m benchmarks.bench_ranges [--cases bundled,s0.05_seed1] [--regimes a,b|none]
     [--regime-scale 0.05] [--out PATH]
     python -m benchmarks.bench_ranges --predict-cost BUNDLE   (the ranges' cost in predict)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "ranges.json"
MIN_ROWS = 100   # a bin's shares are judged from this many rows (fewer: reported, not judged)
GENERATED = ("s0.05_seed1", "s0.1_seed2")


def measure(data_dir: str, bundle_dir: str) -> dict:
    """Train on data_dir into bundle_dir and measure the ranges (the child's body)."""
    import numpy as np
    import pandas as pd

    from salesapp.commands.model_commands import train_bundle
    from salesapp.model import range_calibration, ranges
    from salesapp.model.bundle import alias_pairs, load_history
    from salesapp.model.predictor import Predictor

    card = train_bundle(data_dir, bundle_dir, seed=0, threads=1)
    out = {"backtest": {k: card["ranges"][k]["held_out"] for k in ("pairs", "total")}}
    p = Predictor.load(bundle_dir)
    raw = pd.read_csv(Path(data_dir) / "test.csv")
    test = alias_pairs(raw, bundle_dir)
    y = pd.read_csv(Path(data_dir) / "oracle.csv").set_index("ID").loc[raw["ID"],
                                                                      "realised"].to_numpy()
    f, lo, hi = p.predict_pairs_with_ranges(test)
    past = range_calibration.last_months(load_history(Path(bundle_dir) / "history.npz"),
                                         p.forecast_block, test["shop_id"].to_numpy(),
                                         test["item_id"].to_numpy())
    naive = ranges.naive_range(past)
    out["forecast_month"] = {"pairs": _scores(f, lo, hi, y, naive, ranges)}
    if set(test["shop_id"]) == set(p.shop_ids):
        items = np.unique(test["item_id"].to_numpy())
        res = {r["item_id"]: r for r in p.predict(items.tolist())}
        ok = [i for i in items if res[i]["status"] == "ok"]
        code = pd.Series(range(len(ok)), index=ok)
        known = test["item_id"].isin(ok).to_numpy()
        at = code.loc[test["item_id"][known]].to_numpy()
        actual = np.bincount(at, weights=y[known], minlength=len(ok))
        item_past = np.stack([np.bincount(at, weights=past[known][:, k], minlength=len(ok))
                              for k in range(past.shape[1])], axis=1)
        tot = np.array([[res[i]["total"], res[i]["total_p10"], res[i]["total_p90"]] for i in ok])
        out["forecast_month"]["total"] = _scores(tot[:, 0], tot[:, 1], tot[:, 2], actual,
                                                 ranges.naive_range(item_past), ranges)
    return out


def _scores(f, lo, hi, y, naive, ranges) -> dict:
    return {"rows": len(y), "bins": ranges.coverage(f, lo, hi, y),
            "pinball": ranges.pinball(lo, hi, y), "pinball_naive": ranges.pinball(*naive, y),
            "inside_inclusive": float(((y >= lo) & (y <= hi)).mean())}


def predict_cost(bundle_dir: str, repeats: int = 5) -> dict:
    """Seconds of `Predictor.predict` for every item of the bundle, with its ranges and with
    them switched off, alternated in one process (best of `repeats`): the ranges' cost."""
    import time

    from salesapp.model.predictor import Predictor

    p = Predictor.load(bundle_dir)
    ids = [int(i) for i in p.item_ids]
    tables, best = p.ranges, {"with_ranges": float("inf"), "without": float("inf")}
    p.predict(ids)   # warm: the pair slices and the first call's allocations
    for _ in range(repeats):
        for name, value in (("with_ranges", tables), ("without", None)):
            p.ranges = value
            start = time.perf_counter()
            p.predict(ids)
            best[name] = min(best[name], time.perf_counter() - start)
    return {"items": len(ids), "shops": len(p.shop_ids), **best,
            "ratio": best["with_ranges"] / best["without"]}


CHILD = """
import json, sys
from benchmarks.bench_ranges import measure
print(json.dumps(measure(sys.argv[1], sys.argv[2])))
"""


def verdict(scores: dict) -> dict:
    """The budget's checks of one set of scores (pairs or totals)."""
    bins = [b for b in scores["bins"] if b["rows"] >= MIN_ROWS]
    tails = all(b["above_p90"] <= 0.12 and b["below_p10"] <= 0.12 for b in bins)
    large = [b for b in bins if b["from"] >= 2]
    return {"tails_at_most_12pc": tails,
            "above_p90_6_14pc_from_2_units": all(0.06 <= b["above_p90"] <= 0.14 for b in large),
            "below_p10_6_14pc_from_2_units": all(0.06 <= b["below_p10"] <= 0.14 for b in large),
            "pinball_below_naive": scores["pinball"] < scores["pinball_naive"],
            "bins_judged": len(bins)}


def data_dir(case: str, regime_scale: float) -> Path:
    """The case's data directory: the bundled data, or generated once into /tmp."""
    from salesapp.model.synthetic import generate

    if case == "bundled":
        return ROOT.parent / "data"
    if case.startswith("regime:"):
        name, scale, seed = case.split(":", 1)[1], regime_scale, 0
    else:
        scale_text, seed_text = case[1:].split("_seed")
        name, scale, seed = None, float(scale_text), int(seed_text)
    out = Path(f"/tmp/bench_ranges/{case.replace(':', '_')}_s{scale}")
    if not (out / "oracle.csv").is_file():
        generate(out, scale, seed, name) if name else generate(out, scale, seed)
    return out


def run_case(case: str, regime_scale: float) -> dict:
    d = data_dir(case, regime_scale)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT.parent), os.environ.get("PYTHONPATH", "")) if p)}
    child = subprocess.run([sys.executable, "-c", CHILD, str(d),
                            f"/tmp/bench_ranges/bundle_{case.replace(':', '_')}"],
                           check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, env=env, cwd=ROOT.parent)
    res = json.loads(child.stdout.strip().splitlines()[-1])
    for part in ("backtest", "forecast_month"):
        for scores in res[part].values():
            scores["verdict"] = verdict(scores)
    _print(case, res)
    return res


def _print(case: str, res: dict) -> None:
    for part, by_level in res.items():
        for level, s in by_level.items():
            tails = " ".join(f"{b['from']:g}+:{b['above_p90']:.2f}/{b['below_p10']:.2f}"
                             for b in s["bins"] if b["rows"] >= MIN_ROWS)
            print(f"{case:22} {part:14} {level:5} pinball {s['pinball']:.3f} vs naive "
                  f"{s['pinball_naive']:.3f}  above/below by bin {tails}", flush=True)


def summary_of(rows: dict, args) -> dict:
    """The JSON of the cases run so far: how many checks passed, and every case's scores."""
    checks = [s["verdict"] for r in rows.values() for part in r.values() for s in part.values()]
    summary = {k: sum(bool(c[k]) for c in checks) for k in checks[0] if k != "bins_judged"}
    return {"min_rows_per_bin": MIN_ROWS, "regime_scale": args.regime_scale,
            "load_average": os.getloadavg(),
            "code": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                   check=False, capture_output=True, text=True).stdout.strip(),
            "checks_passed_of": len(checks), "checks_passed": summary, "cases": rows}


def main(argv=None) -> int:
    from salesapp.model.regimes import REGIMES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(("bundled", *GENERATED)))
    parser.add_argument("--regimes", default=",".join(REGIMES), help="or 'none'")
    parser.add_argument("--regime-scale", type=float, default=0.05)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--predict-cost", metavar="BUNDLE",
                        help="only time predict with and without the ranges of BUNDLE")
    args = parser.parse_args(argv)
    if args.predict_cost:
        print(json.dumps(predict_cost(args.predict_cost)))
        return 0
    cases = [c for c in args.cases.split(",") if c]
    if args.regimes != "none":
        cases += [f"regime:{r}" for r in args.regimes.split(",") if r]
    rows: dict = {}
    for case in cases:   # the JSON is rewritten after each case: a long run keeps what it did
        rows[case] = run_case(case, args.regime_scale)
        result = summary_of(rows, args)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"{result['checks_passed_of']} score sets; passed: " + ", ".join(
        f"{k} {v}" for k, v in result["checks_passed"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
