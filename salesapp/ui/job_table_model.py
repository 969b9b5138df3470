"""The table of jobs: Python rows (a list plus a dict id -> row) mirrored into Qt's own C++ items.

Why C++ items: a Python model answers every cell of every paint with a call into Python (index()
and multiData() per cell, over a hundred calls for the visible part of the table), and each of
those calls waits for the GIL. While the worker threads run Python, each wait lasts up to the
switch interval, so a paint would take many times its own CPU time. Painting from a
`QStandardItemModel` calls no Python at all; the Python side writes a row's cells once per
change, in slices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QStandardItemModel

from salesapp import pacing
from salesapp.exports.result_months import AHEAD, checked_ahead, month_in, months_of
from salesapp.model.unknown_items import UNKNOWN_ITEM, is_unknown_item
from salesapp.paths import resource_path
from salesapp.ui.months import month_label
from salesapp.ui.pump import Pump

StatusRole = Qt.UserRole + 1
ResultRole = Qt.UserRole + 2
SortRole = Qt.UserRole + 3

COLUMNS = ("Item id", "Item name", "Category", "Status", "Total forecast", "Range P10-P90",
           "Top shops", "Note", "Model")
# "unsaved": asked for and shown, its store write not yet returned (a crash now would lose it)
STATUSES = ("unsaved", "queued", "running", "done", UNKNOWN_ITEM, "failed", "cancelled")
STATUS_TEXT = {"unsaved": "not yet saved"}   # a status's words in the table, where not its key
STATUS_COLOURS = {"unsaved": "#a05a00", "queued": "#6b717a", "running": "#1f6fd1", "done": "#23803f",
                  UNKNOWN_ITEM: "#6a4c93", "failed": "#b3261e", "cancelled": "#8a6410"}
STATUS_COLUMN = 3   # holds StatusRole and ResultRole besides the status text, icon and colour
TOTAL_COLUMN, MODEL_COLUMN = 4, 8   # marked when the result is another model's than the active one
OTHER_MODEL_COLOUR = "#7a7f87"
_RIGHT = Qt.AlignRight | Qt.AlignVCenter
_N_COLUMNS = len(COLUMNS)
_TEXT_COLUMNS = (1, 2, 4, 5, 6, 7, 8)   # written as plain text when they change
MAIN_COLUMN = 4   # the total over the shops, or the one shop a manager chose (`set_main_shop`)
RANGE_COLUMN = 5   # the main column's P10-P90 range
TOP_SHOPS_COLUMN = 6
NO_MONTH = "—"   # the main column of a forecast that has no figure for the month picked
# roles as the ints `setItemData` takes
_DISPLAY, _DECORATION, _FOREGROUND, _ALIGN, _FONT, _TOOLTIP = (int(r) for r in (
    Qt.DisplayRole, Qt.DecorationRole, Qt.ForegroundRole, Qt.TextAlignmentRole, Qt.FontRole,
    Qt.ToolTipRole))
_STATUS, _RESULT, _SORT = int(StatusRole), int(ResultRole), int(SortRole)


@dataclass
class JobRow:
    """One line of the table: an item id, its status, and its result once done."""

    item_id: int
    status: str = "queued"
    result: dict | None = None
    note: str = ""
    cells: tuple = field(default=(), repr=False)   # display texts, cached per change


class StoredResult(dict):
    """A result dict as the table keeps it. Qt stores a dict subclass by reference (a plain dict
    it would convert to a QVariantMap and back, a deep copy each time)."""

    __slots__ = ()


def _forecast_month(result: dict, form: str = "{}") -> str:
    block = result.get("forecast_block")
    if isinstance(block, bool) or not isinstance(block, int) or block < 0:
        return ""
    return form.format(month_label(block))


def range_text(low, high) -> str:
    """A P10-P90 range as the table and the detail panel show it ("" without one)."""
    return "" if low is None or high is None else f"{low:.1f} – {high:.1f}"


def _model_text(result: dict) -> str:
    """'a9b87ac0754a · Nov 2015': the model a result comes from and the month it forecasts."""
    version = result.get("model_version")
    if not version:
        return ""
    return f"{version}{_forecast_month(result, ' · {}')}"


def _top_shops(pairs, shop_names: dict[int, str], n: int = 3) -> str:
    best = sorted(pairs or [], key=lambda s: -s[1])[:n]
    return ", ".join(f"{shop_names.get(s, s)} ({f:.1f})" for s, f in best)


class JobTableModel(QStandardItemModel):
    """Rows of jobs; incoming updates are queued and applied in short slices (a `Pump`).

    The rows' state lives in Python (`JobRow`); every change is written into the C++ items of
    the changed cells only, with the model's signals held, then announced by one `dataChanged`
    per slice. Updates of one id that wait together are applied together, in their order, with
    one write: a "running" whose result came before the slice reached it is never shown.
    """

    counts_changed = Signal(dict)

    def __init__(self, shop_names: dict[int, str] | None = None, parent: QObject | None = None):
        super().__init__(0, _N_COLUMNS, parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.setSortRole(SortRole)
        self._rows: list[JobRow] = []
        self._index: dict[int, int] = {}
        self._shop_names = shop_names or {}
        self._main_shop: int | None = None
        self._shop_label = ""
        # The month the main columns show: None, each row's next month (the result's own
        # fields); else a date_block_num, read from the months ahead (`set_main_month`).
        self._main_block: int | None = None
        self._main_month_label = ""
        self._waiting: dict[int, list] = {}   # item id -> its updates not yet applied, in order
        self._touched: list[int] = []   # rows changed in this slice, for its one dataChanged
        self._counts = dict.fromkeys(STATUSES, 0)   # kept incrementally: no full scan per update
        # While earlier sessions' rows are still being added, an update for an id with no row may
        # be for one of them (a runner leases restored jobs FIFO): kept, folded in when it comes.
        self._parking = False
        self._parked: dict[int, list] = {}
        # Ids whose rows are still to be added while their jobs may already run (the store write
        # goes ahead of the paced rows): their updates are parked the same way, whatever the restore.
        self._expected: set[int] = set()
        self._icons = {s: QIcon(str(resource_path("resources", "icons", f"{s.replace(' ', '_')}.svg")))
                       for s in STATUSES}
        # a brush, as QStandardItem.setForeground stores it
        self._colours = {s: QBrush(QColor(c)) for s, c in STATUS_COLOURS.items()}
        self._updates = Pump(self._apply_waiting, pacing.UPDATES_PER_CHECK,
                             after_turn=self._announce_slice, parent=self)
        # The version of the model that answers now: rows whose result is another's are marked.
        self._active_version: str | None = None
        self._other_model_font = QFont()
        self._other_model_font.setItalic(True)
        self._other_model_brush = QBrush(QColor(OTHER_MODEL_COLOUR))
        self._remarks = Pump(self._remark, pacing.ROW_CHUNK, after_turn=self._announce_slice,
                             parent=self)

    # -- the C++ items ---------------------------------------------------------------------------
    # Written with one `setItemData` per cell (the roles it changes), the cheapest of Qt's ways:
    # Qt makes a missing item itself, in C++, and no Python wrapper is kept. An item made in
    # Python and given with `setItem` keeps its wrapper as long as the row, for every full
    # collection of the cyclic GC to walk, and PySide's wrapper map grows with them. (No
    # QStandardItem.clone() either: a clone is a plain C++ item behind a Python wrapper, and
    # PySide frees it twice when the model deletes one that was replaced.)
    def _write_status(self, pos: int, row: JobRow) -> None:
        roles = {_DISPLAY: STATUS_TEXT.get(row.status, row.status),
                 _DECORATION: self._icons[row.status], _FOREGROUND: self._colours[row.status],
                 _STATUS: row.status}
        if row.result is not None:
            roles[_RESULT] = row.result
        self.setItemData(self.index(pos, STATUS_COLUMN), roles)

    def _write_new(self, pos: int, row: JobRow) -> None:
        """Items of a new row: the id and the status cell; the rest when there is text."""
        cells = self._cells(row)
        self.setItemData(self.index(pos, 0),
                         {_DISPLAY: cells[0], _ALIGN: _RIGHT, _SORT: row.item_id})
        self._write_status(pos, row)
        for col in _TEXT_COLUMNS:
            if cells[col] or (col == 4 and row.result is not None):
                self._put_text(pos, col, cells[col], row)

    def _write_change(self, pos: int, row: JobRow, old_cells: tuple, new_result: bool) -> None:
        """Write the cells of a changed row whose text differs from `old_cells`."""
        cells = self._cells(row)
        if new_result or cells[STATUS_COLUMN] != old_cells[STATUS_COLUMN]:
            self._write_status(pos, row)
        for col in _TEXT_COLUMNS:
            if cells[col] != old_cells[col] or (col == 4 and new_result):
                self._put_text(pos, col, cells[col], row)

    def _put_text(self, pos: int, col: int, text: str, row: JobRow) -> None:
        roles = {_DISPLAY: text}
        if col == 4:   # the total: right-aligned, sorted by number (-1 for an error result)
            roles[_ALIGN] = _RIGHT
            if row.result is not None:
                roles[_SORT] = self._sort_key(row, 4)
        if col == RANGE_COLUMN:
            roles[_ALIGN] = _RIGHT
        if col == TOTAL_COLUMN:
            roles.update(self._total_roles(row))
        elif col == MODEL_COLUMN:
            roles.update(self._mark_roles(row))
        self.setItemData(self.index(pos, col), roles)

    # -- which model a row's result comes from ------------------------------------------------------
    def _mark_roles(self, row: JobRow) -> dict:
        """Grey italic and a tooltip when the row's result is not the active model's; else none."""
        version = (row.result or {}).get("model_version")
        active = self._active_version
        if not version or not active or version == active:
            return {_FONT: None, _FOREGROUND: None, _TOOLTIP: None}
        return {_FONT: self._other_model_font, _FOREGROUND: self._other_model_brush,
                _TOOLTIP: f"computed with model {version}"
                          f"{_forecast_month(row.result, ' (forecasts {})')}; the active model "
                          f"is {active}: Models → Re-forecast with the active model asks again"}

    def _total_roles(self, row: JobRow) -> dict:
        """The main column's marks: another model's (`_mark_roles`), and why it shows NO_MONTH."""
        roles = self._mark_roles(row)
        if (row.cells or self._cells(row))[MAIN_COLUMN] == NO_MONTH:
            roles[_TOOLTIP] = self._no_month_reason(row)
        return roles

    def _no_month_reason(self, row: JobRow) -> str:
        version = row.result.get("model_version") or "unknown"
        has = [month_label(m.block) for m in months_of(row.result) if m.block is not None]
        said = ", ".join(has) if len(has) > 1 else f"{has[0]} only" if has else "no month"
        why = (f"no forecast for {self._main_month_label}: this result, of model {version}, "
               f"forecasts {said}")
        if self.is_other_model(row):
            return (f"{why} (an older model than the active {self._active_version}: Models → "
                    "Re-forecast with the active model asks again)")
        return why

    def set_active_version(self, version: str | None) -> None:
        """The model that answers from now on: rows whose result is another's are marked (grey
        italic, a tooltip), re-marked a slice per turn."""
        if version == self._active_version:
            return
        self._active_version = version
        self._remarks.take()
        self._remarks.add(r.item_id for r in self._rows if r.result is not None)

    def active_version(self) -> str | None:
        """The version rows are compared with (None: not known yet, nothing marked)."""
        return self._active_version

    def is_other_model(self, row: JobRow) -> bool:
        """True if the row's result comes from a model other than the active one."""
        version = (row.result or {}).get("model_version")
        return bool(version and self._active_version and version != self._active_version)

    def other_model_ids(self) -> list[int]:
        """Ids of rows answered by another model than the active one and not being asked again."""
        return [r.item_id for r in self._rows
                if r.status not in ("unsaved", "queued", "running") and self.is_other_model(r)]

    def _remark(self, item_ids: list[int]) -> None:
        with self._held():
            for item_id in item_ids:
                pos = self._index.get(item_id)
                if pos is None or self._rows[pos].result is None:
                    continue
                row = self._rows[pos]
                self.setItemData(self.index(pos, TOTAL_COLUMN), self._total_roles(row))
                self.setItemData(self.index(pos, MODEL_COLUMN), self._mark_roles(row))
                self._touched.append(pos)

    # -- rows ---------------------------------------------------------------------------------
    def _picked(self, result: dict | None):
        """The month of `result` the main columns show: None for the result's own fields (the
        next month), else its `Month` of the picked block, or NO_MONTH when it has none."""
        if self._main_block is None or not result or result.get("status") != "ok":
            return None
        return month_in(result, self._main_block) or NO_MONTH

    def _main_value(self, result: dict | None, picked=None) -> float | None:
        """The main column's number: the total, or the chosen shop's forecast (None: none)."""
        if not result:
            return None
        if picked is None:
            picked = self._picked(result)
        if picked is NO_MONTH:
            return None
        if picked is not None:
            if self._main_shop is None:
                return picked.total
            return next((f for s, f in zip(picked.shop_ids, picked.forecasts)
                         if s == self._main_shop), None)
        if self._main_shop is None:
            return result.get("total")
        if result.get("total") is None:   # an unknown item or an error: no shop has a forecast
            return None
        return next((f for s, f in result.get("shops") or () if s == self._main_shop), None)

    def _main_range(self, result: dict, picked=None) -> str:
        """The main column's range: the total's own, or the chosen shop's ("" without one)."""
        if picked is NO_MONTH:
            return ""
        if picked is not None:
            if not picked.ranged:
                return ""
            if self._main_shop is None:
                return range_text(picked.total_p10, picked.total_p90)
            at = next((k for k, s in enumerate(picked.shop_ids) if s == self._main_shop), None)
            return "" if at is None else range_text(picked.p10[at], picked.p90[at])
        if self._main_shop is None:
            return range_text(result.get("total_p10"), result.get("total_p90"))
        shops, lows, highs = (result.get(k) or () for k in ("shops", "p10", "p90"))
        at = next((k for k, (s, _) in enumerate(shops) if s == self._main_shop), None)
        if at is None or len(lows) != len(shops) or len(highs) != len(shops):
            return ""
        return range_text(lows[at], highs[at])

    def _cells(self, row: JobRow) -> tuple:
        if not row.cells:
            r = row.result or {}
            picked = self._picked(r)
            main = self._main_value(r, picked)
            if picked is NO_MONTH:
                main_text, shops = NO_MONTH, ""
            else:
                main_text = "" if main is None else f"{main:.2f}"
                pairs = (r.get("shops") if picked is None
                         else zip(picked.shop_ids, picked.forecasts))
                shops = _top_shops(pairs, self._shop_names) if r else ""
            row.cells = (str(row.item_id), r.get("item_name") or "", r.get("category_name") or "",
                         STATUS_TEXT.get(row.status, row.status), main_text,
                         self._main_range(r, picked), shops, row.note, _model_text(r))
        return row.cells

    def _sort_key(self, row: JobRow, col: int):
        if col == 0:
            return row.item_id
        if col == 4:
            main = self._main_value(row.result)
            return -1.0 if main is None else float(main)
        return self._cells(row)[col]

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        """Sort the rows by a column: Qt's sort of its items (persistent indexes follow), then
        the Python rows take the same order. Rows added later are appended, until the next sort.

        Ids and totals sort by number (their `SortRole`), the other columns by their text; cells
        still empty go last either way.
        """
        if not 0 <= column < _N_COLUMNS:
            return
        self.setSortRole(SortRole if column in (0, 4) else Qt.DisplayRole)
        super().sort(column, order)
        by_id = {r.item_id: r for r in self._rows}
        self._rows = [by_id[self.index(pos, 0).data(SortRole)] for pos in range(len(self._rows))]
        self._index = {r.item_id: i for i, r in enumerate(self._rows)}

    def row_contains(self, pos: int, needle: str) -> bool:
        """True if a display cell of row `pos` contains `needle` (already case-folded)."""
        row = self._rows[pos]
        return any(needle in cell.casefold() for cell in (row.cells or self._cells(row)))

    def position_of(self, item_id: int) -> int | None:
        """The row position of an item id (source model order), or None."""
        return self._index.get(int(item_id))

    def row_for(self, item_id: int) -> JobRow | None:
        """The row of an item id, or None."""
        pos = self._index.get(int(item_id))
        return None if pos is None else self._rows[pos]

    def set_shop_names(self, shop_names: dict[int, str]) -> None:
        """Shop names for the top-shops column (known once the model is loaded)."""
        self._shop_names = shop_names

    def set_main_shop(self, shop_id: int | None, label: str = "") -> None:
        """Show one shop's forecast in the main column instead of the total (None: the total);
        every row's cell is written again, with one dataChanged."""
        shop_id = None if shop_id is None else int(shop_id)
        if shop_id == self._main_shop:
            return
        self._main_shop = shop_id
        self._shop_label = label
        self._rewrite_main()

    def set_main_month(self, block: int | None, label: str = "") -> None:
        """Show the forecasts of month `block` (a date_block_num) in the main, range and top
        shops columns (None: each row's next month, its result's own fields); a result without
        that month shows NO_MONTH, its tooltip says why. Every row is written again."""
        block = None if block is None else int(block)
        if block == self._main_block and label == self._main_month_label:
            return
        self._main_block, self._main_month_label = block, label
        self._rewrite_main()

    def main_month(self) -> int | None:
        """The month block the main columns show (None: each row's next month)."""
        return self._main_block

    def _rewrite_main(self) -> None:
        shop_id, month = self._main_shop, self._main_month_label
        # "Shop 31" fits the column; the shop's full name is in the tooltip and the shop choice
        header = COLUMNS[MAIN_COLUMN] if shop_id is None else f"Shop {shop_id}"
        if self._main_block is not None:   # on a line of its own: the column stays narrow
            header = f"{'Total' if shop_id is None else header}\n{month}"
        where = ("over all open shops" if shop_id is None
                 else f"for {self._shop_label or shop_id}")
        tip = f"Forecast {where}" + (f", {month}" if month else "")
        self.setHeaderData(MAIN_COLUMN, Qt.Horizontal, header)
        self.setHeaderData(MAIN_COLUMN, Qt.Horizontal, tip, Qt.ToolTipRole)
        with self._held():
            for pos, row in enumerate(self._rows):
                row.cells = ()
                if row.result is not None:
                    for col in (MAIN_COLUMN, RANGE_COLUMN, TOP_SHOPS_COLUMN):
                        self._put_text(pos, col, self._cells(row)[col], row)
        if self._rows:
            self.dataChanged.emit(self.index(0, MAIN_COLUMN),
                                  self.index(len(self._rows) - 1, TOP_SHOPS_COLUMN))

    def main_shop(self) -> int | None:
        """The shop whose forecast the main column shows (None: the total over the shops)."""
        return self._main_shop

    def row_at(self, pos: int) -> JobRow:
        """The row at position `pos` (source model order)."""
        return self._rows[pos]

    def result_at(self, pos: int) -> dict | None:
        """The result of the row at `pos` (None: none yet, or no such row)."""
        return self._rows[pos].result if 0 <= pos < len(self._rows) else None

    def item_ids(self) -> list[int]:
        """Every item id shown, in row order."""
        return [r.item_id for r in self._rows]

    def add_rows(self, rows: list[JobRow]) -> None:
        """Append new rows (ids already shown are updated instead), one insert per batch."""
        fresh, seen, touched = [], set(), []
        with self._held():
            for r in rows:
                if r.item_id in self._index:
                    self._expected.discard(r.item_id)
                    touched.append(self._set(self._index[r.item_id],
                                             [(r.status, r.result, r.note)]))
                elif r.item_id not in seen:
                    seen.add(r.item_id)
                    fresh.append(r)
        self._changed(touched, counts=False)
        if fresh:
            self._insert(fresh)
        self._emit_counts()

    def _insert(self, fresh: list[JobRow]) -> None:
        # One rowsInserted for the batch; the items are written after it with the signals held,
        # so the dataChanged that follows tells views and proxies what the new rows hold.
        first = len(self._rows)
        if self._expected:
            self._expected.difference_update(r.item_id for r in fresh)
        if self._parked:
            for r in fresh:
                updates = self._parked.pop(r.item_id, None)
                if updates:
                    _fold(r, updates)
        for i, r in enumerate(fresh):
            self._index[r.item_id] = first + i
            self._counts[r.status] += 1
        self._rows.extend(fresh)
        self.insertRows(first, len(fresh))
        with self._held():
            for i, r in enumerate(fresh):
                self._write_new(first + i, r)
        self._changed([first, first + len(fresh) - 1], counts=False)

    def remove_ids(self, item_ids) -> None:
        """Remove rows from the view (not from the store)."""
        gone = {int(i) for i in item_ids} & self._index.keys()
        if not gone:
            return
        positions = sorted((self._index[i] for i in gone), reverse=True)
        self.beginResetModel()   # one reset beats many scattered removals for big selections
        with self._held():
            for pos in positions:   # from the bottom: the positions above stay valid
                self.removeRow(pos)
        for i in gone:
            self._counts[self._rows[self._index[i]].status] -= 1
        self._rows = [r for r in self._rows if r.item_id not in gone]
        self._index = {r.item_id: i for i, r in enumerate(self._rows)}
        self.endResetModel()
        self._emit_counts()

    def park_unknown_updates(self, park: bool) -> None:
        """While on, queued updates for ids with no row are kept and applied, in their order,
        when a row for the id is added. Turned off, those still without a row are dropped (as
        any update for an id not shown is)."""
        self._parking = park
        if not park:
            expected = self._expected
            self._parked = {i: u for i, u in self._parked.items() if i in expected}

    def expect_rows(self, item_ids) -> None:
        """Rows for these ids will be added: park their updates until then (see `_expected`)."""
        self._expected.update(item_ids)

    def forget_expected(self, item_ids) -> None:
        """These ids' rows will not be added after all: drop their parked updates."""
        for i in item_ids:
            self._expected.discard(i)
            self._parked.pop(i, None)

    def _held(self):
        """Context: the model's signals held while items are written (one dataChanged after)."""
        return _SignalsHeld(self)

    def _set(self, pos: int, changes: list[tuple]) -> int:
        """Give the row at `pos` each (status, result, note) change in turn; write it once."""
        row = self._rows[pos]
        old_cells = row.cells or self._cells(row)
        self._counts[row.status] -= 1
        new_result = False
        for status, result, note in changes:
            _change_row(row, status, result, note)
            new_result = new_result or result is not None
        self._counts[row.status] += 1
        self._write_change(pos, row, old_cells, new_result)
        return pos

    def set_status(self, item_ids, status: str, note: str | None = None) -> None:
        """Change the status of shown rows; one dataChanged over the touched span."""
        touched = []
        with self._held():
            for i in item_ids:
                pos = self._index.get(int(i))
                if pos is not None:
                    touched.append(self._set(pos, [(status, None, note)]))
        self._changed(touched)

    def queue_results(self, results: list[dict]) -> None:
        """Queue finished results; they are applied a slice per event-loop turn."""
        self._queue((int(r["item_id"]), r) for r in results)

    def queue_failures(self, failures: list) -> None:
        """Queue (item_id, reason) pairs, applied with the results."""
        self._queue((int(i), ("failed", str(reason))) for i, reason in failures)

    def queue_status(self, item_ids, status: str, note: str | None = None) -> None:
        """Queue a status change of shown rows, applied in order with the results."""
        self._queue((int(i), (status, note)) for i in item_ids)

    def _queue(self, updates) -> None:
        waiting, new = self._waiting, []
        for item_id, update in updates:
            queued = waiting.get(item_id)
            if queued is None:
                waiting[item_id] = [update]
                new.append(item_id)
            else:
                queued.append(update)
        self._updates.add(new)

    def pending_updates(self) -> int:
        """How many item ids have queued updates not yet applied."""
        return len(self._waiting)

    def _apply_waiting(self, item_ids: list[int]) -> None:
        with self._held():
            for item_id in item_ids:
                updates = self._waiting.pop(item_id)
                pos = self._index.get(item_id)
                if pos is not None:
                    self._touched.append(self._set(pos, [_update_fields(u) for u in updates]))
                elif self._parking or item_id in self._expected:
                    self._parked.setdefault(item_id, []).extend(updates)

    def _announce_slice(self) -> None:
        touched, self._touched = self._touched, []
        self._changed(touched)

    def _changed(self, touched: list[int], counts: bool = True) -> None:
        if touched:
            self.dataChanged.emit(self.index(min(touched), 0),
                                  self.index(max(touched), _N_COLUMNS - 1))
            if counts:
                self._emit_counts()

    def counts(self) -> dict[str, int]:
        """Rows per status (the shown rows, not the store)."""
        return dict(self._counts)

    def _emit_counts(self) -> None:
        self.counts_changed.emit(self.counts())


