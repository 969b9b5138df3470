"""Start-up: the window shows and takes ids before the engine is loaded; the engine loads in the
background (EngineLoader) and is attached; heavy imports wait until they are needed."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

from salesapp.errors import StoreError
from salesapp.model.predictor import Predictor
from salesapp.store.job_store import JobStore
from salesapp.ui.engine_loader import EngineLoader
from salesapp.ui.main_window import MainWindow
from salesapp.workers.dispatcher import PredictionDispatcher

WAIT_MS = 30000

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


def unattached_window(qtbot, store_dir, model_dir):
    window = MainWindow()
    loader = EngineLoader(store_dir, model_dir, window)
    window.session.load_from(loader)
    qtbot.addWidget(window)
    return window, loader


def type_ids(qtbot, window, text):
    window.input.setText(text)
    qtbot.keyClick(window.input, Qt.Key_Return)


def test_ids_typed_before_the_engine_loads_are_forecast_once_it_is_attached(qtbot, tmp_path,
                                                                           small_bundle):
    window, loader = unattached_window(qtbot, tmp_path / "store", small_bundle)
    window.show()
    assert not window.session.is_attached() and window.detail.chart is None
    type_ids(qtbot, window, "0-4")
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=WAIT_MS)
    # shown, not yet written (there is no store yet): the table says so
    assert {window.model.row_for(i).status for i in range(5)} == {"unsaved"}
    assert window.model.index(window.model.item_ids().index(0), 3).data() == "not yet saved"
    assert window.session.submitting()
    with qtbot.waitSignal(loader.loaded, timeout=WAIT_MS):
        loader.start()
    qtbot.waitUntil(window.session.is_attached, timeout=WAIT_MS)

    def all_final():
        assert all(window.model.row_for(i).status in ("done", "unknown item", "failed") for i in range(5))
        assert window.model.pending_updates() == 0 and not window.session.submitting()
    qtbot.waitUntil(all_final, timeout=WAIT_MS)
    assert window.session.store.counts()["done"] == 5
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


MODEL_NOTE = "The model could not be loaded, so these items cannot be forecast."


def test_a_model_that_cannot_load_is_reported_and_the_typed_ids_fail_with_a_reason(qtbot,
                                                                                   tmp_path):
    broken = tmp_path / "not_a_bundle"
    broken.mkdir()
    window, loader = unattached_window(qtbot, tmp_path / "store", broken)
    window.show()
    type_ids(qtbot, window, "6")   # typed before the failure: pending until then
    qtbot.waitUntil(lambda: window.model.row_for(6) is not None, timeout=WAIT_MS)
    with qtbot.waitSignal(loader.failed, timeout=WAIT_MS):
        loader.start()
    qtbot.waitUntil(lambda: "model could not be loaded" in window.banner.text(), timeout=WAIT_MS)
    type_ids(qtbot, window, "7")   # typed after it
    qtbot.waitUntil(lambda: window.model.row_for(7) is not None, timeout=WAIT_MS)
    for i in (6, 7):
        row = window.model.row_for(i)
        assert (row.status, row.note) == ("failed", MODEL_NOTE)
    assert not window.session.submitting()   # nothing waits for a store that will never come
    window.close()


def test_a_store_that_cannot_open_is_named_as_the_store(qtbot, tmp_path, small_bundle):
    not_a_dir = tmp_path / "store"
    not_a_dir.write_text("a file where the store directory should be")
    window, loader = unattached_window(qtbot, not_a_dir, small_bundle)
    type_ids(qtbot, window, "3")
    qtbot.waitUntil(lambda: window.model.row_for(3) is not None, timeout=WAIT_MS)
    with qtbot.waitSignal(loader.failed, timeout=WAIT_MS):
        loader.start()
    qtbot.waitUntil(lambda: window.model.row_for(3).status == "failed", timeout=WAIT_MS)
    assert "job store could not be opened" in window.banner.text()
    assert window.model.row_for(3).note == ("The job store could not be opened, so these items "
                                            "cannot be forecast.")
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
    qtbot.waitUntil(lambda: window.session.is_attached() and not window.session.submitting(),
                    timeout=WAIT_MS)
    assert window.session.store.jobs() == []
    assert {window.model.row_for(i).status for i in (1, 2)} == {"cancelled"}
    window.close()


def stored_job(store_dir, item_id, failed=False):
    """A job left by an earlier session: queued, or failed (its only attempt used up)."""
    with JobStore.open(store_dir, max_attempts=1) as store:
        store.submit([item_id], "earlier")
        if failed:
            store.lease("earlier-session", 10, 60)
            store.fail("earlier-session", item_id, "it broke earlier")


def test_the_stored_jobs_are_read_off_the_gui_thread(qtbot, tmp_path, small_bundle, monkeypatch):
    stored_job(tmp_path / "store", 3)
    readers = []
    real_jobs = JobStore.jobs

    def jobs(store):
        readers.append(threading.current_thread() is threading.main_thread())
        return real_jobs(store)

    monkeypatch.setattr(JobStore, "jobs", jobs)
    window, loader = unattached_window(qtbot, tmp_path / "store", small_bundle)
    loader.start()
    qtbot.waitUntil(lambda: window.session.is_attached() and window.model.row_for(3) is not None,
                    timeout=WAIT_MS)
    assert readers == [False]   # read once, by the loader's thread
    window.close()


def test_a_store_whose_jobs_cannot_be_read_still_queues_the_typed_ids(qtbot, tmp_path,
                                                                     small_bundle, monkeypatch):
    window = MainWindow()
    qtbot.addWidget(window)
    type_ids(qtbot, window, "1, 2")
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT_MS)

    def unreadable(_store):
        raise StoreError("the jobs table is damaged")

    monkeypatch.setattr(JobStore, "jobs", unreadable)
    store = JobStore.open(tmp_path / "store")
    predictor = Predictor.load(small_bundle)
    dispatcher = PredictionDispatcher(store, predictor, pool_size=2)
    window.session.attach(store, dispatcher, predictor)   # without jobs: it reads them itself
    assert "could not be restored: the jobs table is damaged" in window.banner.text()
    qtbot.waitUntil(lambda: not window.session.submitting(), timeout=WAIT_MS)
    window.close()
    monkeypatch.undo()
    with JobStore.open(tmp_path / "store") as store:
        assert {int(j.item_id) for j in store.jobs()} == {1, 2}


def test_ids_typed_before_the_load_keep_their_pending_rows(qtbot, tmp_path, small_bundle):
    stored_job(tmp_path / "store", 5, failed=True)
    stored_job(tmp_path / "store", 8, failed=True)
    window = MainWindow()
    qtbot.addWidget(window)
    type_ids(qtbot, window, "5")
    qtbot.waitUntil(lambda: window.model.row_for(5) is not None, timeout=WAIT_MS)
    store = JobStore.open(tmp_path / "store")
    predictor = Predictor.load(small_bundle)
    dispatcher = PredictionDispatcher(store, predictor, pool_size=2)
    window.session.attach(store, dispatcher, predictor, store.jobs())
    # being queued again, not the old failure
    assert window.model.row_for(5).status in ("unsaved", "queued")
    qtbot.waitUntil(lambda: not window.session.restore.active(), timeout=WAIT_MS)   # rows in slices
    assert window.model.row_for(5).note != "it broke earlier"   # the restore left it alone
    assert (window.model.row_for(8).status, window.model.row_for(8).note) == (
        "failed", "it broke earlier")   # not typed: restored as stored
    window.close()


def test_a_close_with_nothing_typed_does_not_wait_for_the_engine(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    waits = []
    window.session.engine_wait = waits.append
    window.close()
    assert waits == []


def test_a_load_ending_during_the_close_starts_no_runner(qtbot, tmp_path, small_bundle,
                                                         monkeypatch):
    stored_job(tmp_path / "store", 9)   # pending from an earlier session
    starts = []
    real_start = PredictionDispatcher.start

    def start(dispatcher):
        starts.append(dispatcher)
        real_start(dispatcher)

    monkeypatch.setattr(PredictionDispatcher, "start", start)
    window, loader = unattached_window(qtbot, tmp_path / "store", small_bundle)
    type_ids(qtbot, window, "1")
    qtbot.waitUntil(lambda: window.model.row_for(1) is not None, timeout=WAIT_MS)
    loader.start()
    window.close()   # waits for the load, attaches, writes id 1, starts nothing
    assert window.session.is_attached() and starts == []
    with JobStore.open(tmp_path / "store") as store:
        assert {(int(j.item_id), j.state) for j in store.jobs()} == {(1, "queued"), (9, "queued")}


class _RacingLoader(QObject):
    """A loader whose load ends while the probe checks it (its signal emitted inside `wait`)."""

    loaded = Signal(object, object, object)
    failed = Signal(str, str)

    def __init__(self, reports_done: bool):
        super().__init__()
        self.reports_done, self.seconds = reports_done, 1.0

    def wait(self, _timeout_ms):
        self.failed.emit("model", "ended during the check")
        return self.reports_done


class _App:
    def __init__(self):
        self.codes = []

    def exit(self, code):
        self.codes.append(code)


@pytest.mark.parametrize("reports_done", [False, True])
def test_the_startup_probe_reports_a_load_ending_during_its_check_once(qtbot, reports_done):
    from salesapp.commands.gui_commands import _report_ready

    window = MainWindow()
    qtbot.addWidget(window)
    loader, app = _RacingLoader(reports_done), _App()
    _report_ready(window, app, [], loader)
    qtbot.waitUntil(lambda: bool(app.codes), timeout=WAIT_MS)
    for _ in range(3):   # a second report (queued call or 0-ms timer, posted at once) runs here
        QCoreApplication.processEvents()
    assert app.codes == [1]   # once, and failed: the window was never attached


def test_the_window_says_which_jobs_its_store_opening_failed(qtbot, tmp_path, small_bundle):
    import time

    from engine_cli import use_up_attempts_but_one

    version = Predictor.load(small_bundle).version
    with JobStore.open(tmp_path / "store") as s:   # item 1 on its last lease, by a gone worker
        s.submit([1], version)
        use_up_attempts_but_one(s, 1)
        s.lease("dead-worker", 1, 0.01)
    time.sleep(0.05)   # the lease runs out (a wall-clock expiry, not a Qt wait)
    window, loader = unattached_window(qtbot, tmp_path / "store", small_bundle)
    with qtbot.waitSignal(loader.loaded, timeout=WAIT_MS):
        loader.start()
    qtbot.waitUntil(lambda: "1 earlier items ended failed" in window.banner.text(),
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.model.row_for(1) is not None, timeout=WAIT_MS)
    assert window.model.row_for(1).status == "failed"
    window.close()
