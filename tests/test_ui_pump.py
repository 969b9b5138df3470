"""The time-budget pump every sliced loop of the GUI thread uses."""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication

from salesapp.ui.pump import Pump


def test_a_turn_works_in_chunks_until_its_budget_is_used(qapp):
    chunks, turns = [], []
    pump = Pump(lambda chunk: (chunks.append(chunk), time.sleep(0.002)), chunk_size=3,
                budget=0.005, after_turn=lambda: turns.append(len(chunks)))
    pump.add(range(30))
    assert chunks == []   # from the next event-loop turn on
    pump.turn()
    # each chunk sleeps 2 ms: the third at the latest ends past the 5 ms budget
    assert 1 <= len(chunks) <= 3
    assert chunks == [[3 * k, 3 * k + 1, 3 * k + 2] for k in range(len(chunks))]
    assert turns == [len(chunks)] and len(pump) == 30 - 3 * len(chunks)


def test_every_turn_takes_a_chunk_however_slow_the_work(qapp):
    chunks = []
    pump = Pump(lambda chunk: (chunks.append(chunk), time.sleep(0.003)), chunk_size=2,
                budget=0.0)
    pump.add([1, 2, 3])
    pump.turn()
    assert chunks == [[1, 2]]
    pump.turn()
    assert chunks == [[1, 2], [3]] and len(pump) == 0


def test_drained_once_the_last_item_went_and_the_timer_runs_the_turns(qtbot):
    seen = []
    pump = Pump(seen.extend, chunk_size=4)
    with qtbot.waitSignal(pump.drained, timeout=5000):
        pump.add(range(100))
    assert seen == list(range(100))
    for _ in range(3):   # idle when empty: no more turns, no more drained
        QCoreApplication.processEvents()
    assert seen == list(range(100))


def test_take_hands_back_what_was_not_worked_on(qapp):
    seen = []
    pump = Pump(seen.extend, chunk_size=2, budget=0.0)
    pump.add([5, 6, 7, 8, 9])
    pump.turn()
    assert list(pump.items()) == [7, 8, 9]
    assert pump.take() == [7, 8, 9] and len(pump) == 0
    for _ in range(3):
        QCoreApplication.processEvents()
    assert seen == [5, 6]
