"""Diagnosis for bench_gui_stall: who ran, and where, while the GUI thread's event loop stalled.

Two samplers, used only by `bench_gui_stall.py --diagnose`:
- `ThreadCpuSampler`: a separate process reads /proc/<pid>/task/*/schedstat every millisecond
  (nanoseconds on a CPU per thread). It needs no GIL of ours, so it sees who computed during a
  stall even while one thread holds the GIL in a long C call.
- `FrameSampler`: a thread of this process that records the Python stack of every other thread
  every millisecond. It needs the GIL itself: a hole in its own samples is a stretch in which some
  thread held the GIL without letting go, and the samples at the hole's edges show where.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

_SCHED_SCRIPT = r"""
import os, sys, time
pid, out = int(sys.argv[1]), sys.argv[2]
base = f"/proc/{pid}/task"
lines = []
try:
    while os.path.exists(base):
        t = time.perf_counter()
        for tid in os.listdir(base):
            try:
                with open(f"{base}/{tid}/schedstat") as f:
                    lines.append(f"{t:.6f} {tid} {f.read().split()[0]}")
            except OSError:
                pass
        if len(lines) > 2_000_000:
            break
        time.sleep(0.001)
        if os.path.exists(out + ".stop"):
            break
finally:
    with open(out, "w") as f:
        f.write("\n".join(lines))
