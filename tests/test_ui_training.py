"""Models -> Train new model in the real window (offscreen): a real `salesapp train` child on
tiny data, its progress on the training strip, cancel, SIGKILL, and the new model made active
only after the library kept, loaded and checked it."""

from __future__ import annotations

import os
import signal

import pytest
from conftest import _write_tiny_data
from PySide6.QtCore import Qt

from salesapp import library
from salesapp.model.predictor import Predictor
from salesapp.store.job_store import JobStore
from salesapp.ui.job_table_model import MODEL_COLUMN
from salesapp.ui.main_window import MainWindow
from salesapp.workers.dispatcher import PredictionDispatcher

WAIT_MS = 180000


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return _write_tiny_data(tmp_path_factory.mktemp("window_training") / "data")


@pytest.fixture
def window(qtbot, tmp_path, tiny_data):
    """The real window on the library's active model (the bundled one on a fresh machine)."""
    predictor = Predictor.load(library.active_dir())
    store = JobStore.open(tmp_path / "store")
    made = MainWindow()
    made.session.attach(store, PredictionDispatcher(store, predictor, pool_size=1), predictor)
    made.training.data_arguments = lambda: ["--data", str(tiny_data), "--threads", "1"]
    qtbot.addWidget(made)
    made.show()
    yield made
    made.close()


def _library_state():
    lib = library.default_library()
    return lib.active_version(), sorted(e.version for e in lib.entries())


def _start_and_wait_for(qtbot, window, stage):
    seen = []
    window.training.process.progressed.connect(lambda s, _p, _w: seen.append(s))
    window.train_action.trigger()   # the menu command, as a user clicks it
    qtbot.waitUntil(lambda: stage in seen, timeout=WAIT_MS)
    assert window.training_panel.isVisible()


def wait_done(qtbot, window, ids, version):
    def done():
        rows = [window.model.row_for(i) for i in ids]
        assert all(r is not None and r.status == "done" for r in rows)
        assert {r.result["model_version"] for r in rows} == {version}
        assert window.model.pending_updates() == 0
    qtbot.waitUntil(done, timeout=WAIT_MS)


def model_cell(window, item_id) -> str:
    pos = window.model.item_ids().index(item_id)
    return window.model.data(window.model.index(pos, MODEL_COLUMN))


def test_a_trained_model_becomes_active_only_once_checked(qtbot, window):
    before = window.session.predictor.version
    old_ids, new_ids = [1, 2], [3, 4]
    window.session.submit_ids(old_ids)
    wait_done(qtbot, window, old_ids, before)
    bars, stages = [], []
    window.training.process.progressed.connect(
        lambda s, _p, _w: (stages.append(s), bars.append(window.training_panel.bar.value())))
    active_while_training = []
    window.training.process.succeeded.connect(
        lambda _end: active_while_training.append(library.default_library().active_version()))
    with qtbot.waitSignal(window.training.model_ready, timeout=WAIT_MS) as ready:
        window.train_action.trigger()
    version, predictor = ready.args
    assert stages[0] == "reading" and stages[-1] == "saving"
    assert bars == sorted(bars) and bars[-1] == window.training_panel.bar.maximum()
    # the child had finished, the library not yet told: the old model was still the active one
    assert active_while_training == [None] or active_while_training[0] != version
    assert version != before and predictor.version == version
    assert library.default_library().active_version() == version
    assert library.active_dir() == library.default_library().entry_dir(version)
    assert not window.training_panel.isVisible() and not window.training.busy()
    # the rows say which model answered them: the old rows are marked, new ones are the new model's
    assert window.session.predictor is predictor
    qtbot.waitUntil(lambda: window.model.other_model_ids() == old_ids, timeout=WAIT_MS)
    assert model_cell(window, 1).startswith(before)
    window.session.submit_ids(new_ids)
    wait_done(qtbot, window, new_ids, version)
    assert model_cell(window, 3).startswith(version)
    assert window.model.other_model_ids() == old_ids


def test_cancel_leaves_the_active_model_and_says_so(qtbot, window):
    before = _library_state()
    version = window.session.predictor.version
    window.session.submit_ids([1])
    wait_done(qtbot, window, [1], version)
    window.activateWindow()
    _start_and_wait_for(qtbot, window, "backtest")
    with qtbot.waitSignal(window.training.report, timeout=WAIT_MS) as said:
        qtbot.mouseClick(window.training_panel.cancel_button, Qt.LeftButton)
    assert said.args == [f"Training was cancelled; the active model is still {version}."]
    assert window.banner.text() == said.args[0]
    assert _library_state() == before
    assert window.session.predictor.version == version
    assert not window.training_panel.isVisible()
    # the strip hid without handing the focus to the table (which would open a row as if clicked)
    assert not window.table.currentIndex().isValid()
    # nothing half-written is left in the library folder
    assert [p.name for p in library.default_library().root.iterdir()
            if p.is_dir() and not (p / "manifest.json").exists()] == []


def test_a_training_killed_with_sigkill_leaves_library_and_active_model(qtbot, window):
    before = _library_state()
    version = window.session.predictor.version
    _start_and_wait_for(qtbot, window, "backtest")
    with qtbot.waitSignal(window.training.report, timeout=WAIT_MS) as said:
        os.kill(window.training.process.pid(), signal.SIGKILL)
    assert said.args[0].startswith("Training stopped unexpectedly")
    assert said.args[0].endswith(f"; the active model is still {version}.")
    assert _library_state() == before
    assert window.session.predictor.version == version
    # a new training can start after it
    _start_and_wait_for(qtbot, window, "features")
    window.training.cancel()
    qtbot.waitUntil(lambda: not window.training.busy(), timeout=WAIT_MS)


def test_a_refused_bundle_never_becomes_active(qtbot, window, monkeypatch):
    """The child wrote a bundle, then someone damaged it before the library took it."""
    before = _library_state()
    version = window.session.predictor.version

    from salesapp.ui import model_training
    real = model_training.install_trained

    def damaged_then_installed(out):
        with open(os.path.join(out, "model.txt"), "a", encoding="utf-8") as f:
            f.write("\n")
        return real(out)
    monkeypatch.setattr(model_training, "install_trained", damaged_then_installed)
    ready = []
    window.training.model_ready.connect(lambda *a: ready.append(a))
    with qtbot.waitSignal(window.training.report, timeout=WAIT_MS) as said:
        window.train_action.trigger()
    assert said.args[0].startswith("The new model was refused (")
    assert said.args[0].endswith(f"; the active model is still {version}.")
    assert not ready and _library_state()[0] == before[0]
