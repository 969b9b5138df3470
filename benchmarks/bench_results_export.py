"""Benchmark: `salesapp results` (the CSV export) of a store of 5,100 items x every open shop.

Usage: nice python benchmarks/bench_results_export.py [--store DIR] [--model DIR] [--repeat N]
                                                      [--baseline REV]
The store (default /tmp/export_store) is made once when missing: the first 5,100 ids of the
bundle's items.csv (default /tmp/bench_model_bundle_s1.0_seed0, a scale-1 bundle) through
`salesapp submit` and `salesapp work`. Each run times, in this process, wall and CPU seconds of:
- `results`: the command as `salesapp results` runs it (store open included);
- `store_open`: `JobStore.open` alone (the store's part of `results`, not the export's);
- `export_rows`: the store's one query and its rows (`store.export_rows()`, store already open);
- `format`: the CSV bytes of those rows (`ResultRows.exported`, rows already read, no file);
- `plain_csv_writer`: the peer, the plain way: every job and its unpacked result (`results_of`)
  through `csv.writer` to a UTF-8 text file, the reference the tests compare with;
- `results_wide_xlsx`: `results --layout wide` to an .xlsx (a row per item), and once
  `results` to a long .xlsx (`results_long_xlsx_once_s`);
- `baseline` (with --baseline REV): `results` with `salesapp/commands/results_csv.py` of that
  git revision, written the way that revision's `results()` wrote it (a UTF-8 text file).
The outputs are compared byte for byte. Medians of N runs (default 5), the load average before
and after (the machine is shared). Writes benchmarks/results/results_export.json.
"""

from __future__ import annotations

import csv
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "results_export.json"
N_ITEMS = 5_100


def _option(argv: list[str], name: str, default: str | None) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else default


def _ensure_store(store: Path, bundle: Path) -> None:
    """Submit and work the first 5,100 ids of the bundle once, if the store has no results."""
    if (store / "cache.db").is_file():
        return
    with open(bundle / "items.csv", encoding="utf-8", newline="") as f:
        ids = [row["item_id"] for row in csv.DictReader(f)][:N_ITEMS]
    if len(ids) < N_ITEMS:
        raise SystemExit(f"{bundle} knows {len(ids)} items; the benchmark needs {N_ITEMS}")
    py = [sys.executable, "-m", "salesapp"]
    subprocess.run([*py, "submit", "--store", str(store), "--model", str(bundle),
                    "--items", ",".join(ids)], check=True)
    subprocess.run([*py, "work", "--store", str(store), "--model", str(bundle)], check=True)


def _timed(body) -> tuple[float, float]:
    """Wall and CPU seconds of `body()`."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    body()
    return time.perf_counter() - wall, time.process_time() - cpu


def _results(store: Path, out: Path, bundle: Path, layout: str = "long") -> None:
    from salesapp.commands.queue_commands import results

    results(SimpleNamespace(store=str(store), out=str(out), model=str(bundle), layout=layout))


def _store_open(store: Path) -> None:
    from salesapp.store.job_store import JobStore

    JobStore.open(store).close()


def _export_rows(store) -> list:
    return list(store.export_rows())


def _format(rows: list) -> None:
    from salesapp.commands.results_csv import ResultRows
    from salesapp.gc_pause import gc_paused

    formatter = ResultRows()
    with gc_paused():
        for row in rows:
            formatter.exported(row)


def _plain_csv_writer(store: Path, out: Path, bundle: Path) -> None:
    """The reference export: csv.writer over each finished job and its unpacked result, in the
    long layout's columns (the shop names of `bundle`, as `results --model` reads them)."""
    from salesapp.commands.results_csv import COLUMNS
    from salesapp.csv_cells import neutralise
    from salesapp.exports.layouts import forecast_month
    from salesapp.exports.shop_names import shop_names_of
    from salesapp.gc_pause import gc_paused
    from salesapp.store.job_store import JobStore

    names = shop_names_of(bundle)[0]
    with JobStore.open(store) as s, open(out, "w", encoding="utf-8", newline="") as f, \
            gc_paused():
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        jobs = sorted((j for j in s.jobs() if j.state in ("done", "failed")),
                      key=lambda j: j.item_id)
        done = iter(s.results_of([(j.model_version, j.item_id) for j in jobs if j.state == "done"]))
        for job in jobs:
            if job.state == "failed":
                writer.writerow([job.item_id, "", "", "", job.model_version, "", "", "",
                                 neutralise(job.error or "failed")])
                continue
            r = next(done)
            if r is None:
                continue
            head = [job.item_id, neutralise(r.get("item_name") or ""),
                    neutralise(r.get("category_name") or ""),
                    forecast_month(r.get("forecast_block")), r.get("model_version")]
            if r.get("status") != "ok":
                writer.writerow([*head, "", "", "", neutralise(r.get("error") or "")])
            else:
                writer.writerows([*head, s_id, neutralise(names.get(s_id, "")), v, ""]
                                 for s_id, v in r["shops"])


