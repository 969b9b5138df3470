"""The table of jobs: a QAbstractTableModel over a plain list of rows plus a dict id -> row."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon

from salesapp.paths import resource_path

StatusRole = Qt.UserRole + 1
ResultRole = Qt.UserRole + 2
SortRole = Qt.UserRole + 3

COLUMNS = ("Item id", "Item name", "Category", "Status", "Total forecast", "Top shops", "Note")
STATUSES = ("queued", "running", "done", "failed", "cancelled")
STATUS_COLOURS = {"queued": "#6b717a", "running": "#1f6fd1", "done": "#23803f",
                  "failed": "#b3261e", "cancelled": "#8a6410"}
_ROOT = QModelIndex()   # the invalid index: default parent of a flat table
_DISPLAY, _DECORATION, _ALIGNMENT, _FOREGROUND = (int(Qt.DisplayRole), int(Qt.DecorationRole),
                                                  int(Qt.TextAlignmentRole),
                                                  int(Qt.ForegroundRole))
# Roles the delegate asks for at every paint that this model leaves to the style.
_UNUSED_ROLES = frozenset(int(r) for r in (Qt.FontRole, Qt.BackgroundRole, Qt.CheckStateRole,
                                           Qt.ToolTipRole, Qt.StatusTipRole, Qt.WhatsThisRole,
                                           Qt.SizeHintRole, Qt.EditRole))
_RIGHT = int(Qt.AlignRight | Qt.AlignVCenter)
_N_COLUMNS = len(COLUMNS)
SLICE_SECONDS = 0.01   # per timer tick; the views' reaction (a paint) comes on top


@dataclass
class JobRow:
    """One line of the table: an item id, its status, and its result once done."""

    item_id: int
    status: str = "queued"
    result: dict | None = None
    note: str = ""
    cells: tuple = field(default=(), repr=False)   # display texts, cached per change


def _top_shops(result: dict, shop_names: dict[int, str], n: int = 3) -> str:
    best = sorted(result.get("shops") or [], key=lambda s: -s[1])[:n]
    return ", ".join(f"{shop_names.get(s, s)} ({f:.1f})" for s, f in best)


class JobTableModel(QAbstractTableModel):
    """Rows of jobs; incoming results are queued and applied in short slices by a timer."""

    counts_changed = Signal(dict)

    def __init__(self, shop_names: dict[int, str] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._rows: list[JobRow] = []
        self._index: dict[int, int] = {}
        self._shop_names = shop_names or {}
        self._pending: deque = deque()
        self._counts = dict.fromkeys(STATUSES, 0)   # kept incrementally: no full scan per update
        self._icons = {s: QIcon(str(resource_path("resources", "icons", f"{s}.svg")))
                       for s in STATUSES}
        self._colours = {s: QColor(c) for s, c in STATUS_COLOURS.items()}
        self._drain = QTimer(self)
        self._drain.setInterval(0)
        self._drain.timeout.connect(self._apply_slice)

    # -- Qt model API -------------------------------------------------------------------------
    def rowCount(self, parent=_ROOT):
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=_ROOT):
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def index(self, row, column, parent=_ROOT):
        """Qt's default asks rowCount and columnCount, two Python calls; one here."""
        if parent.isValid() or not (0 <= row < len(self._rows) and 0 <= column < _N_COLUMNS):
            return QModelIndex()
        return self.createIndex(row, column)

    def data(self, index, role=Qt.DisplayRole):
        """Display texts, status icon/colour, and the custom roles (status, result, sort key)."""
        pos = index.row()   # an invalid index has row -1
        if pos < 0 or pos >= len(self._rows):
            return None
        return self._value(self._rows[pos], index.column(), role)

    def multiData(self, index, span):
        """Every role a delegate asks for one cell in one call (Qt would call data() per role).

        Each call from Qt into Python waits for the GIL the pool threads hold: a paint that asks
        7 roles of 70 cells is 70 waits here instead of 490.
        """
        pos = index.row()
        if pos < 0 or pos >= len(self._rows):
            return
        row, col = self._rows[pos], index.column()
        for role_data in span:
            value = self._value(row, col, role_data.role())
            # The delegate reuses its span from cell to cell: clear what this cell leaves unset.
            if value is None:
                role_data.clearData()
            else:
                role_data.setData(value)

    def _value(self, row: JobRow, col: int, role: int):
        if role == _DISPLAY:
            return (row.cells or self._cells(row))[col]
        if role in _UNUSED_ROLES:
            return None
        if role == _DECORATION:
            return self._icons[row.status] if col == 3 else None
        if role == _FOREGROUND:
            return self._colours[row.status] if col == 3 else None
        if role == _ALIGNMENT:
            return _RIGHT if col in (0, 4) else None
        if role == StatusRole:
            return row.status
        if role == ResultRole:
            return row.result
        if role == SortRole:
            return self._sort_key(row, col)
        return None

    # -- rows ---------------------------------------------------------------------------------
    def _cells(self, row: JobRow) -> tuple:
        if not row.cells:
            r = row.result or {}
            total = r.get("total")
            row.cells = (str(row.item_id), r.get("item_name") or "", r.get("category_name") or "",
                         row.status, "" if total is None else f"{total:.2f}",
                         _top_shops(r, self._shop_names) if r else "", row.note)
        return row.cells

    def _sort_key(self, row: JobRow, col: int):
        if col == 0:
            return row.item_id
        if col == 4:
            total = (row.result or {}).get("total")
            return -1.0 if total is None else float(total)
        return self._cells(row)[col]

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        """Sort the rows by a column: one Python sort and one layout change.

        Rows added later are appended (not placed), until the next sort.
        """
        if not 0 <= column < _N_COLUMNS:
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()   # selection and current index follow their rows
        ids = [self._rows[i.row()].item_id for i in persistent]
        self._rows.sort(key=lambda r: self._sort_key(r, column),
                        reverse=order == Qt.DescendingOrder)
        self._index = {r.item_id: i for i, r in enumerate(self._rows)}
        self.changePersistentIndexList(
            persistent, [self.index(self._index[i], p.column()) for i, p in zip(ids, persistent)])
        self.layoutChanged.emit()

    def row_contains(self, pos: int, needle: str) -> bool:
        """True if a display cell of row `pos` contains `needle` (already case-folded)."""
        row = self._rows[pos]
        return any(needle in cell.casefold() for cell in (row.cells or self._cells(row)))

    def row_for(self, item_id: int) -> JobRow | None:
        """The row of an item id, or None."""
        pos = self._index.get(int(item_id))
        return None if pos is None else self._rows[pos]

    def item_ids(self) -> list[int]:
        """Every item id shown, in row order."""
        return [r.item_id for r in self._rows]

    def add_rows(self, rows: list[JobRow]) -> None:
        """Append new rows (ids already shown are updated instead), one insert per batch."""
        fresh, seen = [], set()
        for r in rows:
            if r.item_id in self._index:
                self._set(self._index[r.item_id], r.status, r.result, r.note)
            elif r.item_id not in seen:
                seen.add(r.item_id)
                fresh.append(r)
        if fresh:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            for i, r in enumerate(fresh):
                self._index[r.item_id] = first + i
                self._counts[r.status] += 1
            self._rows.extend(fresh)
            self.endInsertRows()
        self._emit_counts()

    def remove_ids(self, item_ids) -> None:
        """Remove rows from the view (not from the store)."""
        gone = {int(i) for i in item_ids} & self._index.keys()
        if not gone:
            return
        self.beginResetModel()   # one reset beats many scattered removals for big selections
        for r in self._rows:
            if r.item_id in gone:
                self._counts[r.status] -= 1
        self._rows = [r for r in self._rows if r.item_id not in gone]
        self._index = {r.item_id: i for i, r in enumerate(self._rows)}
        self.endResetModel()
        self._emit_counts()

    def _set(self, pos: int, status: str, result: dict | None = None, note: str | None = None):
        row = self._rows[pos]
        self._counts[row.status] -= 1
        self._counts[status] += 1
        row.status = status
        if result is not None:
            row.result = result
        if note is not None:
            row.note = note
        row.cells = ()

    def set_status(self, item_ids, status: str, note: str | None = None) -> None:
        """Change the status of shown rows; one dataChanged over the touched span."""
        touched = []
        for i in item_ids:
            pos = self._index.get(int(i))
            if pos is not None:
                self._set(pos, status, note=note)
                touched.append(pos)
        self._changed(touched)

    def queue_results(self, results: list[dict]) -> None:
        """Queue finished results; the timer applies them in slices of at most ~40 ms."""
        self._pending.extend(results)
        self._start_drain()

    def queue_failures(self, failures: list) -> None:
        """Queue (item_id, reason) pairs, applied with the results."""
        self._pending.extend(("failed", int(i), str(reason)) for i, reason in failures)
        self._start_drain()

    def queue_status(self, item_ids, status: str, note: str | None = None) -> None:
        """Queue a status change of shown rows, applied in order with the results."""
        self._pending.extend((status, int(i), note) for i in item_ids)
        self._start_drain()

    def _start_drain(self) -> None:
        if not self._drain.isActive():
            self._drain.start()

    def pending_updates(self) -> int:
        """How many queued updates are not yet applied."""
        return len(self._pending)

    def _apply_slice(self) -> None:
        deadline = time.perf_counter() + SLICE_SECONDS
        touched = []
        while self._pending and time.perf_counter() < deadline:
            for _ in range(min(50, len(self._pending))):
                pos = self._apply_one(self._pending.popleft())
                if pos is not None:
                    touched.append(pos)
        self._changed(touched)
        if not self._pending:
            self._drain.stop()

    def _apply_one(self, update) -> int | None:
        if isinstance(update, tuple):
            status, item_id, note = update
            pos = self._index.get(item_id)
            if pos is not None:
                self._set(pos, status, note=note)
            return pos
        pos = self._index.get(int(update["item_id"]))
        if pos is not None:
            self._set(pos, *result_status(compact_result(update)))
        return pos

    def _changed(self, touched: list[int]) -> None:
        if touched:
            self.dataChanged.emit(self.index(min(touched), 0),
                                  self.index(max(touched), len(COLUMNS) - 1))
            self._emit_counts()

    def counts(self) -> dict[str, int]:
        """Rows per status (the shown rows, not the store)."""
        return dict(self._counts)

    def _emit_counts(self) -> None:
        self.counts_changed.emit(self.counts())


def compact_result(result: dict) -> dict:
    """A copy of `result` whose [a, b] pair lists are tuples.

    The cyclic GC stops tracking a tuple of numbers; lists it walks at every full collection, and
    10,000 results hold about a million of them (measured: a full collection of the window's
    process 200 ms with 10,000 results as lists, under 1 ms with tuples after gc.freeze()).
    """
    out = dict(result)
    for key in ("shops", "history"):
        pairs = out.get(key)
        if isinstance(pairs, list):
            out[key] = tuple(map(tuple, pairs))
    return out


def result_status(result: dict) -> tuple[str, dict, str]:
    """(status, result, note) for a result dict: unknown ids are failures, cold starts noted."""
    if result.get("status") == "error":
        return "failed", result, result.get("error") or "failed"
    note = "cold start: category-level forecast" if result.get("cold_start") else ""
    return "done", result, note
