"""Ids on their way in: written to the store at once, off the GUI thread; rows in slices."""

from __future__ import annotations

from PySide6.QtCore import QObject

from salesapp import pacing
from salesapp.ui.job_table_model import JobRow
from salesapp.ui.pump import Pump

_KEEP = ("queued", "running", "done")   # states a resubmitted id keeps


class IdSubmission(QObject):
    """Typed or imported ids -> `submit_later` at once, and rows a slice per turn (a `Pump`).

    The write does not wait for the rows: thousands of rows take seconds to show, and an id
    shown but not on disk is lost by a crash. Until its write returned, a row is "unsaved" (the
    table says "not yet saved"); before the engine is there every row is. `cancel` drops the
    rows not yet shown (their jobs are cancelled by the caller); `close` writes whatever is
    still held, so nothing asked for is lost.
    """

    def __init__(self, model, parent: QObject | None = None):
        super().__init__(parent)
        self._model, self._dispatcher = model, None
        self._rows = Pump(self._show, pacing.ROW_CHUNK, parent=self)
        self._unwritten: list[int] = []   # asked before there was a dispatcher: not yet written
        self._unsaved: set[int] = set()   # handed to the writer, its write not yet returned
        self.stopped = False   # a Cancel stopped the dispatcher: the next ids restart it
        self._failed_note: str | None = None   # the engine failed: new rows fail with this

    def add(self, ids) -> None:
        """Hand ids to the writer now (held until there is one); rows appear from the next turn."""
        ids = [int(i) for i in ids]
        if self.stopped and self._dispatcher is not None:
            self.stopped = False
            self._dispatcher.start()
        if self._failed_note is None:
            # updates for these ids (a runner may finish one first) wait for its row
            self._model.expect_rows(ids)
            self._unwritten.extend(ids)
            self._write()
        self._rows.add(ids)

    def attach(self, dispatcher) -> None:
        """The dispatcher, once loaded: the ids asked before it are written now."""
        self._dispatcher = dispatcher
        dispatcher.jobs_saved.connect(self.saved)
        self._write()

    def saved(self, ids) -> None:
        """A write returned: these ids are on disk; their rows shown as unsaved become queued."""
        self._unsaved.difference_update(ids)
        model = self._model
        rows = ((i, model.row_for(i)) for i in ids)
        model.queue_status([i for i, row in rows if row is not None and row.status == "unsaved"],
                           "queued")

    def write_failed(self, ids) -> None:
        """A write failed: these ids are no longer waiting for it (their rows say why)."""
        self._unsaved.difference_update(ids)

    def held(self) -> set[int]:
        """Ids asked for whose rows are not yet shown or whose write has not returned."""
        return set(self._rows.items()) | set(self._unwritten) | self._unsaved

    def fail(self, note: str) -> None:
        """The engine could not be loaded: the rows shown, and every later one, fail with `note`."""
        self._failed_note = note
        ids, self._unwritten = self._unwritten, []
        self._model.set_status(ids, "failed", note)

    def busy(self) -> bool:
        """True while ids are not all shown and written to the store."""
        return bool(len(self._rows) or self._unwritten or self._unsaved) or (
            self._dispatcher is not None and self._dispatcher.writes_pending())

    def cancel(self) -> list[int]:
        """Stop showing the ids not yet shown; returns them.

        With a dispatcher they are written (or their write is on its way): the caller cancels
        their jobs after it. Without one nothing was written: they are simply dropped.
        """
        dropped = self._rows.take()
        self._model.forget_expected(dropped)
        if self._dispatcher is None:   # nothing was written: the rows are only ours
            self._unwritten.clear()
        self.stopped = True
        return dropped

    def close(self) -> int:
        """Stop showing rows and write every id still held; returns how many new jobs have no row.

        Without a dispatcher (the engine never loaded) nothing can be written: the count is of
        every id asked for, shown or not.
        """
        backlog = self._rows.take()
        if self._dispatcher is None:
            return len(set(self._unwritten) | set(backlog))
        self._write()
        return len(self.rows_to_queue(backlog))

    def rows_to_queue(self, ids: list[int]) -> list[JobRow]:
        """New pending rows; rows already pending, running or done keep their state."""
        rows = (self._model.row_for(i) for i in ids)
        return [JobRow(i) for i, row in zip(ids, rows) if row is None or row.status not in _KEEP]

    def _show(self, ids: list[int]) -> None:
        if self._failed_note is not None:   # nothing can forecast them: say so at once
            self._model.add_rows([JobRow(i, "failed", note=self._failed_note) for i in ids])
            return
        # unsaved: no store yet, or the write has not returned
        unsaved = self._unsaved if self._dispatcher is not None else None
        rows = self.rows_to_queue(ids)
        for row in rows:
            if unsaved is None or row.item_id in unsaved:
                row.status = "unsaved"
        self._model.add_rows(rows)

    def _write(self) -> None:
        """Hand the ids not yet written to the dispatcher's writer (once there is one)."""
        if self._unwritten and self._dispatcher is not None:
            ids, self._unwritten = self._unwritten, []
            self._unsaved.update(ids)
            self._dispatcher.submit_later(ids)
