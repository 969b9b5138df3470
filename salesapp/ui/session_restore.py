"""Earlier sessions' jobs back into the table: a slice of rows per event-loop turn (a `Pump`).

Runners may lease a restored queued job before its row exists (they lease FIFO, and typed ids
start them), so the model keeps updates for ids without a row while a restore runs and applies
them when the row is added (`JobTableModel.park_unknown_updates`).

The done rows' results are read on the dispatcher's writer thread, only as fast as the table
applies them: a decoded result is many small lists until it is applied, and 10,000s of them
waiting at once would make each full cyclic collection walk millions of objects.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QObject, QTimer, Slot

from salesapp import pacing
from salesapp.model.unknown_items import UNKNOWN_ITEM
from salesapp.ui.job_table_model import JobRow
from salesapp.ui.pump import Pump

# Stored job state -> the table's status (a lease of a worker that is gone goes back to queued).
STORE_STATES = {"queued": "queued", "leased": "queued", "done": "done", "failed": "failed"}
_FINAL = frozenset(("done", "failed", "cancelled"))
_READ_RESULT = frozenset(("done", UNKNOWN_ITEM))   # restored rows whose stored result is read


class StoredJobs(list):
    """Stored jobs as the engine loader read them, with `pending`: how many still have to be run
    (queued, or leased by a worker that may be gone), counted on the loader's thread so that the
    hand-over turn on the GUI thread need not loop over every job."""

    def __init__(self, jobs=()):
        super().__init__(jobs)
        self.pending = sum(j.state not in _FINAL for j in self)


def pending_count(jobs) -> int:
    """How many of `jobs` still have to be run (read from a `StoredJobs`, else counted)."""
    known = getattr(jobs, "pending", None)
    return known if known is not None else sum(j.state not in _FINAL for j in jobs)


class SessionRestore(QObject):
    """Adds the rows of stored jobs in time-bounded slices; done rows' results are fetched after.

    Rows appear from the turn after `start` on: the hand-over turn that starts it has enough to
    do. Ids that have a row when their turn comes (typed meanwhile) keep it: that row is newer
    than the stored state read at start-up. `stop` drops the rest (the window closes); the store
    is only read, so nothing in it changes.
    """

    def __init__(self, model, parent: QObject | None = None):
        super().__init__(parent)
        self._model = model
        self._dispatcher = None
        self._skip: set[int] = set()
        self._catalogue: tuple = (None, frozenset())
        # results are asked for after each slice of rows, then every FETCH_INTERVAL_MS
        self._rows = Pump(self._add_rows, pacing.ROW_CHUNK, after_turn=self._feed_fetches,
                          parent=self)
        self._rows.drained.connect(self._rows_done)
        self._fetch: deque = deque()   # (model_version, item_id) of done rows shown, to read
        self._fetch_timer = QTimer(self)
        self._fetch_timer.setInterval(pacing.FETCH_INTERVAL_MS)
        self._fetch_timer.timeout.connect(self._feed_fetches)

    def start(self, jobs, dispatcher, skip=(), catalogue=None) -> None:
        """Restore `jobs` (stored `Job`s, in submission order), skipping the ids in `skip`.

        `catalogue`: (model version, the item ids that model knows): a done job of that version
        for another id shows as an unknown item at once, not as done until its result is read.
        """
        self._dispatcher, self._skip = dispatcher, set(skip)
        self._catalogue = (None, frozenset()) if catalogue is None else (
            catalogue[0], frozenset(int(i) for i in catalogue[1]))
        if not jobs:
            return
        self._model.park_unknown_updates(True)
        self._rows.add(jobs)

    def active(self) -> bool:
        """True while stored jobs are still to be shown."""
        return bool(len(self._rows))

    def stop(self) -> None:
        """Show no more rows and read no more results (the window closes)."""
        self._fetch.clear()
        self._fetch_timer.stop()
        if self._rows.take():
            self._model.park_unknown_updates(False)

    def queued_left(self) -> list[int]:
        """Ids of stored pending jobs whose rows are not shown yet (for Cancel and the close)."""
        return [j.item_id for j in self._rows.items()
                if STORE_STATES.get(j.state, "queued") == "queued" and j.item_id not in self._skip]

    def _add_rows(self, jobs: list) -> None:
        """One insert for the rows of these jobs; done rows' results are queued to be read."""
        rows, model = [], self._model
        for job in jobs:
            item_id = int(job.item_id)
            if item_id in self._skip or model.row_for(item_id) is not None:
                continue
            status = STORE_STATES.get(job.state, "queued")
            note = job.error or ""
            if (status == "done" and job.model_version == self._catalogue[0]
                    and item_id not in self._catalogue[1]):
                status = note = UNKNOWN_ITEM   # its result, read next, says it in full
            rows.append(JobRow(item_id, status, note=note))
            if status in _READ_RESULT:
                self._fetch.append((job.model_version, item_id))
        if rows:
            model.add_rows(rows)

    @Slot()
    def _feed_fetches(self) -> None:
        """Ask the writer for the next results when the table is ready for them.

        A row asked for again since it was shown (pending, or done with a newer result) is not
        read: the stored result of the earlier session would overwrite the newer state.
        """
        if not self._fetch:
            self._fetch_timer.stop()
            return
        if (self._model.pending_updates() < pacing.FETCH_AHEAD
                and not self._dispatcher.writes_pending()):
            pairs = []
            while self._fetch and len(pairs) < pacing.FETCH_BATCH:
                pair = self._fetch.popleft()
                row = self._model.row_for(pair[1])
                if row is not None and row.status in _READ_RESULT and row.result is None:
                    pairs.append(pair)
            if pairs:
                self._dispatcher.fetch_results(pairs)

    @Slot()
    def _rows_done(self) -> None:
        self._model.park_unknown_updates(False)
        if self._fetch:
            self._fetch_timer.start()
