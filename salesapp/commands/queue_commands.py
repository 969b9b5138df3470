"""Headless queue commands: `salesapp submit`, `salesapp work`, `salesapp results`."""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from salesapp.commands.id_arguments import requested_ids
from salesapp.errors import BundleError, SalesAppError, StoreError
from salesapp.gc_pause import gc_paused
from salesapp.paths import default_store_dir

# Test hooks (reliability tests only), read here at the edge: a short lease so a frozen worker's
# jobs are taken over fast, small batches so kills land between them.
LEASE_ENV = "SALESAPP_LEASE_SECONDS"
BATCH_ENV = "SALESAPP_BATCH_SIZE"
MANIFEST = "manifest.json"   # bundle.MANIFEST
BLAS_THREADS_ENV = "OPENBLAS_NUM_THREADS"


def _store_dir(args) -> Path:
    return Path(args.store) if getattr(args, "store", None) else default_store_dir()


def _model_dir(args, checked: bool = True) -> Path:
    """--model, else the library's active model (`checked`: its files hashed first)."""
    from salesapp.library import model_dir_for
    return model_dir_for(getattr(args, "model", None), checked=checked, say=_say)


def _say(sentence: str) -> None:
    print(f"salesapp: {sentence}", file=sys.stderr)


def _open_store(args):
    from salesapp.store.job_store import JobStore

    store = JobStore.open(_store_dir(args))
    notice = getattr(store, "notice", None)
    if notice:
        print(f"salesapp: {notice}", file=sys.stderr)
    return store


def _say_failed_at_open(store) -> None:
    """One line naming the jobs the store's opening ended failed (their last worker was gone)."""
    failed = [j for j in store.given_back_at_open if j.state == "failed"]
    if failed:
        ids = ", ".join(str(j.item_id) for j in failed[:10]) + (", ..." if len(failed) > 10 else "")
        print(f"salesapp: {len(failed)} earlier job(s) ended failed, their last worker having "
              f"stopped before finishing (item {ids}); ask for them again to retry.",
              file=sys.stderr)


