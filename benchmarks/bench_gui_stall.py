"""Benchmark: the longest event-loop stall of the real window while 10,000 ids are processed.

A QTimer ticking every 5 ms records the gaps between its ticks while the window submits 10,000
ids through the real store and worker pool and applies every result. Budget: no stall
over 50 ms. Writes benchmarks/results/gui_stall.json and, with --screenshots, three PNGs in docs/
(empty window, mid-batch, detail with chart).

Model: --model DIR, else weights/ when it holds a bundle, else one trained on data/ in a temp dir.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from salesapp.model.unknown_items import UNKNOWN_ITEM

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "gui_stall.json"
DIAGNOSIS = ROOT / "benchmarks" / "results" / "gui_stall_diagnosis.json"
N_IDS = 10_000
TICK_MS = 5


def _bundle(model: str | None, tmp: Path) -> Path:
    if model:
        return Path(model)
    if (ROOT / "weights" / "model.txt").exists():
        return ROOT / "weights"
    from salesapp.commands.model_commands import train_bundle
    train_bundle(ROOT / "data", tmp / "bundle", seed=0, threads=1)
    return tmp / "bundle"


class GcClock:
    """Every cyclic collection of the process while installed: start, duration, generation, thread.

    A collection holds the GIL from start to end, whatever thread ran it: a long one stalls the
    event loop as surely as the GUI thread's own work (gc.callbacks; a few us per collection).
    """

    def __init__(self):
        import threading
        self.events: list[tuple[float, float, int, str]] = []
        self._start: dict[int, float] = {}
        self._threading = threading

    def _callback(self, phase: str, info: dict) -> None:
        me = self._threading.get_ident()
        if phase == "start":
            self._start[me] = time.perf_counter()
        elif me in self._start:
            t0 = self._start.pop(me)
            name = self._threading.current_thread().name
            self.events.append((t0, (time.perf_counter() - t0) * 1000, info["generation"], name))

    def __enter__(self):
        import gc
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc) -> None:
        import gc
        gc.callbacks.remove(self._callback)

    def summary(self, spans: list[tuple[float, float]], gaps: list[float]) -> dict:
        """Collections per generation (count, longest, total ms) and those inside stalls > 50 ms."""
        out = {}
        for gen in (0, 1, 2):
            ms = [e[1] for e in self.events if e[2] == gen]
            out[f"gen{gen}"] = {"count": len(ms), "longest_ms": round(max(ms, default=0), 1),
                                "total_ms": round(sum(ms), 1)}
        inside = []
        for (a, b), g in zip(spans, gaps):
            if g > 50:
                inside += [{"gap_ms": round(g, 1), "gen": e[2], "gc_ms": round(e[1], 1),
                            "thread": e[3]} for e in self.events if a <= e[0] <= b and e[1] > 2]
        out["collections_over_2ms_in_stalls_over_50ms"] = inside
        return out


class StallMeter:
    """Gaps between ticks of a 5 ms timer: a long gap is a stalled event loop."""

    def __init__(self):
        from PySide6.QtCore import QTimer
        self.gaps: list[float] = []
        self.cpu: list[float] = []   # the GUI thread's own CPU time in each gap (ms)
        self.spans: list[tuple[float, float]] = []   # (start, end) of each gap, perf_counter
        # ms the GUI thread waited in the kernel's run queue in each gap: ready to run, no core
        # free (other processes of a shared machine). Not a wait for the GIL, which is a sleep.
        self.runq: list[float] = []
        self._last = None
        self._last_cpu = None
        self._last_runq = None
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def pause(self):
        """Stop measuring (a screenshot blocks the loop on purpose); `resume` starts afresh."""
        self.timer.stop()
        self._last = None

    def resume(self):
        self.timer.start()

    def _tick(self):
        now, cpu, runq = time.perf_counter(), time.thread_time(), _runqueue_ns()
        if self._last is not None:
            self.gaps.append((now - self._last) * 1000)
            self.cpu.append((cpu - self._last_cpu) * 1000)
            self.runq.append((runq - self._last_runq) / 1e6)
            self.spans.append((self._last, now))
        self._last, self._last_cpu, self._last_runq = now, cpu, runq


def _runqueue_ns() -> int:
    """Nanoseconds the calling thread has spent waiting for a CPU (Linux schedstat; else 0)."""
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as f:
            return int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _all_final(window, ids) -> bool:
    if window.model.pending_updates() or window.session.submitting():
        return False
    c = window.model.counts()   # kept incrementally by the model: cheap to poll
    return c["done"] + c[UNKNOWN_ITEM] + c["failed"] >= len(ids)


def _load() -> list[float]:
    """1, 5 and 15 minute load averages (the machine may be shared)."""
    return [round(x, 2) for x in os.getloadavg()]


class BatchDriver:
    """Runs the event loop until every id is final; saves the mid-batch screenshot on the way."""

    def __init__(self, app, window, ids, shot_mid, meter):
        from PySide6.QtCore import QEventLoop, QTimer
        self.window, self.ids, self.meter = window, ids, meter
        self.shot_mid = shot_mid   # None: still to take; False: not wanted; True: taken
        self.loop = QEventLoop()
        self.check = QTimer()
        self.check.setInterval(20)
        self.check.timeout.connect(self._on_check)
        self.deadline = 0.0

    def run(self, timeout_s: float) -> None:
        self.deadline = time.perf_counter() + timeout_s
        self.check.start()
        self.loop.exec()
        self.check.stop()

    def _on_check(self) -> None:
        c = self.window.model.counts()
        if self.shot_mid is None and c["done"] + c[UNKNOWN_ITEM] + c["failed"] > len(self.ids) // 4:
            self.meter.pause()
            self.window.grab().save(str(ROOT / "docs" / "screenshot_mid_batch.png"))
            self.meter.resume()
            self.shot_mid = True
        if _all_final(self.window, self.ids) or time.perf_counter() > self.deadline:
            self.loop.quit()


def _start_diagnosis(tmp: Path):
    """Samplers of per-thread CPU and Python stacks (see gil_probe); worker threads named."""
    from benchmarks import gil_probe
    from salesapp.workers import store_writer, thread_priority

    frames = gil_probe.FrameSampler()
    plain = thread_priority.lower_current_thread

    def noting(steps):
        frames.note_current_thread()
        plain(steps)
    thread_priority.lower_current_thread = noting
    store_writer.lower_current_thread = noting
    cpu = gil_probe.ThreadCpuSampler(tmp / "schedstat.txt")
    return frames, cpu


def _diagnosis(meter, frames, cpu_series, predictor, tmp: Path) -> dict:
    import threading

    from benchmarks import gil_probe
    gaps = [(a, b, c) for (a, b), c in zip(meter.spans, meter.cpu)]
    stalls = gil_probe.report(gaps, cpu_series, frames, threading.get_native_id())
    # With the sampler on, stalls are longer than without (it is one more thread at the GIL).
    return {"worker_steps_longest_gil_hold": gil_probe.worker_steps(predictor, tmp / "probe"),
            "stalls_over_35ms": stalls, "gaps": len(gaps), "switch_interval_s":
            sys.getswitchinterval(), "load_average": _load(), "nice": os.nice(0)}


def run(model: str | None, screenshots: bool, diagnose: bool = False) -> dict:
    """Run the measurement once; returns its figures (the diagnosis when `diagnose`)."""
    from PySide6.QtWidgets import QApplication

    from salesapp.commands.gui_commands import _application, open_window
    app = _application()
    assert isinstance(app, QApplication)
    load_before = _load()
    with tempfile.TemporaryDirectory() as tmp:
        bundle = _bundle(model, Path(tmp))
        if diagnose:
            frames, cpu = _start_diagnosis(Path(tmp))
        window = open_window(Path(tmp) / "store", bundle)
        window.resize(1280, 800)
        window.show()
        app.processEvents()
        if screenshots:
            window.grab().save(str(ROOT / "docs" / "screenshot_empty.png"))
        from benchmarks.gil_probe import known_item_ids
        known = known_item_ids(window.session.predictor)
        # unknown ids fill up to 10,000: they still go through store, workers and table
        ids = (known + list(range(10**6, 10**6 + max(0, N_IDS - len(known)))))[:N_IDS]
        meter = StallMeter()
        driver = BatchDriver(app, window, ids, None if screenshots else False, meter)
        if diagnose:
            cpu.start()
            frames.start()
        meter.timer.start()
        start = time.perf_counter()
        with GcClock() as gc_clock:
            window.session.submit_ids(ids)
            driver.run(timeout_s=600)   # the real event loop (exec), as in the application
        seconds = time.perf_counter() - start
        meter.timer.stop()
        if diagnose:
            frames.stop()
            samples = cpu.stop()
            window.close()
            out = _diagnosis(meter, frames, samples, window.session.predictor, Path(tmp))
            DIAGNOSIS.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
            return out
        if screenshots:
            _detail_shot(app, window)
        window.close()
    gaps = sorted(meter.gaps)
    worst = max(range(len(meter.gaps)), key=meter.gaps.__getitem__) if gaps else None
    out = {"ids": len(ids), "known_ids": min(len(known), N_IDS), "seconds": round(seconds, 2),
           "ticks": len(gaps), "max_stall_ms": round(gaps[-1], 1) if gaps else None,
           "p99_gap_ms": round(gaps[int(0.99 * (len(gaps) - 1))], 1) if gaps else None,
           "gaps_over_budget": sum(g > 50 for g in gaps),
           # how much of the worst stall the GUI thread itself computed; the rest it waited (for
           # a core on a shared machine, or for the GIL)
           "max_stall_gui_cpu_ms": round(meter.cpu[worst], 1) if gaps else None,
           "max_gui_cpu_per_gap_ms": round(max(meter.cpu), 1) if gaps else None,
           # the worst stall's wait for a core, and the worst gap once that wait is taken out
           # (what this process's own threads and the GIL made of it)
           "max_stall_runqueue_ms": round(meter.runq[worst], 1) if gaps else None,
           "max_gap_minus_runqueue_ms": round(max(g - q for g, q in zip(meter.gaps, meter.runq)),
                                              1) if gaps else None,
           "budget_ms": 50, "within_budget": bool(gaps) and gaps[-1] <= 50,
           "model": str(bundle.name), "cpus": os.cpu_count(), "nice": os.nice(0),
           "load_average_before": load_before, "load_average_after": _load(),
           "gc": gc_clock.summary(meter.spans, meter.gaps)}
    return out


def _detail_shot(app, window) -> None:
    # the row with the largest total forecast makes the most readable detail screenshot
    best = max((r for r in (window.model.row_for(i) for i in window.model.item_ids())
                if r.result and r.result.get("status") == "ok"
                and len(window.session.predictor.history(r.item_id)) > 6),
               key=lambda r: r.result["total"])
    window.filter_box.setText(str(best.item_id))
    for row in range(window.proxy.rowCount()):
        if int(window.proxy.index(row, 0).data()) == best.item_id:
            window.table.selectRow(row)
    app.processEvents()
    window.grab().save(str(ROOT / "docs" / "screenshot_detail.png"))


def _runs_summary(runs: list[dict], commit: str) -> dict:
    """The worst and median figures over runs, with every run's own figures kept."""
    stalls = sorted(r["max_stall_ms"] for r in runs)
    return {"runs": len(runs), "max_stall_ms": stalls[-1], "median_max_stall_ms":
            stalls[len(stalls) // 2], "runs_within_budget": sum(r["within_budget"] for r in runs),
            "gaps_over_budget_total": sum(r["gaps_over_budget"] for r in runs),
            "max_stall_runqueue_per_run_ms": [r.get("max_stall_runqueue_ms") for r in runs],
            "max_gap_minus_runqueue_per_run_ms": [r.get("max_gap_minus_runqueue_ms")
                                                  for r in runs],
            "seconds": [r["seconds"] for r in runs], "max_stall_per_run_ms": [
                r["max_stall_ms"] for r in runs], "load_average_per_run": [
                r["load_average_before"] for r in runs], "budget_ms": 50,
            "model": runs[0]["model"], "known_ids": runs[0]["known_ids"], "commit": commit,
            "each_run": runs}


def _commit() -> str:
    import subprocess
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True, check=False)
    return done.stdout.strip()


