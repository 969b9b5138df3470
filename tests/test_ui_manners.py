"""The window's manners on the real window (offscreen): the filter keeps widths and selection,
the detail panel follows the rows, the rows' context menu, the layout remembered, Clear
history, the user guide, Ctrl+E from the text boxes, one window per store."""
# ruff: noqa: F811 - the window fixtures are test_ui_window's, imported by name

from __future__ import annotations

import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from test_ui_window import known_ids, make_window, predictor, wait_all_final  # noqa: F401

from salesapp.errors import SalesAppError
from salesapp.store.job_store import JobStore
from salesapp.ui.export import ExportDialog
from salesapp.ui.main_window import MainWindow
from salesapp.ui.row_menu import prepare_row_menu, show_row_menu
from salesapp.ui.window_lock import lock_store_window

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")
UNKNOWN = 999_999


def _done_window(qtbot, make_window, predictor, n=3): 
    w = make_window()
    ids = known_ids(predictor, n)
    w.session.submit_ids([*ids, UNKNOWN])
    wait_all_final(qtbot, w, [*ids, UNKNOWN])
    return w, ids


def _select(w, ids) -> None:
    w.selection.select_ids(ids, ids[0])


def test_the_filter_keeps_column_widths_and_the_selection(qtbot, make_window, predictor):
    w, ids = _done_window(qtbot, make_window, predictor)
    w.table.setColumnWidth(1, 333)
    _select(w, ids[:2])
    assert sorted(w.selection.item_ids()) == sorted(ids[:2])
    w.status_filter.setCurrentText("done")   # the proxy goes in
    assert w.table.model() is w.proxy
    assert w.table.columnWidth(1) == 333
    assert sorted(w.selection.item_ids()) == sorted(ids[:2])
    assert w.selection.current_id() == ids[0]
    w.status_filter.setCurrentText("all")   # and out again
    assert w.table.model() is w.model and w.table.columnWidth(1) == 333
    assert sorted(w.selection.item_ids()) == sorted(ids[:2])


def test_the_detail_panel_follows_a_delete_and_shows_no_empty_chart(qtbot, make_window, predictor):
    w, ids = _done_window(qtbot, make_window, predictor)
    assert w.detail.table.isHidden()   # nothing shown yet: no empty table
    _select(w, [ids[0]])
    qtbot.waitUntil(lambda: str(ids[0]) in w.detail.title.text(), timeout=5000)
    assert not w.detail.table.isHidden()
    assert w.detail.chart is not None and not w.detail.chart.isHidden()
    w.remove_selected()
    assert w.model.row_for(ids[0]) is None
    assert str(ids[0]) not in w.detail.title.text()
    assert w.detail.chart.isHidden() and w.detail.table.isHidden()   # nothing selected: no axes
    _select(w, [UNKNOWN])   # a row without a forecast: its reason, no empty chart
    assert "not in the product list" in w.detail.title.text() and w.detail.chart.isHidden()


def test_the_row_menu_copies_ids_and_asks_again_for_failed_rows(qtbot, make_window, predictor):
    w, ids = _done_window(qtbot, make_window, predictor)
    w.show()
    pos = w.table.visualRect(w.table.model().index(0, 0)).center()
    first = w.model.row_at(0).item_id
    show_row_menu(w, w.row_menu, pos)   # right click on a row not selected: it is selected
    assert w.selection.item_ids() == [first]
    w.row_menu.hide()
    assert not w.again_action.isEnabled()   # a done row: nothing to ask again
    w.copy_ids_action.trigger()
    assert QApplication.clipboard().text() == f"{first}\n"
    w.model.set_status([ids[1]], "failed", "the worker stopped")
    _select(w, [ids[1], ids[2]])
    prepare_row_menu(w)
    assert w.again_action.isEnabled()
    w.again_action.trigger()   # only the failed one is asked again, and comes back done
    qtbot.waitUntil(lambda: w.model.row_for(ids[1]).status == "done", timeout=20000)
    assert [a.text() for a in w.row_menu.actions() if not a.isSeparator()] == [
        "&Copy", "Copy item &ids", "&Forecast again", "&Export selected…", "&Remove from view"]


def test_window_size_and_column_widths_are_remembered(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(640, 470)   # within the offscreen screen's 800 x 600
    w.table.setColumnWidth(2, 211)
    w.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.table.columnWidth(2) == 211
    assert (again.width(), again.height()) == (640, 470)
    again.close()


def test_clear_history_asks_then_removes_finished_rows_for_good(qtbot, make_window, predictor,
                                                                tmp_path, monkeypatch):
    w, ids = _done_window(qtbot, make_window, predictor)
    answers = [QMessageBox.Cancel, QMessageBox.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    assert w.clear_history() == 0 and w.model.rowCount() == len(ids) + 1   # cancelled
    assert w.clear_history() == len(ids) + 1 and w.model.rowCount() == 0
    qtbot.waitUntil(lambda: not w.session.dispatcher.writes_pending(), timeout=10000)
    w.close()
    with JobStore.open(tmp_path / "store") as store:
        assert store.jobs() == []   # a restart shows none of them again
        assert store.result(predictor.version, ids[0]) is not None   # asked again: at once


def test_help_user_guide_explains_the_columns(qtbot, make_window):
    w = make_window()
    w.show_user_guide()
    text = w.user_guide.browser.toPlainText()
    for words in ("Top shops", "(0.7)", "Units", "Ctrl+E", "Where the data lives",
                  "New sales"):
        assert words in text, words
    assert not w.user_guide.isModal()


def test_ctrl_e_exports_from_the_id_box_too(qtbot, make_window):
    w = make_window()
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    w.input.setFocus()
    seen = []

    def answer():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExportDialog):
            QTimer.singleShot(10, answer)
            return
        seen.append(dialog)
        dialog.reject()

    QTimer.singleShot(0, answer)
    w.input.setText("12")
    w.input.setCursorPosition(0)
    qtbot.keyClick(w.input, Qt.Key_E, Qt.ControlModifier)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert w.input.cursorPosition() == 0   # the box did not take the key


HOLD = ("import sys, time; sys.path.insert(0, {root!r});"
        "from salesapp.ui.window_lock import lock_store_window;"
        "lock = lock_store_window({store!r}); print('locked', flush=True); time.sleep(60)")


def test_a_second_window_on_the_same_store_is_refused_in_one_sentence(tmp_path, monkeypatch,
                                                                      qtbot, capsys):
    from pathlib import Path

    from salesapp.commands import gui_commands

    store = tmp_path / "store"
    root = str(Path(__file__).resolve().parent.parent)
    other = subprocess.Popen([sys.executable, "-c", HOLD.format(root=root, store=str(store))],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "locked"
        with pytest.raises(SalesAppError, match=f"process {other.pid}"):
            lock_store_window(store)
        shown = []
        monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
        args = SimpleNamespace(store=str(store), model=None, files=[])
        assert gui_commands.gui(args) == 2
        assert len(shown) == 1 and "open in another Sales Forecast Desk window" in shown[0]
        assert "open in another" in capsys.readouterr().err
    finally:
        other.kill()
        other.wait()
        other.stdout.close()
    deadline = time.monotonic() + 5
    while True:   # the lock goes with the process that held it
        try:
            lock_store_window(store).release()
            break
        except SalesAppError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
