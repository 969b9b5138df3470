"""Monthly units sold for one item, then its forecast months with their P10-P90 bands
(pyqtgraph)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from salesapp.exports.result_months import months_of
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


HEADROOM = 1.3   # the y axis reaches this times the highest value: the legend's row fits above


class HistoryChart(pg.PlotWidget):
    """A line of past monthly sales, then each forecast month as a point with its P10-P90 band."""

    def __init__(self, parent=None):
        super().__init__(parent, axisItems={"bottom": MonthAxis("bottom")}, background="w")
        self.setLabel("left", "units sold (all shops)")
        self.setLabel("bottom", "month")
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.setMinimumHeight(180)
        self._history = pg.PlotDataItem([], [], pen=pg.mkPen("#4a76b0", width=2), symbol="o",
                                        symbolSize=5, symbolBrush="#4a76b0", symbolPen=None)
        # from the last month sold to the first forecast: the forecast goes on from the history
        self._bridge = pg.PlotDataItem([], [], pen=pg.mkPen("#b36b00", width=1.5,
                                                            style=Qt.DotLine))
        self._forecast = pg.PlotDataItem([], [], pen=pg.mkPen("#b36b00", width=1.5,
                                                              style=Qt.DashLine),
                                         symbol="o", symbolSize=9, symbolBrush="#f5a623",
                                         symbolPen=pg.mkPen("#b36b00", width=1.5))
        # the P10-P90 range of the total, per forecast month: a translucent band behind its point
        self._band = pg.BarGraphItem(x=[], y0=[], height=[], width=0.6,
                                     brush=pg.mkBrush(31, 111, 209, 55),
                                     pen=pg.mkPen("#1f6fd1", width=1, style=Qt.DashLine))
        self.addItem(self._band)
        self.addItem(self._history)
        self.addItem(self._bridge)
        self.addItem(self._forecast)
        # the next month's figure and range, right-aligned on its point: centred, the range ran
        # off the chart when it was the last month
        self._forecast_text = pg.TextItem("", color="#8a5200", anchor=(1.0, 1.0))
        self.addItem(self._forecast_text)
        # one row along the top, in the headroom `show_result` leaves above the data: at the
        # top right the legend covered the forecast months, which end the chart
        self.addLegend(offset=(10, 2), colCount=3)
        self.plotItem.legend.addItem(self._history, "sold")
        self.plotItem.legend.addItem(self._forecast, "forecast")
        self.plotItem.legend.addItem(self._band, "P10-P90 range")
        self.showGrid(y=True, alpha=0.25)
        for side in ("left", "bottom"):   # never "(x0.001)" on an empty chart
            self.getAxis(side).enableAutoSIPrefix(False)
        self.show_result(None)   # start with the empty chart's ranges, not pyqtgraph's defaults

    def show_result(self, result: dict | None, history=()) -> None:
        """Draw an item's `history` ([(month, units), ...]) and its result's total forecast of
        every month it has (`result_months`). An empty chart for None."""
        history = list(history) if result is not None else []
        months = [m for m in months_of(result) if m.block is not None and m.total is not None]
        xs = [int(m) for m, _ in history]
        ys = [float(y) for _, y in history]
        self._history.setData(xs, ys)
        axis = self.getAxis("bottom")
        block = months[0].block if months else None
        axis.forecast_block = block
        fx = [m.block for m in months]
        self._forecast.setData(fx, [float(m.total) for m in months])
        if months and xs and xs[-1] == block - 1:
            self._bridge.setData([xs[-1], block], [ys[-1], float(months[0].total)])
        else:
            self._bridge.setData([], [])
        ranged = [m for m in months if m.ranged]
        self._band.setOpts(x=[m.block for m in ranged], y0=[float(m.total_p10) for m in ranged],
                           height=[float(m.total_p90) - float(m.total_p10) for m in ranged])
        if months:
            first = months[0]
            text, top = f"{float(first.total):.1f}", float(first.total)
            if first.ranged:
                text = f"{text} ({float(first.total_p10):.1f}-{float(first.total_p90):.1f})"
                top = max(top, float(first.total_p90))
            self._forecast_text.setText(text)
            self._forecast_text.setPos(block + 0.45, top)
        else:
            self._forecast_text.setText("")
        lo = min(xs + (fx or [0]))
        hi = max(xs + (fx or [1]))
        self.setXRange(lo - 0.7, hi + 0.7, padding=0)
        top = max([*ys, *(float(m.total) for m in months),
                   *(float(m.total_p90) for m in ranged)], default=0.0)
        self.setYRange(0, top * HEADROOM if top > 0 else 1, padding=0)
        self.plotItem.vb.setLimits(yMin=0)
        self.setToolTip("" if block is None else "forecast for " + ", ".join(
            f"{month_label(m.block)}: {m.total:.1f}" for m in months))
        axis.picture = None   # ticks depend on the forecast month: redraw them
        axis.update()

    def forecast_points(self) -> tuple[list, list]:
        """(x, total) of the forecast months' points (for tests and screenshots)."""
        x, y = self._forecast.getData()
        return ([] if x is None else [int(v) for v in x]), ([] if y is None else list(map(float, y)))

    def range_band(self) -> tuple[list, list, list]:
        """(x, bottom, height) of the P10-P90 bands (for tests and screenshots)."""
        opts = self._band.opts
        return list(opts["x"]), list(opts["y0"]), list(opts["height"])

    def forecast_text(self) -> str:
        """The value printed above the next month's point."""
        return self._forecast_text.toPlainText()

    def tick_labels(self) -> list[str]:
        """The month labels the bottom axis shows now."""
        axis = self.getAxis("bottom")
        lo, hi = axis.range
        return [label for _, values in axis.tickValues(lo, hi, 1) for label in
                axis.tickStrings(values, 1, 1)]

    def history_line(self) -> tuple[list, list]:
        """(x, units) of the history line."""
        x, y = self._history.getData()
        return ([] if x is None else [int(v) for v in x]), ([] if y is None else list(map(float, y)))


__all__ = ["HistoryChart", "Qt", "month_label"]
