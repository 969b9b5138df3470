"""Pause Python's cyclic garbage collector around bulk work that allocates many small objects.

Decoding or building thousands of results creates about a million lists and dicts, none of them
in a reference cycle. Each allocation burst triggers full collections that walk every object of the
process (pandas, Qt, the model state), which would cost several times the work itself.
Reference counting still frees everything; only cycle detection waits until the block ends.

When the block ends, what it allocated would all be young: the first allocation after
`gc.enable()` would then run a collection that walks every one of those objects while holding
the GIL, and on a pool thread that is a frozen window. So the block's survivors are moved straight to the oldest generation first (`gc.freeze()` then
`gc.unfreeze()`, the documented way to do that): they are left to reference counting, and any
cycle among them is still found by the next full collection. In the window, which froze its
start-up objects, `unfreeze` hands those back to the oldest generation too, so a rare full
collection walks them again; that is the better trade, since young survivors would be walked at
the next collection of every batch, rare full collections only now and then.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    """Blocks open in any thread; the collector is restored when the last one ends."""

    def __init__(self):
        self.lock = threading.Lock()
        self.depth = 0
        self.restore = False


_PAUSES = _Pauses()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Inside, no automatic cyclic collection runs (nestable, safe from several threads)."""
    p = _PAUSES
    with p.lock:
        if p.depth == 0:
            p.restore = gc.isenabled()
            gc.disable()
        p.depth += 1
    try:
        yield
    finally:
        with p.lock:
            p.depth -= 1
            if p.depth == 0 and p.restore:
                gc.freeze()
                gc.unfreeze()
                gc.enable()
