"""The window's typed box: ids out of range or not ASCII digits are named, the rest go through."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from salesapp.model.predictor import Predictor
from salesapp.store.job_store import JobStore
from salesapp.ui.main_window import MainWindow
from salesapp.workers.dispatcher import PredictionDispatcher

WAIT_MS = 20000


@pytest.fixture
def window(qtbot, tmp_path, small_bundle):
    predictor = Predictor.load(small_bundle)
    store = JobStore.open(tmp_path / "store")
    dispatcher = PredictionDispatcher(store, predictor, pool_size=1, batch_size=256)
    w = MainWindow()
    w.session.attach(store, dispatcher, predictor)
    qtbot.addWidget(w)
    yield w
    w.close()


def test_bad_typed_ids_are_named_and_the_valid_ones_on_the_line_are_forecast(qtbot, window):
    w = window
    w.show()
    w.input.setText(f"1, ², 2\n{'9' * 20} ① {10**30} {2**63}, 3")
    qtbot.keyClick(w.input, Qt.Key_Return)

    def final():
        rows = [w.model.row_for(i) for i in (1, 2, 3)]
        assert all(r is not None and r.status == "done" for r in rows)
        assert w.model.pending_updates() == 0
    qtbot.waitUntil(final, timeout=WAIT_MS)
    assert sorted(w.model.item_ids()) == [1, 2, 3]   # no row for a bad token, none left blank
    for row in range(w.model.rowCount()):
        assert w.model.index(row, 0).data() and w.model.index(row, 4).data()
    text = w.banner.text()
    assert "'²' (item 2)" in text and "'①' (item 5)" in text
    assert f"'{'9' * 20}' (item 4) is out of range" in text
    assert f"'{2**63}' (item 7) is out of range" in text
    assert sorted(j.item_id for j in w.session.store.jobs()) == [1, 2, 3]


def test_a_fifo_dropped_on_the_window_is_refused_and_typing_still_works(qtbot, window, tmp_path):
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("FIFOs are POSIX")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    w = window
    w.show()
    w.import_files([fifo])
    qtbot.waitUntil(lambda: "not a regular file" in w.banner.text(), timeout=WAIT_MS)
    assert "pipe.csv" in w.banner.text() and w.model.rowCount() == 0
    w.input.setText("4")
    qtbot.keyClick(w.input, Qt.Key_Return)
    qtbot.waitUntil(lambda: (w.model.row_for(4) or None) and w.model.row_for(4).status == "done",
                    timeout=WAIT_MS)
