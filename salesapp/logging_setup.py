"""A rotating log file under the user log directory, and a last-resort handler for crashes.

The handler writes the traceback to the log and shows one readable sentence (a message box when a
window is up, stderr otherwise) instead of the app vanishing without a word. Qt is never imported
here: the message box is used only when the window has already loaded QtWidgets.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

from salesapp.paths import user_log_dir

LOG_NAME = "salesapp.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
log = logging.getLogger("salesapp")


def configure_logging(level: int = logging.INFO) -> Path:
    """Log to a rotating file (1 MB x 3) under the user log directory; returns the file's path.

    Idempotent; if the user log directory changed since the last call (tests, `SALESAPP_HOME`),
    the handler is moved to the new file.
    """
    directory = user_log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOG_NAME
    for h in [h for h in log.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]:
        if Path(h.baseFilename) == path.resolve():
            return path
        log.removeHandler(h)
        h.close()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    return path


def install_excepthook(show: Callable[[str], None] | None = None) -> Path:
    """Log uncaught exceptions (main and other threads) with their traceback; tell the user.

    `show` displays one sentence (`show_to_user` picks a message box or stderr); without it, stderr
    is used. Returns the log file's path.
    """
    log_path = configure_logging()

    def _hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("uncaught exception:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        sentence = (f"Something went wrong: {exc_type.__name__}: {exc}. "
                    f"The details are in {log_path}.")
        try:
            (show or _to_stderr)(sentence)
        except Exception:  # noqa: BLE001 -- the display itself failed: stderr is the last resort
            _to_stderr(sentence)

    sys.excepthook = _hook
    threading.excepthook = lambda a: _hook(a.exc_type, a.exc_value, a.exc_traceback)
    log.info("started (pid %s, frozen %s, Python %s)", os.getpid(), getattr(sys, "frozen", False),
             sys.version.split()[0])
    return log_path


_gui_relay = None   # set by relay_to_gui(): carries sentences from other threads to the GUI thread


def relay_to_gui() -> None:
    """Let `show_to_user` reach the window from any thread; call from the GUI thread once the
    QApplication exists. Other threads' sentences travel by a queued signal to a message box."""
    global _gui_relay
    from PySide6.QtCore import QObject, Signal, Slot

    class _Relay(QObject):
        said = Signal(str)

        def __init__(self):
            super().__init__()
            # the receiver lives in the GUI thread, so an emit from elsewhere is queued there
            self.said.connect(self._show)

        @Slot(str)
        def _show(self, sentence: str) -> None:
            show_to_user(sentence)

    _gui_relay = _Relay()


def show_to_user(sentence: str) -> None:
    """A non-blocking message box over the window when one is up; else stderr.

    Off the GUI thread it writes to stderr and, after `relay_to_gui()`, also hands the sentence to
    the GUI thread for the message box (widgets may only be touched from that thread).
    """
    window = _visible_window()
    if window is None:
        _to_stderr(sentence)
        if _gui_relay is not None and threading.current_thread() is not threading.main_thread():
            _gui_relay.said.emit(sentence)
        return
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Critical, "Sales Forecast Desk", sentence, QMessageBox.Ok,
                      window)
    box.setObjectName("uncaught_exception_box")
    box.setAttribute(Qt.WA_DeleteOnClose)
    box.setModal(False)   # the app keeps running: the user decides whether to carry on
    box.show()
    log.info("the user was told in a message box: %s", sentence)


def _visible_window():
    """The visible top-level window, only when called on the GUI thread of a running app."""
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is None or threading.current_thread() is not threading.main_thread():
        return None   # widgets may only be touched from the GUI thread
    if not isinstance(widgets.QApplication.instance(), widgets.QApplication):
        return None   # no app, or a headless QCoreApplication
    windows = [w for w in widgets.QApplication.topLevelWidgets() if w.isVisible() and w.isWindow()
               and not isinstance(w, widgets.QMessageBox)]
    return windows[0] if windows else None


def _to_stderr(sentence: str) -> None:
    print(f"salesapp: {sentence}", file=sys.stderr)
