"""The status bar's counts label: shown at once, then at most 4x a second, the last always shown."""

from __future__ import annotations

import pytest

from salesapp.ui.main_window import MainWindow

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


def counts(done: int) -> dict:
    return {"queued": 1000 - done, "running": 0, "done": done, "failed": 0, "cancelled": 0}


def test_counts_label_is_throttled_but_ends_on_the_last_counts(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    texts = []
    label = window.status_panel.counts_label
    label.setText = lambda text, _set=label.setText: (texts.append(text), _set(text))
    qtbot.waitUntil(lambda: not window.status_panel._counts_timer.isActive(), timeout=2000)
    for done in range(1, 501):   # a burst of changes, as slices of results bring them
        window.status_panel.show_counts(counts(done))
    assert texts == ["pending 999 · running 0 · done 1 · failed 0"]   # the first one at once
    qtbot.waitUntil(lambda: "done 500 " in window.status_panel.counts_label.text(), timeout=2000)
    assert len(texts) == 2   # and the last one, not the 498 in between
    window.status_panel.show_counts(counts(500))   # no change: nothing to write
    qtbot.waitUntil(lambda: not window.status_panel._counts_timer.isActive(), timeout=2000)
    assert len(texts) == 2


def test_progress_of_no_jobs_shows_no_fraction(qtbot):
    """The dispatcher counts an empty queue as (0, 0) (after a model switch, say): the bar is
    blank as before the first job, not '0 / 1' of a job that does not exist."""
    window = MainWindow()
    qtbot.addWidget(window)
    panel = window.status_panel
    panel.show_progress(3, 5)
    qtbot.waitUntil(lambda: panel.progress.text() == "3 / 5", timeout=2000)
    panel.show_progress(0, 0)
    qtbot.waitUntil(lambda: not panel._progress_timer.isActive(), timeout=2000)
    qtbot.wait(50)
    assert panel.progress.text() == ""