def _baseline(rev: str):
    """`results` with results_csv.py of git revision `rev`, written as that revision wrote it."""
    source = subprocess.run(["git", "show", f"{rev}:salesapp/commands/results_csv.py"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    module = types.ModuleType(f"results_csv_{rev}")
    exec(compile(source, f"{rev}:results_csv.py", "exec"), module.__dict__)   # noqa: S102

    def run(store: Path, out: Path) -> None:
        from salesapp.csv_cells import csv_line
        from salesapp.gc_pause import gc_paused
        from salesapp.store.job_store import JobStore

        s = JobStore.open(store)
        try:
            with open(out, "wb") as f:   # the chunks are UTF-8 bytes, as `results` writes them
                f.write(csv_line(module.COLUMNS).encode())
                with gc_paused():
                    f.writelines(chunk for chunk, _ in module.result_chunks(s, lambda *a: None))
        finally:
            s.close()

    return run


def _commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "salesapp/commands",
                            "salesapp/store"], cwd=ROOT, capture_output=True, text=True,
                           check=False).stdout.strip()
    return head + ("+changes" if dirty else "")


def main(argv: list[str]) -> None:
    """Time every way `--repeat` times (interleaved) and write the medians to the JSON file."""
    store = Path(_option(argv, "--store", "/tmp/export_store"))
    bundle = Path(_option(argv, "--model", "/tmp/bench_model_bundle_s1.0_seed0"))
    repeat = int(_option(argv, "--repeat", "5"))
    rev = _option(argv, "--baseline", None)
    _ensure_store(store, bundle)
    from salesapp.store.job_store import JobStore

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, JobStore.open(store) as opened:
        rows = _export_rows(opened)
        outs = {name: Path(tmp) / f"{name}.csv" for name in ("results", "plain", "baseline")}
        outs["wide"], outs["long_xlsx"] = Path(tmp) / "wide.xlsx", Path(tmp) / "long.xlsx"
        ways = {"results": lambda: _results(store, outs["results"], bundle),
                "store_open": lambda: _store_open(store),
                "export_rows": lambda: _export_rows(opened),
                "format": lambda: _format(rows),
                "plain_csv_writer": lambda: _plain_csv_writer(store, outs["plain"], bundle),
                # the staff's format: a row per item, a column per shop, in a workbook
                "results_wide_xlsx": lambda: _results(store, outs["wide"], bundle, "wide")}
        if rev:
            old = _baseline(rev)
            ways["baseline"] = lambda: old(store, outs["baseline"])
        for body in ways.values():   # warm: imports, page cache
            body()
        runs = {name: [] for name in ways}
        for _ in range(repeat):
            for name, body in ways.items():
                runs[name].append(_timed(body))
        # the long layout as a workbook (one row per item and shop, typed cells), timed once
        long_xlsx = _timed(lambda: _results(store, outs["long_xlsx"], bundle))
        data = outs["results"].read_bytes()
        same = {name: outs[key].read_bytes() == data
                for name, key in (("plain_csv_writer", "plain"), ("baseline", "baseline"))
                if name in ways}
    report = {"items": N_ITEMS, "store": str(store), "rows": data.count(b"\r\n") - 1,
              "bytes": len(data), "cores": os.cpu_count(), "commit": _commit(),
              "baseline_rev": rev, "repeat": repeat, "statistic": "median",
              "identical_output": same}
    if rev:   # a revision before the export layouts wrote 5 columns: other bytes by design
        report["baseline_note"] = ("identical_output.baseline is false when the baseline "
                                   "revision writes other columns (before the export layouts)")
    report["results_long_xlsx_once_s"] = round(long_xlsx[0], 2)
    for name, times in runs.items():
        report[f"{name}_s"] = round(statistics.median(w for w, _ in times), 4)
        report[f"{name}_cpu_s"] = round(statistics.median(c for _, c in times), 4)
        report[f"{name}_all_s"] = [round(w, 4) for w, _ in times]
    report["ratio_results_vs_plain"] = round(report["results_s"] / report["plain_csv_writer_s"], 3)
    if rev:
        report["ratio_results_vs_baseline"] = round(report["results_s"] / report["baseline_s"], 3)
    report["load_average_before"] = [round(x, 2) for x in load_before]
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    report["target_s"] = 0.15
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
