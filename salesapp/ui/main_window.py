"""The main window: ids in (typed, dropped, opened), the job table, details, export.

Built one way, `MainWindow()`, with no engine: it shows and takes ids at once (pending rows).
Its `session` owns the engine's parts from their hand-over (`Session.attach`) to the close.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from salesapp import pacing
from salesapp.model.id_values import RULE_TEXT
from salesapp.paths import resource_path
from salesapp.ui.detail_panel import DetailPanel
from salesapp.ui.export import ExportDialog
from salesapp.ui.export_runner import ExportRunner
from salesapp.ui.item_completer import ItemCompleter
from salesapp.ui.job_filter import JobFilterProxy
from salesapp.ui.job_selection import JobSelection
from salesapp.ui.job_table_model import STATUSES, JobTableModel
from salesapp.ui.job_table_view import JobTableView
from salesapp.ui.menus import build_menus
from salesapp.ui.model_card import card_html
from salesapp.ui.month_choice import MonthChoice
from salesapp.ui.notice_bar import PROBLEM, NoticeBar
from salesapp.ui.row_menu import build_row_menu
from salesapp.ui.session import Session
from salesapp.ui.shop_choice import ShopChoice
from salesapp.ui.status_panel import StatusPanel
from salesapp.ui.table_state import column_widths, restore_layout, save_layout, set_column_widths
from salesapp.ui.training_panel import TrainingPanel

_COLUMN_WIDTHS = (70, 260, 170, 125, 100, 110, 300, 130)   # status: "not yet saved" on one line


class MainWindow(QMainWindow):
    """The desk: the table model and the views; the session owns the work."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._detail_shown: tuple = (None, None)   # (item id, result) the detail panel shows
        self.models_dialog = None   # Models -> Manage…, made when first opened
        self.accuracy_dialog = None   # Models -> How last month's forecasts did…, likewise
        self.setWindowTitle("Sales Forecast Desk")
        self.setWindowIcon(QIcon(str(resource_path("resources", "icons", "app.svg"))))
        self.setAcceptDrops(True)
        self.model = JobTableModel({}, self)
        # Attached only while a filter is on: see `_use_proxy`.
        self.proxy = JobFilterProxy(self)
        self.session = Session(self.model, self)
        self._build_widgets()
        self.selection = JobSelection(self.table, self.model, self.proxy)
        self._build_training()
        build_menus(self)
        self.row_menu = build_row_menu(self)
        self.export_runner = ExportRunner(self)
        self.export_runner.finished.connect(self._on_export_finished)
        self.status_panel = StatusPanel(self.statusBar(), self.cancel_pending, self)
        self.status_panel.show_counts(self.model.counts())
        self._connect()
        self.resize(1200, 720)
        restore_layout(self)

    # -- construction -------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.input = QLineEdit()
        self.input.setPlaceholderText("Item ids: 444, 1094 or ranges 100-110 — Enter to forecast;"
                                      " or drop CSV or Excel files here")
        self.input.setToolTip(f"Item {RULE_TEXT}.")
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText("Filter")
        self.filter_box.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.addItems(["all"] + list(STATUSES))
        self.completer = ItemCompleter(self.input)
        self.input.setCompleter(self.completer)
        self.category_filter = QComboBox()
        self.category_filter.addItem("All categories", None)
        self.category_filter.setToolTip("Show only the items of one category")
        self.category_filter.setMinimumContentsLength(14)
        self.category_filter.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.shop_choice = ShopChoice()
        self.month_choice = MonthChoice()
        self.banner = NoticeBar()
        self.table = self._build_table()
        self.detail = DetailPanel({})
        top = QHBoxLayout()
        top.addWidget(self.input, 3)
        top.addWidget(self.filter_box, 1)
        top.addWidget(self.status_filter)
        top.addWidget(self.category_filter)
        top.addWidget(self.month_choice)
        top.addWidget(self.shop_choice)
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([330, 390])
        box = QVBoxLayout()
        box.addLayout(top)
        box.addWidget(self.banner)
        self.training_panel = TrainingPanel()
        box.addWidget(self.training_panel)
        box.addWidget(split, 1)
        central = QWidget()
        central.setLayout(box)
        self.setCentralWidget(central)

    def _build_table(self) -> JobTableView:
        table = JobTableView()
        table.setModel(self.model)
        table.setSortingEnabled(True)
        # Unsorted (submission order) until the user clicks a header: keeping 10,000s of rows
        # sorted while they arrive would cost the GUI thread for every row.
        table.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        table.setAlternatingRowColors(True)
        table.setSelectionBehavior(QAbstractItemView.SelectRows)
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        table.verticalHeader().hide()
        table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate(_COLUMN_WIDTHS):
            table.setColumnWidth(col, width)
        return table

    def _build_training(self) -> None:
        from salesapp.ui.model_training import ModelTraining, training_data_arguments
        self.training = ModelTraining(self.training_panel, self._active_version,
                                      training_data_arguments, self)
        self.training.report.connect(self.report)
        self.training.message.connect(self.statusBar().showMessage)
        self.training.model_ready.connect(self._on_model_trained)
        from salesapp.ui.sales_import import SalesImport
        self.sales_import = SalesImport(self, self)
        self.sales_import.report.connect(self.report)
        self.sales_import.message.connect(self.statusBar().showMessage)
        self.sales_import.train_wanted.connect(self.train_new_model)
        self.sales_import.finished.connect(self._on_sales_imported)

    def import_sales_history(self) -> None:
        """File -> Import sales history…: a folder of 1C files (see `SalesImport`)."""
        self.sales_import.choose_and_import()

    def _on_sales_imported(self, imported: bool) -> None:
        if imported and self.banner.level == PROBLEM:
            self.banner.dismiss()   # an import that succeeded: an earlier refusal is stale

    def _active_version(self) -> str | None:
        predictor = self.session.predictor
        return predictor.version if predictor is not None else None

    def train_new_model(self) -> None:
        """Models -> Train new model: a training in a child process (see `ModelTraining`)."""
        self.training.start()

    def _on_model_trained(self, version: str, predictor) -> None:
        if self.session.is_attached():   # loaded and active already: it answers from now on
            self.session.use_predictor(predictor)
        else:
            self.statusBar().showMessage(f"Model {version} is now the active model; the window "
                                         "uses it from its next start.", 15000)

    def _connect(self) -> None:
        self.input.returnPressed.connect(self.submit_typed)
        self.filter_box.textChanged.connect(self._on_filter_text_changed)
        self.status_filter.currentTextChanged.connect(self._on_status_filter_changed)
        self.category_filter.currentIndexChanged.connect(self._on_category_changed)
        self.shop_choice.shop_chosen.connect(self.model.set_main_shop)
        self.month_choice.month_chosen.connect(self.model.set_main_month)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.model.counts_changed.connect(self.status_panel.show_counts)
        self.model.dataChanged.connect(self._on_model_data_changed)
        s = self.session
        s.attached.connect(self._on_attached)
        s.report.connect(self.report)
        s.message.connect(self.statusBar().showMessage)
        s.notice.connect(self._on_notice)
        s.column_wanted.connect(self._on_column_wanted)
        s.sheet_wanted.connect(self._on_sheet_wanted)
        s.closing.connect(self._on_closing)
        s.model_changed.connect(self._use_predictor_in_views)

    def _on_attached(self) -> None:
        self._use_predictor_in_views()
        self.session.dispatcher.progress_changed.connect(self.status_panel.show_progress)

    def _use_predictor_in_views(self) -> None:
        """The detail panel, the completer and the shop choice follow the active model."""
        self._detail_shown = (None, None)   # shown again: its history is the new model's
        self.detail.active_version = self.session.predictor.version
        self.detail.set_shop_names(self.session.predictor.shop_names)
        self.detail.set_history_source(self.session.predictor.history)
        from salesapp.model.reasons import Explainer  # numpy: loaded with the engine by now
        self.detail.set_reasons_source(Explainer(self.session.predictor).explain)
        self._set_catalogue(self.session.predictor.catalogue())
        self.shop_choice.set_shops(self.session.predictor.shop_ids,
                                   self.session.predictor.shop_names)
        predictor = self.session.predictor   # a bundle without horizons forecasts one month
        self.month_choice.set_months(predictor.forecast_block,
                                     len(getattr(predictor, "horizons", (1,))))
        self._show_detail(self.table.currentIndex())

    def _set_catalogue(self, catalogue) -> None:
        """The model's items: names for the completer, categories for the category filter."""
        self.completer.set_catalogue(catalogue)
        by_category: dict[str, list[int]] = {}
        for item_id, _name, category in catalogue:
            by_category.setdefault(category, []).append(item_id)
        box = self.category_filter
        box.blockSignals(True)
        while box.count() > 1:
            box.removeItem(1)
        for category in sorted(by_category, key=str.casefold):
            box.addItem(f"{category or '(no category)'} ({len(by_category[category])})",
                        by_category[category])
        box.blockSignals(False)

    # -- ids in ---------------------------------------------------------------------------------
    def submit_typed(self) -> None:
        """Parse the input line and queue its ids (Enter)."""
        # Imported at first use (it needs neither pandas nor numpy): the window shows sooner.
        from salesapp.model.id_input import parse_id_text

        parsed = parse_id_text(self.input.text())
        if parsed.problems:
            self.report(parsed.summary())
        elif parsed.notes:
            self.banner.show_info(parsed.summary())
        elif parsed.ids:
            self.banner.dismiss()   # input that succeeded: an earlier problem is stale
        # What was not understood stays in the box, marked, to be mended; the rest is queued.
        if parsed.ids or parsed.problems:
            self.input.setText(", ".join(parsed.rejected))
        self._mark_rejected(parsed.problems)
        if parsed.ids:
            self.session.submit_ids(parsed.ids)

    def _mark_rejected(self, problems: list[str]) -> None:
        """The id box red while it holds tokens that were not understood; its tooltip says why."""
        self.input.setToolTip("\n".join(problems) if problems else f"Item {RULE_TEXT}.")
        if bool(self.input.property("rejected")) != bool(problems):
            self.input.setProperty("rejected", bool(problems))
            self.input.style().unpolish(self.input)
            self.input.style().polish(self.input)

    def import_files(self, paths) -> None:
        """Read files of ids (CSV, text, Excel) in the background; their ids are queued when read."""
        for p in paths:
            self.statusBar().showMessage(f"Reading {p}…")
            self.session.import_file(str(p))

    def open_files(self) -> None:
        """File -> Open: choose files of item ids (CSV, text, Excel)."""
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Open item ids", "", "Item id files (*.csv *.csv.gz *.txt *.tsv *.xlsx *.xlsm);;"
            "CSV and text files (*.csv *.csv.gz *.txt *.tsv);;Excel workbooks (*.xlsx *.xlsm);;"
            "All files (*)")
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

    def ask_sheet(self, path: str, sheets: list[str]) -> str | None:
        """Ask which sheet of a workbook to read (None: the user cancelled)."""
        sheet, ok = QInputDialog.getItem(self, "Which sheet?", f"{path} has {len(sheets)} "
                                         "sheets.\nWhich one holds the item ids?", sheets, 0, False)
        return sheet if ok else None

    def _on_column_wanted(self, path: str, columns: list, sheet: str = "") -> None:
        column = self.ask_column(path, columns)
        if column:
            self.session.import_file(path, column, sheet or None)
        else:   # "Reading ..." would stay for good
            self.statusBar().showMessage(f"{path} not read: no column chosen.", 10000)

    def _on_sheet_wanted(self, path: str, sheets: list) -> None:
        sheet = self.ask_sheet(path, sheets)
        if sheet:
            self.session.import_file(path, sheet=sheet)
        else:
            self.statusBar().showMessage(f"{path} not read: no sheet chosen.", 10000)

    def _on_notice(self, message: str) -> None:
        """A file was read without problems: its summary stays until the user acts."""
        self.statusBar().clearMessage()   # "Reading ..."
        self.banner.show_info(message)

    def report(self, message: str) -> None:
        """A problem the user should read: status bar and a banner (non-blocking)."""
        self.statusBar().showMessage(message, 20000)
        self.banner.show_problem(message)

    # -- filters and the detail panel -------------------------------------------------------------
    def _on_status_filter_changed(self, text: str) -> None:
        self.proxy.set_status("" if text == "all" else text)
        self._use_proxy()

    def _on_category_changed(self, index: int) -> None:
        self.proxy.set_items(self.category_filter.itemData(index))
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
        wanted = bool(self.proxy.text or self.proxy.status or self.proxy.items is not None)
        target = self.proxy if wanted else self.model
        if self.table.model() is target:
            return
        # A new model resets the header's widths and the view's selection: both are kept.
        widths = column_widths(self.table)
        kept, current = self.selection.item_ids(), self.selection.current_id()
        self.proxy.setSourceModel(self.model if wanted else None)
        self.table.setModel(target)   # a new selection model: connect it again
        set_column_widths(self.table, widths)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.selection.select_ids(kept, current)
        self._show_detail(self.table.currentIndex())

    def _on_current_changed(self, current, _previous) -> None:
        self._show_detail(current)

    def _on_model_data_changed(self, top, bottom, _roles=()) -> None:
        cur = self.selection.to_source(self.table.currentIndex())
        if cur.isValid() and top.row() <= cur.row() <= bottom.row():
            self._show_detail(self.table.currentIndex())

    def _show_detail(self, view_index) -> None:
        src = self.selection.to_source(view_index)
        if not src.isValid():
            shown = (None, None)
        else:
            row = self.model.row_at(src.row())
            shown = (row.item_id, row.result)
        # A slice's dataChanged spans cover the current row without changing it: the shop table
        # and the chart are rebuilt only when the row's result is another one.
        if shown[0] == self._detail_shown[0] and shown[1] is self._detail_shown[1]:
            return
        self._detail_shown = shown
        self.detail.show_result(*shown)

    # -- selection, export, cancel ------------------------------------------------------------
    def export_to(self, path, scope: str = "shown", layout: str = "long", fmt=None,
                  style=None) -> int:
        """Write the rows of `scope` ('shown': what the table shows, 'all', 'selected') in
        `layout` to `path` (format by its extension unless `fmt`); returns rows written."""
        from salesapp.exports.export_file import write_export
        from salesapp.exports.writers import EXCEL_COMMA

        predictor = self.session.predictor
        names = predictor.shop_names if predictor else {}
        entries = self.selection.entries(self.selection.scope_rows(scope))
        n = write_export(path, entries, names, layout, fmt, style or EXCEL_COMMA)
        self.statusBar().showMessage(f"{n:,} rows written to {path}.", 10000)
        return n

    def export_dialog(self, scope: str = "shown") -> ExportDialog:
        """The export dialog, filled for this window's rows and months (not shown)."""
        from salesapp.ui.export import MonthsShown
        counts = {"shown": len(self.selection.shown_rows()), "all": self.model.rowCount(),
                  "selected": len(self.selection.rows())}
        box = self.month_choice
        months = MonthsShown(tuple(box.itemText(k) for k in range(box.count())),
                             box.months_ahead(), self.model.main_month())
        return ExportDialog(counts, self.table.model() is not self.model, scope, self, months)

    def _export(self, scope: str) -> None:
        if self.export_runner.busy():
            self.statusBar().showMessage("An export is still being written; wait for it.", 5000)
            return
        dialog = self.export_dialog(scope)
        if dialog.exec() != ExportDialog.Accepted:
            return
        c = dialog.choice()
        from salesapp.exports.writers import EXCEL_COMMA
        predictor = self.session.predictor
        entries = self.selection.entries(self.selection.scope_rows(c.scope))
        self.statusBar().showMessage(f"Writing {len(entries):,} items to {c.path}…")
        self.export_runner.start(c.path, entries, predictor.shop_names if predictor else {},
                                 c.layout, c.fmt, c.style or EXCEL_COMMA, c.months, c.block)

    def _on_export_finished(self, path: str, rows: int, error: str) -> None:
        if error:
            self.report(f"{path}: cannot be written ({error}).")
        else:
            self.statusBar().showMessage(f"{rows:,} rows written to {path}.", 10000)

    def export_all(self) -> None:
        """File -> Export results (Ctrl+E): the rows the table shows, or as the dialog says."""
        self._export("shown")

    def export_selected(self) -> None:
        """File -> Export selected."""
        self._export("selected")

    def copy_selection(self) -> None:
        """Copy the selected rows as TSV (with the header) to the clipboard."""
        QGuiApplication.clipboard().setText(self.selection.tsv())

    def copy_ids(self) -> None:
        """Copy the selected rows' item ids, one a line (to paste into the id box or a sheet)."""
        QGuiApplication.clipboard().setText("".join(f"{i}\n" for i in self.selection.item_ids()))

    def forecast_again(self) -> None:
        """Ask again for the selected failed or cancelled rows (their jobs are queued anew)."""
        from salesapp.ui.row_menu import AGAIN
        ids = [self.model.row_at(r).item_id for r in self.selection.rows()
               if self.model.row_at(r).status in AGAIN]
        if ids:
            self.session.submit_ids(ids)

    def remove_selected(self) -> None:
        """Del: remove the selected rows from the view (the store keeps them)."""
        self.model.remove_ids(self.selection.item_ids())
        self._show_detail(self.table.currentIndex())   # a removed item is not shown on

    def clear_history(self, confirm: bool = True) -> int:
        """Edit -> Clear history: finished rows off the table and out of the store's history,
        after a confirmation (`confirm`); returns the rows removed."""
        from salesapp.ui.session import FINISHED
        n = sum(self.model.counts()[s] for s in FINISHED)
        if not n:
            self.statusBar().showMessage("No finished rows to clear.", 5000)
            return 0
        if confirm and QMessageBox.question(
                self, "Clear history",
                f"Remove the {n:,} finished rows (done, unknown, failed, cancelled) from the "
                "table for good? They do not come back at the next start. Their forecasts stay "
                "stored: asking for an item again shows it at once.",
                QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel) != QMessageBox.Yes:
            return 0
        removed = self.session.clear_history()
        self._show_detail(self.table.currentIndex())
        return removed

    def show_user_guide(self) -> None:
        """Help -> User guide (F1), non-modal."""
        from salesapp.ui.user_guide import UserGuide
        if getattr(self, "user_guide", None) is None:
            self.user_guide = UserGuide(self)
        self.user_guide.show()
        self.user_guide.raise_()

    def cancel_pending(self) -> None:
        """Edit -> Cancel pending, and the Cancel button (see `Session.cancel_pending`)."""
        self.session.cancel_pending()

    def show_model_card(self) -> None:
        """Help -> About the model (non-modal)."""
        predictor = self.session.predictor
        if predictor is None:
            self.statusBar().showMessage("The model is still loading…", 5000)
            return
        box = QMessageBox(QMessageBox.Information, "About the model",
                          card_html(predictor.card, predictor.version), QMessageBox.Close, self)
        box.setTextFormat(Qt.RichText)
        box.setModal(False)
        box.show()

    # -- the model library ----------------------------------------------------------------------
    def manage_models(self) -> None:
        """Models -> Manage…: the kept models; Activate switches the window to one (non-modal)."""
        from salesapp.ui.model_library_dialog import ModelLibraryDialog

        if self.models_dialog is None:
            self.models_dialog = ModelLibraryDialog(self.session, self)
        else:
            self.models_dialog.refresh()
        self.models_dialog.show()
        self.models_dialog.raise_()

    def reforecast_other_model_rows(self) -> None:
        """Models -> Re-forecast with the active model: the selected rows (all rows when none is
        selected) that another model answered are asked again of the active one."""
        if not self.session.is_attached():
            self.statusBar().showMessage("The model is still loading…", 5000)
            return
        chosen = self.selection.item_ids() or None
        n = self.session.reforecast_other_model_rows(chosen)
        version = self.session.predictor.version
        which = "selected " if chosen else ""
        self.statusBar().showMessage(
            f"{n} {which}rows asked again of model {version}." if n else
            f"No {which}row comes from another model than {version}.", 10000)

    def show_accuracy(self) -> None:
        """Models -> How last month's forecasts did… (non-modal; kept, so it remembers the folder)."""
        from salesapp.ui.accuracy_view import AccuracyDialog, model_choices
        predictor = self.session.predictor
        choices = (model_choices(predictor.directory, predictor.forecast_block) if predictor
                   else model_choices(None))
        if self.accuracy_dialog is None:
            self.accuracy_dialog = AccuracyDialog(choices, parent=self)
        else:
            self.accuracy_dialog.set_choices(choices)   # a model trained since is offered too
            if not self.accuracy_dialog.isVisible():   # months imported since: compare anew
                self.accuracy_dialog.compare_now(pick=self.accuracy_dialog.sales_dir is None)
        self.accuracy_dialog.show()
        self.accuracy_dialog.raise_()

    # -- the end -------------------------------------------------------------------------------
    def _on_closing(self, pending: int) -> None:
        self.statusBar().showMessage(f"Closing: {pending} items stay queued for next time.")
        self.statusBar().repaint()   # seen now: the rest of the close blocks the event loop

    def closeEvent(self, event):
        """The session writes every id asked for, stops the workers and closes the store."""
        self.training.shutdown()   # a half-trained model is worthless: the child is stopped
        self.sales_import.shutdown(pacing.CLOSE_WAIT_MS)   # a write under way ends whole
        save_layout(self)
        self.export_runner.wait()   # an export under way is finished, not cut
        self.session.close()
        self.detail.reasons.wait()   # an item's reasons still being worked out (tens of ms)
        event.accept()
