"""The id box and the notice above the table, on the real window (offscreen, real store and model)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from salesapp.ui.notice_bar import INFO, PROBLEM

WAIT_MS = 20000

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


@pytest.fixture
def window(shown_window):
    return shown_window


def wait_done(qtbot, w, ids):
    def done():
        assert all((r := w.model.row_for(i)) is not None and r.status == "done" for i in ids)
    qtbot.waitUntil(done, timeout=WAIT_MS)


def enter(qtbot, w, text):
    w.input.setText(text)
    qtbot.keyClick(w.input, Qt.Key_Return)


def test_parts_not_understood_stay_in_the_box_marked_with_their_reason(qtbot, window):
    w = window
    enter(qtbot, w, "1, 1e3, 2\u20134, abc")
    wait_done(qtbot, w, [1, 2, 3, 4])
    assert w.input.text() == "1e3, abc"
    assert w.input.property("rejected") is True
    assert "scientific notation" in w.input.toolTip() and "'abc'" in w.input.toolTip()
    assert w.banner.isVisible() and w.banner.level == PROBLEM
    assert "'1e3' (item 2)" in w.banner.text()
    # mended and sent again: the box empties, its mark and the yellow banner go
    enter(qtbot, w, "1000")
    qtbot.waitUntil(lambda: w.model.row_for(1000) is not None, timeout=WAIT_MS)
    assert w.input.text() == "" and not w.input.property("rejected")
    assert "1e3 is refused" in w.input.toolTip() and not w.banner.isVisible()


def test_a_grouped_number_typed_is_one_id_and_the_box_says_how_it_was_read(qtbot, window):
    w = window
    enter(qtbot, w, "1 005, 2\u00a0005")
    qtbot.waitUntil(lambda: w.model.row_for(1005) is not None and w.model.row_for(2005)
                    is not None, timeout=WAIT_MS)
    assert w.model.row_for(1) is None and w.model.row_for(5) is None
    assert w.banner.level == INFO and "'1 005' read as one id, 1005" in w.banner.text()


def test_a_file_summary_stays_until_the_user_acts(qtbot, window, tmp_path):
    w = window
    f = tmp_path / "ids.csv"
    f.write_text("item_id\n1\n2\n3\n", encoding="utf-8")
    w.import_files([f])
    wait_done(qtbot, w, [1, 2, 3])
    # the idle note comes after the last result; the summary must outlive it
    qtbot.waitUntil(lambda: "All queued items" in w.statusBar().currentMessage(), timeout=WAIT_MS)
    qtbot.wait(800)
    assert w.banner.isVisible() and w.banner.level == INFO
    assert "ids.csv: 3 item ids read from column 'item_id' (3 rows)." in w.banner.text()
    qtbot.mouseClick(w.banner.close_button, Qt.LeftButton)
    assert not w.banner.isVisible()


def test_the_yellow_banner_closes_and_goes_when_the_next_file_succeeds(qtbot, window, tmp_path):
    w = window
    bad = tmp_path / "bad.csv"
    bad.write_text("item_id\n1\nx\n", encoding="utf-8")
    w.import_files([bad])
    qtbot.waitUntil(lambda: "bad.csv" in w.banner.text(), timeout=WAIT_MS)
    assert w.banner.level == PROBLEM
    qtbot.mouseClick(w.banner.close_button, Qt.LeftButton)
    assert not w.banner.isVisible()
    w.import_files([bad])
    qtbot.waitUntil(lambda: "bad.csv" in w.banner.text(), timeout=WAIT_MS)
    good = tmp_path / "good.csv"
    good.write_text("item_id\n2\n", encoding="utf-8")
    w.import_files([good])
    qtbot.waitUntil(lambda: "good.csv" in w.banner.text(), timeout=WAIT_MS)
    assert w.banner.level == INFO and "bad.csv" not in w.banner.text()


def test_cancelling_the_column_question_clears_reading(qtbot, window, tmp_path, monkeypatch):
    w = window
    f = tmp_path / "two.csv"
    f.write_text("code,qty\n1,2\n", encoding="utf-8")
    asked = []
    monkeypatch.setattr(w, "ask_column", lambda path, cols: asked.append(cols) or None)
    w.import_files([f])
    assert w.statusBar().currentMessage().startswith("Reading")
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT_MS)
    message = w.statusBar().currentMessage()
    assert "Reading" not in message and "two.csv not read: no column chosen" in message
    assert w.model.rowCount() == 0


def test_a_pasted_spreadsheet_column_reads_as_typed(qtbot, window):
    from PySide6.QtWidgets import QApplication

    w = window
    QApplication.clipboard().setText("1\u00a0003\r\n7.0\r\n10\u201312\r\n1e3\r\n")
    w.input.setFocus()
    w.input.paste()
    qtbot.keyClick(w.input, Qt.Key_Return)
    qtbot.waitUntil(lambda: w.model.rowCount() == 5, timeout=WAIT_MS)
    assert sorted(w.model.item_ids()) == [7, 10, 11, 12, 1003]
    assert w.input.text() == "1e3" and w.input.property("rejected") is True


def test_a_later_idle_with_nothing_run_does_not_replace_the_last_message(qtbot, window):
    w = window
    enter(qtbot, w, "1, 2")
    wait_done(qtbot, w, [1, 2])
    qtbot.waitUntil(lambda: "All queued items" in w.statusBar().currentMessage(), timeout=WAIT_MS)
    w.statusBar().showMessage("Export failed: the folder cannot be written.")
    with qtbot.waitSignal(w.session.dispatcher.idle, timeout=WAIT_MS):
        w.session.dispatcher._check_idle()   # a recount that finds nothing new to run
    qtbot.wait(50)
    assert w.statusBar().currentMessage() == "Export failed: the folder cannot be written."
