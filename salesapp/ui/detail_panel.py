"""The selected item: its per-shop forecasts and ranges for each month forecast (table) and its
sales history with the forecast months."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from salesapp.exports.result_months import months_of
from salesapp.ui.job_table_model import range_text
from salesapp.ui.months import month_label
from salesapp.ui.reasons_view import ReasonsView


class DetailPanel(QWidget):
    """Shows one result: title, shops sorted by forecast (descending) and the history chart."""

    def __init__(self, shop_names: dict[int, str], parent=None):
        super().__init__(parent)
        self._shop_names = shop_names
        # A result holds no sales history (the loaded bundle does): asked for per item shown.
        self._history_of: Callable[[int], list] = lambda item_id: []
        # The model the history and the reasons come from: a result of another model gets neither
        # (they would explain a forecast it did not make).
        self.active_version: str | None = None
        self.title = QLabel("Select an item to see its forecast per shop.")
        self.title.setObjectName("detailTitle")
        self.title.setWordWrap(True)
        self.shops = QStandardItemModel(0, 4, self)
        self.shops.setHorizontalHeaderLabels(ONE_MONTH_HEADER)
        self.table = QTableView()
        self.table.setModel(self.shops)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeToContents)
        self.table.setSelectionBehavior(QTableView.SelectRows)
        self.table.setMinimumHeight(120)   # a few shops stay visible beside the reasons
        self.table.hide()   # until an item with a forecast is shown: no empty table
        # the item's reasons: words and bars for the total and the shop picked in the table
        self.reasons = ReasonsView()
        self.table.selectionModel().currentRowChanged.connect(self._on_shop_changed)
        # The chart (pyqtgraph, slow to import) is made when the first forecast is shown: the
        # window must show without it. Its place is kept by an empty widget until then.
        self.chart = None
        self._chart_place = QWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.reasons)
        layout.addWidget(self._chart_place, 2)

    def set_shop_names(self, shop_names: dict[int, str]) -> None:
        """The shop names (known once the model is loaded)."""
        self._shop_names = shop_names
        self.reasons.set_source(self.reasons.explain, shop_names)

    def set_history_source(self, history_of: Callable[[int], list]) -> None:
        """Where the chart reads an item's sales history: `Predictor.history` of the loaded bundle."""
        self._history_of = history_of

    def set_reasons_source(self, explain: Callable | None) -> None:
        """`explain(item_id) -> model.reasons.ItemReasons`; run off the GUI thread, on demand."""
        self.reasons.set_source(explain, self._shop_names)

    def _on_shop_changed(self, current, _previous) -> None:
        if current.isValid():
            self.reasons.select_shop(int(self.shops.item(current.row(), 0).text()))

    def _ensure_chart(self):
        if self.chart is None:
            from salesapp.ui.history_chart import HistoryChart
            self.chart = HistoryChart()
            self.layout().replaceWidget(self._chart_place, self.chart)
            self._chart_place.deleteLater()
        return self.chart

    def show_result(self, item_id: int | None, result: dict | None) -> None:
        """Fill the panel for one row (result None: not forecast yet)."""
        self.shops.removeRows(0, self.shops.rowCount())
        forecast = result if result and result.get("status") == "ok" else None
        other = _other_model(forecast, self.active_version)
        # first: the reasons are worked out on their thread while this one fills the table and chart
        self.reasons.request(item_id if forecast is not None and not other else None)
        # without a forecast there is nothing to draw or list: no empty axes, no empty table
        self.table.setVisible(forecast is not None)
        if forecast is not None:
            self._ensure_chart().show_result(forecast, [] if other else self._history_of(item_id))
        if self.chart is not None:
            self.chart.setVisible(forecast is not None)
        if item_id is None:
            self.title.setText("Select an item to see its forecast per shop.")
            return
        if not result:
            self.title.setText(f"Item {item_id}: not forecast yet.")
            return
        if result.get("status") != "ok":
            self.title.setText(f"Item {item_id}: {result.get('error')}.")
            return
        month = month_label(int(result["forecast_block"]))
        span = range_text(result.get("total_p10"), result.get("total_p90"))
        months = months_of(result)
        self.title.setText(f"{item_id} — {result['item_name']} ({result['category_name']}): "
                           f"{result['total']:.1f} units forecast in {month}"
                           + (f" by model {other}, not the active one (Models → Re-forecast "
                              "with the active model gives its history and reasons)"
                              if other else "")
                           + ((";" if other else ",") + f" likely {span} (P10-P90)" if span else "")
                           + _later_months(months[1:]))
        self._fill_shops(months)
        # the shop the reasons show is the table's current row: the one picked before (the same
        # item's new result), else the top one
        ids = [int(self.shops.item(r, 0).text()) for r in range(self.shops.rowCount())]
        keep = self.reasons.shop()
        if ids:
            self.table.setCurrentIndex(self.shops.index(ids.index(keep) if keep in ids else 0, 0))


    def _fill_shops(self, months: list) -> None:
        """One row per shop, by the next month's forecast (descending): each month's forecast
        and range side by side."""
        if len(months) > 1:
            header = ["Shop id", "Shop name"]
            for m in months:
                header += [month_label(m.block), "P10-P90"]
        else:
            header = ONE_MONTH_HEADER
        self.shops.setColumnCount(len(header))
        self.shops.setHorizontalHeaderLabels(header)
        for col in range(2, len(header)):
            self.table.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeToContents)
        first = months[0]
        order = sorted(range(len(first.shop_ids)), key=lambda k: -first.forecasts[k])
        for k in order:
            shop_id = first.shop_ids[k]
            cells = [QStandardItem(str(shop_id)), QStandardItem(self._shop_names.get(shop_id, ""))]
            for m in months:
                cells += [QStandardItem(f"{m.forecasts[k]:.2f}"),
                          QStandardItem(range_text(m.p10[k], m.p90[k]) if m.ranged else "")]
            for c in range(len(cells)):
                if c != 1:
                    cells[c].setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.shops.appendRow(cells)


ONE_MONTH_HEADER = ["Shop id", "Shop name", "Forecast", "Range P10-P90"]


def _later_months(months: list) -> str:
    """'; then 10.4 in Dec 2015 (7.0 – 15.0) and 9.1 in Jan 2016 (...)' ('' without any)."""
    said = [f"{m.total:.1f} in {month_label(m.block)}"
            + (f" ({range_text(m.total_p10, m.total_p90)})" if m.ranged else "") for m in months]
    if not said:
        return ""
    return "; then " + (said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1])


def _other_model(result: dict | None, active: str | None) -> str | None:
    """The version of the model that made `result` when it is not the active one, else None."""
    version = (result or {}).get("model_version")
    return version if version and active and version != active else None
