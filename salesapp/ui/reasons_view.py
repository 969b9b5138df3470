"""The detail panel's "why": an item's reasons in words and two small bar charts (total, one shop).

The reasons are computed on demand, on a one-thread pool of this view: `pred_contrib` costs more
than a forecast and must not run on the GUI thread. The Explainer has its own Booster and lock,
so it never shares one with the prediction runners (LightGBM #5482).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QRectF, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

log = logging.getLogger(__name__)

UP, DOWN = QColor("#3b8b4f"), QColor("#c0504d")


class ReasonsBars(QWidget):
    """Horizontal bars, one per bucket, from a zero line: right adds to the forecast, left takes
    away. Values in units (or, with `factors`, log contributions drawn as ×factor labels)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[tuple[str, float]] = []
        self._factors = False
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def sizeHint(self) -> QSize:
        # one text line per bucket: every bucket stays readable in a small window
        rows = max(len(self._rows), 6)
        return QSize(320, rows * (self.fontMetrics().height() + 2))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def set_values(self, values: dict[str, float], factors: bool = False) -> None:
        grew = len(values) > max(len(self._rows), 6)
        self._rows = list(values.items())
        self._factors = factors
        if grew:   # a seventh bucket (features no rule names): room for its line
            self.updateGeometry()
        self.update()

    def values(self) -> dict[str, float]:
        """What the bars show now (for tests)."""
        return dict(self._rows)

    def paintEvent(self, _event) -> None:
        if not self._rows:
            return
        import math

        # here, not at the top: the window's modules import no numpy (reasons exist once it is in)
        from salesapp.model.reasons import decimals_for
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        fm = p.fontMetrics()
        label_w = max(fm.horizontalAdvance(name) for name, _ in self._rows) + 8
        value_w = fm.horizontalAdvance("+00.00") + 6
        w, h = self.width(), self.height()
        row_h = h / len(self._rows)
        left, right = label_w + value_w, w - value_w
        biggest = max(abs(v) for _, v in self._rows) or 1.0
        digits = decimals_for(biggest)
        has_neg = any(v < 0 for _, v in self._rows)
        has_pos = any(v > 0 for _, v in self._rows)
        span = right - left
        zero = left + (span / 2 if has_neg and has_pos else (span if has_neg else 0))
        half = span / 2 if has_neg and has_pos else span
        p.setPen(QPen(QColor("#888")))
        p.drawLine(int(zero), 0, int(zero), h)
        for k, (name, v) in enumerate(self._rows):
            y = k * row_h
            p.setPen(QColor("#222"))
            p.drawText(QRectF(0, y, label_w - 4, row_h), Qt.AlignRight | Qt.AlignVCenter, name)
            length = half * abs(v) / biggest
            x0 = zero if v >= 0 else zero - length
            bar = QRectF(x0, y + row_h * 0.2, length, row_h * 0.6)
            p.fillRect(bar, UP if v >= 0 else DOWN)
            if self._factors:
                text = f"×{math.exp(v):.2f}"
            else:   # never "-0.0": a figure too small to show is 0
                text = f"{v:+.{digits}f}" if abs(v) >= 0.5 * 10 ** -digits else f"{0:.{digits}f}"
            if v >= 0:
                box = QRectF(x0 + length + 3, y, value_w, row_h)
                align = Qt.AlignLeft | Qt.AlignVCenter
            else:
                box = QRectF(x0 - value_w - 3, y, value_w, row_h)
                align = Qt.AlignRight | Qt.AlignVCenter
            p.drawText(box, align, text)
        p.end()


class _Bridge(QObject):
    """Carries a finished computation from the pool thread to the GUI thread (queued signal)."""

    done = Signal(int, int, object, str)   # ticket, item id, ItemReasons or None, error


