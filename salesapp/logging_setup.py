"""A rotating log file under the user log directory, and a last-resort handler for crashes.

The handler writes the traceback to the log and shows one readable sentence (a message box when a
window is up, stderr otherwise) instead of the app vanishing without a word.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from salesapp.paths import user_log_dir

LOG_NAME = "salesapp.log"
log = logging.getLogger("salesapp")


def configure_logging(level: int = logging.INFO) -> Path:
    """Attach a rotating file handler (1 MB x 3) once; returns the log file's path."""
    directory = user_log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOG_NAME
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in log.handlers):
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3,
                                                       encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(level)
    return path


def install_excepthook(show: Callable[[str], None] | None = None) -> None:
    """Log uncaught exceptions with their traceback and tell the user in one sentence.

    `show` displays the sentence (the window passes a message box); without it, stderr is used.
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
        except Exception:  # the display itself failed: stderr is the last resort
            _to_stderr(sentence)

    sys.excepthook = _hook


def _to_stderr(sentence: str) -> None:
    print(f"salesapp: {sentence}", file=sys.stderr)
