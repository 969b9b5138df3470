"""Benchmark: the longest event-loop stall of the real window while it restores earlier sessions.

A store is filled once per scenario (`done10k`: 10,000 done jobs with real results of the default
bundle; `mixed10k`: 6,000 done, 1,000 failed, 3,000 still queued, which the runners then run;
`done50k`: 50,000 done).
Each measurement runs in a fresh process on a copy of it: the store, the predictor and the jobs
are loaded first (as the engine loader does, off the measured span), the window is shown, a
QTimer ticking every 5 ms (bench_gui_stall's `StallMeter`) is started, and then the window gets
the loaded engine (`engine_loaded`, as from the loader's signal) and restores the jobs, until
every row is shown with its final state and every done row has its result.

Besides the longest gap of all, the figures name the two one-time costs inside it: the attach turn
(`attach_turn_ms`: the dispatcher's module imported and built, the restore started) and the gap
of the first rows (the table's first change pays PySide's set-up of the viewport, ~25-30 ms,
whatever adds the first rows), and give the longest gap after those (`max_stall_after_first_ms`).

Modes: `sliced` (the window as it is: `SessionRestore`) and `one_call` (the way before it, as a
peer in the same code: every row in one chunk, so one `add_rows` in one turn, and every result
asked of the writer at once).
Writes benchmarks/results/restore_stall.json. Budget: no stall over 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "restore_stall.json"
# done, failed, queued
SCENARIOS = {"done10k": (10_000, 0, 0), "mixed10k": (6_000, 1_000, 3_000), "done50k": (50_000, 0, 0)}
MODES = ("sliced", "one_call")
FIRST_UNKNOWN = 1_000_000


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def build_store(directory: Path, model_dir: Path, scenario: str) -> dict:
    """Fill a store as an earlier session left it; returns what it holds."""
    from salesapp.model.predictor import Predictor
    from salesapp.store.job_store import JobStore

    n_done, n_failed, n_queued = SCENARIOS[scenario]
    predictor = Predictor.load(model_dir)
    known = [int(i) for i in predictor.item_ids]
    real = [r for r in predictor.predict(known) if r["status"] == "ok"]
    # done: ids of their own with real results (relabelled); queued: known items first, so the
    # runners make real model calls; failed: ids no model knows, failed with a reason
    queued = (known + list(range(FIRST_UNKNOWN, FIRST_UNKNOWN + n_queued)))[:n_queued]
    start = FIRST_UNKNOWN + n_queued
    done = list(range(start, start + n_done))
    failed = list(range(start + n_done, start + n_done + n_failed))
    with JobStore.open(directory, max_attempts=1) as store:
        for i in range(0, len(done), 2000):
            part = done[i:i + 2000]
            store.submit(part, predictor.version)
            store.lease("earlier", len(part), 600)
            store.complete("earlier", {item: dict(real[(i + k) % len(real)], item_id=item)
                                       for k, item in enumerate(part)})
        if failed:
            store.submit(failed, predictor.version)
            store.lease("earlier", len(failed), 600)
            for item in failed:
                store.fail("earlier", item, "it broke earlier")
        if queued:
            store.submit(queued, predictor.version)
        counts = store.counts()
    return {"jobs": n_done + n_failed + n_queued, "counts": counts}


class RestoreDriver:
    """Runs the event loop from the engine's hand-over until the restore is complete."""

    def __init__(self, window, n_jobs: int, meter):
        from PySide6.QtCore import QEventLoop, QTimer
        self.window, self.n_jobs, self.meter = window, n_jobs, meter
        self.loop = QEventLoop()
        self.check = QTimer()
        self.check.setInterval(20)
        self.check.timeout.connect(self._on_check)
        self.rows_shown_s = self.complete_s = None
        self.start = 0.0
        self.deadline = 0.0

    def run(self, timeout_s: float) -> None:
        self.start = time.perf_counter()
        self.deadline = self.start + timeout_s
        self.check.start()
        self.loop.exec()
        self.check.stop()

    def _on_check(self) -> None:
        w, now = self.window, time.perf_counter()
        restored = w.session.is_attached() and not w.session.restore.active()
        if self.rows_shown_s is None and restored and w.model.rowCount() >= self.n_jobs:
            self.rows_shown_s = now - self.start
        if self.rows_shown_s is not None and self._complete():
            self.complete_s = now - self.start
            self.loop.quit()
        elif now > self.deadline:
            self.loop.quit()

    def _complete(self) -> bool:
        # Cheap checks first: a scan of every row costs the GUI thread ~1 ms per 2,000 rows, and
        # run every 20 ms it would be measured as the window's own stall. It runs only once every
        # result fetched is applied (nothing left with the writer or in the table's queue).
        w = self.window
        m, c = w.model, w.model.counts()
        busy = w.session.dispatcher.writes_pending()
        if m.pending_updates() or c["queued"] or c["running"] or busy:
            return False
        self.meter.pause()   # the scan is the benchmark's, not the window's: not measured
        done = all(m.row_at(p).result is not None for p in range(m.rowCount())
                   if m.row_at(p).status == "done")
        if not done:
            self.meter.resume()
        return done


