"""The strip that shows a training running in the background: its stage, a bar, Cancel.

Shown above the table only while a training runs (the status bar's bar and Cancel are the
forecasts'); the user keeps working in the table meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

BAR_STEPS = 1000   # the bar's resolution: finer than the progress lines' step


class TrainingPanel(QWidget):
    """Stage text, progress bar and a Cancel button; `cancel_button.clicked` is the controller's."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self._what = ""
        self.stage_label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, BAR_STEPS)
        self.bar.setFormat("%p %")
        self.bar.setMinimumWidth(200)
        self.bar.setMaximumWidth(260)
        self.cancel_button = QPushButton("Cancel training")
        # Never the focus: when the strip hides, Qt would hand the focus on to the table, which
        # then selects a row and opens it in the detail panel as if the user had.
        self.cancel_button.setFocusPolicy(Qt.NoFocus)
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.stage_label, 1)
        box.addWidget(self.bar)
        box.addWidget(self.cancel_button)
        self.hide()

    def started(self, what: str) -> None:
        """A training started: show the strip at 0."""
        self.stage_label.setText(f"{what}: starting…")
        self._what = what
        self.bar.setValue(0)
        self.cancel_button.setEnabled(True)
        self.show()

    def show_progress(self, stage: str, whole: float) -> None:
        """The training reached `stage`, `whole` (0 to 1) of it all done."""
        self.stage_label.setText(f"{self._what}: {stage}")
        self.bar.setValue(round(whole * BAR_STEPS))

    def note(self, text: str) -> None:
        """A step outside the child's stages (cancelling, checking the new model)."""
        self.stage_label.setText(f"{self._what}: {text}")

    def cancelling(self) -> None:
        """Cancel was pressed: the button is off until the child is gone."""
        self.cancel_button.setEnabled(False)
        self.note("cancelling…")

    def ended(self) -> None:
        """Nothing runs any more: hide the strip."""
        self.hide()