class ReasonsView(QWidget):
    """Words and bars for the item shown; `reasons_shown(item_id)` once they are on screen."""

    reasons_shown = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._explain: Callable | None = None
        self._shop_names: dict[int, str] = {}
        self._ticket = 0
        self._item: int | None = None
        self._shop: int | None = None
        self.reasons = None   # the ItemReasons shown
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)   # one explain at a time; a newer request waits its turn
        self._bridge = _Bridge(self)
        self._bridge.done.connect(self._on_done)
        self.words = QLabel("")
        self.words.setWordWrap(True)
        self.words.setObjectName("reasonsWords")
        self.total_box, self.total_bars = self._chart("All shops")
        self.shop_box, self.shop_bars = self._chart("Shop")
        charts = QHBoxLayout()
        charts.setContentsMargins(0, 0, 0, 0)
        charts.addWidget(self.total_box)
        charts.addWidget(self.shop_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.words)
        layout.addLayout(charts)
        self.hide()

    @staticmethod
    def _chart(title: str) -> tuple[QGroupBox, ReasonsBars]:
        box = QGroupBox(title)
        bars = ReasonsBars()
        inner = QVBoxLayout(box)
        inner.setContentsMargins(4, 4, 4, 4)
        inner.addWidget(bars)
        return box, bars

    @property
    def explain(self) -> Callable | None:
        return self._explain

    def set_source(self, explain: Callable | None, shop_names: dict[int, str]) -> None:
        """`explain(item_id) -> ItemReasons`, called on this view's pool thread.

        An explain bound to an object with `prepare()` (an Explainer) gets it called there at once,
        so the first item opened does not wait for the Booster to be made.
        """
        prepare = getattr(getattr(explain, "__self__", None), "prepare", None)
        if explain is not self._explain and callable(prepare):
            self._pool.start(prepare)
        self._explain = explain
        self._shop_names = shop_names

    def request(self, item_id: int | None, shop_id: int | None = None) -> None:
        """Compute and show the reasons of `item_id` (None: show none)."""
        self._ticket += 1
        if shop_id is None and item_id == self._item:
            shop_id = self._shop   # the same item's new result: keep the shop the user picked
        self._item, self._shop, self.reasons = item_id, shop_id, None
        if item_id is None or self._explain is None:
            self.hide()
            return
        self.words.setText("Working out the reasons…")
        self.total_bars.set_values({})
        self.shop_bars.set_values({})
        self.show()
        ticket, explain, bridge = self._ticket, self._explain, self._bridge

        def run():
            try:
                reasons, error = explain(item_id), ""
            except Exception as exc:   # shown to the user in one sentence, and logged
                log.exception("reasons of item %s", item_id)
                reasons, error = None, str(exc)
            try:
                bridge.done.emit(ticket, item_id, reasons, error)
            except RuntimeError:   # the window closed meanwhile: nobody to show them to
                pass

        self._pool.start(run)

    def shop(self) -> int | None:
        """The shop whose reasons are shown (or will be, once they are worked out)."""
        return self._shop

    def select_shop(self, shop_id: int | None) -> None:
        """Show one shop's reasons beside the total's (no new computation: all shops are there)."""
        self._shop = shop_id
        if self.reasons is not None:
            self._show_shop()

    def wait(self, ms: int = 5000) -> bool:
        """Wait for a computation still running (a closing window)."""
        return self._pool.waitForDone(ms)

    def _on_done(self, ticket: int, item_id: int, reasons, error: str) -> None:
        if ticket != self._ticket:
            return   # the user moved on to another item
        if reasons is None:
            self.words.setText(f"No reasons for item {item_id}: {error}")
            return
        self.reasons = reasons
        factors = reasons.scale == "log"
        self.total_bars.set_values(reasons.total()["values"], factors)
        if self._shop not in reasons.shop_ids:   # no shop picked: the busiest
            self._shop = reasons.shop_ids[int(reasons.forecast.argmax())]
        self._show_shop()
        self.reasons_shown.emit(item_id)

    def _show_shop(self) -> None:
        r, shop = self.reasons, self._shop
        name = self._shop_names.get(shop, "") if shop is not None else ""
        self.shop_box.setTitle(f"Shop {shop} {name}".rstrip())
        self.shop_bars.set_values(r.shop(shop)["values"], r.scale == "log")
        self.words.setText(f"Why: {r.describe()}\n{r.describe(shop, name)}")
