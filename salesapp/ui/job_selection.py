"""What the table's selection holds, in the JobTableModel's terms, whether or not a filter proxy
sits between the view and the model: rows, their results, their cells as TSV, their ids."""

from __future__ import annotations

from salesapp.ui.export import to_tsv
from salesapp.ui.job_table_model import COLUMNS


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

    def results(self, selected_only: bool = True) -> list[dict]:
        """Results of the selected rows (or of every row), rows without one left out."""
        rows = self.rows() if selected_only else range(self._model.rowCount())
        out = (self._model.result_at(r) for r in rows)
        return [r for r in out if r]

    def tsv(self) -> str:
        """The selected rows' cells as TSV, with the header."""
        model = self._model
        cells = [[model.data(model.index(r, c)) for c in range(len(COLUMNS))]
                 for r in self.rows()]
        return to_tsv([list(COLUMNS)] + cells)

    def item_ids(self) -> list[int]:
        """Item ids of the selected rows."""
        return [self._model.row_at(r).item_id for r in self.rows()]
