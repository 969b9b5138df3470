"""One window's session: the store, the dispatcher, the restore of earlier sessions, the ids on
their way in and the files being read, from the engine's hand-over to one ordered `close`.

The window is built without an engine and shows at once; the engine (store, predictor and the
stored jobs) is handed over later, from the background loader (`engine_loaded`) or, loaded
synchronously, by the self-test and the benchmarks: always through `attach`. The session talks
to the window through signals and never touches a widget.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal, Slot

from salesapp import pacing
from salesapp.errors import listed_ids
from salesapp.model.unknown_items import UNKNOWN_ITEM
from salesapp.ui.id_import import FileImporter
from salesapp.ui.id_submission import IdSubmission
from salesapp.ui.session_restore import SessionRestore, pending_count

log = logging.getLogger("salesapp.gui")
_FROZEN = False


def _freeze_startup_objects() -> None:
    """Exclude everything alive now (pandas, the model, Qt wrappers) from every later collection:
    they are never garbage, and a full collection walking them all would hold the GIL, and so
    stall the GUI thread, every time. Once per process."""
    global _FROZEN
    if not _FROZEN:
        _FROZEN = True
        gc.freeze()


FINISHED = ("done", UNKNOWN_ITEM, "failed", "cancelled")   # the rows Clear history removes


class Session(QObject):
    """Owns the engine's parts for one window and everything that feeds the job table."""

    attached = Signal()            # the engine was handed over: predictor and dispatcher are set
    report = Signal(str)           # a problem the user should read
    message = Signal(str, int)     # a passing note for the status bar, and how long it shows (ms)
    notice = Signal(str)           # a file's summary, to be seen until the user acts
    column_wanted = Signal(str, list, str)   # a file's id column is unclear: path, its columns,
                                             # the workbook sheet they are on ('' for none)
    sheet_wanted = Signal(str, list)    # a workbook has several sheets: path, their names
    closing = Signal(int)          # jobs that stay queued; emitted before the close blocks
    model_changed = Signal()       # another model answers from now on (`use_predictor`)
    model_refused = Signal(str)    # a switch failed, or a damaged part of the library was set aside

    def __init__(self, model, parent: QObject | None = None):
        super().__init__(parent)
        self.model = model
        self.store = self.dispatcher = self.predictor = None
        # Blocks until the background load ended, for at most the given ms (see `load_from`).
        self.engine_wait = None
        self.test_hooks = None   # the command line's TestHooks, for the dispatcher made here
        self.library_root = None   # the model library switched in (None: the user's)
        self._switcher = None
        self._closing = self._closed = False
        # "All queued items are forecast." is news only after workers ran since the last idle:
        # a later idle (a restore, a recount) must not replace what the user was just told.
        self._ran_since_idle = False
        self.submission = IdSubmission(model, self)
        self.restore = SessionRestore(model, self)
        self.importer = FileImporter(self)
        self.importer.file_read.connect(self._on_file_read)

    def is_attached(self) -> bool:
        """True once the store, dispatcher and predictor are there."""
        return self.dispatcher is not None

    # -- the engine's hand-over ----------------------------------------------------------------
    def load_from(self, loader) -> None:
        """Take the engine from a background `EngineLoader` when it is ready (or failed)."""
        loader.loaded.connect(self.engine_loaded)
        loader.failed.connect(self.engine_failed)
        loader.noticed.connect(self.report)
        self.engine_wait = loader.wait

    @Slot(object, object, object)
    def engine_loaded(self, store, predictor, jobs=None) -> None:
        """The engine is loaded: make the dispatcher and attach (see `attach` for `jobs`)."""
        from salesapp.workers.dispatcher import PredictionDispatcher

        if self._closed:   # closed while loading and nothing to write: just let go of the store
            store.close()
            return
        pending = (None if isinstance(jobs, BaseException) or jobs is None
                   else pending_count(jobs))
        dispatcher = PredictionDispatcher(store, predictor, pending=pending, hooks=self.test_hooks)
        self.attach(store, dispatcher, predictor, jobs)
        self.message.emit(f"Model {predictor.version} loaded.", 5000)

    def attach(self, store, dispatcher, predictor, jobs=None) -> None:
        """Take the engine: restore earlier sessions, then queue the ids already typed.

        `jobs` are the stored jobs read off the GUI thread (see `engine_loader`), or the
        exception that read raised; None reads them here. The dispatcher becomes the session's.
        """
        self.store, self.dispatcher, self.predictor = store, dispatcher, predictor
        dispatcher.setParent(self)
        dispatcher.yield_to_gui()   # the event loop gets a core before the workers do
        self.model.set_shop_names(predictor.shop_names)
        self.model.set_active_version(predictor.version)
        self._connect_dispatcher()
        try:
            self._restore(jobs)
        except Exception as exc:   # a damaged store must not stop the typed ids being queued
            log.exception("the earlier sessions could not be restored")
            self.report.emit(f"The jobs of earlier sessions could not be restored: {exc}")
        finally:
            self.submission.attach(dispatcher)
            self.attached.emit()
        _freeze_startup_objects()

    @Slot(str, str)
    def engine_failed(self, part: str, message: str) -> None:
        """The store or the model could not be loaded: say which; ids typed fail with a reason."""
        if part == "store":
            self.report.emit(f"The job store could not be opened: {message}")
            note = "The job store could not be opened, so these items cannot be forecast."
        else:
            self.report.emit(f"The model could not be loaded: {message}")
            note = "The model could not be loaded, so these items cannot be forecast."
        self.submission.fail(note)

    def _restore(self, jobs) -> None:
        """Show the jobs of earlier sessions (a slice per turn) and resume the pending ones.

        Ids the submission still holds keep their rows: they are being queued again. Results
        are fetched on the dispatcher's writer thread after their rows are shown.
        """
        if jobs is None:
            jobs = self.store.jobs()
        if isinstance(jobs, BaseException):
            raise jobs
        if getattr(self.store, "notice", None):
            self.report.emit(self.store.notice)
        ended = [j for j in getattr(self.store, "given_back_at_open", ()) if j.state == "failed"]
        if ended:   # this opening failed them (their last worker was gone): say it once
            self.report.emit(f"{len(ended)} earlier items ended failed: their last worker "
                             "stopped before finishing. Ask for them again to retry.")
        known = getattr(self.predictor, "item_ids", None)   # test fakes may know no catalogue
        catalogue = None if known is None else (self.predictor.version, known)
        self.restore.start(jobs, self.dispatcher, skip=self.submission.held(),
                           catalogue=catalogue)
        if not self._closing and pending_count(jobs):   # a close only writes: no runner starts
            self.dispatcher.start()

    def _connect_dispatcher(self) -> None:
        d, m = self.dispatcher, self.model
        d.jobs_started.connect(self._on_jobs_started)
        d.jobs_finished.connect(m.queue_results)
        d.results_cached.connect(m.queue_results)
        d.jobs_failed.connect(m.queue_failures)
        d.jobs_requeued.connect(self._on_jobs_requeued)
        d.jobs_cancelled.connect(self._on_jobs_cancelled)
        d.write_failed.connect(self._on_write_failed)
        d.results_unreadable.connect(self._on_results_unreadable)
        d.idle.connect(self._on_idle)
        d.store_failed.connect(self.report)   # once: the workers then stop

    # -- the model ---------------------------------------------------------------------------
    def switch_model(self, version: str) -> bool:
        """Make a kept model of the library active and answer with it once it loaded (in the
        background); False if the engine is not there yet or a switch is under way."""
        if self.dispatcher is None or self._closing:
            return False
        if self._switcher is None:
            from salesapp.ui.model_switch import ModelSwitcher
            self._switcher = ModelSwitcher(self.library_root, self)
            self._switcher.switched.connect(self._on_model_switched)
            for said in (self._switcher.failed, self._switcher.noticed):
                said.connect(self.report)
                said.connect(self.model_refused)
        started = self._switcher.switch(version)
        if started:
            self.message.emit(f"Loading model {version}…", 0)
        return started

    def _on_model_switched(self, predictor, entry) -> None:
        if self._closed:
            return
        self.use_predictor(predictor)

    def use_predictor(self, predictor) -> None:
        """Answer with `predictor` from now on: new and queued jobs are its; rows answered by
        another model are marked (`JobTableModel.set_active_version`)."""
        self.predictor = predictor
        self.dispatcher.use_predictor(predictor)
        self.model.set_shop_names(predictor.shop_names)
        self.model.set_active_version(predictor.version)
        self.model_changed.emit()
        from salesapp.ui.months import month_label
        self.message.emit(f"Model {predictor.version} is active: it forecasts "
                          f"{month_label(predictor.forecast_block)}. Rows in grey italics come "
                          "from another model.", 15000)

    def reforecast_other_model_rows(self, ids=None) -> int:
        """Ask again, of the active model, for the rows (of `ids`, or all) answered by another
        model; a result it already has comes from the store. Returns how many were asked."""
        wanted = self.model.other_model_ids()
        if ids is not None:
            chosen = {int(i) for i in ids}
            wanted = [i for i in wanted if i in chosen]
        if wanted:
            self.submit_ids(wanted)
        return len(wanted)

    # -- ids in --------------------------------------------------------------------------------
    def submit_ids(self, ids) -> None:
        """Queue ids: written off-thread at once; their rows appear in slices, "not yet saved"
        until the write returned."""
        self.submission.add(ids)

    def submitting(self) -> bool:
        """True while typed or imported ids are not all written to the store yet."""
        return self.submission.busy()

    def import_file(self, path: str, column: str | None = None, sheet: str | None = None) -> None:
        """Read a file of ids (CSV, text, Excel) in the background; its ids are queued when read."""
        self.importer.read(str(path), column, sheet)

    def _on_file_read(self, path: str, kind: str, payload) -> None:
        if kind == "ask":
            if self._closing:   # no question while the window closes: the file is not read
                return
            if hasattr(payload, "sheets"):
                self.sheet_wanted.emit(path, list(payload.sheets))
            else:
                self.column_wanted.emit(path, list(payload.columns), payload.sheet or "")
        elif kind == "error":
            self.report.emit(payload)
        else:
            text = f"{path}: {payload.summary()}"
            if payload.problems:
                self.report.emit(text)
            else:
                self.notice.emit(text)
            self.submit_ids(payload.ids)

    def cancel_pending(self) -> None:
        """Stop the pending jobs: running batches finish; queued ones leave the queue (cancelled).

        Ids typed or imported but not yet shown get no row. The store removes the queued jobs on
        the writer thread, after every submit before it; `jobs_cancelled` then marks their rows.
        """
        unshown = self.submission.cancel()
        model = self.model
        ids = [i for i in model.item_ids() if model.row_for(i).status in ("unsaved", "queued")]
        # stored pending jobs whose rows are still to come: their rows then show the cancel
        ids += [i for i in self.restore.queued_left() if model.row_for(i) is None]
        if self.dispatcher is None:   # nothing written yet: the rows are only ours
            model.set_status(ids, "cancelled", "cancelled by the user")
            ids = []
        else:
            self.dispatcher.cancel()
            ids += unshown   # written already (or on the writer's way): cancelled after it
        if ids:
            self.dispatcher.cancel_jobs(ids)
        extra = f" ({len(unshown)} of them never shown)" if unshown else ""
        self.message.emit(f"Cancelling {len(ids)} pending items{extra}…", 10000)

    def clear_history(self) -> int:
        """Remove the finished rows (done, unknown item, failed, cancelled) from the table and
        their jobs from the store, so that a restart does not bring them back; returns how many
        rows. Stored results stay (asking again answers at once); pending jobs are untouched."""
        model = self.model
        ids = [i for i in model.item_ids() if model.row_for(i).status in FINISHED]
        if not ids:
            return 0
        model.remove_ids(ids)
        if self.dispatcher is not None:
            self.dispatcher.forget_jobs(ids, then=lambda gone: self.message.emit(
                f"History cleared: {len(ids):,} rows removed.", 10000))
        return len(ids)

    # -- the dispatcher's news -----------------------------------------------------------------
    def _on_jobs_started(self, ids: list) -> None:
        self._ran_since_idle = True
        self.model.queue_status(ids, "running")

    def _on_jobs_requeued(self, ids: list) -> None:
        # a lost lease (a stopped runner, a gone worker): no longer running, waiting again
        self.model.queue_status(ids, "queued", "queued again: its worker stopped before finishing")

    def _on_jobs_cancelled(self, ids: list) -> None:
        self.model.queue_status(ids, "cancelled", "cancelled by the user")
        self.message.emit(f"{len(ids)} pending items cancelled.", 10000)

    def _on_results_unreadable(self, ids: list) -> None:
        self.model.queue_status(ids, "queued", "its stored result could not be read: computed again")
        self.report.emit(f"The stored results of items {listed_ids(ids, 5)} could not be read "
                         "(damaged); they are being computed again.")

    def _on_write_failed(self, kind: str, ids: list, reason: str) -> None:
        if kind == "submit":
            self.submission.write_failed(ids)
            self.model.queue_status(ids, "failed", f"not queued: {reason}")
            self.report.emit(f"{len(ids)} items could not be queued: {reason}")
        elif kind == "cancel":
            self.report.emit(f"{len(ids)} items could not be cancelled: {reason}")
        elif kind == "forget":
            self.report.emit(f"The history of {len(ids)} items could not be cleared: {reason}")
        else:
            self.report.emit(f"The stored results of {len(ids)} items could not be read: {reason}")

    def _on_idle(self) -> None:
        ran, self._ran_since_idle = self._ran_since_idle, False
        if not ran:
            return
        if self.submission.stopped:
            n = self.model.counts()["cancelled"]
            self.message.emit(f"Stopped: {n} items cancelled; the batches already running were "
                              "finished.", 10000)
        elif not self.submission.busy():   # else the workers only wait for more ids
            self.message.emit("All queued items are forecast.", 5000)

    # -- the end -------------------------------------------------------------------------------
    def close(self) -> None:
        """Write every id asked for, stop the workers (pending jobs stay queued), close the store.

        In this order: the file being read is waited for, and the engine if ids wait for its
        store; their signals are delivered now, so their ids are written with the rest; the
        restore stops (rows not shown stay in the store as they are); the ids not yet written go
        to the writer; the dispatcher finishes its writes and stops; the store closes.
        """
        if self._closed:
            return
        self._closing = True
        self.importer.shutdown(pacing.CLOSE_WAIT_MS)
        if self._switcher is not None:   # a model being loaded: its result is dropped
            self._switcher.wait(pacing.CLOSE_WAIT_MS / 1000)
        if self.dispatcher is None and self.engine_wait is not None and self.submission.busy():
            self.engine_wait(pacing.ENGINE_WAIT_MS)
        QCoreApplication.sendPostedEvents(None, QEvent.MetaCall)
        unrestored = len(self.restore.queued_left())
        self.restore.stop()
        self._closed = True
        if self.dispatcher is None:
            lost = self.submission.close()
            if lost:
                log.error("window closed before the model and store loaded: %d ids not queued",
                          lost)
            return
        unshown = self.submission.close()   # ids not yet shown are still written
        counts = self.model.counts()
        pending = counts["unsaved"] + counts["queued"] + counts["running"] + unshown + unrestored
        if pending:
            self.closing.emit(pending)
        self.dispatcher.shutdown(pacing.CLOSE_WAIT_MS)   # writes finish, then the pool stops
        self.store.close()
