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


def model_choices(window_model: Path | None,
                  window_month: int | None = None) -> list[tuple[str, Path, int | None]]:
    """(label, bundle folder, forecast month) of every kept model, the window's own first if the
    library does not hold it (a --model folder, forecasting `window_month`); a library that
    cannot be listed gives the window's alone."""
    choices = []
    try:
        from salesapp import library
        for e in library.entries():
            month = f"forecasts {month_label(e.forecast_block)}" if e.forecast_block is not None \
                else "forecast month unknown"
            choices.append((f"{e.version} — {month}{' (active)' if e.active else ''}", e.path,
                            e.forecast_block))
    except (SalesAppError, OSError) as exc:
        log.warning("the model library could not be listed: %s", exc)
    paths = {c[1].resolve() for c in choices}
    if window_model is not None and Path(window_model).resolve() not in paths:
        choices.insert(0, (f"the window's model ({window_model})", Path(window_model),
                           window_month))
    return choices


def closed_month_hint(months) -> str:
    """' Oct 2015 closes model 90de4bc2e3b7's forecast: Models -> How last month's forecasts
    did… compares them.' when a kept model forecast one of `months` (just imported), else ''."""
    from salesapp import library
    try:
        entries = library.entries()
    except (SalesAppError, OSError):
        return ""
    from salesapp.actual_sales import latest_closed
    at = latest_closed([e.forecast_block for e in entries], list(months))
    if at is None:
        return ""
    e = entries[at]
    return (f" {month_label(e.forecast_block)} closes model {e.version}'s forecast: Models → "
            "How last month's forecasts did… compares them.")


def run_comparison(model_dir: Path, sales_dir: Path | None, pick_from=None):
    """(AccuracyReport, the model folder used, a notice or None) of the bundle's forecast month
    against `sales_dir`'s sales of it, or the held history's when `sales_dir` is None. With
    `pick_from` (choices) and the held history, the model is the one of the latest month the
    history covers, if any (else `model_dir`)."""
    from salesapp.actual_sales import held_months, latest_closed, month_sales_for
    from salesapp.model.forecast_accuracy import compare
    from salesapp.model.predictor import Predictor

    if pick_from and sales_dir is None:
        at = latest_closed([c[2] for c in pick_from], held_months())
        model_dir = model_dir if at is None else pick_from[at][1]
    predictor = Predictor.load(model_dir)
    sales, notice = month_sales_for(predictor, sales_dir, month_label)
    return compare(predictor, sales), Path(model_dir), notice


class _Comparison(QObject):
    """Runs `run_comparison` off the GUI thread; `done(ticket, report or None, error text)`."""

    done = Signal(int, object, str)   # ticket, (report, model folder, notice) or None, error

    def __init__(self, parent=None):
        super().__init__(parent)
        self._thread: threading.Thread | None = None

    def start(self, ticket: int, model_dir: Path, sales_dir: Path | None, pick_from=None) -> None:
        """Compare in the background; the answer arrives as `done` on this object's thread."""
        def run():
            try:
                self.done.emit(ticket, run_comparison(model_dir, sales_dir, pick_from), "")
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

    def __init__(self, choices: list[tuple[str, Path, int | None]],
                 sales_dir: Path | None = None, parent=None, pick: bool = True):
        """`sales_dir` None: the held history; `pick`: start with the model of the latest month
        it covers (when there is one) rather than the first choice."""
        super().__init__(parent)
        self.setWindowTitle("How last month's forecasts did")
        self.sales_dir = Path(sales_dir) if sales_dir else None
        self.report = None
        self._ticket = 0
        self._choices: list = []
        self._comparison = _Comparison(self)
        self._comparison.done.connect(self._on_done)
        self._build(choices)
        self.resize(1100, 760)
        self.compare_now(pick=pick)

    def _build(self, choices) -> None:
        self.model_box = QComboBox()
        self.set_choices(choices)
        self.model_box.currentIndexChanged.connect(self.compare_now)
        self.sales_label = QLabel(self._sales_text())
        self.sales_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        choose = QPushButton("Choose sales folder…")
        choose.clicked.connect(self.choose_sales_folder)
        self.held_button = QPushButton("Use the held history")
        self.held_button.clicked.connect(lambda: self.set_sales_dir(None))
        self.held_button.setEnabled(self.sales_dir is not None)
        form = QGridLayout()
        form.addWidget(QLabel("Model:"), 0, 0)
        form.addWidget(self.model_box, 0, 1, 1, 3)
        form.addWidget(QLabel("Actual sales:"), 1, 0)
        form.addWidget(self.sales_label, 1, 1)
        form.addWidget(choose, 1, 2)
        form.addWidget(self.held_button, 1, 3)
        form.setColumnStretch(1, 1)
        self.summary = QLabel("")
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

    def set_choices(self, choices: list[tuple[str, Path, int | None]]) -> None:
        """The models offered, (label, folder, forecast month) each; the one chosen stays
        chosen if still there."""
        was = self.model_box.currentData()
        self._choices = list(choices)
        self.model_box.blockSignals(True)
        self.model_box.clear()
        for label, path, _month in choices:
            self.model_box.addItem(label, str(path))
        at = self.model_box.findData(was)
        self.model_box.setCurrentIndex(max(at, 0))
        self.model_box.blockSignals(False)

    def _sales_text(self) -> str:
        from salesapp.model.forecast_accuracy import HELD_SOURCE
        return str(self.sales_dir) if self.sales_dir else HELD_SOURCE

    def choose_sales_folder(self) -> None:
        """Ask for a folder of sales data in the 1C schema, then compare."""
        folder = QFileDialog.getExistingDirectory(self, "Sales data of the forecast month",
                                                  str(self.sales_dir or ""))
        if folder:
            self.set_sales_dir(Path(folder))

    def set_sales_dir(self, folder: Path | None) -> None:
        """Compare against the sales in `folder` (None: the held history)."""
        self.sales_dir = Path(folder) if folder else None
        self.sales_label.setText(self._sales_text())
        self.held_button.setEnabled(self.sales_dir is not None)
        self.compare_now()

    def compare_now(self, pick: bool = False) -> None:
        """Start the comparison of the chosen model against the chosen sales (off this thread);
        `pick`: first choose the model of the latest month the held history covers."""
        model = self.model_box.currentData()
        if model is None:
            return
        self._ticket += 1
        self.summary.setText("Comparing the forecast with the sales…")
        self._comparison.start(self._ticket, Path(model), self.sales_dir,
                               self._choices if pick else None)

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
        report, model_dir, notice = report
        self._select_model(model_dir)
        self.show_report(report, notice)

    def _select_model(self, model_dir: Path) -> None:
        """Show the model a pick chose as chosen, without comparing again."""
        at = self.model_box.findData(str(model_dir))
        if at >= 0 and at != self.model_box.currentIndex():
            self.model_box.blockSignals(True)
            self.model_box.setCurrentIndex(at)
            self.model_box.blockSignals(False)

    def show_report(self, report, notice: str | None = None) -> None:
        """Put `report` on screen: words (after `notice`, if any), the metrics table, the
        exception list."""
        from salesapp.model.accuracy_words import summary_sentences
        self.report = report
        lines = ([notice] if notice else []) + summary_sentences(report, month_label)
        self.summary.setText("\n".join(lines))
        self.metrics.set_rows(metric_rows(report.overall))
        self.exceptions.set_rows(exception_rows(report.exceptions))
        self.report_shown.emit(report)

    def wait(self, seconds: float = 30) -> bool:
        """Block until a running comparison ended (tests, the window's close)."""
        return self._comparison.wait(seconds)
