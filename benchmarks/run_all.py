"""Run every benchmark at the sizes its budget names; each writes its JSON to benchmarks/results/.

Usage: python -m benchmarks.run_all [--quick] [--only NAME,NAME] [--list]

The benchmarks run one after another, each in a process of its own, so that none shares the
machine with another. `model` comes before the benchmarks that read the scale-1 bundle it trains
(/tmp/bench_model_bundle_s1.0_seed0). After each one a line gives its headline figures, read back
from its JSON, and whether they are within budget. All of them take hours on two cores; `--quick`
runs only those that need no scale-1 model and take a minute or two (load, store, gui_stall,
bundle_check, durable_paste),
for a check that the benchmarks still run; their JSON is then rewritten too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SCALE1_BUNDLE = "/tmp/bench_model_bundle_s1.0_seed0"


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: its module's arguments, the JSON it writes and the figures worth a line."""

    name: str
    module: str
    args: tuple[str, ...]
    result: str
    figures: dict[str, str]   # label -> key path ("a.0.b") into the JSON
    quick: bool = False


BENCHMARKS = (
    Benchmark("generate", "bench_generate", (), "generate.json", {"s": "seconds", "peak_mb": "peak_rss_mb"}),
    Benchmark("load", "bench_load", (), "load.json",
              {"s": "load_dataset.seconds", "peak_mb": "load_dataset.peak_rss_mb"}, quick=True),
    Benchmark("history_import", "bench_history_import", (), "history_import.json",
              {"import_s": "import_whole.seconds", "x_loader": "ratio_import_vs_loader_seconds",
               "month_s": "import_last_month_alone.seconds",
               "peak_mb": "import_whole.peak_rss_mb"}),
    Benchmark("id_file", "bench_id_file", (), "id_file.json",
              {"peak_1gb_mb": "file_1gb.peak_rss_mb", "s_1gb": "file_1gb.seconds",
               "bomb_peak_mb": "gzip_bomb.peak_rss_mb", "bomb_s": "gzip_bomb.seconds"}),
    Benchmark("id_formats", "bench_id_formats", (), "id_formats.json",
              {"utf16_peak_mb": "utf16_large.peak_rss_mb",
               "utf16_ratio": "utf16_ratio_peak_4x_rows",
               "xlsx_peak_mb": "xlsx_large.peak_rss_mb", "xlsx_ratio": "xlsx_ratio_peak_4x_rows",
               "xlsx_s_per_m_rows": "xlsx_large.s_per_million_rows"}),
    Benchmark("model", "bench_model", (), "model.json",
              {"train_s": "0.train_seconds", "rmse": "0.test_vs_oracle.model",
               "bundle_mb": "0.bundle_mb"}),
    Benchmark("robustness", "bench_robustness", ("--quiet",), "robustness.json",
              {"worst_x_oracle": "worst_vs_oracle", "worst_regime": "worst_regime",
               "mean_x_oracle": "mean_vs_oracle", "worst_x_naive": "worst_vs_best_naive"}),
    Benchmark("ranges", "bench_ranges", (), "ranges.json",
              {"checks": "checks_passed_of", "tails_12pc": "checks_passed.tails_at_most_12pc",
               "pinball_below_naive": "checks_passed.pinball_below_naive"}),
    Benchmark("predictor", "bench_predictor", (), "predictor.json",
              {"load_cold_s": "results.0.load_cold_s", "load_warm_s": "results.0.load_warm_s",
               "predict_5100_s": "results.0.predict_5100_s",
               "x_one_month": "results.0.ratio_horizons_vs_one_month"}),
    Benchmark("store", "bench_store", (), "store.json",
              {"submit_lease_complete_5100_s":
               "sizes.5100.one_transaction_per_step.submit_lease_complete.median_s"}, quick=True),
    Benchmark("queue", "bench_queue", (SCALE1_BUNDLE, "--repeat", "5"), "queue.json",
              {"total_s": "total_s", "x_bare": "ratio_queue_vs_bare",
               "first_result_s": "startup_to_first_result_s",
               "x_one_month": "ratio_total_horizons_vs_one_month"}),
    Benchmark("big_submit", "bench_big_submit", (), "big_submit.json",
              {"s": "submit_seconds", "peak_mb": "submit_peak_rss_mb",
               "peer_max_wait_s": "peer_max_wait_s"}),
    Benchmark("results_export", "bench_results_export", (), "results_export.json",
              {"s": "results_s"}),
    Benchmark("gui_stall", "bench_gui_stall", ("--runs", "5"), "gui_stall.json",
              {"max_ms": "max_stall_ms", "median_ms": "median_max_stall_ms"}, quick=True),
    Benchmark("durable_paste", "bench_durable_paste", (), "durable_paste.json",
              {"durable_s": "paste_to_durable_s", "x_direct": "ratio_window_vs_direct",
               "max_stall_ms": "max_stall_until_rows_shown_ms"}, quick=True),
    Benchmark("gui_stall_scale1", "bench_gui_stall",
              ("--model", SCALE1_BUNDLE, "--runs", "5", "--out",
               str(RESULTS / "gui_stall_scale1.json")),
              "gui_stall_scale1.json", {"max_ms": "max_stall_ms", "median_ms": "median_max_stall_ms"}),
    Benchmark("reasons", "bench_reasons", (), "reasons.json",
              {"idle_median_ms": "idle.median_ms", "idle_max_ms": "idle.max_ms",
               "busy_max_ms": "while_predicting.max_ms"}, quick=True),
    Benchmark("reasons_scale1", "bench_reasons",
              ("--bundle", SCALE1_BUNDLE, "--out", str(RESULTS / "reasons_scale1.json")),
              "reasons_scale1.json",
              {"idle_median_ms": "idle.median_ms", "idle_max_ms": "idle.max_ms",
               "busy_max_ms": "while_predicting.max_ms"}),
    Benchmark("restore_stall", "bench_restore_stall", (), "restore_stall.json",
              {"done10k_max_ms": "scenarios.done10k.sliced.max_stall_ms",
               "done50k_max_ms": "scenarios.done50k.sliced.max_stall_ms"}),
    Benchmark("bundle_check", "bench_bundle_check", (), "bundle_check.json",
              {"added_first_load_s": "added_first_load_s", "later_load_s": "later_load_s"},
              quick=True),
    Benchmark("training_stall", "bench_training_stall", (), "training_stall.json",
              {"max_ms": "while_training.max_stall_ms", "idle_max_ms": "idle_peer.max_stall_ms",
               "train_s": "while_training.child_seconds",
               "peak_mb": "while_training.child_peak_rss_mb"}),
    Benchmark("training_stall_scale1", "bench_training_stall", ("--scale", "1"),
              "training_stall_scale1.json",
              {"max_ms": "while_training.max_stall_ms", "train_s": "while_training.child_seconds",
               "peak_mb": "while_training.child_peak_rss_mb"}),
    Benchmark("frozen", "bench_frozen", (), "frozen.json",
              {"folder_mb": "folder_mb", "self_test_s": "frozen_self_test_s",
               "cold_start_s": "frozen_cold_start_s"}),
)


