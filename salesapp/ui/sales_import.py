"""File -> Import sales history…, as the user sees it: pick a folder, wait (the window stays
usable), answer "replace those months?" when the folder holds months already held, read what
was imported, and start a new model's training on it or leave that for later.

The questions are methods (`ask_replace`, `ask_train`) so that a test can answer them.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from salesapp.ui.history_import import HistoryImport


def _months(blocks) -> str:
    from salesapp.history import months
    return months.listing(blocks)


class SalesImport(QObject):
    """One import at a time, from the folder dialog to the offer to train."""

    report = Signal(str)            # a sentence the user must read (the import was refused)
    message = Signal(str, int)      # a passing note, and how long it shows (ms)
    train_wanted = Signal()         # the user chose to train a new model on the new history
    finished = Signal(bool)         # True: imported; False: refused or cancelled

    def __init__(self, window: QWidget, parent: QObject | None = None):
        super().__init__(parent)
        self._window = window
        self.worker = HistoryImport(self)
        self.worker.planned.connect(self._on_planned)
        self.worker.imported.connect(self._on_imported)
        self.worker.failed.connect(self._on_failed)

    def choose_and_import(self) -> None:
        """The menu command: a folder dialog, then `import_folder`."""
        folder = QFileDialog.getExistingDirectory(
            self._window, "Import sales history: a folder of 1C files (sales_train.csv, …)")
        if folder:
            self.import_folder(folder)

    def import_folder(self, folder: str) -> None:
        """Read and check `folder` in the background; the questions follow when it is read."""
        if self.worker.busy():
            self.message.emit("A sales history is already being imported.", 5000)
            return
        self.message.emit(f"Reading the sales history in {folder}…", 0)
        self.worker.plan(str(folder))

    def ask_replace(self, plan) -> bool:
        """Months of the folder are held already: replace those months (True) or cancel."""
        n = len(plan.overlap)
        box = QMessageBox(QMessageBox.Question, "Months already held",
                          f"{plan.source} holds {_months(plan.overlap)}, which "
                          f"{'is' if n == 1 else 'are'} already in the sales history.\n\n"
                          f"Replace {'that month' if n == 1 else f'those {n} months'} with the "
                          "new files, or cancel the import (nothing is changed)?",
                          QMessageBox.NoButton, self._window)
        replace = box.addButton("Replace those months" if n > 1 else "Replace that month",
                                QMessageBox.AcceptRole)
        box.addButton(QMessageBox.Cancel)
        box.exec()
        return box.clickedButton() is replace

    def ask_train(self, report) -> bool:
        """After an import: train a new model on it now (True) or later."""
        box = QMessageBox(QMessageBox.Question, "Train a new model?",
                          f"Imported: {report.line()}.\n\nTrain a new model on the updated "
                          "history now? It trains in the background; the window stays usable "
                          "and the current model stays active until the new one is ready.",
                          QMessageBox.NoButton, self._window)
        now = box.addButton("Train now", QMessageBox.AcceptRole)
        box.addButton("Later", QMessageBox.RejectRole)
        box.exec()
        return box.clickedButton() is now

    def shutdown(self, timeout_ms: int) -> None:
        """The window closes: a write under way is finished (it is all or nothing)."""
        self.worker.shutdown(timeout_ms)

    def _on_planned(self, plan) -> None:
        if plan.overlap and not self.ask_replace(plan):
            self.message.emit("Import cancelled: the sales history was not changed.", 10000)
            self.finished.emit(False)
            return
        self.message.emit(f"Writing the sales history from {plan.source}…", 0)
        self.worker.apply(plan, replace=bool(plan.overlap))

    def _on_imported(self, report) -> None:
        from salesapp.ui.accuracy_view import closed_month_hint
        hint = closed_month_hint(report.months_added + report.months_replaced)
        self.message.emit(f"Imported: {report.line()}.{hint}", 15000)
        self.finished.emit(True)
        if self.ask_train(report):
            self.train_wanted.emit()

    def _on_failed(self, sentence: str) -> None:
        self.report.emit(sentence)
        self.finished.emit(False)
