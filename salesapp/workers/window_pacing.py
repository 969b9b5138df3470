"""How background prediction yields to a window's GUI thread: a process-wide setting and the
dispatcher arguments a window passes. Headless runs use neither.
"""

from __future__ import annotations

import sys

from salesapp.pacing import GUI_BATCH, GUI_POOL, GUI_SWITCH_INTERVAL, WORKER_NICE_STEPS


def window_pacing() -> None:
    """Process-wide, once a window opens: a thread waiting for the GIL gets it sooner.

    Every call Qt makes into Python (slots, model data, paints) waits for the GIL first.
    """
    sys.setswitchinterval(min(sys.getswitchinterval(), GUI_SWITCH_INTERVAL))


def window_dispatcher_args() -> dict:
    """Keyword arguments of a window's `PredictionDispatcher`: few runners, small batches, and
    worker threads below the GUI thread's CPU priority (see pacing.py)."""
    return {"pool_size": GUI_POOL, "batch_size": GUI_BATCH, "nice_steps": WORKER_NICE_STEPS}
