"""Models -> How last month's forecasts did…: a kept model's month against the sales of that month.

The comparison (loading the bundle, reading the sales, forecasting the grid) runs on a plain
Python thread; its report comes back to the GUI thread by a queued signal, tagged with a ticket
so that the answer to an earlier choice never replaces a later one.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from salesapp.errors import SalesAppError
from salesapp.ui.accuracy_tables import (
    EXCEPTION_FORMATS,
    EXCEPTION_HEADERS,
    METRIC_FORMATS,
    METRIC_HEADERS,
    RowsTableModel,
    exception_rows,
    metric_rows,
    sorting_proxy,
)
from salesapp.ui.months import month_label

log = logging.getLogger("salesapp.gui")


def model_choices(window_model: Path | None) -> list[tuple[str, Path]]:
    """(label, bundle folder) of every kept model, the window's own first if the library does
    not hold it (a --model folder); a library that cannot be listed gives the window's alone."""
    choices = []
    try:
        from salesapp import library
        for e in library.entries():
            month = f"forecasts {month_label(e.forecast_block)}" if e.forecast_block is not None \
                else "forecast month unknown"
            choices.append((f"{e.version} — {month}{' (active)' if e.active else ''}", e.path))
    except (SalesAppError, OSError) as exc:
        log.warning("the model library could not be listed: %s", exc)
    paths = {p.resolve() for _, p in choices}
    if window_model is not None and Path(window_model).resolve() not in paths:
        choices.insert(0, (f"the window's model ({window_model})", Path(window_model)))
    return choices


def run_comparison(model_dir: Path, sales_dir: Path):
    """Load the bundle, read its forecast month from `sales_dir`, compare: an AccuracyReport."""
    from salesapp.model import bundle
    from salesapp.model.forecast_accuracy import compare, month_sales_from_folder
    from salesapp.model.predictor import Predictor

    predictor = Predictor.load(model_dir)
    sales = month_sales_from_folder(sales_dir, predictor.forecast_block,
                                    bundle.shop_aliases(predictor.directory), month_label)
    return compare(predictor, sales)


