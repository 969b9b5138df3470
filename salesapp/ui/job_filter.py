"""Filtering of the job table: a status proxy (Qt's own, in C++) under a text proxy.

Attached to the view only while a filter is on (see `MainWindow._use_proxy`): every row inserted
or changed under a proxy costs calls into Python. Sorting is the JobTableModel's own (one Python
sort), so it needs no proxy.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel

from salesapp.ui.job_table_model import STATUS_COLUMN, StatusRole


class JobFilterProxy(QSortFilterProxyModel):
    """Text filter over every column, on top of a status filter; `set_status('')` = all."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.status = ""
        self.text = ""
        self._needle = ""
        self.items: frozenset[int] | None = None   # a category's items; None = every item
        self._by_status = QSortFilterProxyModel(self)
        self._by_status.setFilterRole(StatusRole)
        self._by_status.setFilterKeyColumn(STATUS_COLUMN)
        super().setSourceModel(self._by_status)

    def setSourceModel(self, model) -> None:
        """Filter `model` (the JobTableModel, or None to detach): the status proxy's source."""
        self._by_status.setSourceModel(model)

    def jobs_model(self):
        """The JobTableModel under both proxies."""
        return self._by_status.sourceModel()

    def set_status(self, status: str) -> None:
        """Show only rows of this status ('' = all)."""
        self.status = status
        pattern = f"^{re.escape(status)}$" if status else ""
        self._by_status.setFilterRegularExpression(QRegularExpression(pattern))

    def set_text(self, text: str) -> None:
        """Show only rows with `text` in a cell (case-insensitive; '' = all)."""
        self.beginFilterChange()
        self.text, self._needle = text, text.casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_items(self, items) -> None:
        """Show only rows of these item ids (a category's; None = all)."""
        self.beginFilterChange()
        self.items = None if items is None else frozenset(items)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row, source_parent) -> bool:
        # One Python call per row reading the model's cached cells; Qt's own filter over every
        # column would call data() per cell (7 calls a row).
        if not self._needle and self.items is None:
            return True
        jobs = self.jobs_model()
        if jobs is None:
            return True
        row = self._by_status.mapToSource(self._by_status.index(source_row, 0)).row()
        if self.items is not None and jobs.row_at(row).item_id not in self.items:
            return False
        return not self._needle or jobs.row_contains(row, self._needle)

    def sort(self, column: int, order=None) -> None:
        """Sort the JobTableModel itself (fast); this proxy keeps its order."""
        jobs = self.jobs_model()
        if jobs is not None:
            jobs.sort(column, order)

    def to_source(self, index):
        """The JobTableModel index under an index of this proxy."""
        return self._by_status.mapToSource(self.mapToSource(index))

    def from_source(self, index):
        """This proxy's index of a JobTableModel index (invalid: filtered out)."""
        return self.mapFromSource(self._by_status.mapFromSource(index))
