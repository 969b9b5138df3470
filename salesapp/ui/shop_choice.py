"""The "my shop" choice: which forecast the table's main column shows, remembered per user.

A store manager cares about one shop, not a total over all of them; the choice is kept in the
window's settings (`settings.app_settings`).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox

from salesapp.ui.settings import app_settings

KEY = "table/main_shop"
ALL_SHOPS = "All shops (total)"


class ShopChoice(QComboBox):
    """"All shops (total)" and the model's open shops; `shop_chosen(shop id or None, label)`."""

    shop_chosen = Signal(object, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.addItem(ALL_SHOPS, None)
        self.setToolTip("My shop: the forecast the table's main column shows")
        self.setMinimumContentsLength(16)
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.currentIndexChanged.connect(self._on_index_changed)

    def set_shops(self, shop_ids, names: dict[int, str]) -> None:
        """The model's open shops; the remembered one (if still open) is chosen again."""
        self.blockSignals(True)
        while self.count() > 1:
            self.removeItem(1)
        for shop in sorted(shop_ids, key=lambda s: str(names.get(s, s)).casefold()):
            self.addItem(f"{names.get(shop, shop)} ({shop})", int(shop))
        self.blockSignals(False)
        saved = app_settings().value(KEY, "")
        index = self.findData(int(saved)) if str(saved).isdigit() else -1
        self.setCurrentIndex(max(index, 0))
        self._announce()

    def _on_index_changed(self, _index: int) -> None:
        shop = self.currentData()
        app_settings().setValue(KEY, "" if shop is None else str(shop))
        self._announce()

    def _announce(self) -> None:
        shop = self.currentData()
        label = "" if shop is None else self.currentText()
        self.shop_chosen.emit(shop, label)
