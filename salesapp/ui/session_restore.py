"""Earlier sessions' jobs back into the table: a few ms' worth of rows per event-loop turn.

Adding 10,000 stored jobs in one `add_rows` froze the event loop for 0.4 s (50,000: 1.7 s). Here
they go in chunks until the turn's time is used, like typed ids (`id_submission`). Runners may
lease a restored queued job before its row exists (they lease FIFO, and typed ids start them), so
the model keeps updates for ids without a row while a restore runs and applies them when the row
is added (`JobTableModel.park_unknown_updates`).

The done rows' results are read on the dispatcher's writer thread, only as fast as the table
applies them: a decoded result holds ~80 small lists until it is applied (then tuples), and with
10,000s waiting, a full cyclic collection walking millions of them froze the window for seconds
(measured 2.2 s at 50,000 rows when every result was asked for at once).
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QObject, QTimer, Slot

from salesapp.ui.job_table_model import JobRow

# Stored job state -> the table's status (a lease of a worker that is gone goes back to queued).
STORE_STATES = {"queued": "queued", "leased": "queued", "done": "done", "failed": "failed"}
# Rows per event-loop turn: chunks of `ROW_CHUNK` until `ROW_SECONDS` (wall time) are used. A
# row costs ~40 us of the GUI thread, 2-4x that while runners take turns at the GIL; each chunk
# is one insert (one rowsInserted for the views), so chunks are not made smaller than needed.
ROW_SECONDS = 0.003
ROW_CHUNK = 32
# Results asked of the writer per call, and only while fewer than `FETCH_AHEAD` updates wait in
# the table's queue and the writer has nothing else to do: the table applies ~2,500 a second.
FETCH_BATCH = 256
FETCH_AHEAD = 512
# Once every row is shown, the timer only feeds the fetches: no need to turn every loop.
FETCH_INTERVAL_MS = 20

_FINAL = frozenset(("done", "failed", "cancelled"))


class StoredJobs(list):
    """Stored jobs as the engine loader read them, with `pending`: how many still have to be run
    (queued, or leased by a worker that may be gone), counted on the loader's thread (at 50,000
    jobs a count is ~5 ms that the attach turn need not pay)."""

    def __init__(self, jobs=()):
        super().__init__(jobs)
        self.pending = sum(j.state not in _FINAL for j in self)


def pending_count(jobs) -> int:
    """How many of `jobs` still have to be run (read from a `StoredJobs`, else counted)."""
    known = getattr(jobs, "pending", None)
    return known if known is not None else sum(j.state not in _FINAL for j in jobs)


class SessionRestore(QObject):
    """Adds the rows of stored jobs in time-bounded slices; done rows' results are fetched after.

    Rows appear from the turn after `start` on: the attach turn that starts it has enough to do
    (and the table's first change pays PySide's one-time set-up of the viewport, ~30 ms). Ids
    that have a row when their turn comes (typed meanwhile) keep it: that row is newer than the
    stored state read at start-up. `stop` drops the rest (the window closes); the store is only
    read, so nothing in it changes.
    """

    def __init__(self, model, parent: QObject | None = None):
        super().__init__(parent)
        self._model = model
        self._dispatcher = None
        self._jobs: list = []
        self._next = 0
        self._skip: set[int] = set()
        self._fetch: deque = deque()   # (model_version, item_id) of done rows shown, to read
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_tick)

    def start(self, jobs, dispatcher, skip=()) -> None:
        """Restore `jobs` (stored `Job`s, in submission order), skipping the ids in `skip`."""
        self._jobs, self._next = list(jobs), 0
        self._dispatcher, self._skip = dispatcher, set(skip)
        if not self._jobs:
            return
        self._model.park_unknown_updates(True)
        self._timer.setInterval(0)
        self._timer.start()

    def active(self) -> bool:
        """True while stored jobs are still to be shown."""
        return self._next < len(self._jobs)

    def stop(self) -> None:
        """Show no more rows and read no more results (the window closes)."""
        self._fetch.clear()
        self._timer.stop()
        if self.active():
            self._jobs, self._next = [], 0
            self._rows_done()

    def queued_left(self) -> list[int]:
        """Ids of stored pending jobs whose rows are not shown yet (for Cancel and the close)."""
        return [j.item_id for j in self._jobs[self._next:]
                if STORE_STATES.get(j.state, "queued") == "queued" and j.item_id not in self._skip]

    @Slot()
    def _on_tick(self) -> None:
        if self.active():
            deadline = time.perf_counter() + ROW_SECONDS
            shown = 0
            while self.active() and (shown == 0 or time.perf_counter() < deadline):
                shown += self._add_chunk()
            if not self.active():
                self._rows_done()
        self._feed_fetches()
        if not self.active() and not self._fetch:
            self._timer.stop()

    def _add_chunk(self) -> int:
        """Rows of the next `ROW_CHUNK` jobs; returns how many jobs it went through."""
        start = self._next
        chunk = self._jobs[start:start + ROW_CHUNK]
        self._next += len(chunk)
        # let go of the stored jobs as they are shown (freeing 50,000 at the end took 7 ms)
        self._jobs[start:self._next] = [None] * len(chunk)
        rows, model = [], self._model
        for job in chunk:
            item_id = int(job.item_id)
            if item_id in self._skip or model.row_for(item_id) is not None:
                continue
            status = STORE_STATES.get(job.state, "queued")
            rows.append(JobRow(item_id, status, note=job.error or ""))
            if status == "done":
                self._fetch.append((job.model_version, item_id))
        if rows:
            model.add_rows(rows)
        return len(chunk)

    def _feed_fetches(self) -> None:
        """Ask the writer for the next results when the table is ready for them.

        A row asked for again since it was shown (pending, or done with a newer result) is not
        read: the stored result of the earlier session would overwrite the newer state.
        """
        if (self._fetch and self._model.pending_updates() < FETCH_AHEAD
                and not self._dispatcher.writes_pending()):
            pairs = []
            while self._fetch and len(pairs) < FETCH_BATCH:
                pair = self._fetch.popleft()
                row = self._model.row_for(pair[1])
                if row is not None and row.status == "done" and row.result is None:
                    pairs.append(pair)
            if pairs:
                self._dispatcher.fetch_results(pairs)

    def _rows_done(self) -> None:
        self._jobs, self._next = [], 0
        self._timer.setInterval(FETCH_INTERVAL_MS)
        self._model.park_unknown_updates(False)