class _SignalsHeld:
    """Holds a model's signals (restoring the previous state after), for a burst of item writes."""

    def __init__(self, model: QStandardItemModel):
        self._model = model
        self._was = False

    def __enter__(self):
        self._was = self._model.blockSignals(True)
        return self

    def __exit__(self, *exc) -> None:
        self._model.blockSignals(self._was)


def _update_fields(update) -> tuple[str, dict | None, str | None]:
    """(status, result or None, note or None) that a queued update (a result dict, or a
    (status, note) pair) gives its row."""
    if isinstance(update, tuple):
        status, note = update
        return status, None, note
    return result_status(compact_result(update))


def _change_row(row: JobRow, status: str, result: dict | None, note: str | None) -> None:
    """A row's new state (None: that part kept); its display texts are made again."""
    row.status = status
    if result is not None:
        row.result = result
    if note is not None:
        row.note = note
    row.cells = ()


def _fold(row: JobRow, updates: list) -> None:
    """Apply kept updates, in order, to a row not yet in the model (as `_set` would)."""
    for update in updates:
        _change_row(row, *_update_fields(update))


def compact_result(result: dict) -> StoredResult:
    """A copy of `result` whose [shop_id, forecast] pairs are tuples (a `StoredResult`).

    The cyclic GC stops tracking a tuple of numbers; lists it walks at every full collection, and
    10,000s of results hold millions of them: each full collection would stall the window.
    """
    out = StoredResult(result)
    pairs = out.get("shops")
    if isinstance(pairs, list):
        out["shops"] = tuple(map(tuple, pairs))
    for name in ("p10", "p90"):   # the range's lists, likewise
        if isinstance(out.get(name), list):
            out[name] = tuple(out[name])
    if AHEAD in out:   # the months after the next: checked once, kept as tuples
        out[AHEAD] = checked_ahead(out)
    return out


def result_status(result: dict) -> tuple[str, dict, str]:
    """(status, result, note) for a result dict: unknown ids apart, cold starts noted."""
    if is_unknown_item(result):
        return UNKNOWN_ITEM, result, result.get("error") or UNKNOWN_ITEM
    note = "cold start: category-level forecast" if result.get("cold_start") else ""
    return "done", result, note
