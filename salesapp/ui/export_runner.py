"""The window's exports written off the GUI thread: a workbook of every row takes a minute, and
the window must go on answering meanwhile. The rows are taken on the GUI thread (a list of
entries); only the writing runs on the thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from salesapp import pacing


class ExportRunner(QObject):
    """Writes one export at a time on a thread of its own; `finished(path, rows, error)`."""

    finished = Signal(str, int, str)   # error: '' when written

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: threading.Thread | None = None

    def busy(self) -> bool:
        """True while an export is being written."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, path, entries: list, shop_names: dict, layout: str, fmt: str,
              style, months: int | None = None, block: int | None = None) -> None:
        """Write `entries` to `path` on the thread (see `exports.export_file.write_export`)."""
        self._thread = threading.Thread(
            target=self._run, args=(str(path), entries, dict(shop_names), layout, fmt, style,
                                    months, block),
            name="export", daemon=True)
        self._thread.start()

    def _run(self, path, entries, shop_names, layout, fmt, style, months, block) -> None:
        from salesapp.exports.export_file import write_export
        try:
            n = write_export(path, entries, shop_names, layout, fmt, style, months, block)
        except OSError as exc:   # the file or its folder: said, nothing else changed
            self.finished.emit(path, 0, exc.strerror or str(exc))
            return
        self.finished.emit(path, n, "")

    def wait(self) -> None:
        """Let an export under way finish (the window closes), within `EXPORT_CLOSE_WAIT_S`."""
        if self._thread is not None:
            self._thread.join(pacing.EXPORT_CLOSE_WAIT_S)
