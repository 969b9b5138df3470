"""Monthly units sold for one item, with the forecast month highlighted and its P10-P90 band
(pyqtgraph)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from salesapp.ui.months import MONTHS, month_label

__all__ = ["MONTHS", "HistoryChart", "MonthAxis", "month_label"]


class MonthAxis(pg.AxisItem):
    """Bottom axis that shows month names instead of block numbers; the forecast month always."""

    forecast_block: int | None = None

    def tickStrings(self, values, scale, spacing):
        return [month_label(round(v)) if float(v).is_integer() else "" for v in values]

    def tickValues(self, minVal, maxVal, size):
        span = max(1, int(maxVal - minVal))
        step = max(1, span // 6)   # about six readable labels whatever the history length
        first = int(minVal) + (-int(minVal)) % step
        ticks = list(range(first, int(maxVal) + 1, step))
        block = self.forecast_block
        if block is not None and minVal <= block <= maxVal:
            # the forecast month is labelled, and no other label crowds it
            ticks = [t for t in ticks if abs(t - block) >= max(2, step // 2)] + [block]
        return [(step, sorted(ticks))]


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
        # the P10-P90 range of the total: a translucent band behind the forecast bar, wider than it
        self._band = pg.BarGraphItem(x=[], y0=[], height=[], width=0.95,
                                     brush=pg.mkBrush(31, 111, 209, 55),
                                     pen=pg.mkPen("#1f6fd1", width=1, style=Qt.DashLine))
        self.addItem(self._history)
        self.addItem(self._band)
        self.addItem(self._forecast)
        # right-aligned on the forecast bar, the last one: centred, its range ran off the chart
        self._forecast_text = pg.TextItem("", color="#8a5200", anchor=(1.0, 1.0))
        self.addItem(self._forecast_text)
        self.addLegend(offset=(-10, 5))   # top right: history starts at the left
        self.plotItem.legend.addItem(self._history, "sold")
        self.plotItem.legend.addItem(self._forecast, "forecast")
        self.plotItem.legend.addItem(self._band, "P10-P90 range")
        self.showGrid(y=True, alpha=0.25)
        for side in ("left", "bottom"):   # never "(x0.001)" on an empty chart
            self.getAxis(side).enableAutoSIPrefix(False)
        self.show_result(None)   # start with the empty chart's ranges, not pyqtgraph's defaults

    def show_result(self, result: dict | None, history=()) -> None:
        """Draw an item's `history` ([(month, units), ...]) and its result's total forecast.

        An empty chart for None.
        """
        history = list(history) if result is not None else []
        block = (result or {}).get("forecast_block")
        total = (result or {}).get("total")
        xs = [int(m) for m, _ in history]
        self._history.setOpts(x=xs, height=[float(y) for _, y in history])
        axis = self.getAxis("bottom")
        axis.forecast_block = None if block is None else int(block)
        low, high = (result or {}).get("total_p10"), (result or {}).get("total_p90")
        if block is not None and total is not None:
            self._forecast.setOpts(x=[int(block)], height=[float(total)])
            text, top = f"{float(total):.1f}", float(total)
            if low is not None and high is not None:
                self._band.setOpts(x=[int(block)], y0=[float(low)],
                                   height=[float(high) - float(low)])
                text, top = f"{text} ({float(low):.1f}-{float(high):.1f})", max(top, float(high))
            else:
                self._band.setOpts(x=[], y0=[], height=[])
            self._forecast_text.setText(text)
            self._forecast_text.setPos(int(block) + 0.45, top)
        else:
            self._forecast.setOpts(x=[], height=[])
            self._band.setOpts(x=[], y0=[], height=[])
            self._forecast_text.setText("")
        lo = min(xs + ([block] if block is not None else [0]))
        hi = max(xs + ([block] if block is not None else [1]))
        self.setXRange(lo - 0.7, hi + 0.7, padding=0)
        if history or total:
            self.enableAutoRange(axis="y")
        else:
            self.setYRange(0, 1, padding=0)
        self.plotItem.vb.setLimits(yMin=0)
        self.setToolTip("" if block is None else f"forecast for {month_label(int(block))}")
        axis.picture = None   # ticks depend on the forecast month: redraw them
        axis.update()

    def forecast_bar(self) -> tuple[list, list]:
        """(x, height) of the highlighted forecast bar (for tests and screenshots)."""
        opts = self._forecast.opts
        return list(opts["x"]), list(opts["height"])

    def range_band(self) -> tuple[list, list, list]:
        """(x, bottom, height) of the P10-P90 band (for tests and screenshots)."""
        opts = self._band.opts
        return list(opts["x"]), list(opts["y0"]), list(opts["height"])

    def forecast_text(self) -> str:
        """The value printed above the forecast bar."""
        return self._forecast_text.toPlainText()

    def tick_labels(self) -> list[str]:
        """The month labels the bottom axis shows now."""
        axis = self.getAxis("bottom")
        lo, hi = axis.range
        return [label for _, values in axis.tickValues(lo, hi, 1) for label in
                axis.tickStrings(values, 1, 1)]

    def history_bars(self) -> tuple[list, list]:
        """(x, height) of the history bars."""
        opts = self._history.opts
        return list(opts["x"]), list(opts["height"])


__all__ = ["HistoryChart", "Qt", "month_label"]
