"""The one time-budget pump of the GUI thread: work on many items, a slice per event-loop turn.

Adding thousands of rows, or applying thousands of results, in one go would freeze the window;
every such loop queues its items in a `Pump` instead, which hands them to the loop's function in
chunks until the turn's time budget is used and then lets the event loop run (paints, input, the
dispatcher's signals) before the next slice.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer, Signal

from salesapp import pacing


class Pump(QObject):
    """Runs `func(chunk)` over the items added, `chunk_size` at a time, `budget` seconds a turn.

    A turn always takes one chunk, so the items move however slow the thread is. After each turn
    `after_turn()` runs (one `dataChanged` for the slice, say); `drained` is emitted when the last
    item is gone. The pump is idle (no timer) while it holds nothing.
    """

    drained = Signal()

    def __init__(self, func: Callable[[list], object], chunk_size: int,
                 budget: float | None = None, after_turn: Callable[[], object] | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._func, self._chunk_size = func, chunk_size
        self._budget = pacing.SLICE_SECONDS if budget is None else budget
        self._after_turn = after_turn
        self._items: deque = deque()
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.turn)

    def add(self, items: Iterable) -> None:
        """Queue items; they are worked on from the next event-loop turn on."""
        self._items.extend(items)
        if self._items and not self._timer.isActive():
            self._timer.start()

    def take(self) -> list:
        """Stop and hand back every item not worked on yet (they will not be)."""
        items = list(self._items)
        self._items.clear()
        self._timer.stop()
        return items

    def items(self) -> Iterable:
        """The items still to be worked on, in order (a view: do not keep it)."""
        return self._items

    def __len__(self) -> int:
        return len(self._items)

    def turn(self) -> None:
        """One slice: chunks until the budget is used, then `after_turn` (the timer calls this)."""
        items, size = self._items, self._chunk_size
        deadline = time.perf_counter() + self._budget
        while items:
            self._func([items.popleft() for _ in range(min(size, len(items)))])
            if time.perf_counter() >= deadline:
                break
        if self._after_turn is not None:
            self._after_turn()
        if not items:
            self._timer.stop()
            self.drained.emit()
