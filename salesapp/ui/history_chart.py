"""Monthly units sold for one item, with the forecast month highlighted (pyqtgraph)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_label(block: int) -> str:
    """'Jan 2013' for date_block_num 0 (the data's first month)."""
    return f"{MONTHS[block % 12]} {2013 + block // 12}"


class MonthAxis(pg.AxisItem):
    """Bottom axis that shows month names instead of block numbers."""

    def tickStrings(self, values, scale, spacing):
        return [month_label(round(v)) if float(v).is_integer() else "" for v in values]

    def tickValues(self, minVal, maxVal, size):
        span = max(1, int(maxVal - minVal))
        step = max(1, span // 6)   # about six readable labels whatever the history length
        first = int(minVal) + (-int(minVal)) % step
        return [(step, list(range(first, int(maxVal) + 1, step)))]


class HistoryChart(pg.PlotWidget):
    """Bars of past monthly sales and one highlighted bar for the forecast month."""

    def __init__(self, parent=None):
        super().__init__(parent, axisItems={"bottom": MonthAxis("bottom")}, background="w")
        self.setLabel("left", "units sold (all shops)")
        self.setLabel("bottom", "month")
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.setMinimumHeight(180)
        self._history = pg.BarGraphItem(x=[], height=[], width=0.8, brush="#7a9cc6", pen=None)
        self._forecast = pg.BarGraphItem(x=[], height=[], width=0.8, brush="#f5a623",
                                         pen=pg.mkPen("#b36b00", width=1.5))
        self.addItem(self._history)
        self.addItem(self._forecast)
        self.addLegend(offset=(-10, 5))   # top right: history starts at the left
        self.plotItem.legend.addItem(self._history, "sold")
        self.plotItem.legend.addItem(self._forecast, "forecast")
        self.showGrid(y=True, alpha=0.25)

    def show_result(self, result: dict | None) -> None:
        """Draw a result's history and total forecast; an empty chart for None."""
        history = (result or {}).get("history") or []
        block = (result or {}).get("forecast_block")
        total = (result or {}).get("total")
        xs = [int(m) for m, _ in history]
        self._history.setOpts(x=xs, height=[float(y) for _, y in history])
        if block is not None and total is not None:
            self._forecast.setOpts(x=[int(block)], height=[float(total)])
        else:
            self._forecast.setOpts(x=[], height=[])
        lo = min(xs + ([block] if block is not None else [0]))
        hi = max(xs + ([block] if block is not None else [1]))
        self.setXRange(lo - 0.7, hi + 0.7, padding=0)
        self.enableAutoRange(axis="y")
        self.plotItem.vb.setLimits(yMin=0)
        self.setToolTip("" if block is None else f"forecast for {month_label(int(block))}")

    def forecast_bar(self) -> tuple[list, list]:
        """(x, height) of the highlighted forecast bar (for tests and screenshots)."""
        opts = self._forecast.opts
        return list(opts["x"]), list(opts["height"])

    def history_bars(self) -> tuple[list, list]:
        """(x, height) of the history bars."""
        opts = self._history.opts
        return list(opts["x"]), list(opts["height"])


__all__ = ["HistoryChart", "Qt", "month_label"]