def figure(data, path: str):
    """The value at a dotted key path (list positions as numbers); None where it is missing."""
    for key in path.split("."):
        try:
            data = data[int(key)] if isinstance(data, list) else data[key]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    return data


def budget_verdict(data) -> str:
    """'within budget', 'OVER BUDGET: ...' or '' from the JSON's `within_budget` entries."""
    found = {}

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "within_budget":
                    found[where] = value
                else:
                    walk(value, f"{where}.{key}" if where else key)
        elif isinstance(node, list):
            for n, value in enumerate(node):
                walk(value, f"{where}.{n}" if where else str(n))

    walk(data, "")
    flat = {}
    for where, value in found.items():
        if isinstance(value, dict):
            flat.update({f"{where}.{k}".lstrip("."): v for k, v in value.items()})
        else:
            flat[where or "all"] = value
    if not flat:
        return ""
    missed = [where for where, ok in flat.items() if ok is False]
    return "OVER BUDGET: " + ", ".join(missed) if missed else "within budget"


def _short(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def summary(bench: Benchmark, seconds: float, returncode: int) -> str:
    """One line: name, exit, wall time, the headline figures and the budget verdict."""
    head = f"{bench.name}: {seconds:.0f} s"
    if returncode:
        return f"{head}, FAILED (exit {returncode})"
    path = RESULTS / bench.result
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{head}, no readable {path.name}"
    shown = [f"{label}={_short(figure(data, key))}" for label, key in bench.figures.items()]
    verdict = budget_verdict(data)
    return ", ".join([head, *shown] + ([verdict] if verdict else []))


def run(bench: Benchmark) -> str:
    """Run one benchmark in a process of its own; returns its summary line."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", f"benchmarks.{bench.module}", *bench.args],
                          cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL)
    return summary(bench, time.perf_counter() - start, proc.returncode)


def picked(args) -> list[Benchmark]:
    """The benchmarks asked for, in run order."""
    if args.only:
        names = args.only.split(",")
        unknown = sorted(set(names) - {b.name for b in BENCHMARKS})
        if unknown:
            raise SystemExit(f"no benchmark named {', '.join(unknown)} (see --list)")
        return [b for b in BENCHMARKS if b.name in names]
    return [b for b in BENCHMARKS if b.quick or not args.quick]


def main(argv=None) -> int:
    """Run the benchmarks asked for; exit 1 if any failed to run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="only the benchmarks that take a minute or two")
    parser.add_argument("--only", help="comma-separated names (see --list)")
    parser.add_argument("--list", action="store_true", help="name the benchmarks and stop")
    args = parser.parse_args(argv)
    if args.list:
        for bench in BENCHMARKS:
            print(f"{bench.name:18} {bench.module} {' '.join(bench.args)}"
                  f"{'  (quick)' if bench.quick else ''}")
        return 0
    lines = []
    for bench in picked(args):
        lines.append(run(bench))
        print(lines[-1], flush=True)
    return 1 if any("FAILED" in line for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
