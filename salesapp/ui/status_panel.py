"""The status bar's permanent widgets: rows per status, the progress bar and the Cancel button.

Both the counts and the progress change with every slice of updates, and each change relays
out and repaints the status bar on the GUI thread: they are shown at once, then at most every
`LABEL_INTERVAL_MS` while they keep changing, and the last figures are always shown.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from salesapp import pacing
from salesapp.model.unknown_items import UNKNOWN_ITEM


def _timer(parent: QObject, slot) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(pacing.LABEL_INTERVAL_MS)
    timer.timeout.connect(slot)
    return timer


class StatusPanel(QObject):
    """Counts label, progress bar and Cancel button, added to `bar` as permanent widgets."""

    def __init__(self, bar: QStatusBar, on_cancel, parent: QObject | None = None):
        super().__init__(parent)
        self.counts_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("%v / %m")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(on_cancel)
        for widget in (self.counts_label, self.progress, self.cancel_button):
            bar.addPermanentWidget(widget)
        self._counts = self._counts_shown = None
        self._counts_timer = _timer(self, self._on_counts_timeout)
        self._progress = (0, 0)
        self._progress_timer = _timer(self, self._apply_progress)

    @Slot(dict)
    def show_counts(self, counts: dict) -> None:
        """Rows per status: now if nothing was shown lately, else when the interval is over."""
        self._counts = counts
        if not self._counts_timer.isActive():
            self._write_counts()
            self._counts_timer.start()   # changes until its timeout wait for it

    @Slot(int, int)
    def show_progress(self, done: int, total: int) -> None:
        """The dispatcher's progress, applied when the interval is over."""
        self._progress = (done, total)
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _on_counts_timeout(self) -> None:
        if self._counts != self._counts_shown:
            self._write_counts()
            self._counts_timer.start()

    def _write_counts(self) -> None:
        c = self._counts_shown = self._counts
        unsaved = f"not yet saved {c['unsaved']} · " if c.get("unsaved") else ""
        unknown = f"{UNKNOWN_ITEM} {c[UNKNOWN_ITEM]} · " if c.get(UNKNOWN_ITEM) else ""
        self.counts_label.setText(f"{unsaved}pending {c['queued']} · running {c['running']} · "
                                  f"done {c['done']} · {unknown}failed {c['failed']}"
                                  + (f" · cancelled {c['cancelled']}" if c["cancelled"] else ""))

    def _apply_progress(self) -> None:
        done, total = self._progress
        # setValue repaints synchronously, and a repaint also paints whatever else is dirty (the
        # table, through Python data() calls): with updates off it only schedules a paint.
        self.progress.setUpdatesEnabled(False)
        if total <= 0:   # nothing to run: blank as before the first job, not "0 / 1"
            self.progress.reset()
        else:
            self.progress.setMaximum(total)
            self.progress.setValue(min(done, total))
        self.progress.setUpdatesEnabled(True)
