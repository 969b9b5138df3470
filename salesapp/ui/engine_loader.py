"""The engine (pandas, LightGBM, the model bundle, the job store) loaded off the GUI thread.

The window shows and takes ids in well under a second; importing pandas and LightGBM and loading
the bundle take one to two more. `EngineLoader` does that on a plain Python thread, reads the
stored jobs there too (the GUI thread never loops over the store), and hands the store, the
predictor and the jobs to the GUI thread with a queued signal; the window's session takes them
then (`Session.engine_loaded`), and the ids typed meanwhile are queued.
"""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, Signal

from salesapp.ui.session_restore import StoredJobs

log = logging.getLogger("salesapp.gui")


class EngineLoader(QObject):
    """Opens the store and loads the model bundle in the background; `loaded` or `failed` once."""

    # JobStore, Predictor, and the stored jobs (a list of Job, or the exception their read
    # raised: the window reports it and still attaches); delivered in the loader's owner thread
    loaded = Signal(object, object, object)
    failed = Signal(str, str)   # which part failed ("store" or "model"), the reason
    noticed = Signal(str)       # a sentence about the model library (a damaged part set aside)

    def __init__(self, store_dir, model_dir, parent: QObject | None = None):
        """`model_dir` None: the model library's active model (`library.model_dir_for`)."""
        super().__init__(parent)
        self._store_dir, self._model_dir = store_dir, model_dir
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="engine-loader", daemon=True)
        self.seconds: float | None = None   # how long the load took, once done

    def start(self) -> None:
        """Start loading (once)."""
        self._thread.start()

    def wait(self, timeout_ms: int) -> bool:
        """Block until the load ended (its signal is then posted); False on timeout."""
        return self._done.wait(timeout_ms / 1000)

    def _run(self) -> None:
        start = time.perf_counter()
        store, part = None, "store"
        try:
            # The typed-id parser (no pandas, yet imports worth a stall): imported here, the first
            # Enter does not pay for it on the GUI thread.
            import salesapp.model.id_input

            # The dispatcher's module too: the session makes one as the engine arrives.
            import salesapp.workers.dispatcher  # noqa: F401
            from salesapp.model.predictor import Predictor
            from salesapp.store.job_store import JobStore

            store = JobStore.open(self._store_dir)
            part = "model"
            from salesapp.library import model_dir_for
            predictor = Predictor.load(model_dir_for(self._model_dir, say=self.noticed.emit))
        except Exception as exc:   # any failure is shown; it never kills the window
            log.exception("the %s could not be loaded", part)
            if store is not None:
                store.close()
            self.seconds = time.perf_counter() - start
            self.failed.emit(part, str(exc) or type(exc).__name__)
        else:
            jobs = _read_jobs(store)
            self.seconds = time.perf_counter() - start
            self.loaded.emit(store, predictor, jobs)
        finally:
            self._done.set()
        _preimport_chart()


def _read_jobs(store):
    """Every stored job, or the exception the read raised (the window reports it)."""
    try:
        return StoredJobs(store.jobs())
    except Exception as exc:   # a damaged store still lets the typed ids be queued
        log.exception("the stored jobs could not be read")
        return exc


def _preimport_chart() -> None:
    """Import pyqtgraph here, after the engine: the first forecast shown then only builds its
    chart instead of stalling the GUI thread on the import too. Its import makes no QObject, so
    no Qt object is left owned by this thread."""
    try:
        import pyqtgraph  # noqa: F401
    except Exception:   # the chart imports it again when needed and reports the error then
        log.warning("pyqtgraph could not be imported in the background", exc_info=True)