def measure(store_dir: Path, model_dir: Path, mode: str, n_jobs: int) -> dict:
    """One measurement in this process (see the module docstring)."""
    from salesapp.commands.gui_commands import _application, _import_engine
    _import_engine()
    from PySide6.QtCore import QTimer

    from benchmarks.bench_gui_stall import GcClock, StallMeter
    from salesapp import pacing
    from salesapp.model.predictor import Predictor
    from salesapp.store.job_store import JobStore
    from salesapp.ui.main_window import MainWindow

    if mode == "one_call":   # every row in one add_rows, every result asked for at once
        pacing.ROW_CHUNK = pacing.FETCH_BATCH = pacing.FETCH_AHEAD = 10**9
    app = _application()
    load_before = _load()
    store = JobStore.open(store_dir)
    predictor = Predictor.load(model_dir)
    loaded = [store.jobs()]   # handed over and let go, as the loader's signal does
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    meter = StallMeter()
    driver = RestoreDriver(window, n_jobs, meter)
    attach_ms, first_rows = [], []
    window.model.rowsInserted.connect(lambda *_: first_rows.append(time.perf_counter())
                                      if not first_rows else None)

    def hand_over():
        t0 = time.perf_counter()
        window.session.engine_loaded(store, predictor, loaded.pop())
        attach_ms.append((time.perf_counter() - t0) * 1000)

    meter.timer.start()
    QTimer.singleShot(50, hand_over)
    with GcClock() as gc_clock:
        driver.run(timeout_s=300)
    meter.timer.stop()
    window.close()
    gaps = sorted(meter.gaps)
    worst = max(range(len(meter.gaps)), key=meter.gaps.__getitem__)
    w_start, w_end = meter.spans[worst]
    worst_gc = [e for e in gc_clock.events if w_start <= e[0] <= w_end]
    first = first_rows[0] if first_rows else float("inf")
    first_gap = [g for g, (a, b) in zip(meter.gaps, meter.spans) if a <= first <= b]
    after = [g for g, (a, _) in zip(meter.gaps, meter.spans) if a > first]
    return {"mode": mode, "jobs": n_jobs, "max_stall_ms": round(gaps[-1], 1),
            "first_rows_gap_ms": round(first_gap[0], 1) if first_gap else None,
            "max_stall_after_first_ms": round(max(after), 1) if after else None,
            "p99_gap_ms": round(gaps[int(0.99 * (len(gaps) - 1))], 1),
            "gaps_over_50ms": sum(g > 50 for g in gaps), "ticks": len(gaps),
            "attach_turn_ms": round(attach_ms[0], 1) if attach_ms else None,
            "max_stall_runqueue_ms": round(meter.runq[worst], 1),
            "max_stall_gui_cpu_ms": round(meter.cpu[worst], 1),
            "gc": gc_clock.summary(meter.spans, meter.gaps),
            "max_stall_gc_ms": round(sum(e[1] for e in worst_gc), 1),
            "max_stall_gc_threads": sorted({e[3] for e in worst_gc}),
            "rows_shown_s": None if driver.rows_shown_s is None else round(driver.rows_shown_s, 2),
            "complete_s": None if driver.complete_s is None else round(driver.complete_s, 2),
            "finished": driver.complete_s is not None, "nice": os.nice(0),
            "load_average_before": load_before, "load_average_after": _load()}


def _child(args) -> int:
    out = measure(Path(args.store), Path(args.model), args.mode, args.jobs)
    Path(args.out).write_text(json.dumps(out) + "\n", encoding="utf-8")
    return 0


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True, check=False)
    return done.stdout.strip()


def _runs(tmp: Path, built: Path, model: Path, mode: str, n_jobs: int, runs: int) -> list[dict]:
    """`runs` measurements, each in a fresh process on a fresh copy of the built store."""
    out = []
    for n in range(runs):
        store = tmp / f"{mode}-{n}"
        shutil.copytree(built, store)
        one = tmp / f"{mode}-{n}.json"
        subprocess.run([sys.executable, "-m", "benchmarks.bench_restore_stall", "--child",
                        "--mode", mode, "--store", str(store), "--model", str(model),
                        "--jobs", str(n_jobs), "--out", str(one)], cwd=ROOT, check=True)
        out.append(json.loads(one.read_text(encoding="utf-8")))
        shutil.rmtree(store)
    return out


def _summary(runs: list[dict]) -> dict:
    stalls = [r["max_stall_ms"] for r in runs]
    return {"median_max_stall_ms": statistics.median(stalls), "max_stall_ms": max(stalls),
            "max_stall_per_run_ms": stalls,
            "attach_turn_ms_per_run": [r["attach_turn_ms"] for r in runs],
            "first_rows_gap_ms_per_run": [r["first_rows_gap_ms"] for r in runs],
            "max_stall_after_first_ms_per_run": [r["max_stall_after_first_ms"] for r in runs],
            "p99_gap_ms_per_run": [r["p99_gap_ms"] for r in runs],
            "rows_shown_s_per_run": [r["rows_shown_s"] for r in runs],
            "complete_s_per_run": [r["complete_s"] for r in runs],
            "all_finished": all(r["finished"] for r in runs),
            "within_budget_runs": sum(s <= 50 for s in stalls), "each_run": runs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "weights"), help="model bundle directory")
    parser.add_argument("--runs", type=int, default=3, help="fresh-process runs per mode")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args)
    model = Path(args.model)
    result = {"commit": _commit(), "cpus": os.cpu_count(), "nice": os.nice(0), "budget_ms": 50,
              "model": str(model.name), "load_average_start": _load(), "scenarios": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in args.scenarios.split(","):
            built = Path(tmp) / scenario
            info = build_store(built, model, scenario)
            entry = {"store": info}
            for mode in args.modes.split(","):
                entry[mode] = _summary(_runs(Path(tmp), built, model, mode, info["jobs"],
                                             args.runs))
            result["scenarios"][scenario] = entry
    result["load_average_end"] = _load()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    brief = {s: {m: {k: v for k, v in e[m].items() if k != "each_run"} for m in e if m in MODES}
             for s, e in result["scenarios"].items()}
    print(json.dumps(brief, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
