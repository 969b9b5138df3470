"""The main window: ids in (typed, dropped, opened), the job table, details, export, shutdown."""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from salesapp.paths import resource_path
from salesapp.ui.detail_panel import DetailPanel
from salesapp.ui.export import export_csv, to_tsv
from salesapp.ui.id_import import FileImporter
from salesapp.ui.id_submission import IdSubmission
from salesapp.ui.job_filter import JobFilterProxy
from salesapp.ui.job_table_model import (
    COLUMNS,
    STATUSES,
    JobTableModel,
)
from salesapp.ui.job_table_view import JobTableView
from salesapp.ui.model_card import card_text
from salesapp.ui.session_restore import SessionRestore, pending_count

_FROZEN = False
ENGINE_WAIT_MS = 30000   # a close before the engine loaded waits this long to write typed ids
log = logging.getLogger("salesapp.gui")


def _freeze_startup_objects() -> None:
    """Exclude everything alive now (pandas, the model, Qt wrappers) from every later collection.

    A full collection walked them all: 145 ms of a GUI (or, through the GIL, any) thread each
    time (measured); the objects are never garbage. Once per process.
    """
    global _FROZEN
    if not _FROZEN:
        _FROZEN = True
        gc.freeze()


class MainWindow(QMainWindow):
    """The desk: owns the table model and the views; the dispatcher owns the work.

    Built with its store, dispatcher and predictor, or with none of them (`MainWindow()`) and
    given them later by `attach`: the window then shows and takes ids (pending rows) before the
    engine is loaded (see `salesapp.ui.engine_loader`).
    """

    test_hooks = None   # the command line's TestHooks, for the dispatcher `engine_loaded` makes

    def __init__(self, store=None, dispatcher=None, predictor=None, parent=None,
                 owns_store: bool = True):
        super().__init__(parent)
        self.store = self.dispatcher = self.predictor = None
        self._owns_store = owns_store
        self._closed = False
        self._closing = False
        # Set by whoever loads the engine in the background: blocks until it is loaded (or
        # failed) for at most the given milliseconds; the close waits for it.
        self.engine_wait = None
        self._detail_shown: tuple = (None, None)   # (item id, result) the detail panel shows
        self.setWindowTitle("Sales Forecast Desk")
        self.setWindowIcon(QIcon(str(resource_path("resources", "icons", "app.svg"))))
        self.setAcceptDrops(True)
        self.model = JobTableModel({}, self)
        # Attached only while a filter is on: see `_use_proxy`.
        self.proxy = JobFilterProxy(self)
        self.importer = FileImporter(self)
        self.submission = IdSubmission(self.model, None, self)
        self.restore = SessionRestore(self.model, self)
        self._progress = (0, 0)
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(250)
        self._progress_timer.timeout.connect(self._apply_progress)
        # The counts label changes with every slice of updates; each change relays out and
        # repaints the status bar (~0.4 ms of the GUI thread): shown at once, then at most 4x a
        # second while they keep changing (the last counts always shown).
        self._counts = self._counts_shown = None
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(250)
        self._counts_timer.timeout.connect(self._on_counts_timeout)
        self._build_widgets()
        self._build_menus()
        self._build_status_bar()
        self._connect()
        self.resize(1200, 720)
        if dispatcher is not None:
            self.attach(store, dispatcher, predictor)

    def attach(self, store, dispatcher, predictor, jobs=None) -> None:
        """Take the loaded engine: restore earlier sessions, then queue the ids already typed.

        `jobs` are the stored jobs read off the GUI thread (see `engine_loader`), or the
        exception that read raised; None reads them here.
        """
        self.store, self.dispatcher, self.predictor = store, dispatcher, predictor
        dispatcher.yield_to_gui()   # the event loop gets a core before the workers do
        self.model.set_shop_names(predictor.shop_names)
        self.detail.set_shop_names(predictor.shop_names)
        self._connect_dispatcher()
        try:
            self.restore_from_store(jobs)
        except Exception as exc:   # a damaged store must not stop the typed ids being queued
            log.exception("the earlier sessions could not be restored")
            self.report(f"The jobs of earlier sessions could not be restored: {exc}")
        finally:
            self.submission.attach(dispatcher)
        _freeze_startup_objects()

    @Slot(object, object, object)
    def engine_loaded(self, store, predictor, jobs=None) -> None:
        """The background load is done (see `engine_loader`): make the dispatcher and attach."""
        from salesapp.workers.dispatcher import PredictionDispatcher

        if self._closed:   # closed while loading and nothing to write: just let go of the store
            store.close()
            return
        pending = (None if isinstance(jobs, BaseException) or jobs is None
                   else pending_count(jobs))
        dispatcher = PredictionDispatcher(store, predictor, pending=pending, hooks=self.test_hooks)
        dispatcher.setParent(self)   # the dispatcher lives and dies with the window
        self.attach(store, dispatcher, predictor, jobs)
        self.statusBar().showMessage(f"Model {predictor.version} loaded.", 5000)

    @Slot(str, str)
    def engine_failed(self, part: str, message: str) -> None:
        """The store or the model could not be loaded: say which; ids typed fail with a reason."""
        if part == "store":
            self.report(f"The job store could not be opened: {message}")
            note = "The job store could not be opened, so these items cannot be forecast."
        else:
            self.report(f"The model could not be loaded: {message}")
            note = "The model could not be loaded, so these items cannot be forecast."
        self.submission.fail(note)

    def attached(self) -> bool:
        """True once the store, dispatcher and predictor are there."""
        return self.dispatcher is not None

    # -- construction -------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.input = QLineEdit()
        self.input.setPlaceholderText("Item ids: 5037, 5320 or ranges 5030-5040 — Enter to forecast;"
                                      " or drop CSV files here")
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText("Filter")
        self.filter_box.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.addItems(["all"] + list(STATUSES))
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.table = JobTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        # Unsorted (submission order) until the user clicks a header: keeping 10,000s of rows
        # sorted while they arrive costs ~0.1 ms a row on the GUI thread.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((70, 260, 170, 90, 100, 300)):
            self.table.setColumnWidth(col, width)
        self.detail = DetailPanel({})
        top = QHBoxLayout()
        top.addWidget(self.input, 3)
        top.addWidget(self.filter_box, 1)
        top.addWidget(self.status_filter)
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([330, 390])
        box = QVBoxLayout()
        box.addLayout(top)
        box.addWidget(self.banner)
        box.addWidget(split, 1)
        central = QWidget()
        central.setLayout(box)
        self.setCentralWidget(central)

    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def _build_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        self._action(m, "&Open CSV…", self.open_files, QKeySequence.Open)
        self._action(m, "&Export results…", self.export_all, "Ctrl+E")
        self._action(m, "Export &selected…", self.export_selected)
        m.addSeparator()
        self._action(m, "&Quit", self.close, QKeySequence.Quit)
        m = bar.addMenu("&Edit")
        self.copy_action = self._action(m, "&Copy", self.copy_selection, QKeySequence.Copy)
        self.copy_action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
        self.table.addAction(self.copy_action)
        self.table.copy_requested.connect(self.copy_selection)
        self.table.remove_requested.connect(self.remove_selected)
        self._action(m, "&Remove from view", self.remove_selected, QKeySequence.Delete)
        self._action(m, "Cancel &pending", self.cancel_pending)
        m = bar.addMenu("&Help")
        self._action(m, "&About the model", self.show_model_card)

    def _build_status_bar(self) -> None:
        self.counts_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("%v / %m")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_pending)
        sb = self.statusBar()
        sb.addPermanentWidget(self.counts_label)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.cancel_button)
        self._on_counts_changed(self.model.counts())

    def _connect(self) -> None:
        self.input.returnPressed.connect(self.submit_typed)
        self.filter_box.textChanged.connect(self._on_filter_text_changed)
        self.status_filter.currentTextChanged.connect(self._on_status_filter_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.model.counts_changed.connect(self._on_counts_changed)
        self.model.dataChanged.connect(self._on_model_data_changed)
        self.importer.file_read.connect(self._on_file_read)

    def _connect_dispatcher(self) -> None:
        d = self.dispatcher
        d.jobs_started.connect(self._on_jobs_started)
        d.jobs_finished.connect(self.model.queue_results)
        d.results_cached.connect(self.model.queue_results)
        d.jobs_failed.connect(self.model.queue_failures)
        d.jobs_requeued.connect(self._on_jobs_requeued)
        d.jobs_cancelled.connect(self._on_jobs_cancelled)
        d.write_failed.connect(self._on_write_failed)
        d.progress_changed.connect(self._on_progress_changed)
        d.idle.connect(self._on_idle)

    # -- restore and submit -------------------------------------------------------------------
    def restore_from_store(self, jobs=None) -> None:
        """Show the jobs of earlier sessions and resume the pending ones.

        `jobs` as read by the engine loader (None: read here, for a window built loaded; an
        exception: raised). Their rows appear a few ms' worth per event-loop turn from the next
        turn on (`SessionRestore`); updates that come for a job before its row are kept for it.
        Ids the submission still holds, or that have a row by their turn, keep their rows: they
        are being queued again. Results are fetched on the dispatcher's writer thread after
        their rows are shown and arrive like any other result.
        """
        if jobs is None:
            jobs = self.store.jobs()
        if isinstance(jobs, BaseException):
            raise jobs
        if getattr(self.store, "notice", None):
            self.report(self.store.notice)
        self.restore.start(jobs, self.dispatcher, skip=self.submission.held())
        if not self._closing and pending_count(jobs):   # a close only writes: no runner starts
            self.dispatcher.start()

    def submit_typed(self) -> None:
        """Parse the input line and queue its ids (Enter)."""
        # Imported at first use (it needs neither pandas nor numpy): the window shows sooner.
        from salesapp.model.id_input import parse_id_text

        parsed = parse_id_text(self.input.text())
        if parsed.problems:
            self.report(parsed.summary())
        if parsed.ids:
            self.input.clear()
            self.submit_ids(parsed.ids)

    def submit_ids(self, ids: list[int]) -> None:
        """Queue ids: rows appear pending in slices at once, their store writes follow off-thread."""
        self.submission.add(ids)

    def submitting(self) -> bool:
        """True while typed or imported ids are not all written to the store yet."""
        return self.submission.busy()

    # -- files ----------------------------------------------------------------------------------
    def import_files(self, paths) -> None:
        """Read CSV files of ids in the background; their ids are queued when read."""
        for p in paths:
            self.statusBar().showMessage(f"Reading {p}…")
            self.importer.read(str(p))

    def open_files(self) -> None:
        """File -> Open: choose CSV files of ids."""
        paths, _ = QFileDialog.getOpenFileNames(self, "Open item ids", "",
                                                "CSV files (*.csv *.csv.gz *.txt);;All files (*)")
        self.import_files(paths)

    def dragEnterEvent(self, event):
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event):
        self.dragEnterEvent(event)

    def dropEvent(self, event):
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    def ask_column(self, path: str, columns: list[str]) -> str | None:
        """Ask which column holds the item ids (None: the user cancelled)."""
        column, ok = QInputDialog.getItem(self, "Which column?",
                                          f"{path} has no item_id column.\nWhich column holds "
                                          "the item ids?", columns, 0, False)
        return column if ok else None

    def _on_file_read(self, path: str, kind: str, payload) -> None:
        if kind == "ask" and self._closing:
            return   # no question while the window closes: the file was not read
        if kind == "ask":
            column = self.ask_column(path, payload.columns)
            if column:
                self.importer.read(path, column)
            return
        if kind == "error":
            self.report(payload)
            return
        text = f"{path}: {payload.summary()}"
        if payload.problems:
            self.report(text)
        else:
            self.statusBar().showMessage(text, 10000)
        self.submit_ids(payload.ids)

    def report(self, message: str) -> None:
        """A problem the user should read: status bar and a banner (non-blocking)."""
        self.statusBar().showMessage(message, 20000)
        self.banner.setText(message)
        self.banner.show()

    # -- dispatcher signals ---------------------------------------------------------------------
    def _on_jobs_started(self, ids: list) -> None:
        self.model.queue_status(ids, "running")

    def _on_jobs_requeued(self, ids: list) -> None:
        # A lost lease (a stopped runner, a gone worker): no longer running, waiting again.
        self.model.queue_status(ids, "queued", "queued again: its worker stopped before finishing")

    def _on_jobs_cancelled(self, ids: list) -> None:
        self.model.queue_status(ids, "cancelled", "cancelled by the user")
        self.statusBar().showMessage(f"{len(ids)} pending items cancelled.", 10000)

    def _on_write_failed(self, kind: str, ids: list, reason: str) -> None:
        if kind == "submit":
            self.model.queue_status(ids, "failed", f"not queued: {reason}")
            self.report(f"{len(ids)} items could not be queued: {reason}")
        elif kind == "cancel":
            self.report(f"{len(ids)} items could not be cancelled: {reason}")
        else:
            self.report(f"The stored results of {len(ids)} items could not be read: {reason}")

    def _on_progress_changed(self, done: int, total: int) -> None:
        # QProgressBar.setValue repaints synchronously (~25 ms offscreen): apply at most 4x a second
        self._progress = (done, total)
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _apply_progress(self) -> None:
        done, total = self._progress
        # setValue repaints synchronously, and a repaint also paints whatever else is dirty (the
        # table, through Python data() calls): with updates off it only schedules a paint.
        self.progress.setUpdatesEnabled(False)
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress.setUpdatesEnabled(True)

    def _on_idle(self) -> None:
        if self.submission.stopped:
            n = self.model.counts()["cancelled"]
            self.statusBar().showMessage(f"Stopped: {n} items cancelled; the batches already "
                                         "running were finished.", 10000)
        elif not self.submission.busy():   # else the workers only wait for more ids
            self.statusBar().showMessage("All queued items are forecast.", 5000)

    def _on_counts_changed(self, c: dict) -> None:
        self._counts = c
        if not self._counts_timer.isActive():
            self._show_counts()
            self._counts_timer.start()   # changes until its timeout wait for it

    def _on_counts_timeout(self) -> None:
        if self._counts != self._counts_shown:
            self._show_counts()
            self._counts_timer.start()

    def _show_counts(self) -> None:
        c = self._counts_shown = self._counts
        self.counts_label.setText(f"pending {c['queued']} · running {c['running']} · "
                                  f"done {c['done']} · failed {c['failed']}"
                                  + (f" · cancelled {c['cancelled']}" if c["cancelled"] else ""))

    def _on_status_filter_changed(self, text: str) -> None:
        self.proxy.set_status("" if text == "all" else text)
        self._use_proxy()

    def _on_filter_text_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        self._use_proxy()

    def _use_proxy(self) -> None:
        """Show the table through the filter proxy only while a filter is on.

        Every row inserted or changed under a proxy costs Python calls (index checks of the
        source model) and each of those waits for the GIL the pool threads hold: with no filter,
        the view reads the model directly and a batch costs a few calls, not 10,000s.
        """
        wanted = bool(self.proxy.text or self.proxy.status)
        target = self.proxy if wanted else self.model
        if self.table.model() is target:
            return
        self.proxy.setSourceModel(self.model if wanted else None)
        self.table.setModel(target)   # a new selection model: connect it again
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self._show_detail(self.table.currentIndex())

    def _to_source(self, view_index):
        """The JobTableModel index of an index of the table's current model."""
        if self.table.model() is self.model or not view_index.isValid():
            return view_index
        return self.proxy.to_source(view_index)

    def _on_current_changed(self, current, _previous) -> None:
        self._show_detail(current)

    def _on_model_data_changed(self, top, bottom, _roles=()) -> None:
        cur = self._to_source(self.table.currentIndex())
        if cur.isValid() and top.row() <= cur.row() <= bottom.row():
            self._show_detail(self.table.currentIndex())

    def _show_detail(self, proxy_index) -> None:
        src = self._to_source(proxy_index)
        if not src.isValid():
            shown = (None, None)
        else:
            row = self.model.row_at(src.row())
            shown = (row.item_id, row.result)
        # A batch's dataChanged spans cover the current row without changing it: rebuilding the
        # shop table and the chart for nothing costs a paint's worth of the GUI thread each time.
        if shown[0] == self._detail_shown[0] and shown[1] is self._detail_shown[1]:
            return
        self._detail_shown = shown
        self.detail.show_result(*shown)

    # -- selection, export, cancel ------------------------------------------------------------
    def selected_source_rows(self) -> list[int]:
        """Source-model rows of the selected table rows."""
        rows = self.table.selectionModel().selectedRows()
        return sorted({self._to_source(i).row() for i in rows})

    def _results(self, rows) -> list[dict]:
        out = (self.model.result_at(r) for r in rows)
        return [r for r in out if r]

    def export_to(self, path: str, selected_only: bool = False) -> int:
        """Write results (all, or the selected rows) to a long-format CSV; returns rows written."""
        rows = self.selected_source_rows() if selected_only else range(self.model.rowCount())
        names = self.predictor.shop_names if self.predictor else {}
        n = export_csv(path, self._results(rows), names)
        self.statusBar().showMessage(f"{n} forecasts written to {path}.", 10000)
        return n

    def _export(self, selected_only: bool) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export forecasts", "forecasts.csv",
                                              "CSV files (*.csv)")
        if path:
            try:
                self.export_to(path, selected_only)
            except OSError as exc:
                self.report(f"{path}: cannot be written ({exc.strerror or exc}).")

    def export_all(self) -> None:
        """File -> Export results (Ctrl+E)."""
        self._export(False)

    def export_selected(self) -> None:
        """File -> Export selected."""
        self._export(True)

    def copy_selection(self) -> None:
        """Copy the selected rows as TSV (with the header) to the clipboard."""
        rows = self.selected_source_rows()
        cells = [[self.model.data(self.model.index(r, c)) for c in range(len(COLUMNS))]
                 for r in rows]
        QGuiApplication.clipboard().setText(to_tsv([list(COLUMNS)] + cells))

    def remove_selected(self) -> None:
        """Del: remove the selected rows from the view (the store keeps them)."""
        rows = self.selected_source_rows()
        self.model.remove_ids([int(self.model.data(self.model.index(r, 0))) for r in rows])

    def cancel_pending(self) -> None:
        """Stop the pending jobs: running batches finish; queued ones leave the queue (cancelled).

        Ids typed or imported but not yet shown are dropped. The store removes the queued jobs on
        the writer thread, after every submit before it; `jobs_cancelled` then marks their rows.
        """
        dropped = self.submission.cancel()
        ids = [i for i in self.model.item_ids() if self.model.row_for(i).status == "queued"]
        # stored pending jobs whose rows are still to come: their rows then show the cancel
        ids += [i for i in self.restore.queued_left() if self.model.row_for(i) is None]
        if self.dispatcher is None:   # nothing written yet: the rows are only ours
            self.model.set_status(ids, "cancelled", "cancelled by the user")
            ids = []
        else:
            self.dispatcher.cancel()
        if ids:
            self.dispatcher.cancel_jobs(ids)
        extra = f" ({dropped} not yet queued are dropped)" if dropped else ""
        self.statusBar().showMessage(f"Cancelling {len(ids)} pending items{extra}…", 10000)

    def show_model_card(self) -> None:
        """Help -> About the model (non-modal)."""
        if self.predictor is None:
            self.statusBar().showMessage("The model is still loading…", 5000)
            return
        box = QMessageBox(QMessageBox.Information, "About the model",
                          card_text(self.predictor.card, self.predictor.version),
                          QMessageBox.Close, self)
        box.setModal(False)
        box.show()

    # -- shutdown ------------------------------------------------------------------------------
    def _close_unattached(self) -> None:
        lost = self.submission.close()
        if lost:
            log.error("window closed before the model and store loaded: %d ids not queued", lost)

    def closeEvent(self, event):
        """Write every id asked for, stop workers (pending jobs stay queued), close the store."""
        if not self._closed:
            self._closing = True
            # A dropped file still being read: wait for it and take its ids (delivered now from
            # the posted queue), so they are written below with the rest.
            self.importer.shutdown(5000)
            if (self.dispatcher is None and self.engine_wait is not None
                    and self.submission.busy()):
                self.engine_wait(ENGINE_WAIT_MS)   # typed ids need the store: let it load
            QCoreApplication.sendPostedEvents(None, QEvent.MetaCall)
            unrestored = len(self.restore.queued_left())
            self.restore.stop()   # rows not shown yet stay in the store, as they are
            self._closed = True
            if self.dispatcher is None:
                self._close_unattached()
                event.accept()
                return
            unshown = self.submission.close()   # ids not yet shown are still written
            counts = self.model.counts()
            pending = counts["queued"] + counts["running"] + unshown + unrestored
            if pending:
                self.statusBar().showMessage(f"Closing: {pending} items stay queued for next time.")
                self.statusBar().repaint()   # seen now: the shutdown below blocks the event loop
            self.dispatcher.shutdown(5000)   # writes finish, then cancel, pool.clear, waitForDone
            if self._owns_store:
                self.store.close()
        event.accept()
