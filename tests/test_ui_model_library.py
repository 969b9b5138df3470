"""The window and the model library: Models → Manage… activates a kept model, new rows come from
it, rows of another model are marked, re-forecast clears the mark, going back answers from the
store; a tampered model is refused and never active. Real store, dispatcher, bundles, window."""

from __future__ import annotations

import csv
import shutil

import pytest
from PySide6.QtCore import Qt

from salesapp.library import ModelLibrary
from salesapp.model.predictor import Predictor
from salesapp.store.job_store import JobStore
from salesapp.ui.job_table_model import MODEL_COLUMN, TOTAL_COLUMN
from salesapp.ui.main_window import MainWindow
from salesapp.ui.months import month_label
from salesapp.workers.dispatcher import PredictionDispatcher

WAIT_MS = 30000
pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


@pytest.fixture
def desk(qtbot, tmp_path, small_bundle, second_bundle):
    """A window answering with the small bundle; the library keeps it and the second bundle."""
    lib = ModelLibrary(tmp_path / "models")
    first, second = lib.add(small_bundle), lib.add(second_bundle)
    lib.activate(first)
    store = JobStore.open(tmp_path / "store")
    predictor = Predictor.load(lib.entry_dir(first))
    window = MainWindow()
    window.session.library_root = lib.root
    window.session.attach(store, PredictionDispatcher(store, predictor, pool_size=1), predictor)
    qtbot.addWidget(window)
    yield window, lib, first, second
    window.close()


def ask(qtbot, window, ids):
    window.session.submit_ids(ids)
    wait_done(qtbot, window, ids)


def wait_done(qtbot, window, ids, version=None):
    def done():
        rows = [window.model.row_for(i) for i in ids]
        assert all(r is not None and r.status == "done" for r in rows)
        if version is not None:
            assert {r.result["model_version"] for r in rows} == {version}
        assert window.model.pending_updates() == 0
    qtbot.waitUntil(done, timeout=WAIT_MS)


def marked(window, item_id) -> bool:
    model = window.model
    pos = model.item_ids().index(item_id)
    font = model.data(model.index(pos, MODEL_COLUMN), Qt.FontRole)
    total_font = model.data(model.index(pos, TOTAL_COLUMN), Qt.FontRole)
    italic = bool(font is not None and font.italic())
    assert italic == bool(total_font is not None and total_font.italic())
    return italic


def tooltip(window, item_id) -> str:
    model = window.model
    pos = model.item_ids().index(item_id)
    return model.data(model.index(pos, MODEL_COLUMN), Qt.ToolTipRole) or ""


def switch_in_dialog(qtbot, window, version):
    window.manage_models()
    dialog = window.models_dialog
    dialog.select_version(version)
    assert dialog.activate_button.isEnabled()
    with qtbot.waitSignal(window.session.model_changed, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.activate_button, Qt.LeftButton)
    return dialog


