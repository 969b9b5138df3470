"""The notice above the table: a problem (yellow) or a summary (plain) that stays until the user acts.

A status-bar message is replaced by the next one (a file's summary by "All queued items are
forecast." a moment later); what the user must read waits here instead, until they close it or
their next input makes it stale.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton

PROBLEM, INFO = "problem", "info"


class NoticeBar(QFrame):
    """One message at a time with a close button; `level` (a dynamic property) styles it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("\u2715")
        self.close_button.setToolTip("Close this message")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.dismiss)
        box = QHBoxLayout(self)
        box.setContentsMargins(6, 4, 4, 4)
        box.addWidget(self.label, 1)
        box.addWidget(self.close_button, 0, Qt.AlignTop)
        self.level = ""
        self.hide()

    def text(self) -> str:
        """The message shown ('' when closed)."""
        return self.label.text() if not self.isHidden() else ""

    def show_problem(self, message: str) -> None:
        """A problem the user should read (yellow)."""
        self._show(message, PROBLEM)

    def show_info(self, message: str) -> None:
        """A summary the user should see until they act (plain)."""
        self._show(message, INFO)

    def dismiss(self) -> None:
        """Close the notice (the close button, or input that succeeded)."""
        self.hide()
        self.label.clear()
        self.level = ""

    def _show(self, message: str, level: str) -> None:
        self.label.setText(message)
        if level != self.level:
            self.level = level
            self.setProperty("level", level)
            self.style().unpolish(self)
            self.style().polish(self)
        self.show()
