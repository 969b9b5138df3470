"""Lower the CPU priority of the calling worker thread, so that the GUI thread is served first.

With two cores, two runner threads and the store writer all busy, the GUI thread is preempted
for a scheduler tick again and again and each slot or paint takes several times its CPU
time. A worker thread that yields to it costs the batch little: when the GUI thread is idle the
workers get every core anyway.
"""

from __future__ import annotations

import os
import sys
import threading

from PySide6.QtCore import QThread

_state = threading.local()


def lower_current_thread(steps: int) -> None:
    """Lower this thread's priority by `steps` nice levels once (no-op for 0 or if done before).

    Qt's thread priority works on Windows and macOS; on Linux it is ignored for normal threads,
    where the per-thread nice value does the same.
    """
    if steps <= 0 or getattr(_state, "lowered", False):
        return
    _state.lowered = True
    thread = QThread.currentThread()
    if thread is not None:
        thread.setPriority(QThread.LowPriority)
    if sys.platform.startswith("linux"):
        tid = threading.get_native_id()
        try:
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + steps))
        except OSError:   # not permitted in some sandboxes: the priority is a nicety, not a need
            pass

