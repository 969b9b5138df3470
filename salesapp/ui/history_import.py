"""File -> Import sales history…: reading and checking a folder of 1C files, then writing it
into the held history, both off the GUI thread (a full history is millions of CSV rows).

The window asks the questions (months already held: replace them or cancel; train now?); this
module only moves the work to its own one-thread pool and the answers back as signals.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from salesapp.errors import SalesAppError

log = logging.getLogger("salesapp.history")


def _sentence(exc: BaseException, source: str) -> str:
    if isinstance(exc, SalesAppError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{source}: cannot be read ({exc.strerror or exc})."
    return f"{source}: the import stopped on an unexpected error ({exc}); nothing was changed."


class _Task(QRunnable):
    """One call on the pool thread; holds plain data and bound emits only."""

    def __init__(self, call, source: str, on_ok, on_error):
        super().__init__()
        self._call, self._source, self._on_ok, self._on_error = call, source, on_ok, on_error

    def run(self):
        try:
            result = self._call()
        except Exception as exc:   # every failure is one sentence; the held history is unchanged
            if not isinstance(exc, SalesAppError):
                log.exception("import of %s failed", self._source)
            self._on_error(_sentence(exc, self._source))
        else:
            self._on_ok(result)


class HistoryImport(QObject):
    """Plans (reads and checks) and applies imports of sales history, one at a time."""

    planned = Signal(object)    # ImportPlan: read and checked, nothing written
    imported = Signal(object)   # ImportReport: written
    failed = Signal(str)        # one sentence; nothing held was changed

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._busy = False
        self.planned.connect(self._idle)
        self.imported.connect(self._idle)
        self.failed.connect(self._idle)

    def busy(self) -> bool:
        """True while a folder is being read or written."""
        return self._busy

    def plan(self, source: str) -> None:
        """Read and check `source` in the background: `planned` or `failed` follows."""
        from salesapp import history
        self._start(lambda: history.plan_import(source), source, self.planned.emit)

    def apply(self, plan, replace: bool = False) -> None:
        """Write a checked plan in the background: `imported` or `failed` follows."""
        from salesapp import history
        self._start(lambda: history.apply_import(plan, replace=replace), plan.source,
                    self.imported.emit)

    def shutdown(self, timeout_ms: int) -> None:
        """Wait for a read or write under way (a write is all or nothing)."""
        self._pool.waitForDone(timeout_ms)

    def _start(self, call, source: str, on_ok) -> None:
        self._busy = True
        self._pool.start(_Task(call, str(source), on_ok, self.failed.emit))

    def _idle(self, *_args) -> None:
        self._busy = False
