"""A training in a child process: the same program run as `salesapp train --progress`.

Training is long CPU-bound numpy and LightGBM work; parts of it hold the GIL for long single
calls, so on any thread of the window's process it would stall the event loop. A child process
holds its own GIL. It reports through JSON lines on its stdout (`model.training_progress`),
read here as they arrive, on the GUI thread, without blocking (QProcess's notifiers).
"""

from __future__ import annotations

import logging
import sys
from collections import deque

from PySide6.QtCore import QObject, QProcess, QTimer, Signal

from salesapp import pacing
from salesapp.model.training_progress import DONE, parse_line

log = logging.getLogger("salesapp.training")
STDERR_KEPT = 20   # the child's last stderr lines kept for the log when it fails


def program_and_arguments(arguments: list[str]) -> tuple[str, list[str]]:
    """The executable and arguments that run `salesapp <arguments>` as this program does: the
    frozen executable takes sub-commands itself, the interpreter needs `-m salesapp`."""
    if getattr(sys, "frozen", False):
        return sys.executable, list(arguments)
    return sys.executable, ["-m", "salesapp", *arguments]


class TrainingProcess(QObject):
    """Runs one `salesapp train ... --progress` child at a time and tells how it goes.

    Exactly one of `succeeded` or `failed` follows each `start`.
    """

    progressed = Signal(str, float, float)   # stage, part of that stage done, part of the whole
    succeeded = Signal(dict)   # the end line: model_version, out, seconds, peak_rss_mb
    failed = Signal(str)       # what happened, as the end of a sentence: "was cancelled", ...

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._process: QProcess | None = None
        self._end: dict | None = None
        self._stderr: deque[str] = deque(maxlen=STDERR_KEPT)
        self._cancelled = False
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.setInterval(pacing.TRAIN_KILL_AFTER_MS)
        self._kill_timer.timeout.connect(self._kill)

    def is_running(self) -> bool:
        """True from `start` until its `succeeded` or `failed`."""
        return self._process is not None

    def pid(self) -> int:
        """The child's process id (0 when none runs)."""
        return int(self._process.processId()) if self._process is not None else 0

    def start(self, train_arguments: list[str]) -> None:
        """Start `salesapp train <train_arguments> --progress`; refuses a second one at once."""
        if self._process is not None:
            raise RuntimeError("a training is already running")
        self._end, self._cancelled = None, False
        self._stderr.clear()
        program, arguments = program_and_arguments(["train", *train_arguments, "--progress"])
        p = self._process = QProcess(self)
        p.readyReadStandardOutput.connect(self._on_stdout)
        p.readyReadStandardError.connect(self._on_stderr)
        p.finished.connect(self._on_finished)
        p.errorOccurred.connect(self._on_error)
        log.info("training started: %s %s", program, " ".join(arguments))
        p.start(program, arguments)

    def cancel(self) -> None:
        """Stop the child: SIGTERM now, SIGKILL if it is still there after a grace period."""
        if self._process is None or self._cancelled:
            return
        self._cancelled = True
        self._process.terminate()
        self._kill_timer.start()

    def shutdown(self, timeout_ms: int = pacing.CLOSE_WAIT_MS) -> None:
        """The window closes: the child is stopped and waited for (a model half-trained is
        worthless; the data it read stays where it was)."""
        p = self._process
        if p is None:
            return
        self._cancelled = True
        p.terminate()
        if not p.waitForFinished(min(timeout_ms, pacing.TRAIN_KILL_AFTER_MS)):
            p.kill()
            p.waitForFinished(timeout_ms)

    # -- the child's output ---------------------------------------------------------------
    def _on_stdout(self) -> None:
        p = self._process
        while p is not None and p.canReadLine():
            text = bytes(p.readLine()).decode("utf-8", "replace")
            try:
                line = parse_line(text)
            except ValueError as exc:
                log.error("training progress line refused (%s): %r", exc, text)
                continue
            if line is None:
                log.info("training: %s", text.rstrip())
            elif line["stage"] == DONE:
                self._end = line
            else:
                self.progressed.emit(line["stage"], line["stage_fraction"], line["fraction"])

    def _on_stderr(self) -> None:
        p = self._process
        if p is None:
            return
        for text in bytes(p.readAllStandardError()).decode("utf-8", "replace").splitlines():
            if text.strip():
                self._stderr.append(text.rstrip())
                log.info("training: %s", text.rstrip())

    def _on_error(self, error) -> None:
        if error == QProcess.FailedToStart:
            self._finish(False, f"could not start ({self._process.errorString()})")

    def _on_finished(self, exit_code: int, exit_status) -> None:
        self._on_stdout()
        self._on_stderr()
        if self._cancelled:
            self._finish(False, "was cancelled")
        elif exit_status != QProcess.NormalExit:
            self._finish(False, "stopped unexpectedly (the training process crashed or was "
                         "killed)")
        elif exit_code != 0:
            last = self._stderr[-1].removeprefix("salesapp: ").rstrip(".") if self._stderr \
                else f"exit status {exit_code}"
            self._finish(False, f"failed: {last}")
        elif self._end is None:
            self._finish(False, "ended without writing a model")
        else:
            self._finish(True, "")

    def _finish(self, ok: bool, what: str) -> None:
        if self._process is None:   # FailedToStart may be followed by finished
            return
        self._kill_timer.stop()
        process, self._process = self._process, None
        process.deleteLater()
        if ok:
            log.info("training done: %s", self._end)
            self.succeeded.emit(self._end)
        else:
            tail = self._stderr[-1] if self._stderr else "(nothing on stderr)"
            log.warning("training %s; its last stderr line: %s", what, tail)
            self.failed.emit(what)

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
