"""Benchmark: an id file's peak memory does not grow with the file in UTF-16 text or an .xlsx sheet.

The budget is bench_id_file's (a big id file streamed, peak <= 300 MB); this one checks the two
formats added beside UTF-8/CP1251 CSV: Excel's "Unicode text" (UTF-16, tab-separated) and an
.xlsx workbook read by openpyxl in read-only mode. Each format is read at two sizes, each read in
a child process of its own (peak RSS from VmHWM there; files written by other children); the
figure is the ratio of the peaks (streamed: ~1) and the time per million rows.
Writes benchmarks/results/id_formats.json.

Usage: python -m benchmarks.bench_id_formats [--rows 200000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_id_file import N_ITEMS, N_SHOPS, _env, _in_child

RESULTS = Path(__file__).resolve().parent / "results" / "id_formats.json"
BUDGET_MB = 300

CHILD = """
import json, re, sys, time
from salesapp.model.id_input import read_id_file
start = time.perf_counter()
parsed = read_id_file(sys.argv[1])
outcome = {"ids": len(parsed.ids), "rows": parsed.rows, "problems": parsed.problems,
           "seconds": round(time.perf_counter() - start, 2)}
status = open("/proc/self/status").read()
outcome["peak_rss_mb"] = round(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024, 1)
print(json.dumps(outcome))
"""


def _row(i: int) -> tuple[int, int, int]:
    return i, i % N_SHOPS, (i * 7919) % N_ITEMS


def write_utf16(path: Path, rows: int) -> None:
    """test.csv's shape, as Excel saves "Unicode text": UTF-16 with a BOM, tabs, CRLF."""
    with open(path, "w", encoding="utf-16", newline="") as fh:
        fh.write("ID\tshop_id\titem_id\r\n")
        fh.writelines("".join("{}\t{}\t{}\r\n".format(*_row(i))
                              for i in range(start, min(rows, start + 100_000)))
                      for start in range(0, rows, 100_000))


def write_xlsx(path: Path, rows: int) -> None:
    """The same rows as a one-sheet workbook (openpyxl's write-only mode: streamed too)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("test")
    sheet.append(["ID", "shop_id", "item_id"])
    for i in range(rows):
        sheet.append(_row(i))
    book.save(path)


def measure(path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                          text=True, env=_env(), check=True, timeout=3600)
    result = json.loads(proc.stdout)
    result["file_mb"] = round(path.stat().st_size / 2**20, 1)
    result["s_per_million_rows"] = round(result["seconds"] / result["rows"] * 1e6, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the smaller file")
    args = parser.parse_args()
    report: dict = {"budget_peak_rss_mb": BUDGET_MB}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        for fmt, writer, suffix in (("utf16", write_utf16, ".txt"), ("xlsx", write_xlsx, ".xlsx")):
            for label, rows in (("small", args.rows), ("large", 4 * args.rows)):
                path = Path(tmp) / f"{fmt}_{label}{suffix}"
                _in_child(writer, path, rows)
                report[f"{fmt}_{label}"] = measure(path)
                path.unlink()
                print(fmt, label, report[f"{fmt}_{label}"], flush=True)
            small, large = report[f"{fmt}_small"], report[f"{fmt}_large"]
            report[f"{fmt}_ratio_peak_4x_rows"] = round(large["peak_rss_mb"]
                                                        / small["peak_rss_mb"], 2)
    report["within_budget"] = {f"{fmt}_peak": report[f"{fmt}_large"]["peak_rss_mb"] <= BUDGET_MB
                               for fmt in ("utf16", "xlsx")}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report["within_budget"]))


if __name__ == "__main__":
    main()
