"""Headless queue commands: `salesapp submit`, `salesapp work`, `salesapp results`."""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

from salesapp.commands.id_arguments import requested_ids
from salesapp.errors import BundleError
from salesapp.gc_pause import gc_paused
from salesapp.paths import default_model_dir, default_store_dir
from salesapp.store.result_codec import shop_forecasts

# Test hook (reliability tests only): a short lease so a frozen worker's jobs are taken over fast.
LEASE_ENV = "SALESAPP_LEASE_SECONDS"
BATCH_ENV = "SALESAPP_BATCH_SIZE"
FORMULA_START = ("=", "+", "-", "@")
COLUMNS = ["item_id", "item_name", "shop_id", "forecast", "error"]


def _store_dir(args) -> Path:
    return Path(args.store) if getattr(args, "store", None) else default_store_dir()


def _model_dir(args) -> Path:
    return Path(args.model) if getattr(args, "model", None) else default_model_dir()


def _open_store(args):
    from salesapp.store.job_store import JobStore

    store = JobStore.open(_store_dir(args))
    notice = getattr(store, "notice", None)
    if notice:
        print(f"salesapp: {notice}", file=sys.stderr)
    return store


def bundle_version(model_dir: Path) -> str:
    """The bundle's model version from its manifest alone (cheap: no model is loaded)."""
    from salesapp.model import bundle

    manifest = model_dir / bundle.MANIFEST
    if not manifest.is_file():
        raise BundleError(f"{model_dir} is not a model bundle: {bundle.MANIFEST} is missing")
    return bundle.version_of(manifest.read_text(encoding="utf-8"))


def submit(args) -> int:
    """Enqueue the requested ids for the bundle's model version; prints what was queued."""
    ids = requested_ids(args)
    version = bundle_version(_model_dir(args))
    store = _open_store(args)
    try:
        report = store.submit(ids, version)
    finally:
        store.close()
    print(f"salesapp: {len(report.queued)} queued, {len(report.already_pending)} already pending, "
          f"{len(report.cached)} already done.", file=sys.stderr)
    return 0


def _env_number(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _print_progress(done: int, total: int) -> None:
    print(f"salesapp: {done}/{total} jobs", file=sys.stderr, flush=True)


def work(args) -> int:
    """Run every queued job until none is left; exit 0 only if no job failed."""
    # The Qt-free engine first: once PySide6 is imported, its import hook reads the source of
    # every module imported after it (~0.5 s CPU for pandas, LightGBM and diskcache).
    from salesapp.model.predictor import Predictor
    from salesapp.store.job_store import JobStore  # noqa: F401
    from salesapp.workers.dispatcher import model_threads
    from salesapp.workers.headless import HEADLESS_POOL, run_until_idle

    pool = args.workers or HEADLESS_POOL
    predictor = Predictor.load(_model_dir(args), num_threads=model_threads(pool))
    store = _open_store(args)
    try:
        summary = run_until_idle(store, predictor, pool_size=pool,
                                 batch_size=int(_env_number(BATCH_ENV, 0)) or None,
                                 lease_seconds=_env_number(LEASE_ENV, 60.0),
                                 on_progress=_print_progress)
    finally:
        store.close()
    for item_id, reason in summary.failed:
        print(f"salesapp: item {item_id} failed: {reason}", file=sys.stderr)
    for error in summary.errors:
        print(f"salesapp: a worker stopped: {error}", file=sys.stderr)
    print(f"salesapp: {summary.finished} done, {len(summary.failed)} failed.", file=sys.stderr)
    return 0 if not summary.failed and not summary.errors else 1


def neutralise(cell):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def _csv_line(cells: list) -> str:
    """One CSV line exactly as `csv.writer` writes it (quoting, `\\r\\n`)."""
    buf = io.StringIO()
    csv.writer(buf).writerow(cells)
    return buf.getvalue()


def _result_lines(item_id: int, result: dict) -> tuple[str, int]:
    """CSV text of one done job's rows and how many rows it holds."""
    name = neutralise(result.get("item_name") or "")
    if result.get("status") != "ok":
        return _csv_line([item_id, name, "", "", neutralise(result.get("error") or "")]), 1
    # Only the text cells can carry a formula; ids and forecasts are numbers. The id and name are
    # formatted once per item (214,200 rows through csv.writer took 1.5x as long).
    prefix = _csv_line([item_id, name])[:-2]
    lines = [f"{prefix},{s},{f},\r\n" for s, f in shop_forecasts(result)]
    return "".join(lines), len(lines)


def _chunks(store):
    """(CSV text, rows) per job, in item id order: results, failures, unknown ids."""
    jobs = sorted(store.jobs(), key=lambda j: int(j.item_id))
    # Results are read in chunks, in the order of the done jobs, in their compact stored form:
    # one decode per result, no [shop, forecast] lists built only to be written out.
    results = store.results_of([(j.model_version, j.item_id) for j in jobs if j.state == "done"],
                               packed=True)
    for job in jobs:
        if job.state == "failed":
            yield _csv_line([job.item_id, "", "", "", neutralise(job.error or "failed")]), 1
            continue
        result = next(results) if job.state == "done" else None
        if result is not None:
            yield _result_lines(job.item_id, result)


def results(args) -> int:
    """Write every done result (long format, one row per shop) and every failure to a CSV."""
    store = _open_store(args)
    out = Path(args.out)
    try:
        with open(out, "w", encoding="utf-8", newline="") as f:
            f.write(_csv_line(COLUMNS))
            n = 0
            with gc_paused():
                for text, rows in _chunks(store):
                    f.write(text)
                    n += rows
    finally:
        store.close()
    print(f"salesapp: wrote {n} rows to {out}.", file=sys.stderr)
    return 0
