"""Reading id files (CSV, text, Excel) off the GUI thread (a big file must not freeze the window)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from salesapp.errors import InputError


def read_file(path: str, column: str | None = None, sheet: str | None = None):
    """('ok', IdParse) | ('ask', AmbiguousColumnError or AmbiguousSheetError) | ('error', message)
    — never raises. A workbook of several sheets asks which one."""
    # Imported on this thread: openpyxl takes a while to import, and the window must not wait.
    from salesapp.model.id_input import AmbiguousColumnError, read_id_file
    from salesapp.model.id_xlsx import AmbiguousSheetError

    try:
        return "ok", read_id_file(path, column, sheet, ask_sheet=True)
    except (AmbiguousColumnError, AmbiguousSheetError) as exc:
        return "ask", exc
    except InputError as exc:
        return "error", str(exc)
    except OSError as exc:
        return "error", f"{path}: cannot be read ({exc.strerror or exc})."


class _ReadTask(QRunnable):
    """Runs `read_file` on a pool thread; holds only plain data and a bound signal."""

    def __init__(self, path: str, column: str | None, sheet: str | None, emit):
        super().__init__()
        self._path, self._column, self._sheet, self._emit = path, column, sheet, emit

    def run(self):
        kind, payload = read_file(self._path, self._column, self._sheet)
        self._emit(self._path, kind, payload)


class FileImporter(QObject):
    """Owns the signal; `read` starts one background read per file (own pool, never the model's)."""

    file_read = Signal(str, str, object)   # path, 'ok' | 'ask' | 'error', IdParse/exception/text

    def __init__(self, parent=None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)

    def read(self, path: str, column: str | None = None, sheet: str | None = None) -> None:
        """Read a file of ids in the background; the answer comes as `file_read`."""
        self.pool.start(_ReadTask(str(path), column, sheet, self.file_read.emit))

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Drop reads not started and wait for the running one."""
        self.pool.clear()
        self.pool.waitForDone(timeout_ms)
