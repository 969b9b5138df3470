"""What the table's selection holds, in the JobTableModel's terms, whether or not a filter proxy
sits between the view and the model: rows, their results, their cells as TSV, their ids."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt

from salesapp.csv_cells import to_tsv
from salesapp.exports.layouts import Entry
from salesapp.ui.job_table_model import COLUMNS, STATUS_TEXT


class JobSelection:
    """The selection of `table` over `model` (through `proxy` while the table shows it)."""

    def __init__(self, table, model, proxy):
        self._table, self._model, self._proxy = table, model, proxy

    def to_source(self, view_index):
        """The JobTableModel index of an index of the table's current model."""
        if self._table.model() is self._model or not view_index.isValid():
            return view_index
        return self._proxy.to_source(view_index)

    def rows(self) -> list[int]:
        """Source-model rows of the selected table rows, in order."""
        selected = self._table.selectionModel().selectedRows()
        return sorted({self.to_source(i).row() for i in selected})

    def shown_rows(self) -> list[int]:
        """Source-model rows the table shows (through the filter, if one is on), in view order."""
        view = self._table.model()
        if view is self._model:
            return list(range(self._model.rowCount()))
        return [self._proxy.to_source(view.index(r, 0)).row() for r in range(view.rowCount())]

    def scope_rows(self, scope: str) -> list[int]:
        """Source rows of an export's scope: 'shown', 'all' or 'selected'."""
        if scope == "selected":
            return self.rows()
        if scope == "all":
            return list(range(self._model.rowCount()))
        return self.shown_rows()

    def entries(self, rows) -> list[Entry]:
        """An export's `Entry` per row: its result, or why it has none (its status, its note)."""
        out = []
        for pos in rows:
            row = self._model.row_at(pos)
            reason = None
            if row.result is None:
                words = STATUS_TEXT.get(row.status, row.status)
                reason = row.note or (f"{words}, not forecast yet" if row.status in (
                    "unsaved", "queued", "running") else words)
            out.append(Entry(row.item_id, row.result, reason))
        return out

    def results(self, selected_only: bool = True) -> list[dict]:
        """Results of the selected rows (or of every row), rows without one left out."""
        rows = self.rows() if selected_only else range(self._model.rowCount())
        out = (self._model.result_at(r) for r in rows)
        return [r for r in out if r]

    def tsv(self) -> str:
        """The selected rows' cells as TSV, with the header as the table shows it (the month
        and shop its forecast column holds)."""
        model = self._model
        header = [str(model.headerData(c, Qt.Horizontal)).replace("\n", " ")
                  for c in range(len(COLUMNS))]
        cells = [[model.data(model.index(r, c)) for c in range(len(COLUMNS))]
                 for r in self.rows()]
        return to_tsv([header] + cells)

    def current_id(self) -> int | None:
        """The item id of the table's current row, or None."""
        src = self.to_source(self._table.currentIndex())
        return self._model.row_at(src.row()).item_id if src.isValid() else None

    def select_ids(self, item_ids, current: int | None) -> None:
        """Select the rows of `item_ids` the table shows, `current` the current row (the view's
        own selection is lost when its model changes: see `MainWindow._use_proxy`)."""
        rows = sorted(r for r in map(self._view_row, item_ids) if r is not None)
        view, chosen = self._table.model(), QItemSelection()
        start = prev = None
        for r in [*rows, None]:   # consecutive rows as one range: cheap for big selections
            if start is not None and r != prev + 1:
                chosen.select(view.index(start, 0), view.index(prev, view.columnCount() - 1))
                start = None
            if start is None:
                start = r
            prev = r
        sm = self._table.selectionModel()
        cur = self._view_row(current) if current is not None else None
        if cur is not None:
            sm.setCurrentIndex(view.index(cur, 0), QItemSelectionModel.NoUpdate)
        sm.select(chosen, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)

    def _view_row(self, item_id: int) -> int | None:
        pos = self._model.position_of(item_id)
        if pos is None:
            return None
        index = self._model.index(pos, 0)
        if self._table.model() is not self._model:
            index = self._proxy.from_source(index)
        return index.row() if index.isValid() else None

    def item_ids(self) -> list[int]:
        """Item ids of the selected rows."""
        return [self._model.row_at(r).item_id for r in self.rows()]
