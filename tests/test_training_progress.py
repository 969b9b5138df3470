"""`salesapp train --progress`: the JSON lines the window reads, written and read back."""

import io
import json
import subprocess
import sys

import pytest
from conftest import _write_tiny_data

from salesapp.errors import SalesAppError
from salesapp.model import bundle
from salesapp.model.training_progress import (
    DONE,
    STAGES,
    ProgressLines,
    overall_fraction,
    parse_line,
)


def test_overall_fraction_runs_through_the_stages_in_order():
    points = [overall_fraction(s, f) for s in STAGES for f in (0.0, 0.5, 1.0)]
    assert points == sorted(points)
    assert points[0] == 0.0 and points[-1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown training stage"):
        overall_fraction("guessing", 0.5)


def test_lines_are_thinned_but_every_stage_change_is_written():
    out, now = io.StringIO(), [0.0]
    lines = ProgressLines(out, clock=lambda: now[0])
    for stage in STAGES:
        for k in range(1001):
            lines(stage, k / 1000)
    lines.done("abc123", "/tmp/b")
    parsed = [parse_line(t) for t in out.getvalue().splitlines()]
    assert all(p is not None for p in parsed)
    assert [p["stage"] for p in parsed if p["stage"] != DONE] == sorted(
        [p["stage"] for p in parsed if p["stage"] != DONE], key=STAGES.index)
    assert {p["stage"] for p in parsed} == {*STAGES, DONE}
    assert len(parsed) < 300   # 5,005 calls
    assert parsed[-1]["model_version"] == "abc123" and parsed[-1]["peak_rss_mb"] > 0


def test_a_closed_progress_pipe_stops_the_training_in_one_sentence():
    class Closed(io.StringIO):
        def write(self, _text):
            raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(SalesAppError, match="the window that started this training is gone"):
        ProgressLines(Closed())("features", 0.5)


@pytest.mark.parametrize("text", ["", "model 1 written", "{not json", "[1, 2]", '{"a": 1}'])
def test_other_lines_are_not_progress(text):
    assert parse_line(text) is None


@pytest.mark.parametrize("line, field", [
    ({"stage": "dreaming", "fraction": 0.1, "stage_fraction": 0.1, "seconds": 1}, "stage"),
    ({"stage": "features", "fraction": 1.5, "stage_fraction": 0.1, "seconds": 1}, "fraction"),
    ({"stage": "features", "fraction": 0.5, "stage_fraction": "x", "seconds": 1},
     "stage_fraction"),
    ({"stage": "features", "fraction": 0.5, "stage_fraction": 0.5, "seconds": -1}, "seconds"),
    ({"stage": "features", "fraction": True, "stage_fraction": 0.5, "seconds": 1}, "fraction"),
    ({"stage": "done", "fraction": 1.0, "seconds": 1, "out": "/b", "peak_rss_mb": 1},
     "model_version"),
    ({"stage": "done", "fraction": 1.0, "seconds": 1, "out": "/b", "model_version": "v",
      "peak_rss_mb": float("nan")}, "peak_rss_mb"),
])
def test_wrong_values_in_a_progress_line_are_named(line, field):
    with pytest.raises(ValueError, match=field):
        parse_line(json.dumps(line))


def test_the_train_command_prints_progress_lines_in_stage_order(tmp_path):
    data = _write_tiny_data(tmp_path / "data", months=8, items=30)
    run = subprocess.run([sys.executable, "-m", "salesapp", "train", "--data", str(data),
                          "--out", str(tmp_path / "b"), "--threads", "1", "--progress"],
                         check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = [parse_line(t) for t in run.stdout.splitlines()]
    assert None not in lines   # stdout is progress lines only; the metrics went to stderr
    assert "backtest" in run.stderr
    stages = [line["stage"] for line in lines]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == [*STAGES, DONE]
    fractions = [line["fraction"] for line in lines]
    assert fractions == sorted(fractions)
    end = lines[-1]
    assert end["out"] == str((tmp_path / "b").resolve())
    assert bundle.verify(tmp_path / "b") == end["model_version"]
