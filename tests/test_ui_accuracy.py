"""Models -> How last month's forecasts did…: the real dialog offscreen, on a real model and data.

The numbers on screen are checked against conftest.expected_accuracy (plain pandas).
"""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from salesapp.ui.accuracy_tables import EXCEPTION_HEADERS, METRIC_HEADERS
from salesapp.ui.accuracy_view import AccuracyDialog
from salesapp.ui.main_window import MainWindow
from salesapp.ui.months import month_label

WAIT_MS = 60000


@pytest.fixture
def dialog(qtbot, month_model):
    """The dialog on the month's model and the folder of the month's sales, its report shown."""
    d = AccuracyDialog([("the month's model", month_model[0], month_model[3])],
                       sales_dir=month_model[1], pick=False)
    qtbot.addWidget(d)
    d.show()
    with qtbot.waitSignal(d.report_shown, timeout=WAIT_MS):
        pass   # the comparison the dialog started on opening
    yield d
    d.wait()


def _cell(view, row, column):
    return view.model().index(row, column).data()


def _shows_the_expected_numbers(dialog, month_model, month_expected):
    e = month_expected
    share = e["model"].sum() / e["actual"].sum() - 1
    text = dialog.summary.text()
    assert f"were {abs(share) * 100:.0f} % {'high' if share > 0 else 'low'} on average" in text
    assert month_label(month_model[3]) in text and "last month's sales" in text
    rmse = {name: np.sqrt(((e[name] - e["actual"]) ** 2).mean())
            for name in ("model", "last_month", "mean_last3", "seasonal_naive", "zero")}
    view = dialog.metrics_view
    assert view.model().rowCount() == 5
    col = METRIC_HEADERS.index("RMSE")
    for row, name in enumerate(rmse):
        assert _cell(view, row, col) == f"{rmse[name]:.3f}", name
    bias = (e["model"] - e["actual"]).mean()
    assert _cell(view, 0, METRIC_HEADERS.index("bias (forecast - sold)")) == f"{bias:+.3f}"
    missed = (e["model"] - e["actual"]).abs().groupby(e["item_id"]).sum()
    top = dialog.exceptions_view
    assert top.model().rowCount() == e["item_id"].nunique()
    assert _cell(top, 0, EXCEPTION_HEADERS.index("item")) == str(missed.idxmax())
    assert _cell(top, 0, EXCEPTION_HEADERS.index("missed")) == f"{missed.max():,.1f}"


def test_the_dialog_shows_the_words_the_metrics_and_the_misses(dialog, month_model,
                                                                month_expected):
    _shows_the_expected_numbers(dialog, month_model, month_expected)


def test_on_the_held_history_it_picks_the_model_of_the_latest_month_held(qtbot, month_model,
                                                                        month_expected):
    from salesapp import history
    from salesapp.paths import default_model_dir
    history.import_folder(month_model[1])   # the months up to F: F is now held
    choices = [("the bundled model", default_model_dir(), month_model[3] + 1),
               ("the month's model", month_model[0], month_model[3])]
    d = AccuracyDialog(choices)   # the held history, the model picked
    qtbot.addWidget(d)
    with qtbot.waitSignal(d.report_shown, timeout=WAIT_MS):
        d.show()
    assert d.model_box.currentIndex() == 1
    assert d.sales_label.text() == "the sales history the desk holds"
    _shows_the_expected_numbers(d, month_model, month_expected)
    d.wait()


def test_the_exception_list_sorts_by_value_when_a_header_is_clicked(dialog):
    view = dialog.exceptions_view
    column = EXCEPTION_HEADERS.index("item")
    view.sortByColumn(column, Qt.AscendingOrder)
    ids = [int(_cell(view, r, column)) for r in range(view.model().rowCount())]
    assert ids == sorted(ids) and len(ids) > 10   # by number: "100" after "99"
    column = EXCEPTION_HEADERS.index("over / under")
    view.sortByColumn(column, Qt.DescendingOrder)
    over = [float(_cell(view, r, column).replace(",", "")) for r in range(view.model().rowCount())]
    assert over == sorted(over, reverse=True)


def test_sales_without_the_forecast_month_are_refused_naming_it(qtbot, dialog, month_model):
    with qtbot.waitSignal(dialog.failed, timeout=WAIT_MS) as blocker:
        dialog.set_sales_dir(month_model[2])
    sentence = blocker.args[0]
    assert f"no sales in {month_label(month_model[3])}" in sentence
    assert "Traceback" not in sentence and sentence.count(". ") == 0
    assert dialog.summary.text() == sentence
    assert dialog.exceptions_view.model().rowCount() == 0


def test_the_models_menu_opens_it_with_the_kept_models(qtbot):
    """A fresh machine: the held history is the bundled data, which does not hold the month the
    bundled model forecast; the dialog says so in one sentence naming it."""
    window = MainWindow()
    qtbot.addWidget(window)
    action = _accuracy_action(window)
    action.trigger()
    d = window.accuracy_dialog
    assert d.isVisible()
    labels = [d.model_box.itemText(i) for i in range(d.model_box.count())]
    assert any("(active)" in label for label in labels), labels   # the bundled model
    with qtbot.waitSignal(d.failed, timeout=WAIT_MS) as blocker:
        pass
    assert blocker.args[0].startswith("The sales history the desk holds has no sales in "
                                      "Nov 2015, the month the model forecast")
    d.close()
    d.wait()
    window.close()


def test_an_import_that_closes_a_kept_models_month_points_to_the_view(month_model):
    from salesapp import library
    from salesapp.ui.accuracy_view import closed_month_hint
    version = library.add(month_model[0])
    month = month_model[3]
    hint = closed_month_hint([month - 1, month])
    assert hint == (f" {month_label(month)} closes model {version}'s forecast: Models → How "
                    "last month's forecasts did… compares them.")
    assert closed_month_hint([month - 1]) == ""


def test_opened_again_it_reads_the_history_and_the_models_anew(qtbot, month_model):
    """Closed while the history lacked the month, opened again once it was imported: the
    dialog compares again and picks the model of that month (it kept the old refusal)."""
    from salesapp import history, library
    library.add(month_model[0])
    history.import_folder(month_model[2])   # the months before F
    window = MainWindow()
    qtbot.addWidget(window)
    action = _accuracy_action(window)
    action.trigger()
    d = window.accuracy_dialog
    with qtbot.waitSignal(d.failed, timeout=WAIT_MS):
        pass
    d.close()
    history.import_folder(month_model[1], replace=True)   # F is held now
    with qtbot.waitSignal(d.report_shown, timeout=WAIT_MS):
        action.trigger()
    assert d.report is not None
    assert f"forecasts {month_label(month_model[3])}" in d.model_box.currentText()
    d.close()
    d.wait()
    window.close()


def _accuracy_action(window):
    """Models -> How last month's forecasts did… of `window`."""
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Models")
    return next(a for a in menu.actions() if a.text().startswith("How last month"))
