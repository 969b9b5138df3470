"""The month picker: which of the months the active model forecasts the table's main columns
show, remembered per user.

Remembered as how many months ahead (the next month, the one after...), not as a calendar month:
after a new model, the month after next is still the month after next.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox

from salesapp.ui.months import month_label
from salesapp.ui.settings import app_settings

KEY = "table/months_ahead"
ONE_MONTH_TIP = ("The month the table shows. This model forecasts one month; a model trained "
                 "with horizons forecasts three")
TIP = ("The month the table's forecast, range and top shops show; the detail panel shows every "
       "month")


class MonthChoice(QComboBox):
    """The active model's months ("Nov 2015", "Dec 2015", "Jan 2016");
    `month_chosen(block or None, label)`: None for the next month (each row's own)."""

    month_chosen = Signal(object, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setToolTip(ONE_MONTH_TIP)
        self.setMinimumContentsLength(8)
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setEnabled(False)   # until the model says which months it forecasts
        self.currentIndexChanged.connect(self._on_index_changed)

    def set_months(self, first_block: int, count: int) -> None:
        """The model's months: `count` from `first_block`; the remembered one is picked again
        (the last month when the model forecasts fewer)."""
        self.blockSignals(True)
        self.clear()
        for k in range(max(1, count)):
            self.addItem(month_label(first_block + k), first_block + k)
        self.blockSignals(False)
        self.setEnabled(self.count() > 1)
        self.setToolTip(TIP if self.count() > 1 else ONE_MONTH_TIP)
        saved = str(app_settings().value(KEY, "0"))
        ahead = int(saved) if saved.isdigit() else 0
        self.blockSignals(True)
        self.setCurrentIndex(min(ahead, self.count() - 1))
        self.blockSignals(False)
        self._announce()

    def months_ahead(self) -> int:
        """0 for the next month, 1 for the month after..."""
        return max(self.currentIndex(), 0)

    def _on_index_changed(self, index: int) -> None:
        if index < 0:
            return
        app_settings().setValue(KEY, str(index))
        self._announce()

    def _announce(self) -> None:
        if self.currentIndex() < 0:
            return
        # the next month is each row's own (a row of another model shows its own next month)
        block = None if self.currentIndex() == 0 else self.currentData()
        self.month_chosen.emit(block, self.currentText())