def _run_children(args, passthrough: list[str]) -> dict:
    """`args.runs` measurements, each in a fresh process (one window per process, as in use)."""
    import subprocess
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.runs):
            one = Path(tmp) / f"run{n}.json"
            subprocess.run([sys.executable, "-m", "benchmarks.bench_gui_stall", "--out", str(one),
                            *passthrough], cwd=ROOT, check=True)
            runs.append(json.loads(one.read_text(encoding="utf-8")))
    return _runs_summary(runs, _commit())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model bundle directory")
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="JSON written (default benchmarks/results/gui_stall.json)")
    parser.add_argument("--runs", type=int, default=1,
                        help="measure this many times, each in a fresh process; worst and median")
    parser.add_argument("--screenshots", action="store_true", help="also save PNGs in docs/")
    parser.add_argument("--diagnose", action="store_true",
                        help="sample threads' CPU and stacks; write gui_stall_diagnosis.json only")
    parser.add_argument("--switch-ms", type=float,
                        help="experiment: the GIL switch interval (ms) before the window opens")
    parser.add_argument("--pool", type=int, help="experiment: runner threads of the window")
    parser.add_argument("--row-chunk", type=int, help="experiment: rows added per insert")
    parser.add_argument("--slice-ms", type=float,
                        help="experiment: ms of GUI-thread work per turn (every sliced loop)")
    return parser