def bundle_version(model_dir: Path) -> str:
    """The bundle's model version from its manifest alone (cheap: no model is loaded).

    `bundle.version_of`'s rule, here so that `salesapp submit` imports neither numpy nor pandas;
    tests/test_queue_commands.py keeps the two equal.
    """
    manifest = model_dir / MANIFEST
    if not manifest.is_file():
        raise BundleError(f"{model_dir} is not a model bundle: {MANIFEST} is missing")
    text = manifest.read_text(encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def submit(args) -> int:
    """Enqueue the requested ids for the bundle's model version; prints what was queued."""
    ids = requested_ids(args)
    version = bundle_version(_model_dir(args, checked=False))   # no numpy for a submit
    store = _open_store(args)
    _say_failed_at_open(store)
    try:
        report = store.submit(ids, version)
    except (sqlite3.OperationalError, OSError) as exc:
        if not _disk_full(exc):
            raise
        # SQLite rolled the failed transaction back: nothing half-written, nothing stored lost.
        raise StoreError(f"the store {_store_dir(args)} is on a full disk, so this submit was not "
                         "written (jobs queued before stay queued); free some space and submit "
                         "again") from None
    finally:
        store.close()
    print(f"salesapp: {len(report.queued)} queued, {len(report.already_pending)} already pending, "
          f"{len(report.cached)} already done.", file=sys.stderr)
    return 0


def _disk_full(exc: BaseException) -> bool:
    """SQLite's "database or disk is full", or the file system's ENOSPC / EDQUOT."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
    return "full" in str(exc).lower()


def _env_number(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _print_progress(done: int, total: int) -> None:
    print(f"salesapp: {done}/{total} jobs", file=sys.stderr, flush=True)


def _open_store_meanwhile(args) -> Callable:
    """Start opening the store on a thread; returns the function that waits for it.

    Opening is mostly waiting on the disk (SQLite's quick check, diskcache's settings written
    with FULL sync), not CPU, so it overlaps the model's imports for free.
    """
    box: dict = {}

    def run() -> None:
        try:
            box["store"] = _open_store(args)
        except BaseException as exc:  # noqa: BLE001 - raised again in the waiting thread
            box["error"] = exc

    thread = threading.Thread(target=run, name="store-open", daemon=True)
    thread.start()

    def opened():
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["store"]

    return opened


def work(args) -> int:
    """Run every queued job until none is left; exit 0 only if no job failed."""
    # Neither the model nor the store uses BLAS, but numpy and scipy (LightGBM imports it) each
    # start an OpenBLAS thread pool when imported, which only delays the start. A user's own
    # setting is kept.
    os.environ.setdefault(BLAS_THREADS_ENV, "1")
    opened = _open_store_meanwhile(args)
    try:
        # The Qt-free engine only: `work` never imports Qt.
        from salesapp.model.predictor import Predictor
        from salesapp.model.unknown_items import UNKNOWN_ITEM
        from salesapp.pacing import DEFAULT_LEASE_SECONDS, HEADLESS_POOL, STORE_FAILURES_TO_STOP
        from salesapp.workers.batch_runner import model_threads
        from salesapp.workers.headless import run_work
        from salesapp.workers.test_hooks import TestHooks

        pool = args.workers or HEADLESS_POOL
        predictor = Predictor.load(_model_dir(args), num_threads=model_threads(pool))
    except BaseException:
        try:
            opened().close()
        except (SalesAppError, OSError):   # the model's error is the one to report
            pass
        raise
    store = opened()
    try:
        summary = run_work(store, predictor, pool_size=pool,
                           batch_size=int(_env_number(BATCH_ENV, 0)) or None,
                           lease_seconds=_env_number(LEASE_ENV, DEFAULT_LEASE_SECONDS),
                           on_progress=_print_progress, hooks=TestHooks.from_environ())
        # rows the store could not read as jobs were set aside as failed: this run's failures too
        aside = ("its stored job row could not be read and was set aside; ask for it again to "
                 "queue it")
        summary.failed += [(i, aside) for i in dict.fromkeys(store.set_aside_ids)]
    finally:
        store.close()
    for item_id, reason in summary.failed:
        print(f"salesapp: item {item_id} failed: {reason}", file=sys.stderr)
    # An unknown id is answered (there is nothing to forecast), not failed: it fails no run.
    unknown = f"{summary.unknown} {UNKNOWN_ITEM}, " if summary.unknown else ""
    tally = f"{summary.finished - summary.unknown} done, {unknown}{len(summary.failed)} failed"
    if summary.errors:   # the store kept failing: one sentence, whatever else was running
        print(f"salesapp: the run stopped, the job store failing {STORE_FAILURES_TO_STOP} times "
              f"in a row ({summary.errors[0]}); {tally} before it.", file=sys.stderr)
        return 1
    if summary.interrupted:   # Ctrl-C or SIGTERM: the shell's convention, 128 + the signal
        print(f"salesapp: interrupted: {tally}; the rest stays queued in the store.",
              file=sys.stderr)
        return 128 + summary.interrupted
    print(f"salesapp: {tally}.", file=sys.stderr)
    return 0 if not summary.failed and not summary.errors else 1


def results(args) -> int:
    """Write every done result and every failure to a file: `--layout long` (one row per shop)
    or `wide` (one row per item), CSV or xlsx (`exports`).

    Written to a temporary file beside the output and renamed over it at the end, so a failed
    export never replaces the last good file. A stored result that cannot be read is named on
    stderr and skipped (exit 1; asking for the id again computes it again). An output file
    that cannot be written raises `InputError` naming it.
    """
    from salesapp.commands.argument_checks import existing_store
    from salesapp.commands.export_options import export_target
    from salesapp.errors import InputError
    from salesapp.exports.shop_names import shop_names_of

    target = export_target(args)
    existing_store(_store_dir(args))   # opening would make an empty store and export nothing
    names, why = shop_names_of(_model_dir(args, checked=False))   # names only: no hashing
    if why:
        print(f"salesapp: {why}; the shop names are left empty.", file=sys.stderr)
    store = _open_store(args)
    _say_failed_at_open(store)   # they are in the file as failed; this opening ended them
    bad: list[tuple[int, str]] = []
    tally: Counter = Counter()
    try:
        with gc_paused():
            n = _write_results(store, target, names, lambda i, why: bad.append((i, why)), tally)
    except OSError as exc:   # only the output file: the store's errors are StoreErrors
        raise InputError(f"cannot write the results there ({exc.strerror or exc})",
                         target.path) from None
    finally:
        store.close()
    for item_id, why in bad[:20]:
        print(f"salesapp: item {item_id} skipped: {why}; ask for it again to compute it anew.",
              file=sys.stderr)
    if len(bad) > 20:
        print(f"salesapp: {len(bad) - 20} more item(s) skipped the same way.", file=sys.stderr)
    print(f"salesapp: wrote {n} rows to {target.path}: {_items_written(tally, len(bad))}.",
          file=sys.stderr)
    return 1 if bad else 0


def _items_written(tally: Counter, skipped: int) -> str:
    from salesapp.model.unknown_items import UNKNOWN_ITEM
    unknown = tally[UNKNOWN_ITEM]
    parts = [f"{tally['forecast']} items forecast",
             f"{unknown} {UNKNOWN_ITEM}{'s' if unknown != 1 else ''}", f"{tally['failed']} failed"]
    if skipped:
        parts.append(f"{skipped} skipped")
    return ", ".join(parts)


def _write_results(store, target, names: dict, on_bad, tally: Counter) -> int:
    """Write the store's finished jobs to `target`; returns the rows written."""
    from salesapp.commands.results_csv import COLUMNS, result_chunks, stored_entries
    from salesapp.csv_cells import csv_line
    from salesapp.exports.layouts import table
    from salesapp.exports.writers import replaced, write_table

    if not target.plain_long_csv:
        header, rows = table(target.layout, stored_entries(store, on_bad, tally), names)
        return write_table(target.path, target.fmt, header, rows, target.style)
    # Bytes straight to a binary file with a 1 MB buffer: the chunks are UTF-8 already, and
    # many small chunks then make few writes to the disk.
    n = 0
    with replaced(target.path, binary=True, buffering=1 << 20) as f:
        f.write(csv_line(COLUMNS).encode())
        for chunk, rows in result_chunks(store, on_bad, tally, names):
            f.write(chunk)
            n += rows
    return n
