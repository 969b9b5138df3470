"""Ids on their way in: pending rows at once, in slices, and their store writes off the GUI thread."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Slot

from salesapp.ui.job_table_model import JobRow

# Ids shown as pending rows per event-loop turn: chunks of `ROW_CHUNK` for `ROW_SECONDS` (wall
# time), at most `ROW_SLICE`. A row costs ~35 us of the GUI thread's CPU, and its Python runs
# 2-4x slower in wall time while the runners and the writer take turns at the GIL (a fixed 128 a
# turn stalled the loop past 50 ms, 64 did not but left the workers waiting for ids to run;
# bench_gui_stall). Their store writes go to the dispatcher's writer in batches of `WRITE_BATCH`
# (one transaction each).
ROW_SECONDS = 0.003
ROW_CHUNK = 16
ROW_SLICE = 512
WRITE_BATCH = 500
_KEEP = ("queued", "running", "done")   # states a resubmitted id keeps


class IdSubmission(QObject):
    """Typed or imported ids -> pending rows (a few ms' worth per turn) -> `submit_later`.

    The row appears before the store write returns; the write follows within the same second.
    `cancel` drops the ids not yet shown; `close` writes them, so nothing asked for is lost.
    """

    def __init__(self, model, dispatcher, parent: QObject | None = None):
        super().__init__(parent)
        self._model, self._dispatcher = model, dispatcher
        self._backlog: list[int] = []
        self._unwritten: list[int] = []   # shown as rows, not yet handed to the writer
        self.stopped = False   # a Cancel stopped the dispatcher: the next ids restart it
        self._closed = False
        self._failed_note: str | None = None   # the engine failed: new rows fail with this
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_tick)

    def add(self, ids) -> None:
        """Queue ids; their rows appear from the next event-loop turn on."""
        self._backlog.extend(int(i) for i in ids)
        if not self._timer.isActive():
            self._timer.start()

    def attach(self, dispatcher) -> None:
        """The dispatcher, once loaded: the rows shown before it are written now."""
        self._dispatcher = dispatcher
        if not self._timer.isActive():
            self._write()

    def held(self) -> set[int]:
        """Ids asked for and not yet handed to the writer (shown or not)."""
        return set(self._backlog) | set(self._unwritten)

    def fail(self, note: str) -> None:
        """The engine could not be loaded: the rows shown, and every later one, fail with `note`."""
        self._failed_note = note
        ids, self._unwritten = self._unwritten, []
        self._model.set_status(ids, "failed", note)

    def busy(self) -> bool:
        """True while ids are not all shown and written to the store."""
        return bool(self._backlog or self._unwritten) or (
            self._dispatcher is not None and self._dispatcher.writes_pending())

    def cancel(self) -> int:
        """Drop the ids not yet shown (never written); returns how many."""
        dropped = len(self._backlog)
        self._backlog.clear()
        if self._dispatcher is None:   # nothing was written: the shown rows are only ours
            self._unwritten.clear()
        self._write()   # rows already shown: written, so that the cancel after them finds them
        self._timer.stop()
        self.stopped = True
        return dropped

    def close(self) -> int:
        """Hand every id not yet shown to the writer (no rows); returns how many new jobs that is.

        Without a dispatcher (the engine never loaded) nothing can be written: the count is of
        every id asked for, shown or not.
        """
        self._closed = True
        self._timer.stop()
        backlog, self._backlog = self._backlog, []
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

    @Slot()
    def _on_tick(self) -> None:
        if self._closed:
            self._timer.stop()
            return
        if self._backlog and self.stopped and self._dispatcher is not None:
            self.stopped = False
            self._dispatcher.start()
        # Rows in chunks until the turn's time is used: few while the workers take the GIL in
        # turns with this thread, more when they do not (the workers wait for the ids written).
        deadline = time.perf_counter() + ROW_SECONDS
        shown = 0
        while self._backlog and shown < ROW_SLICE and (
                shown == 0 or time.perf_counter() < deadline):
            chunk = self._backlog[:ROW_CHUNK]
            del self._backlog[:ROW_CHUNK]
            if self._failed_note is not None:   # nothing can forecast them: say so at once
                self._model.add_rows([JobRow(i, "failed", note=self._failed_note) for i in chunk])
            else:
                self._model.add_rows(self.rows_to_queue(chunk))
                self._unwritten.extend(chunk)
            shown += len(chunk)
            if len(self._unwritten) >= WRITE_BATCH:
                self._write()
        if not self._backlog:
            self._timer.stop()
            self._write()

    def _write(self) -> None:
        """Hand the ids shown but not yet written to the dispatcher's writer (once there is one)."""
        if self._unwritten and self._dispatcher is not None:
            ids, self._unwritten = self._unwritten, []
            self._dispatcher.submit_later(ids)
