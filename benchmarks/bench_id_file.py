"""Benchmark: peak memory and time of reading a 1 GB id file, and of refusing a .gz bomb.

The budget: a 1 GB id file is streamed, peak memory <= 300 MB. The file has the shape of the
competition's test.csv (`ID,shop_id,item_id`, ids from a 22,170-item catalogue) and is written to
/tmp, then deleted. Each read runs in a child process of its own; its peak RSS is read there
(`resource.getrusage` and VmHWM; the files are written by other children, so
that the parent's own peak, which its children inherit, stays small). The peer in the same run is the same read of a 100 MB file: a
streamed reader's peak does not grow with the file (ratio ~1). The bomb is 100 gzip members of
64 MB of `1\\n` each (6.4 GB inflated from a few MB), refused with one sentence.
Writes benchmarks/results/id_file.json.

Usage: python -m benchmarks.bench_id_file [--gb 1.0]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "id_file.json"
BUDGET_MB = 300
N_SHOPS, N_ITEMS = 60, 22_170
BLOCK_ROWS = 1_000_000
BOMB_MEMBER_BYTES = 64 << 20
BOMB_MEMBERS = 100

CHILD = """
import json, re, resource, sys, time
from salesapp.errors import InputError
from salesapp.model.id_input import read_id_csv
start = time.perf_counter()
try:
    parsed = read_id_csv(sys.argv[1])
    outcome = {"ids": len(parsed.ids), "rows": parsed.rows, "problems": parsed.problems}
except InputError as exc:
    outcome = {"refused": str(exc)}
outcome["seconds"] = round(time.perf_counter() - start, 2)
outcome["ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
status = open("/proc/self/status").read()
outcome["vmhwm_mb"] = round(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024, 1)
print(json.dumps(outcome))
"""


def write_id_file(path: Path, size_bytes: int) -> int:
    """test.csv-shaped rows up to size_bytes; one block of text written again with new IDs."""
    rows = 0
    with open(path, "w", encoding="ascii", newline="") as fh:
        fh.write("ID,shop_id,item_id\n")
        while fh.tell() < size_bytes:
            fh.write("".join(f"{rows + i},{i % N_SHOPS},{(i * 7919) % N_ITEMS}\n"
                             for i in range(BLOCK_ROWS)))
            rows += BLOCK_ROWS
    return rows


def write_bomb(path: Path) -> None:
    member = gzip.compress(b"1\n" * (BOMB_MEMBER_BYTES // 2), compresslevel=9)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(b"item_id\n"))
        fh.writelines(member for _ in range(BOMB_MEMBERS))


def _in_child(func, *args) -> None:
    """Write a file in a process of its own: Linux carries a parent's peak RSS into its children
    (ru_maxrss survives fork and exec), so the parent that starts the readers stays small."""
    process = multiprocessing.get_context("spawn").Process(target=func, args=args)
    process.start()
    process.join()
    if process.exitcode:
        raise SystemExit(f"writing {args[0]} failed (exit {process.exitcode})")


def _env() -> dict:
    root = str(Path(__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p)}


def measure(path: Path) -> dict:
    env = _env()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                          text=True, env=env, check=True, timeout=1800)
    result = json.loads(proc.stdout)
    result["file_mb"] = round(path.stat().st_size / 2**20, 1)
    result["peak_rss_mb"] = result["vmhwm_mb"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=1.0)
    args = parser.parse_args()
    report = {"budget_peak_rss_mb": BUDGET_MB}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        for name, size in (("file_100mb", 100 << 20), ("file_1gb", int(args.gb * 2**30))):
            path = Path(tmp) / f"{name}.csv"
            _in_child(write_id_file, path, size)
            report[name] = measure(path)
            path.unlink()
            print(name, report[name], flush=True)
        bomb = Path(tmp) / "bomb.csv.gz"
        _in_child(write_bomb, bomb)
        report["gzip_bomb"] = measure(bomb)
        report["gzip_bomb"]["inflated_mb"] = BOMB_MEMBER_BYTES * BOMB_MEMBERS / 2**20
        print("gzip_bomb", report["gzip_bomb"], flush=True)
    big, small = report["file_1gb"], report["file_100mb"]
    report["ratio_peak_1gb_vs_100mb"] = round(big["peak_rss_mb"] / small["peak_rss_mb"], 2)
    report["within_budget"] = {
        "file_1gb_peak": big["peak_rss_mb"] <= BUDGET_MB,
        "gzip_bomb_refused": "refused" in report["gzip_bomb"]
                             and report["gzip_bomb"]["peak_rss_mb"] <= BUDGET_MB,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report["within_budget"]))


if __name__ == "__main__":
    main()