def test_activate_mark_reforecast_and_go_back(qtbot, desk, tmp_path):
    window, lib, first, second = desk
    old = [1, 2, 3]
    ask(qtbot, window, old)
    before = {i: window.model.row_for(i).result for i in old}
    block = before[1]["forecast_block"]
    pos = window.model.item_ids().index(1)
    assert window.model.data(window.model.index(pos, MODEL_COLUMN)) == \
        f"{first} · {month_label(block)}"
    assert not any(marked(window, i) for i in old)

    dialog = switch_in_dialog(qtbot, window, second)
    assert window.session.dispatcher.model_version == second
    assert lib.active_version() == second
    assert dialog.entries[[e.version for e in dialog.entries].index(second)].active
    qtbot.waitUntil(lambda: all(marked(window, i) for i in old), timeout=WAIT_MS)
    assert f"computed with model {first}" in tooltip(window, 1)
    window.table.selectRow(window.model.item_ids().index(1))
    assert f"by model {first}, not the active one" in window.detail.title.text()
    assert window.model.other_model_ids() == old

    ask(qtbot, window, [4])   # a new row: the new model's
    assert window.model.row_for(4).result["model_version"] == second and not marked(window, 4)

    window.table.selectRow(window.model.item_ids().index(2))
    window.reforecast_other_model_rows()   # the selected row only
    wait_done(qtbot, window, [2], second)
    assert not marked(window, 2) and marked(window, 1)
    window.table.clearSelection()
    window.reforecast_other_model_rows()   # every row of another model
    wait_done(qtbot, window, old, second)
    assert not any(marked(window, i) for i in old + [4])

    # back to the first model: its results come from the store, unchanged
    window.session.switch_model(first[:7])
    qtbot.waitUntil(lambda: window.session.dispatcher.model_version == first, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: all(marked(window, i) for i in old + [4]), timeout=WAIT_MS)
    assert window.session.reforecast_other_model_rows() == 4
    wait_done(qtbot, window, old + [4], first)
    assert {i: window.model.row_for(i).result["total"] for i in old} == \
        {i: r["total"] for i, r in before.items()}
    assert not any(marked(window, i) for i in old + [4])

    out = tmp_path / "export.csv"
    assert window.export_to(str(out)) > 0
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    # every month the first model forecasts, the next month first (a model of three months)
    assert {r["model"] for r in rows} == {first}
    assert rows[0]["forecast_month"] == f"{2013 + block // 12}-{block % 12 + 1:02d}"


def test_a_tampered_kept_model_is_refused_and_never_active(qtbot, desk):
    window, lib, first, second = desk
    with open(lib.root / second / "model.txt", "a", encoding="utf-8") as f:
        f.write("\n")
    window.manage_models()
    dialog = window.models_dialog
    with qtbot.waitSignal(window.session.report, timeout=WAIT_MS) as said:
        window.session.switch_model(second)
    sentence = said.args[0]
    assert sentence.startswith(f"Model {second} was not made active") and "\n" not in sentence
    assert "model.txt does not match its SHA-256" in sentence
    assert window.session.dispatcher.model_version == first
    assert lib.active_version() == first
    qtbot.waitUntil(lambda: second not in [e.version for e in dialog.entries], timeout=WAIT_MS)
    assert "taken out of the library" in window.banner.text() or \
        "was not made active" in window.banner.text()
    assert not (lib.root / second).exists()


def test_the_dialog_lists_the_bundled_model_first(qtbot, desk):
    window, _lib, first, second = desk
    window.manage_models()
    dialog = window.models_dialog
    versions = [e.version for e in dialog.entries]
    assert dialog.entries[0].builtin and versions[1:] == [first, second]
    texts = [dialog.table.item(1, c).text() for c in range(dialog.table.columnCount())]
    assert texts[0] == "active" and texts[1] == first and texts[2] == month_label(
        dialog.entries[1].forecast_block)
    dialog.select_version(first)
    assert not dialog.activate_button.isEnabled()   # already active


def test_the_window_loads_the_active_model_of_the_library(qtbot, tmp_path, second_bundle):
    from salesapp import library
    from salesapp.commands.gui_commands import open_window

    version = library.add(second_bundle)
    library.activate(version)
    window = open_window(tmp_path / "store", None)
    qtbot.addWidget(window)
    try:
        assert window.session.predictor.version == version
        assert window.model.active_version() == version
    finally:
        window.close()
    shutil.rmtree(tmp_path / "store")


def test_the_dialog_marks_the_model_the_window_answers_with(qtbot, desk):
    """Another process (`salesapp models activate`) moved the pointer: the window still answers
    with its model, and the dialog says so and offers the pointer's one."""
    window, lib, first, second = desk
    lib.activate(second)
    window.manage_models()
    dialog = window.models_dialog
    marks = {e.version: dialog.table.item(row, 0).text() for row, e in enumerate(dialog.entries)}
    assert marks[first] == "active" and marks[second] == ""
    dialog.select_version(second)
    assert dialog.activate_button.isEnabled()
