"""File -> Import sales history… in the real window (offscreen): a folder read and written off
the GUI thread into the real held history, the overlap question, a bad file, and the offer to
train afterwards. The dialogs' answers are given by replacing the two question methods."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import _write_tiny_data

from salesapp import history
from salesapp.model.predictor import Predictor
from salesapp.store.job_store import JobStore
from salesapp.ui.main_window import MainWindow
from salesapp.workers.dispatcher import PredictionDispatcher

WAIT_MS = 60000
TRAIN_WAIT_MS = 180000
MONTHS = 14


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """The tiny data set as two imports: months 0..12, then month 13 alone."""
    root = tmp_path_factory.mktemp("history_import")
    full = _write_tiny_data(root / "full", months=MONTHS)
    sales = pd.read_csv(full / "sales_train.csv")
    out = {}
    for name, rows in (("first", sales[sales.date_block_num < MONTHS - 1]),
                       ("last_month", sales[sales.date_block_num == MONTHS - 1])):
        d = root / name
        d.mkdir()
        rows.to_csv(d / "sales_train.csv", index=False)
        for table in ("items.csv", "item_categories.csv", "shops.csv"):
            (d / table).write_bytes((full / table).read_bytes())
        out[name] = d
    return out


@pytest.fixture
def window(qtbot, tmp_path, small_bundle):
    predictor = Predictor.load(small_bundle)
    store = JobStore.open(tmp_path / "store")
    made = MainWindow()
    made.session.attach(store, PredictionDispatcher(store, predictor, pool_size=1), predictor)
    qtbot.addWidget(made)
    yield made
    made.close()


def answer(window, monkeypatch, replace=False, train=False):
    asked = []
    monkeypatch.setattr(window.sales_import, "ask_replace",
                        lambda plan: asked.append(("replace", list(plan.overlap))) or replace)
    monkeypatch.setattr(window.sales_import, "ask_train",
                        lambda report: asked.append(("train", report.line())) or train)
    return asked


def import_and_wait(qtbot, window, folder):
    with qtbot.waitSignal(window.sales_import.finished, timeout=WAIT_MS) as done:
        window.sales_import.import_folder(str(folder))
    return done.args[0]


def held_files():
    return sorted((p.relative_to(history.folder()), p.read_bytes())
                  for p in history.folder().rglob("*") if p.is_file())


def test_a_new_month_is_added_and_training_is_offered(qtbot, window, folders, monkeypatch):
    asked = answer(window, monkeypatch)
    assert import_and_wait(qtbot, window, folders["first"]) is True
    assert history.load().months == list(range(MONTHS - 1))
    assert asked[-1][0] == "train"
    asked = answer(window, monkeypatch, train=True)
    window.training.data_arguments = lambda: ["--threads", "1"]   # no --data: the held history
    assert import_and_wait(qtbot, window, folders["last_month"]) is True
    assert history.load().months == list(range(MONTHS))
    assert [a[0] for a in asked] == ["train"]   # no overlap: no question about it
    assert "Imported: " in window.statusBar().currentMessage() or window.training.busy()
    assert window.training.busy()   # "Train now" started the training, on the held history
    with qtbot.waitSignal(window.training.model_ready, timeout=TRAIN_WAIT_MS) as ready:
        pass
    _version, predictor = ready.args
    assert predictor.card["data_months"] == [0, MONTHS - 1]
    assert predictor.forecast_block == MONTHS
    assert window.session.predictor is predictor


def test_months_already_held_are_replaced_only_when_the_user_says_so(qtbot, window, folders,
                                                                      monkeypatch):
    answer(window, monkeypatch)
    import_and_wait(qtbot, window, folders["first"])
    before = held_files()
    asked = answer(window, monkeypatch, replace=False)
    assert import_and_wait(qtbot, window, folders["first"]) is False
    assert asked == [("replace", list(range(MONTHS - 1)))]
    assert "nothing" in window.statusBar().currentMessage() or \
        "not changed" in window.statusBar().currentMessage()
    assert held_files() == before
    asked = answer(window, monkeypatch, replace=True)
    assert import_and_wait(qtbot, window, folders["first"]) is True
    assert [a[0] for a in asked] == ["replace", "train"]
    assert history.load().months == list(range(MONTHS - 1))


def test_a_bad_file_is_one_sentence_and_changes_nothing(qtbot, window, folders, monkeypatch,
                                                        tmp_path):
    answer(window, monkeypatch)
    import_and_wait(qtbot, window, folders["first"])
    before = held_files()
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in folders["last_month"].iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    lines = (bad / "sales_train.csv").read_text().splitlines()
    cells = lines[2].split(",")
    cells[5] = "many"   # item_cnt_day
    lines[2] = ",".join(cells)
    (bad / "sales_train.csv").write_text("\n".join(lines) + "\n")
    with qtbot.waitSignal(window.sales_import.report, timeout=WAIT_MS) as said:
        window.sales_import.import_folder(str(bad))
    sentence = said.args[0]
    assert "sales_train.csv" in sentence and "line 3" in sentence and "\n" not in sentence
    assert window.banner.text() == sentence
    assert held_files() == before
    # The next import that succeeds makes that sentence stale: it must not stay above the table.
    answer(window, monkeypatch)
    assert import_and_wait(qtbot, window, folders["last_month"]) is True
    assert window.banner.text() == ""
