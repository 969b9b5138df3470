"""The two tables of the forecast-versus-actual view: metrics beside the baselines, exceptions.

A read-only table model over a plain list of row tuples: each column shows its value with its
own format and sorts by the value itself (`SortRole`), so 1,200 sorts after 900.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt

from salesapp.model.accuracy_words import FORECAST_LABELS

SortRole = Qt.UserRole + 1
_ROOT = QModelIndex()   # the invalid index: a table has no parents


def _units(x) -> str:
    return f"{x:,.1f}"


def _signed(x) -> str:
    return f"{x:+,.1f}"


def _metric(x) -> str:
    return f"{x:.3f}"


class RowsTableModel(QAbstractTableModel):
    """Rows of plain values under `headers`; `formats[c]` turns column c's value into text."""

    def __init__(self, headers: Sequence[str], formats: Sequence[Callable], parent=None):
        super().__init__(parent)
        self._headers, self._formats = list(headers), list(formats)
        self._rows: list[tuple] = []

    def set_rows(self, rows: Sequence[tuple]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._rows = [tuple(r) for r in rows]
        self.endResetModel()

    def row(self, n: int) -> tuple:
        """The values of row n (source order)."""
        return self._rows[n]

    def rowCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        value = self._rows[index.row()][index.column()]
        if role == Qt.DisplayRole:
            return self._formats[index.column()](value)
        if role == SortRole:
            return value
        if role == Qt.TextAlignmentRole and not isinstance(value, str):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self._headers[section]
        return None


EXCEPTION_HEADERS = ("item", "name", "shops", "forecast", "sold", "missed", "over / under",
                     "RMSE", "RMSE, last month")
EXCEPTION_FORMATS = (str, str, str, _units, _units, _units, _signed, _metric, _metric)


def exception_rows(exceptions) -> list[tuple]:
    """One tuple per item of an `AccuracyReport.exceptions` frame, missed most first."""
    return [(int(r.item_id), str(r.item_name), int(r.pairs), float(r.forecast_units),
             float(r.actual_units), float(r.missed_units), float(r.over_units),
             float(r.model_rmse), float(r.last_month_rmse))
            for r in exceptions.itertuples(index=False)]


METRIC_HEADERS = ("forecast", "RMSE", "MAE", "bias (forecast - sold)", "RMSE against the model")
METRIC_FORMATS = (str, _metric, _metric, lambda x: f"{x:+.3f}",
                  lambda x: "-" if x is None else f"{x:.2f} x")


def metric_rows(overall: dict) -> list[tuple]:
    """The model, then each naive forecast: RMSE, MAE, bias, its RMSE over the model's."""
    model = overall["model"]["rmse"]
    return [(FORECAST_LABELS[name], s["rmse"], s["mae"], s["bias"],
             None if name == "model" or not model else s["rmse"] / model)
            for name, s in overall.items()]


def sorting_proxy(model: RowsTableModel, parent=None) -> QSortFilterProxyModel:
    """A proxy that sorts `model` by its values (not their text)."""
    proxy = QSortFilterProxyModel(parent)
    proxy.setSortRole(SortRole)
    proxy.setSourceModel(model)
    return proxy
