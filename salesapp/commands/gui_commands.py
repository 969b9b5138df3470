"""The window (`salesapp [FILES]`) and its offscreen smoke test (`salesapp --self-test`)."""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path

from salesapp.paths import default_model_dir, default_store_dir, resource_path

SELF_TEST_SECONDS = 30


def _application():
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Sales Forecast Desk")
    qss = resource_path("resources", "style.qss")
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    return app


def open_window(store_dir, model_dir, files=()):
    """Open the store, the model and the dispatcher, and build the window (not yet shown)."""
    from salesapp.model.predictor import Predictor
    from salesapp.store.job_store import JobStore
    from salesapp.ui.main_window import MainWindow
    from salesapp.workers.dispatcher import PredictionDispatcher

    predictor = Predictor.load(model_dir or default_model_dir())
    store = JobStore.open(store_dir or default_store_dir())
    dispatcher = PredictionDispatcher(store, predictor)
    window = MainWindow(store, dispatcher, predictor)
    dispatcher.setParent(window)   # the dispatcher lives and dies with the window
    if files:
        window.import_files([str(f) for f in files])
    return window


def gui(args) -> int:
    """Open the window, import args.files, use args.store / args.model; returns the exit code."""
    app = _application()
    window = open_window(args.store, args.model, args.files)
    window.show()
    return app.exec()


def _self_test_ids(predictor, n: int = 5) -> list[int]:
    items = predictor.card.get("items") or 20
    step = max(1, int(items) // n)
    return [i * step for i in range(n)]


def _verdict(window, ids) -> str | None:
    """None when every id has a finite, non-negative forecast; else the reason."""
    for i in ids:
        row = window.model.row_for(i)
        if row is None or row.status not in ("done", "failed"):
            return f"item {i} did not finish (status {row.status if row else 'missing'})"
        r = row.result or {}
        if r.get("status") == "ok":
            values = [f for _, f in r["shops"]] + [r["total"]]
            if not all(math.isfinite(v) and v >= 0 for v in values):
                return f"item {i} has a forecast that is negative or not finite"
    if not any((window.model.row_for(i).result or {}).get("status") == "ok" for i in ids):
        return "no item was forecast"
    return None


def self_test(args) -> int:
    """Real window offscreen + temporary store + worker pool: forecast a few ids, print a verdict."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = _application()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="salesapp-selftest-") as tmp:
        window = open_window(Path(tmp) / "store", args.model)
        try:
            window.show()
            ids = _self_test_ids(window.predictor)
            window.submit_ids(ids)
            deadline = time.perf_counter() + SELF_TEST_SECONDS
            while time.perf_counter() < deadline and _verdict(window, ids) is not None:
                app.processEvents()
                time.sleep(0.005)   # a CLI poll loop, not a test: nothing to wait on but time
            reason = _verdict(window, ids)
        finally:
            window.close()
    took = time.perf_counter() - start
    if reason:
        print(f"self-test FAILED after {took:.1f} s: {reason}", file=sys.stderr)
        return 1
    print(f"self-test OK: {len(ids)} items forecast through the store and workers in {took:.1f} s")
    return 0
