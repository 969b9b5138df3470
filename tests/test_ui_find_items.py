"""Finding items by name and category in the real window (offscreen, real store and model)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from salesapp.store.job_store import JobStore
from salesapp.ui.main_window import MainWindow
from salesapp.workers.dispatcher import PredictionDispatcher

WAIT_MS = 20000

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


@pytest.fixture
def window(shown_window):
    return shown_window


@pytest.fixture
def predictor(small_predictor):
    return small_predictor


def type_text(widget, text):
    """Key presses as a keyboard sends them (QTest's key clicks take ASCII only)."""
    for ch in text:
        for kind in (QEvent.KeyPress, QEvent.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.NoModifier, ch))
    QApplication.processEvents()


def a_cyrillic_word(predictor):
    """An item, and a word of its name that has Cyrillic letters, as a user would type it."""
    for item_id, name, _category in predictor.catalogue():
        for word in name.split():
            if len(word) >= 4 and any("а" <= ch.lower() <= "я" for ch in word):
                return item_id, word
    pytest.skip("the small bundle's names have no Cyrillic word")


def test_part_of_a_name_any_case_offers_the_item_and_picking_it_puts_its_id(qtbot, window,
                                                                          predictor):
    w = window
    item_id, word = a_cyrillic_word(predictor)
    part = word[1:4].upper()   # a middle part, in the other case
    w.input.setFocus()
    type_text(w.input, "3, " + part)
    popup = w.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=WAIT_MS)
    shown = [popup.model().index(i, 0).data() for i in range(w.completer.completionCount())]
    assert any(entry.startswith(f"{item_id} · ") for entry in shown)
    assert all(part.casefold() in entry.casefold() for entry in shown)
    row = next(i for i, entry in enumerate(shown) if entry.startswith(f"{item_id} · "))
    popup.setCurrentIndex(popup.model().index(row, 0))
    qtbot.keyClick(popup, Qt.Key_Return)   # picks: the id replaces the words typed
    assert w.input.text() == f"3, {item_id}, " and not popup.isVisible()
    assert w.model.rowCount() == 0
    qtbot.keyClick(w.input, Qt.Key_Return)   # and the next Enter sends the box
    qtbot.waitUntil(lambda: w.model.row_for(item_id) is not None, timeout=WAIT_MS)
    assert w.model.row_for(3) is not None and w.input.text() == ""


def test_enter_takes_the_only_entry_left(qtbot, window, predictor):
    w = window
    item_id, name, _category = predictor.catalogue()[5]
    w.input.setFocus()
    type_text(w.input, name)
    popup = w.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=WAIT_MS)
    if w.completer.completionCount() != 1:
        pytest.skip("another item's name holds this one's")
    qtbot.keyClick(popup, Qt.Key_Return)
    assert w.input.text() == f"{item_id}, "


def test_digits_open_no_list(qtbot, window):
    w = window
    w.input.setFocus()
    type_text(w.input, "10")
    qtbot.wait(100)
    assert not w.completer.popup().isVisible()


def test_the_category_filter_shows_one_categorys_items(qtbot, window, predictor):
    w = window
    catalogue = predictor.catalogue()
    category = catalogue[0][2]
    inside = [i for i, _n, c in catalogue if c == category][:3]
    outside = [i for i, _n, c in catalogue if c != category][:3]
    w.session.submit_ids(inside + outside)
    qtbot.waitUntil(lambda: w.model.rowCount() == len(inside + outside), timeout=WAIT_MS)
    box = w.category_filter
    index = next(i for i in range(box.count()) if box.itemText(i).startswith(f"{category} ("))
    box.setCurrentIndex(index)
    assert w.table.model() is w.proxy
    shown = sorted(int(w.proxy.index(r, 0).data()) for r in range(w.proxy.rowCount()))
    assert shown == sorted(inside)
    box.setCurrentIndex(0)   # all categories: the table reads the model again
    assert w.table.model() is w.model


def test_my_shop_puts_its_forecast_in_the_main_column_and_is_remembered(qtbot, window,
                                                                       predictor, tmp_path):
    w = window
    ids = [i for i, _n, _c in predictor.catalogue()[:4]]
    w.session.submit_ids(ids)

    def done():
        assert all((r := w.model.row_for(i)) is not None and r.status == "done" for i in ids)
    qtbot.waitUntil(done, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: w.model.pending_updates() == 0, timeout=WAIT_MS)
    shop = predictor.shop_ids[1]
    box = w.shop_choice
    box.setCurrentIndex(box.findData(shop))
    assert w.model.headerData(4, Qt.Horizontal) == f"Shop {shop}"
    assert predictor.shop_names[shop] in w.model.headerData(4, Qt.Horizontal, Qt.ToolTipRole)
    for pos in range(w.model.rowCount()):
        result = w.model.row_at(pos).result
        mine = dict(result["shops"])[shop]
        assert w.model.index(pos, 4).data() == f"{mine:.2f}"
        assert mine != result["total"] or len(predictor.shop_ids) == 1
    # a new window of the same user starts on the same shop
    store = JobStore.open(tmp_path / "store2")
    other = MainWindow()
    qtbot.addWidget(other)
    other.session.attach(store, PredictionDispatcher(store, predictor, pool_size=1), predictor)
    try:
        assert other.shop_choice.currentData() == shop and other.model.main_shop() == shop
        other.shop_choice.setCurrentIndex(0)   # back to the total
        assert other.model.headerData(4, Qt.Horizontal) == "Total forecast"
    finally:
        other.close()
    w.shop_choice.setCurrentIndex(0)
    assert w.model.index(0, 4).data() == f"{w.model.row_at(0).result['total']:.2f}"
