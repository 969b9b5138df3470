"""The job table's view: Ctrl+C copies whole rows (not one cell) and Del removes rows from view."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QTableView


class JobTableView(QTableView):
    """QTableView takes the Copy key itself (ShortcutOverride) and copies only the current cell,
    so a window action on Ctrl+C never fires while the table has focus: ask the window instead.
    """

    copy_requested = Signal()
    remove_requested = Signal()

    def event(self, event) -> bool:
        if event.type() == QEvent.ShortcutOverride and event.matches(QKeySequence.Copy):
            event.accept()   # the key press comes to keyPressEvent below
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.Copy):
            self.copy_requested.emit()
            event.accept()
            return
        if event.matches(QKeySequence.Delete):   # reached only if no window shortcut took it
            self.remove_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)
