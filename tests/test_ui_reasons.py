"""Opening an item in the window shows its reasons, worked out off the GUI thread."""

from __future__ import annotations

import threading

import pytest

from salesapp.model.reasons import Explainer, decimals_for
from salesapp.store.job_store import JobStore
from salesapp.ui.main_window import MainWindow
from salesapp.workers.dispatcher import PredictionDispatcher

WAIT_MS = 20000

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


@pytest.fixture(scope="module")
def predictor(bundled_predictor):
    return bundled_predictor


@pytest.fixture
def window(qtbot, tmp_path, predictor):
    store = JobStore.open(tmp_path / "store")
    w = MainWindow()
    w.session.attach(store, PredictionDispatcher(store, predictor, pool_size=1), predictor)
    qtbot.addWidget(w)
    yield w
    w.close()


def test_opening_an_item_shows_its_reasons(qtbot, window, predictor):
    w = window
    ids = [int(i) for i in predictor.item_ids[:200:50]]
    threads = []
    explain = Explainer(predictor).explain
    w.detail.set_reasons_source(lambda i: threads.append(threading.get_ident()) or explain(i))
    w.session.submit_ids(ids)

    def done():
        assert all(w.model.row_for(i) and w.model.row_for(i).status == "done" for i in ids)
        assert w.model.pending_updates() == 0
    qtbot.waitUntil(done, timeout=WAIT_MS)
    view = w.detail.reasons
    assert view.isHidden()   # nothing opened yet
    with qtbot.waitSignal(view.reasons_shown, timeout=WAIT_MS) as shown:
        w.table.setCurrentIndex(w.table.model().index(0, 0))
    item = int(w.table.model().index(0, 0).data())
    assert shown.args == [item]
    assert threads and threading.get_ident() not in threads   # worked out on the view's thread
    expected = Explainer(predictor).explain(item)
    result = w.model.row_for(item).result
    assert view.total_bars.values() == pytest.approx(expected.total()["values"])
    top = int(w.detail.shops.item(0, 0).text())   # the table's top shop is shown first
    assert w.detail.table.currentIndex().row() == 0
    assert view.shop_bars.values() == pytest.approx(expected.shop(top)["values"])
    assert view.shop_box.title().startswith(f"Shop {top}")
    words = view.words.text()
    d = decimals_for(result["total"], expected.total()["base"])
    assert f"{result['total']:.{d}f} units in all shops" in words
    assert expected.describe() in words and not view.isHidden()
    # picking another shop in the panel's table shows its reasons at once, without a new explain
    calls = len(threads)
    row = w.detail.shops.rowCount() - 1
    other = int(w.detail.shops.item(row, 0).text())
    w.detail.table.setCurrentIndex(w.detail.shops.index(row, 0))
    assert view.shop_bars.values() == pytest.approx(expected.shop(other)["values"])
    assert view.shop_box.title().startswith(f"Shop {other}") and len(threads) == calls
    # a later item replaces them; a stale answer for the earlier one is not shown
    with qtbot.waitSignal(view.reasons_shown, timeout=WAIT_MS) as shown:
        w.table.setCurrentIndex(w.table.model().index(1, 0))
    second = int(w.table.model().index(1, 0).data())
    assert shown.args == [second] and view.reasons.item_id == second


def test_a_failing_explain_is_one_sentence_in_the_panel(qtbot, window, predictor):
    w = window
    item = int(predictor.item_ids[0])

    def broken(_item):
        raise ValueError("the bundle does not match this version of the app")
    w.detail.set_reasons_source(broken)
    w.detail.show_result(item, predictor.predict([item])[0])
    qtbot.waitUntil(lambda: "No reasons" in w.detail.reasons.words.text(), timeout=WAIT_MS)
    assert w.detail.reasons.words.text() == (
        f"No reasons for item {item}: the bundle does not match this version of the app")


def test_an_answer_for_an_item_no_longer_shown_is_dropped(qtbot, predictor):
    from salesapp.ui.reasons_view import ReasonsView

    view = ReasonsView()
    qtbot.addWidget(view)
    first, second = (int(i) for i in predictor.item_ids[:2])
    gate = threading.Event()
    explain = Explainer(predictor).explain

    def slow_for_the_first(item):
        if item == first:
            gate.wait(5)
        return explain(item)
    view.set_source(slow_for_the_first, {})
    shown = []
    view.reasons_shown.connect(shown.append)
    view.request(first)
    view.request(second)   # the user moved on before the first was worked out
    gate.set()
    qtbot.waitUntil(lambda: shown == [second], timeout=WAIT_MS)
    assert view.wait()
    qtbot.wait(50)   # any answer still queued for the GUI thread arrives
    assert shown == [second] and view.reasons.item_id == second
