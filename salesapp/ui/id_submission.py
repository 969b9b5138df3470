"""Ids on their way in: pending rows at once, in slices, and their store writes off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject

from salesapp import pacing
from salesapp.ui.job_table_model import JobRow
from salesapp.ui.pump import Pump

_KEEP = ("queued", "running", "done")   # states a resubmitted id keeps


class IdSubmission(QObject):
    """Typed or imported ids -> pending rows (a slice per turn, a `Pump`) -> `submit_later`.

    The row appears before the store write returns; the write follows within the same second.
    `cancel` drops the ids not yet shown; `close` writes them, so nothing asked for is lost.
    """

    def __init__(self, model, parent: QObject | None = None):
        super().__init__(parent)
        self._model, self._dispatcher = model, None
        self._rows = Pump(self._show, pacing.ROW_CHUNK, parent=self)
        self._rows.drained.connect(self._write)
        self._unwritten: list[int] = []   # shown as rows, not yet handed to the writer
        self.stopped = False   # a Cancel stopped the dispatcher: the next ids restart it
        self._failed_note: str | None = None   # the engine failed: new rows fail with this

    def add(self, ids) -> None:
        """Queue ids; their rows appear from the next event-loop turn on."""
        if self.stopped and self._dispatcher is not None:
            self.stopped = False
            self._dispatcher.start()
        self._rows.add(int(i) for i in ids)

    def attach(self, dispatcher) -> None:
        """The dispatcher, once loaded: the rows shown before it are written now."""
        self._dispatcher = dispatcher
        if not len(self._rows):
            self._write()

    def held(self) -> set[int]:
        """Ids asked for and not yet handed to the writer (shown or not)."""
        return set(self._rows.items()) | set(self._unwritten)

    def fail(self, note: str) -> None:
        """The engine could not be loaded: the rows shown, and every later one, fail with `note`."""
        self._failed_note = note
        ids, self._unwritten = self._unwritten, []
        self._model.set_status(ids, "failed", note)

    def busy(self) -> bool:
        """True while ids are not all shown and written to the store."""
        return bool(len(self._rows) or self._unwritten) or (
            self._dispatcher is not None and self._dispatcher.writes_pending())

    def cancel(self) -> int:
        """Drop the ids not yet shown (never written); returns how many."""
        dropped = len(self._rows.take())
        if self._dispatcher is None:   # nothing was written: the shown rows are only ours
            self._unwritten.clear()
        self._write()   # rows already shown: written, so that the cancel after them finds them
        self.stopped = True
        return dropped

    def close(self) -> int:
        """Hand every id not yet shown to the writer (no rows); returns how many new jobs that is.

        Without a dispatcher (the engine never loaded) nothing can be written: the count is of
        every id asked for, shown or not.
        """
        backlog = self._rows.take()
        if self._dispatcher is None:
            return len(self._unwritten) + len(backlog)
        self._write()
        if backlog:
            self._dispatcher.submit_later(backlog)
        return len(self.rows_to_queue(backlog))

    def rows_to_queue(self, ids: list[int]) -> list[JobRow]:
        """New pending rows; rows already pending, running or done keep their state."""
        rows = (self._model.row_for(i) for i in ids)
        return [JobRow(i) for i, row in zip(ids, rows) if row is None or row.status not in _KEEP]

    def _show(self, ids: list[int]) -> None:
        if self._failed_note is not None:   # nothing can forecast them: say so at once
            self._model.add_rows([JobRow(i, "failed", note=self._failed_note) for i in ids])
            return
        self._model.add_rows(self.rows_to_queue(ids))
        self._unwritten.extend(ids)
        if len(self._unwritten) >= pacing.SUBMIT_BATCH:
            self._write()

    def _write(self) -> None:
        """Hand the ids shown but not yet written to the dispatcher's writer (once there is one)."""
        if self._unwritten and self._dispatcher is not None:
            ids, self._unwritten = self._unwritten, []
            self._dispatcher.submit_later(ids)
