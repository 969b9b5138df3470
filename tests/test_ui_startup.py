"""Start-up: the window shows and takes ids before the engine is loaded; the engine loads in the
background (EngineLoader) and is attached; heavy imports wait until they are needed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

from salesapp.store.job_store import JobStore
from salesapp.ui.engine_loader import EngineLoader
from salesapp.ui.main_window import MainWindow

WAIT_MS = 30000

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


def unattached_window(qtbot, store_dir, model_dir):
    window = MainWindow()
    loader = EngineLoader(store_dir, model_dir, window)
    loader.loaded.connect(window.engine_loaded)
    loader.failed.connect(window.engine_failed)
    window.engine_wait = loader.wait
    qtbot.addWidget(window)
    return window, loader


def type_ids(qtbot, window, text):
    window.input.setText(text)
    qtbot.keyClick(window.input, Qt.Key_Return)


def test_ids_typed_before_the_engine_loads_are_forecast_once_it_is_attached(qtbot, tmp_path,
                                                                           small_bundle):
    window, loader = unattached_window(qtbot, tmp_path / "store", small_bundle)
    window.show()
    assert not window.attached() and window.detail.chart is None
    type_ids(qtbot, window, "0-4")
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=WAIT_MS)
    assert {window.model.row_for(i).status for i in range(5)} == {"queued"}
    assert window.submitting()   # shown, not yet written: there is no store yet
    with qtbot.waitSignal(loader.loaded, timeout=WAIT_MS):
        loader.start()
    qtbot.waitUntil(window.attached, timeout=WAIT_MS)

    def all_final():
        assert all(window.model.row_for(i).status in ("done", "failed") for i in range(5))
        assert window.model.pending_updates() == 0 and not window.submitting()
    qtbot.waitUntil(all_final, timeout=WAIT_MS)
    assert window.store.counts()["done"] == 5
    ok = [i for i in range(5) if (window.model.row_for(i).result or {}).get("status") == "ok"]
    if ok:   # the chart is made when a forecast is first shown
        window.table.setCurrentIndex(window.model.index(window.model.item_ids().index(ok[0]), 0))
        assert window.detail.chart is not None
    window.close()


def test_close_before_the_engine_loaded_still_queues_the_typed_ids(qtbot, tmp_path,
                                                                  small_bundle):
    window, loader = unattached_window(qtbot, tmp_path / "store", small_bundle)
    window.show()
    type_ids(qtbot, window, "1, 2, 3")
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=WAIT_MS)
    loader.start()
    window.close()   # waits for the load, attaches, writes the ids, stops the workers
    with JobStore.open(tmp_path / "store") as store:
        assert {int(j.item_id) for j in store.jobs()} == {1, 2, 3}


def test_a_model_that_cannot_load_is_reported_and_the_window_lives_on(qtbot, tmp_path):
    broken = tmp_path / "not_a_bundle"
    broken.mkdir()
    window, loader = unattached_window(qtbot, tmp_path / "store", broken)
    window.show()
    with qtbot.waitSignal(loader.failed, timeout=WAIT_MS):
        loader.start()
    qtbot.waitUntil(lambda: "could not be loaded" in window.banner.text(), timeout=WAIT_MS)
    type_ids(qtbot, window, "7")
    qtbot.waitUntil(lambda: window.model.row_for(7) is not None, timeout=WAIT_MS)
    window.cancel_pending()
    assert window.model.row_for(7).status == "cancelled"
    assert not window.submitting()   # a cancelled id is never written later
    window.close()


def test_the_window_modules_import_neither_pandas_nor_lightgbm_nor_pyqtgraph():
    code = ("import sys; import salesapp.commands.gui_commands, salesapp.ui.main_window, "
            "salesapp.ui.engine_loader; "
            "print(sorted(m for m in ('pandas', 'lightgbm', 'pyqtgraph', 'numpy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ids_cancelled_before_the_engine_loads_are_never_queued(qtbot, tmp_path, small_bundle):
    window, loader = unattached_window(qtbot, tmp_path / "store", small_bundle)
    window.show()
    type_ids(qtbot, window, "1, 2")
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT_MS)
    window.cancel_pending()
    with qtbot.waitSignal(loader.loaded, timeout=WAIT_MS):
        loader.start()
    qtbot.waitUntil(lambda: window.attached() and not window.submitting(), timeout=WAIT_MS)
    assert window.store.jobs() == []
    assert {window.model.row_for(i).status for i in (1, 2)} == {"cancelled"}
    window.close()
