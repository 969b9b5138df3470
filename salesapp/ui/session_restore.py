"""Earlier sessions' jobs back into the table: a few ms' worth of rows per event-loop turn.

Adding 10,000 stored jobs in one `add_rows` froze the event loop for 0.4 s (50,000: 1.7 s). Here
they go in chunks until the turn's time is used, like typed ids (`id_submission`). Runners may
lease a restored queued job before its row exists (they lease FIFO, and typed ids start them), so
the model keeps updates for ids without a row while a restore runs and applies them when the row
is added (`JobTableModel.park_unknown_updates`).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from salesapp.ui.job_table_model import JobRow

# Stored job state -> the table's status (a lease of a worker that is gone goes back to queued).
STORE_STATES = {"queued": "queued", "leased": "queued", "running": "queued", "done": "done",
                "failed": "failed", "cancelled": "cancelled"}
# Rows per event-loop turn: chunks of `ROW_CHUNK` until `ROW_SECONDS` (wall time) are used. A
# row costs ~40 us of the GUI thread, 2-4x that while runners take turns at the GIL; each chunk
# is one insert (one rowsInserted for the views), so chunks are not made smaller than needed.
ROW_SECONDS = 0.003
ROW_CHUNK = 32


_FINAL = frozenset(("done", "failed", "cancelled"))


def pending_in(jobs) -> bool:
    """True if any stored job still has to be run (queued, or leased by a worker now gone)."""
    # one pass over every job on the GUI thread: the cheapest test per job (~80 ns)
    return not all(j.state in _FINAL for j in jobs)


class SessionRestore(QObject):
    """Adds the rows of stored jobs in time-bounded slices; done rows' results are fetched after.

    Rows appear from the turn after `start` on: the attach turn that starts it has enough to do
    (and the table's first change pays PySide's one-time set-up of the viewport, ~30 ms). Ids that have a row when their turn comes (typed meanwhile) keep it: that
    row is newer than the stored state read at start-up. `stop` drops the rest (the window
    closes); the store is only read, so nothing in it changes.
    """

    finished = Signal()

    def __init__(self, model, parent: QObject | None = None):
        super().__init__(parent)
        self._model = model
        self._dispatcher = None
        self._jobs: list = []
        self._next = 0
        self._skip: set[int] = set()
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_tick)

    def start(self, jobs, dispatcher, skip=()) -> None:
        """Restore `jobs` (stored `Job`s, in submission order), skipping the ids in `skip`."""
        self._jobs, self._next = list(jobs), 0
        self._dispatcher, self._skip = dispatcher, set(skip)
        if not self._jobs:
            return
        self._model.park_unknown_updates(True)
        self._timer.start()

    def active(self) -> bool:
        """True while stored jobs are still to be shown."""
        return self._next < len(self._jobs)

    def stop(self) -> None:
        """Show no more rows (the window closes); updates kept for them are dropped."""
        if self.active():
            self._jobs, self._next = [], 0
            self._finish()

    def queued_left(self) -> list[int]:
        """Ids of stored pending jobs whose rows are not shown yet (for Cancel and the close)."""
        return [j.item_id for j in self._jobs[self._next:]
                if STORE_STATES.get(j.state, "queued") == "queued" and j.item_id not in self._skip]

    @Slot()
    def _on_tick(self) -> None:
        deadline = time.perf_counter() + ROW_SECONDS
        done: list[tuple[str, int]] = []
        shown = 0
        while self.active() and (shown == 0 or time.perf_counter() < deadline):
            shown += self._add_chunk(done)
        if done:   # read on the writer thread; they arrive as `job_cached`, after their rows
            self._dispatcher.fetch_results(done)
        if not self.active():
            self._finish()

    def _add_chunk(self, done: list) -> int:
        """Rows of the next `ROW_CHUNK` jobs; (version, id) of the done ones appended to `done`."""
        chunk = self._jobs[self._next:self._next + ROW_CHUNK]
        self._next += len(chunk)
        rows, model = [], self._model
        for job in chunk:
            item_id = int(job.item_id)
            if item_id in self._skip or model.row_for(item_id) is not None:
                continue
            status = STORE_STATES.get(job.state, "queued")
            rows.append(JobRow(item_id, status, note=job.error or ""))
            if status == "done":
                done.append((job.model_version, item_id))
        if rows:
            model.add_rows(rows)
        return len(chunk)

    def _finish(self) -> None:
        self._timer.stop()
        self._jobs, self._next = [], 0
        self._model.park_unknown_updates(False)
        self.finished.emit()