def _experiments(args) -> None:
    if args.row_chunk:
        from salesapp import pacing
        pacing.ROW_CHUNK = args.row_chunk
    if args.slice_ms:
        from salesapp import pacing
        pacing.SLICE_SECONDS = args.slice_ms / 1000
    if args.pool:
        from salesapp.workers import dispatcher
        dispatcher.default_pool_size = lambda: args.pool
    if args.switch_ms:
        from salesapp.workers import dispatcher
        dispatcher.GUI_SWITCH_INTERVAL = args.switch_ms / 1000
        sys.setswitchinterval(args.switch_ms / 1000)


def main() -> int:
    args = _parser().parse_args()
    if args.runs > 1:
        passthrough = [a for a in sys.argv[1:] if a not in ("--screenshots", "--diagnose")]
        cut = [i for i, a in enumerate(passthrough) if a in ("--out", "--runs")]
        for i in reversed(cut):   # the children get everything but --out/--runs N
            del passthrough[i:i + 2]
        out = _run_children(args, passthrough)
    else:
        _experiments(args)
        out = run(args.model, args.screenshots, args.diagnose)
    if not args.diagnose:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out if args.runs > 1 else {k: v for k, v in out.items()
                                                 if k != "worker_steps_longest_gil_hold"},
                     indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
