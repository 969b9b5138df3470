"""One window per job store: a second window on the same store is refused in one sentence.

Two windows would each run the queue (safe: leases) but each would show only its own rows, so
Delete, Cancel and Clear history in one would not be seen in the other. A lock file in the
store's folder, held with `flock` for the window's life: the system drops it when the process
ends, however it ends, so a crashed window never leaves the store locked. `salesapp work` and
the other commands do not take it: they are meant to run beside the window.
"""

from __future__ import annotations

import os
from pathlib import Path

from salesapp.errors import SalesAppError

LOCK_NAME = "window.lock"

try:
    import fcntl
except ImportError:   # not a POSIX system: no lock (the store itself stays safe)
    fcntl = None


class WindowLock:
    """The held lock of one store's window (kept open until `release` or the process ends)."""

    def __init__(self, handle):
        self._handle = handle

    def release(self) -> None:
        """Let another window open the store."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def lock_store_window(store_dir: str | Path) -> WindowLock:
    """Take the window lock of `store_dir` (made if missing); `SalesAppError` naming the other
    window's process if another window holds it."""
    folder = Path(store_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        return WindowLock(None)
    handle = open(folder / LOCK_NAME, "a+", encoding="ascii")  # noqa: SIM115 - held for the window's life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        who = f" (process {holder})" if holder.isdigit() else ""
        raise SalesAppError(f"the store {folder} is open in another Sales Forecast Desk "
                            f"window{who}; use that window, or close it and start again")
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return WindowLock(handle)