"""


class ThreadCpuSampler:
    """Per-thread CPU time of this process, sampled from another process every ~1 ms."""

    def __init__(self, out: Path):
        self.out = out
        self.proc = None

    def start(self) -> None:
        """Start the sampling process (it stops when told or when this process ends)."""
        Path(str(self.out) + ".stop").unlink(missing_ok=True)
        self.proc = subprocess.Popen([sys.executable, "-c", _SCHED_SCRIPT, str(os.getpid()),
                                      str(self.out)])

    def stop(self) -> dict[int, list[tuple[float, int]]]:
        """Stop it; returns {tid: [(t, cpu_ns), ...]} (t on this process's perf_counter clock)."""
        Path(str(self.out) + ".stop").touch()
        self.proc.wait(timeout=30)
        Path(str(self.out) + ".stop").unlink(missing_ok=True)
        series: dict[int, list[tuple[float, int]]] = {}
        for line in self.out.read_text().splitlines():
            t, tid, ns = line.split()
            series.setdefault(int(tid), []).append((float(t), int(ns)))
        return series


def cpu_ms_between(samples: list[tuple[float, int]], t0: float, t1: float) -> float:
    """CPU milliseconds a thread used between t0 and t1 (nearest samples outside the span)."""
    before = [ns for t, ns in samples if t <= t0]
    after = [ns for t, ns in samples if t >= t1]
    if not before or not after:
        return float("nan")
    return (after[0] - before[-1]) / 1e6


def thread_names() -> dict[int, str]:
    """Native thread id -> name (/proc comm)."""
    names = {}
    base = f"/proc/{os.getpid()}/task"
    for tid in os.listdir(base):
        try:
            names[int(tid)] = Path(f"{base}/{tid}/comm").read_text().strip()
        except OSError:
            pass
    return names


def _stack(frame, depth: int) -> str:
    parts = []
    while frame is not None and len(parts) < depth:
        code = frame.f_code
        parts.append(f"{Path(code.co_filename).name}:{frame.f_lineno} {code.co_name}")
        frame = frame.f_back
    return " < ".join(parts)


class FrameSampler:
    """Every ~1 ms, the Python stack of every other thread, with a time stamp."""

    def __init__(self, depth: int = 6, interval: float = 0.001):
        self.depth, self.interval = depth, interval
        self.samples: list[tuple[float, dict[int, str]]] = []
        self.native: dict[int, int] = {}   # Python ident -> native id, as threads are seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frame-sampler", daemon=True)

    def note_current_thread(self) -> None:
        """Record the calling thread's native id (call from worker threads)."""
        self.native[threading.get_ident()] = threading.get_native_id()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.is_set():
            t = time.perf_counter()
            frames = sys._current_frames()
            self.samples.append((t, {i: _stack(f, self.depth) for i, f in frames.items()
                                     if i != me}))
            del frames
            time.sleep(self.interval)

    def around(self, t0: float, t1: float) -> list[tuple[float, dict[int, str]]]:
        """The samples in [t0, t1] plus the last one before t0."""
        inside = [s for s in self.samples if t0 <= s[0] <= t1]
        before = [s for s in self.samples if s[0] < t0][-1:]
        return before + inside

    def holes(self, t0: float, t1: float, min_ms: float) -> list[tuple[float, float]]:
        """Stretches within [t0, t1] longer than `min_ms` in which the sampler took no sample."""
        ts = [s[0] for s in self.samples if t0 - 0.05 <= s[0] <= t1 + 0.05]
        return [(a, b) for a, b in itertools.pairwise(ts) if (b - a) * 1000 > min_ms]


def report(gaps: list[tuple[float, float, float]], cpu_series, sampler: FrameSampler,
           gui_native: int, threshold_ms: float = 35.0) -> list[dict]:
    """One record per stall over `threshold_ms`: CPU per thread, sampler holes, stacks at edges."""
    names = thread_names()
    ident_of = {n: i for i, n in sampler.native.items()}
    out = []
    for t0, t1, gui_cpu in gaps:
        if (t1 - t0) * 1000 <= threshold_ms:
            continue
        cpu = {f"{tid} {names.get(tid, '?')}{' GUI' if tid == gui_native else ''}":
               round(cpu_ms_between(s, t0, t1), 1) for tid, s in cpu_series.items()}
        cpu = {k: v for k, v in cpu.items() if v and v > 0.5}
        holes = sampler.holes(t0, t1, 4.0)
        edges = []
        for a, b in holes:
            before = [s for s in sampler.samples if s[0] <= a][-1]
            after = next(s for s in sampler.samples if s[0] >= b)
            edges.append({"hole_ms": round((b - a) * 1000, 1), "at_ms": round((a - t0) * 1000, 1),
                          "before": _named(before[1], ident_of),
                          "after": _named(after[1], ident_of)})
        gui_ident = threading.main_thread().ident
        gui_stacks = Counter(s[1].get(gui_ident, "-") for s in sampler.samples if t0 <= s[0] <= t1)
        out.append({"gap_ms": round((t1 - t0) * 1000, 1), "gui_cpu_ms": round(gui_cpu, 1),
                    "thread_cpu_ms": cpu, "gui_stacks": dict(gui_stacks.most_common(8)),
                    "sampler_holes": edges})
    return out


def _named(stacks: dict[int, str], ident_of: dict[int, int]) -> dict[str, str]:
    native_of = {i: n for n, i in ident_of.items()}
    return {str(native_of.get(i, f"py{i}")): s for i, s in stacks.items()
            if "_run (threading" not in s and "wait " not in s.split(" < ")[0]}


class HoleMonitor:
    """A thread that asks for the GIL every 0.2 ms and records how long each turn took: with one
    other busy thread, its longest turn is the longest stretch that thread held the GIL."""

    def __init__(self):
        self.holes: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hole-monitor", daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.0002)
            now = time.perf_counter()
            self.holes.append(now - last)
            last = now

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def longest_gil_hold(step, reps: int = 3) -> list[dict]:
    """Run `step()` on one thread beside a `HoleMonitor`, `reps` times: its wall time and the
    monitor's longest, second longest and 99th-percentile turn (ms)."""
    out = []
    for _ in range(reps):
        with HoleMonitor() as monitor:
            worker = threading.Thread(target=step)
            start = time.perf_counter()
            worker.start()
            worker.join()
            took = time.perf_counter() - start
        holes = sorted(monitor.holes) or [0.0, 0.0]
        out.append({"step_ms": round(took * 1000, 1), "longest_ms": round(holes[-1] * 1000, 1),
                    "second_ms": round(holes[-2] * 1000, 1),
                    "p99_ms": round(holes[int(0.99 * (len(holes) - 1))] * 1000, 1)})
    return out


def known_item_ids(predictor) -> list[int]:
    """Every item id the predictor's bundle knows, as plain ints."""
    return [int(i) for i in predictor.item_ids]


def worker_steps(predictor, store_dir) -> dict:
    """The longest GIL holds of the steps a runner and the store writer take, one at a time."""
    from salesapp.store.job_store import JobStore

    known = known_item_ids(predictor)
    batch = (known * (1 + 1024 // max(1, len(known))))[:1024]
    unknown = list(range(10**6, 10**6 + 1024))
    version = predictor.version
    from salesapp.pacing import GUI_BATCH
    out = {"predict 1024 known ids": longest_gil_hold(lambda: predictor.predict(batch)),
           f"predict {GUI_BATCH} known ids (a window's batch)": longest_gil_hold(
               lambda: predictor.predict(batch[:GUI_BATCH])),
           "predict 1024 unknown ids": longest_gil_hold(lambda: predictor.predict(unknown))}
    with JobStore.open(store_dir) as store:
        fresh = iter(range(2 * 10**6, 3 * 10**6, 500))
        out["store.submit 500 ids"] = longest_gil_hold(
            lambda: store.submit(list(range(next(fresh), next(fresh))), version))
        store.submit(known + list(range(10**5, 10**5 + 3 * 1024)), version)
        results = {r["item_id"]: r for r in predictor.predict(known[:1024])}
        sample = next(iter(results.values()))

        def lease_complete():
            jobs = store.lease("probe", 1024, 60.0)
            done = {int(j.item_id): dict(results.get(int(j.item_id), sample),
                                         item_id=int(j.item_id)) for j in jobs}
            store.complete("probe", done)
        out["store.lease + complete 1024"] = longest_gil_hold(lease_complete)
        out["store.counts"] = longest_gil_hold(store.counts)
        pairs = [(version, i) for i in known[:500]]
        out["store.results_of 500"] = longest_gil_hold(lambda: list(store.results_of(pairs)))
    return out