class _Comparison(QObject):
    """Runs `run_comparison` off the GUI thread; `done(ticket, report or None, error text)`."""

    done = Signal(int, object, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._thread: threading.Thread | None = None

    def start(self, ticket: int, model_dir: Path, sales_dir: Path) -> None:
        """Compare in the background; the answer arrives as `done` on this object's thread."""
        def run():
            try:
                self.done.emit(ticket, run_comparison(model_dir, sales_dir), "")
            except SalesAppError as exc:
                self.done.emit(ticket, None, str(exc))
            except Exception as exc:   # shown in one sentence; the window carries on
                log.exception("forecast versus actual failed")
                self.done.emit(ticket, None, f"The comparison failed ({exc or type(exc).__name__});"
                               " the log has the details.")

        self._thread = threading.Thread(target=run, name="accuracy", daemon=True)
        self._thread.start()

    def wait(self, seconds: float = 30) -> bool:
        """Block until the running comparison ended (True) or `seconds` passed."""
        if self._thread is not None:
            self._thread.join(seconds)
            return not self._thread.is_alive()
        return True


class AccuracyDialog(QDialog):
    """Summary in words, the metrics beside the naive forecasts, the exception list (sortable)."""

    report_shown = Signal(object)   # the AccuracyReport now on screen
    failed = Signal(str)            # the sentence shown instead

    def __init__(self, choices: list[tuple[str, Path]], sales_dir: Path | None = None,
                 parent=None):
        super().__init__(parent)
        self.setWindowTitle("How last month's forecasts did")
        self.sales_dir = Path(sales_dir) if sales_dir else None
        self.report = None
        self._ticket = 0
        self._comparison = _Comparison(self)
        self._comparison.done.connect(self._on_done)
        self._build(choices)
        self.resize(1100, 760)
        if self.sales_dir is not None:
            self.compare_now()

    def _build(self, choices) -> None:
        self.model_box = QComboBox()
        self.set_choices(choices)
        self.model_box.currentIndexChanged.connect(self.compare_now)
        self.sales_label = QLabel(self._sales_text())
        self.sales_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        choose = QPushButton("Choose sales folder…")
        choose.clicked.connect(self.choose_sales_folder)
        form = QGridLayout()
        form.addWidget(QLabel("Model:"), 0, 0)
        form.addWidget(self.model_box, 0, 1, 1, 2)
        form.addWidget(QLabel("Actual sales:"), 1, 0)
        form.addWidget(self.sales_label, 1, 1)
        form.addWidget(choose, 1, 2)
        form.setColumnStretch(1, 1)
        self.summary = QLabel("Choose the sales data of the month the model forecast.")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("accuracySummary")
        self.metrics = RowsTableModel(METRIC_HEADERS, METRIC_FORMATS, self)
        self.metrics_view = self._table(self.metrics, sortable=False)
        self.exceptions = RowsTableModel(EXCEPTION_HEADERS, EXCEPTION_FORMATS, self)
        self.exceptions_proxy = sorting_proxy(self.exceptions, self)
        self.exceptions_view = self._table(self.exceptions_proxy, sortable=True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.summary)
        box.addWidget(QLabel("Beside the naive forecasts (every item and shop scored):"))
        box.addWidget(self.metrics_view)
        box.addWidget(QLabel("Items the forecast missed most (units over all shops; click a "
                             "header to sort):"))
        box.addWidget(self.exceptions_view, 1)
        box.addWidget(buttons)

    @staticmethod
    def _table(model, sortable: bool) -> QTableView:
        view = QTableView()
        view.setModel(model)
        view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        view.setSelectionBehavior(QAbstractItemView.SelectRows)
        view.verticalHeader().hide()
        view.setAlternatingRowColors(True)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        view.horizontalHeader().setStretchLastSection(True)
        if sortable:
            view.setSortingEnabled(True)
            view.sortByColumn(EXCEPTION_HEADERS.index("missed"), Qt.DescendingOrder)
        else:
            view.setMaximumHeight(view.verticalHeader().defaultSectionSize() * 6 + 8)
        return view

    def set_choices(self, choices: list[tuple[str, Path]]) -> None:
        """The models offered, (label, folder) each; the one chosen stays chosen if still there."""
        was = self.model_box.currentData()
        self.model_box.blockSignals(True)
        self.model_box.clear()
        for label, path in choices:
            self.model_box.addItem(label, str(path))
        at = self.model_box.findData(was)
        self.model_box.setCurrentIndex(max(at, 0))
        self.model_box.blockSignals(False)

    def _sales_text(self) -> str:
        return str(self.sales_dir) if self.sales_dir else "none chosen yet"

    def choose_sales_folder(self) -> None:
        """Ask for a folder of sales data in the 1C schema, then compare."""
        folder = QFileDialog.getExistingDirectory(self, "Sales data of the forecast month",
                                                  str(self.sales_dir or ""))
        if folder:
            self.set_sales_dir(Path(folder))

    def set_sales_dir(self, folder: Path) -> None:
        """Compare against the sales in `folder`."""
        self.sales_dir = Path(folder)
        self.sales_label.setText(self._sales_text())
        self.compare_now()

    def compare_now(self) -> None:
        """Start the comparison of the chosen model against the chosen sales (off this thread)."""
        model = self.model_box.currentData()
        if model is None or self.sales_dir is None:
            return
        self._ticket += 1
        self.summary.setText("Comparing the forecast with the sales…")
        self._comparison.start(self._ticket, Path(model), self.sales_dir)

    def _on_done(self, ticket: int, report, error: str) -> None:
        if ticket != self._ticket:
            return   # a later choice is on its way
        if report is None:
            self.report = None
            error = error[:1].upper() + error[1:]   # InputError's sentence without a path
            self.summary.setText(error)
            self.metrics.set_rows([])
            self.exceptions.set_rows([])
            self.failed.emit(error)
            return
        self.show_report(report)

    def show_report(self, report) -> None:
        """Put `report` on screen: words, the metrics table, the exception list."""
        from salesapp.model.accuracy_words import summary_sentences
        self.report = report
        self.summary.setText("\n".join(summary_sentences(report, month_label)))
        self.metrics.set_rows(metric_rows(report.overall))
        self.exceptions.set_rows(exception_rows(report.exceptions))
        self.report_shown.emit(report)

    def wait(self, seconds: float = 30) -> bool:
        """Block until a running comparison ended (tests, the window's close)."""
        return self._comparison.wait(seconds)
