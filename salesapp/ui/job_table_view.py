"""The job table's view: Ctrl+C copies whole rows (not one cell), Del removes rows from view, and
a change repaints only the rows on screen."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QTableView


class JobTableView(QTableView):
    """QTableView takes the Copy key itself (ShortcutOverride) and copies only the current cell,
    so a window action on Ctrl+C never fires while the table has focus: the key press reaches
    `keyPressEvent` below, which asks the window instead. (No `event()` override: it made every
    event of the view a call into Python, i.e. a wait for the GIL.)
    """

    copy_requested = Signal()
    remove_requested = Signal()

    def dataChanged(self, top_left, bottom_right, roles=()) -> None:
        """Repaint only the changed rows that are on screen.

        Qt repaints the whole viewport for any change wider than one cell, on screen or not, and
        most slices of results change rows far below the fold. The items hold no editors, so a
        repaint is all a change needs here.
        """
        port = self.viewport()
        first = self.rowAt(0)
        if first < 0 or not top_left.isValid():
            return
        last = self.rowAt(port.height() - 1)
        last = self.model().rowCount() - 1 if last < 0 else last
        low, high = max(top_left.row(), first), min(bottom_right.row(), last)
        if low > high:
            return
        top = self.rowViewportPosition(low)
        bottom = self.rowViewportPosition(high) + self.rowHeight(high)
        port.update(0, top, port.width(), bottom - top)

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
