"""Switching the window's model: a kept model checked, loaded and made active off the GUI thread.

Loading a bundle reads and hashes its files and, the first time, runs its trial forecast in a
child process (seconds): on the GUI thread that would freeze the window. The switcher does it on
a plain thread and hands the loaded `Predictor` to the GUI thread with a queued signal. The
library's pointer is written only after the model loaded, so a model that fails to load never
becomes active.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("salesapp.gui")


class ModelSwitcher(QObject):
    """`switch(version)`: `switched(predictor, entry)` once it is active, else `failed(sentence)`;
    `noticed(sentence)` for each damaged part of the library set aside on the way."""

    switched = Signal(object, object)   # Predictor, LibraryEntry
    failed = Signal(str)
    noticed = Signal(str)

    def __init__(self, library_root=None, parent: QObject | None = None):
        super().__init__(parent)
        self._root = library_root   # None: the user's library
        self._thread: threading.Thread | None = None

    def busy(self) -> bool:
        """True while a switch is under way."""
        return self._thread is not None and self._thread.is_alive()

    def switch(self, version: str) -> bool:
        """Start switching to a kept model (version or unique prefix); False if one is under way."""
        if self.busy():
            return False
        self._thread = threading.Thread(target=self._run, args=(version,), name="model-switch",
                                        daemon=True)
        self._thread.start()
        return True

    def wait(self, timeout_s: float) -> bool:
        """Block until the switch under way ended (its signal posted); False on timeout."""
        return self._thread is None or (self._thread.join(timeout_s) or not self._thread.is_alive())

    def _run(self, version: str) -> None:
        from salesapp.errors import SalesAppError
        from salesapp.library import ModelLibrary
        from salesapp.model.predictor import Predictor

        lib = ModelLibrary(self._root)
        refused = False   # set aside for failing to load: said in the failure's sentence
        try:
            entry = lib.find(version)
            try:
                predictor = Predictor.load(entry.path)
            except SalesAppError:
                if not entry.builtin:
                    lib.refuse(entry.version, "it failed to load")
                    refused = True
                raise
            entry = lib.activate(entry.version)   # checked again, then the pointer
        except Exception as exc:   # any failure is one sentence; the active model stays
            if not isinstance(exc, SalesAppError):
                log.exception("model %s could not be switched to", version)
            self._say(lib.notices[:-1] if refused else lib.notices)
            gone = " and was taken out of the library" if refused else ""
            self.failed.emit(f"Model {version} was not made active{gone}: "
                             f"{str(exc).rstrip('.')}.")
            return
        self._say(lib.notices)
        self.switched.emit(predictor, entry)

    def _say(self, sentences) -> None:
        for sentence in sentences:
            self.noticed.emit(sentence)
