"""The window (`salesapp [FILES]`) and its offscreen smoke test (`salesapp --self-test`).

Hidden start-up probe: with `SALESAPP_STARTUP_PROBE=1` in the environment, the window prints
`ready in N ms` (N counted from the start of the process) on stdout as soon as it is shown and
its event loop runs (it takes ids from then on), then `model ready in M ms` once the engine
loaded in the background is attached (the earlier sessions' jobs restored, forecasts possible),
and quits with status 0 (1 if the engine failed). `benchmarks/bench_frozen.py` uses it to time
the cold start of the frozen window.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

from salesapp.errors import SalesAppError
from salesapp.model.unknown_items import UNKNOWN_ITEM
from salesapp.paths import default_store_dir, resource_path

SELF_TEST_SECONDS = 30
SELF_TEST_IDS = 5
PROBE_ENV = "SALESAPP_STARTUP_PROBE"
# Test hook (tests only): "startup" raises before the window exists, "window" raises from a slot
# once it is shown; both must reach the uncaught-exception handler (log + readable message).
RAISE_ENV = "SALESAPP_TEST_RAISE"
# Test hook (tests only): once the engine is attached, the window submits this text as if typed
# into its id box and prints `ids asked` on stdout (the kill tests time their SIGKILL from it).
TYPE_ENV = "SALESAPP_TEST_TYPE_IDS"
# Test hook (tests only): likewise a real drop event of this file on the window; `file dropped`.
DROP_ENV = "SALESAPP_TEST_DROP_FILE"
log = logging.getLogger("salesapp.gui")


def process_age_ms() -> float:
    """Milliseconds since this process was created (Linux /proc; else since this module loaded).

    Counting from the process start, not from Python's, includes the frozen app's bootloader.
    """
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            # field 22 (starttime, clock ticks since boot) follows the ')' closing the command name
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return (uptime - start_ticks / os.sysconf("SC_CLK_TCK")) * 1000.0
    except (OSError, ValueError, IndexError):
        return (time.perf_counter() - _MODULE_T0) * 1000.0


_MODULE_T0 = time.perf_counter()


def _import_engine() -> None:
    """Import the Qt-free engine (pandas, LightGBM, the store) before Qt.

    Once PySide6 is imported, its import hook (shibokensupport's `__feature__` support) looks at
    the source of every module imported after it, hundreds of them for pandas and LightGBM.
    Imported first, they skip that. (Frozen, PyInstaller's PySide6 runtime hook imports QtCore
    before any of our code, so the hook is on there anyway; it costs less without source files.)
    """
    import salesapp.model.predictor
    import salesapp.store.job_store  # noqa: F401


def _application():
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Sales Forecast Desk")
    qss = resource_path("resources", "style.qss")
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    return app


def open_window(store_dir, model_dir, files=()):
    """Build the window (not yet shown) and hand it the engine, loaded here before returning (the
    self-test and the benchmarks; `gui` loads the engine in the background after showing)."""
    from salesapp.library import model_dir_for
    from salesapp.model.predictor import Predictor
    from salesapp.store.job_store import JobStore
    from salesapp.ui.main_window import MainWindow
    from salesapp.ui.session_restore import StoredJobs
    from salesapp.workers.test_hooks import TestHooks
    predictor = Predictor.load(model_dir_for(model_dir))
    store = JobStore.open(store_dir or default_store_dir())
    window = MainWindow()
    window.session.test_hooks = TestHooks.from_environ()   # read here, at the edge
    window.session.engine_loaded(store, predictor, StoredJobs(store.jobs()))
    if files:
        window.import_files([str(f) for f in files])
    return window


def gui(args) -> int:
    """Open the window, import args.files, use args.store / args.model; returns the exit code.

    The window shows first and takes ids at once; the engine (pandas, LightGBM, the bundle, the
    store) loads on a background thread and is attached when ready (`EngineLoader`).
    """
    from salesapp.logging_setup import install_excepthook, relay_to_gui, show_to_user

    if sys.excepthook is sys.__excepthook__:   # not yet installed by __main__
        install_excepthook(show_to_user)
    _test_raise("startup")
    marks = [("python up", process_age_ms())]
    app = _application()
    relay_to_gui()
    marks.append(("Qt up", process_age_ms()))
    from salesapp.ui.engine_loader import EngineLoader
    from salesapp.ui.main_window import MainWindow
    from salesapp.ui.window_lock import lock_store_window
    from salesapp.workers.test_hooks import TestHooks

    store_dir = args.store or default_store_dir()
    try:
        lock = lock_store_window(store_dir)   # held until this process ends
    except SalesAppError as exc:
        from PySide6.QtWidgets import QMessageBox
        print(f"salesapp: {exc}", file=sys.stderr)
        QMessageBox.warning(None, "Sales Forecast Desk", f"{str(exc)[0].upper()}{str(exc)[1:]}.")
        return 2
    window = MainWindow()
    window.store_lock = lock
    window.session.test_hooks = TestHooks.from_environ()   # read here, at the edge
    # no --model: the library's active model, found on the loader's thread
    loader = EngineLoader(store_dir, args.model, window)
    window.session.load_from(loader)
    marks.append(("window built", process_age_ms()))
    window.show()
    loader.start()
    if args.files:
        window.import_files([str(f) for f in args.files])
    from PySide6.QtCore import QTimer
    QTimer.singleShot(0, lambda: _test_raise("window"))
    if os.environ.get(TYPE_ENV):
        window.session.attached.connect(lambda: _test_type(window, os.environ[TYPE_ENV]))
    if os.environ.get(DROP_ENV):
        window.session.attached.connect(lambda: _test_drop(window, os.environ[DROP_ENV]))
    if os.environ.get(PROBE_ENV):
        # Fires from the running event loop, i.e. after the first show/expose has been handled.
        QTimer.singleShot(0, lambda: _report_ready(window, app, marks, loader))
    return app.exec()


def _test_raise(where: str) -> None:
    if os.environ.get(RAISE_ENV) == where:
        raise RuntimeError(f"test crash at {where} ({RAISE_ENV})")


def _test_drop(window, path: str) -> None:
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path)])
    # Qt delivers a drop only to a widget that accepted the drag's enter, as in a real drag
    QApplication.sendEvent(window, QDragEnterEvent(QPoint(20, 20), Qt.CopyAction, mime,
                                                   Qt.LeftButton, Qt.NoModifier))
    QApplication.sendEvent(window, QDropEvent(QPointF(20, 20), Qt.CopyAction, mime,
                                              Qt.LeftButton, Qt.NoModifier))
    print("file dropped", flush=True)


def _test_type(window, text: str) -> None:
    window.input.setText(text)
    window.submit_typed()
    print("ids asked", flush=True)


def _report_ready(window, app, marks, loader) -> None:
    """Probe: `ready in N ms` now (window shown, taking input); then, once the engine is loaded,
    `model ready in M ms` and quit (both counted from the process start)."""
    from PySide6.QtCore import Qt, QTimer

    ms = process_age_ms()
    print(f"ready in {ms:.0f} ms", flush=True)
    # where the time went, as milliseconds since process start at the end of each step
    steps = ", ".join(f"{name} {at:.0f}" for name, at in marks)
    log.info("startup probe: window ready in %.0f ms (%s)", ms, steps)

    reported = []

    def model_ready(*_):
        if reported:   # the signal and the already-done check may both deliver it
            return
        reported.append(True)
        at = process_age_ms()
        attached = window.session.is_attached()
        state = "model ready" if attached else "model FAILED"
        print(f"{state} in {at:.0f} ms", flush=True)
        log.info("startup probe: %s in %.0f ms (the background load took %.2f s)", state, at,
                 loader.seconds or 0.0)
        window.close()
        app.exit(0 if attached else 1)

    # Connected first, then checked: a load ending between a check and the connects would emit
    # to no one and the probe would never quit.
    loader.loaded.connect(model_ready, Qt.QueuedConnection)
    loader.failed.connect(model_ready, Qt.QueuedConnection)
    if loader.wait(0):   # already done, its signal maybe emitted before the connects
        QTimer.singleShot(0, model_ready)


def _self_test_ids(predictor, n: int = SELF_TEST_IDS) -> list[int]:
    items = predictor.card.get("items") or 20
    step = max(1, int(items) // n)
    return [i * step for i in range(n)]


def _unfinished(window, ids) -> list[int]:
    """Ids whose row is not yet done or failed."""
    rows = (window.model.row_for(i) for i in ids)
    return [i for i, row in zip(ids, rows) if row is None or row.status not in ("done", "failed")]


def _verdict(window, ids) -> str | None:
    """None when every id has a finite, non-negative forecast; else the reason.

    An id unknown to the model is an "unknown item" (a right answer); a job that
    failed (its attempts used up) is a broken pipeline and fails the self-test.
    """
    errors = window.session.dispatcher.errors
    for i in ids:
        row = window.model.row_for(i)
        if row is None or row.status not in ("done", UNKNOWN_ITEM, "failed"):
            status = row.status if row else "missing"
            return f"item {i} did not finish (status {status})" + (
                f"; the workers stopped: {errors[0]}" if errors else "")
        if row.status == "failed":
            return f"item {i} failed: {row.note or 'no reason given'}"
        r = row.result or {}
        if r.get("status") == "ok":
            values = [f for _, f in r["shops"]] + [r["total"]]
            if not all(math.isfinite(v) and v >= 0 for v in values):
                return f"item {i} has a forecast that is negative or not finite"
    if not any((window.model.row_for(i).result or {}).get("status") == "ok" for i in ids):
        return "no item was forecast (every id is unknown to the model)"
    return None


def _wait_until_finished(window, ids, seconds: float) -> None:
    """Run the event loop until every id is done or failed, the workers stopped on an error, or
    the time is up (no sleeping)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.perf_counter() + seconds
    check = QTimer()
    check.setInterval(10)

    def _check():
        if (not _unfinished(window, ids) or window.session.dispatcher.errors
                or time.perf_counter() > deadline):
            loop.quit()

    check.timeout.connect(_check)
    window.session.dispatcher.idle.connect(_check)
    check.start()
    loop.exec()
    check.stop()
    window.session.dispatcher.idle.disconnect(_check)


def self_test(args) -> int:
    """Real window offscreen + temporary store + worker pool: forecast a few ids, print a verdict.

    `--store` is refused rather than ignored: the test's jobs must not land in a user's store, and
    a user who names one must not believe it was checked.
    """
    if getattr(args, "store", None):
        from salesapp.errors import SalesAppError
        raise SalesAppError(f"--self-test uses a temporary store of its own and never touches "
                            f"{args.store}; run it without --store.")
    from salesapp.logging_setup import configure_logging

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    configure_logging()
    marks = [("start", time.perf_counter())]
    _import_engine()
    app = _application()  # noqa: F841 -- held: PySide deletes an unreferenced QApplication
    with tempfile.TemporaryDirectory(prefix="salesapp-selftest-") as tmp:
        window = open_window(Path(tmp) / "store", args.model)
        marks.append(("window built", time.perf_counter()))
        try:
            ids = _self_test_ids(window.session.predictor)
            window.session.submit_ids(ids)   # queued before the first paint: the pool starts now
            window.show()
            _wait_until_finished(window, ids, SELF_TEST_SECONDS)
            marks.append(("forecasts", time.perf_counter()))
            reason = _verdict(window, ids)
        finally:
            window.close()
    return _self_test_report(ids, reason, marks)


def _self_test_report(ids, reason, marks) -> int:
    steps = ", ".join(f"{name} {b - a:.2f} s" for (_, a), (name, b) in pairwise(marks))
    took = marks[-1][1] - marks[0][1]
    if reason:
        log.error("self-test failed after %.1f s: %s", took, reason)
        print(f"self-test FAILED after {took:.1f} s: {reason}", file=sys.stderr)
        return 1
    log.info("self-test OK in %.2f s (%s), process age %.0f ms", took, steps, process_age_ms())
    print(f"self-test OK: {len(ids)} items forecast through the store and workers in {took:.1f} s"
          f" ({steps})")
    return 0
