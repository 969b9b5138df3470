"""Filtering and sorting of the job table: two stacked proxies, both served by Qt in C++.

A Python `filterAcceptsRow` runs for every row inserted or changed, 10,000s of calls per batch on
the GUI thread; Qt's own filter returns at once while its pattern is empty. So the status filter
is a proxy matching `StatusRole`, the text filter and the sorting a second proxy on top of it.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel, Qt

from salesapp.ui.job_table_model import SortRole, StatusRole


class JobFilterProxy(QSortFilterProxyModel):
    """Text filter over every column and sorting, on top of a status filter; `set_status('')` = all."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.status = ""
        self._by_status = QSortFilterProxyModel(self)
        self._by_status.setFilterRole(StatusRole)
        self._by_status.setFilterKeyColumn(0)
        super().setSourceModel(self._by_status)
        self.setSortRole(SortRole)
        self.setFilterCaseSensitivity(Qt.CaseInsensitive)
        self.setFilterKeyColumn(-1)

    def setSourceModel(self, model) -> None:
        """Filter `model` (the JobTableModel): it becomes the status proxy's source."""
        self._by_status.setSourceModel(model)

    def jobs_model(self):
        """The JobTableModel under both proxies."""
        return self._by_status.sourceModel()

    def set_status(self, status: str) -> None:
        """Show only rows of this status ('' = all)."""
        self.status = status
        pattern = f"^{re.escape(status)}$" if status else ""
        self._by_status.setFilterRegularExpression(QRegularExpression(pattern))

    def to_source(self, index):
        """The JobTableModel index under an index of this proxy."""
        return self._by_status.mapToSource(self.mapToSource(index))
