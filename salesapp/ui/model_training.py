"""Models -> Train new model: a training in a child process, shown in the window's training
strip, and the hand-over of the model it made.

The new bundle becomes the active model only after it was kept in the model library (manifest
and trial forecast checked there), loaded and made active, all off the GUI thread; until then,
and whatever goes wrong (cancel, crash, bad data, a refused bundle), the active model stays as
it was and the window says so in one sentence.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from salesapp import pacing
from salesapp.ui.training_panel import TrainingPanel
from salesapp.ui.training_process import TrainingProcess

log = logging.getLogger("salesapp.training")
WHAT = "Training a new model"


def staging_folder() -> Path:
    """A new empty folder for the child to write its bundle into (inside the library, so that
    keeping it is a rename)."""
    from salesapp import library
    return library.default_library().staging_dir()


def install_trained(out: str) -> tuple[str, object]:
    """Qt-free, off the GUI thread: keep the bundle at `out` in the library (checked there),
    load it, then make it active; (version, Predictor). Raises what they raise."""
    from salesapp import library
    from salesapp.model.predictor import Predictor

    lib = library.default_library()
    version = lib.add(out, move=True)
    predictor = Predictor.load(lib.entry_dir(version))
    lib.activate(version)
    return version, predictor


class _InstallTask(QRunnable):
    """Runs `install_trained` on a pool thread; holds plain data and bound emits only."""

    def __init__(self, out: str, on_ok, on_error):
        super().__init__()
        self._out, self._on_ok, self._on_error = out, on_ok, on_error

    def run(self):
        try:
            version, predictor = install_trained(self._out)
        except Exception as exc:   # any refusal is told in one sentence; the old model stays
            log.exception("the trained model at %s was not taken", self._out)
            self._on_error(str(exc) or type(exc).__name__)
        else:
            self._on_ok(version, predictor)


class ModelTraining(QObject):
    """One training at a time: start, progress on the strip, cancel, then the new model.

    `active_version()` names the model in use (for the sentences); `data_arguments()` the
    `train` arguments naming what to train on.
    """

    report = Signal(str)               # a sentence the user must read (failures)
    message = Signal(str, int)         # a passing note, and how long it shows (ms)
    model_ready = Signal(str, object)  # version, Predictor: kept, loaded, and now active
    _installed = Signal(str, object)
    _refused = Signal(str)

    def __init__(self, panel: TrainingPanel, active_version, data_arguments,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.panel = panel
        self.active_version = active_version
        self.data_arguments = data_arguments
        self.process = TrainingProcess(self)
        self.process.progressed.connect(self._on_progressed)
        self.process.succeeded.connect(self._on_succeeded)
        self.process.failed.connect(self._on_failed)
        self.panel.cancel_button.clicked.connect(self.cancel)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._installed.connect(self._on_installed)
        self._refused.connect(self._on_refused)
        self._out: Path | None = None
        self.last_end: dict | None = None   # the child's end line of the last success

    def busy(self) -> bool:
        """True from `start` until the new model is active or the training failed."""
        return self._out is not None

    def start(self) -> bool:
        """Start a training unless one runs (then say so); True if started."""
        if self.busy():
            self.message.emit("A new model is already being trained.", 5000)
            return False
        try:
            self._out = staging_folder()
            arguments = [*self.data_arguments(), "--out", str(self._out),
                         "--nice", str(pacing.TRAIN_NICE)]
        except Exception as exc:   # e.g. the library folder cannot be written
            log.exception("a training could not be started")
            self._end(f"Training could not start: {exc}")
            return False
        self.panel.started(WHAT)
        self.process.start(arguments)
        return True

    def cancel(self) -> None:
        """Stop the training (the Cancel button); the active model stays."""
        if self.process.is_running():
            self.panel.cancelling()
            self.process.cancel()

    def shutdown(self, timeout_ms: int = pacing.CLOSE_WAIT_MS) -> None:
        """The window closes: the child is stopped, a model being checked is waited for."""
        self.process.shutdown(timeout_ms)
        self._pool.waitForDone(timeout_ms)

    def _on_progressed(self, stage: str, _part: float, whole: float) -> None:
        self.panel.show_progress(stage, whole)

    def _on_succeeded(self, end: dict) -> None:
        self.last_end = end
        self.panel.note("checking the new model…")
        self._pool.start(_InstallTask(end["out"], self._installed.emit, self._refused.emit))

    def _on_failed(self, what: str) -> None:
        self._end(f"Training {what}")

    def _on_installed(self, version: str, predictor) -> None:
        self._out = None
        self.panel.ended()
        self.model_ready.emit(version, predictor)
        self.message.emit(f"The new model {version} is trained, checked and now active.", 10000)

    def _on_refused(self, why: str) -> None:
        self._end(f"The new model was refused ({why.rstrip('.')})")

    def _end(self, what: str) -> None:
        """A failure of any kind: clean up, say it once with the model still in use."""
        if self._out is not None:
            shutil.rmtree(self._out, ignore_errors=True)   # refused/half-written: never kept
            self._out = None
        self.panel.ended()
        active = self.active_version()
        still = f"the active model is still {active}" if active else "the active model is unchanged"
        self.report.emit(f"{what}; {still}.")




def training_data_arguments() -> list[str]:
    """What `train` learns from when the window asks: the held sales history (no --data; on a
    fresh machine it is the bundled default data's, File -> Import sales history… replaces it)."""
    return []
