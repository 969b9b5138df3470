"""`salesapp train --progress`: one JSON line per step on stdout, and the reading of such lines.

The window runs training in a child process (the same program) and learns how far it got only
from these lines, so their form is a small contract kept in one place: the writer
(`ProgressLines`, the child) and the reader (`parse_line`, the window) are both here.

A step:  {"stage": "backtest", "stage_fraction": 0.5, "fraction": 0.61, "seconds": 12.3}
The end: {"stage": "done", "fraction": 1.0, "seconds": 40.2, "model_version": "...",
          "out": "/path/of/the/bundle", "peak_rss_mb": 512.0}
`fraction` is of the whole training, `stage_fraction` of the stage named.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import time

from salesapp import pacing
from salesapp.errors import SalesAppError

# Every stage in order, with its typical share of a training's time (so that one bar can show
# the whole run): "features" and "final fit" are training's (model.training.STAGES), "reading"
# the data files and "saving" the bundle are the command's.
STAGE_SHARES = {"reading": 0.03, "features": 0.05, "backtest": 0.82, "final fit": 0.08,
                "saving": 0.02}
STAGES = tuple(STAGE_SHARES)
DONE = "done"


def overall_fraction(stage: str, stage_fraction: float) -> float:
    """The part of the whole training done once `stage` is `stage_fraction` done."""
    before = 0.0
    for name, share in STAGE_SHARES.items():
        if name == stage:
            return min(1.0, before + share * min(1.0, max(0.0, stage_fraction)))
        before += share
    raise ValueError(f"unknown training stage {stage!r}")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


class ProgressLines:
    """A training progress callback, `(stage, fraction)`, that writes the JSON lines.

    A line is written when the stage changes or the whole run moved on by at least
    `pacing.TRAIN_PROGRESS_STEP`: LightGBM calls back every round, and the reader needs only
    what moves the bar.
    """

    def __init__(self, out=None, clock=time.perf_counter):
        self._out = out if out is not None else sys.stdout
        self._clock = clock
        self._start = clock()
        self._last = ("", -1.0)

    def __call__(self, stage: str, stage_fraction: float) -> None:
        fraction = overall_fraction(stage, stage_fraction)
        if stage == self._last[0] and fraction < self._last[1] + pacing.TRAIN_PROGRESS_STEP:
            return
        self._last = (stage, fraction)
        self._write({"stage": stage, "stage_fraction": round(stage_fraction, 4),
                     "fraction": round(fraction, 4)})

    def done(self, model_version: str, out: str) -> None:
        """The last line: the bundle is written and where."""
        self._write({"stage": DONE, "fraction": 1.0, "model_version": model_version,
                     "out": str(out), "peak_rss_mb": round(peak_rss_mb(), 1)})

    def _write(self, line: dict) -> None:
        line["seconds"] = round(self._clock() - self._start, 3)
        try:
            self._out.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._out.flush()
        except BrokenPipeError:
            # The reader (the window that started this training) is gone: nobody will take the
            # model, so stop now, in one sentence instead of a traceback.
            _quiet_stdout()
            raise SalesAppError("the window that started this training is gone (its progress "
                                "pipe is closed); training stopped") from None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null: the interpreter's last flush of a broken pipe would print
    an error of its own on the way out."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):   # no real stdout (a test's stream)
        pass


def _number(line: dict, key: str, lo: float = 0.0, hi: float = math.inf) -> float:
    value = line.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not lo <= value <= hi:
        raise ValueError(f"{key} is {value!r}")
    return float(value)


def parse_line(text: str) -> dict | None:
    """A progress line as a dict, checked; None for any other line (the child may print more).

    Checked: a known stage (or "done"), fractions in 0..1, seconds >= 0; the end line also a
    model_version and out of text and peak_rss_mb >= 0. A line that is JSON of the right shape
    but wrong values raises ValueError naming the field: the child is ours, so that is a bug.
    """
    text = text.strip()
    if not text.startswith("{"):
        return None
    try:
        line = json.loads(text)
    except ValueError:
        return None
    if not isinstance(line, dict) or "stage" not in line:
        return None
    stage = line["stage"]
    if stage != DONE and stage not in STAGE_SHARES:
        raise ValueError(f"a training progress line names an unknown stage {stage!r}")
    checked = {"stage": stage, "fraction": _number(line, "fraction", 0.0, 1.0),
               "seconds": _number(line, "seconds")}
    if stage == DONE:
        for key in ("model_version", "out"):
            if not isinstance(line.get(key), str) or not line[key]:
                raise ValueError(f"a training's end line has no {key}")
            checked[key] = line[key]
        checked["peak_rss_mb"] = _number(line, "peak_rss_mb")
    else:
        checked["stage_fraction"] = _number(line, "stage_fraction", 0.0, 1.0)
    return checked
