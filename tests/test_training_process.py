"""The window's training child (`TrainingProcess`): a real `salesapp train` process on tiny data,
its progress read as it arrives, cancelled, killed from outside, and failing on bad data."""

from __future__ import annotations

import os
import signal

import pytest
from conftest import _write_tiny_data

from salesapp.model import bundle
from salesapp.model.training_progress import STAGES
from salesapp.ui.training_process import TrainingProcess

WAIT_MS = 120000


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return _write_tiny_data(tmp_path_factory.mktemp("training_data") / "data")


@pytest.fixture
def runner(qtbot):
    made = TrainingProcess()
    yield made
    made.shutdown()


def arguments(data, out):
    return ["--data", str(data), "--out", str(out), "--threads", "1"]


def test_progress_arrives_in_stage_order_then_the_bundle(qtbot, runner, tiny_data, tmp_path):
    seen = []
    runner.progressed.connect(lambda stage, part, whole: seen.append((stage, part, whole)))
    failures = []
    runner.failed.connect(failures.append)
    with qtbot.waitSignal(runner.succeeded, timeout=WAIT_MS) as end:
        runner.start(arguments(tiny_data, tmp_path / "b"))
        assert runner.is_running() and runner.pid() > 0
    assert not failures and not runner.is_running()
    stages = [s for s, _, _ in seen]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == list(STAGES)
    wholes = [w for _, _, w in seen]
    assert wholes == sorted(wholes) and wholes[-1] == pytest.approx(1.0)
    line = end.args[0]
    assert bundle.verify(line["out"]) == line["model_version"]
    assert line["peak_rss_mb"] > 50 and line["seconds"] > 0


def _wait_for_stage(qtbot, runner, stage):
    seen = []
    runner.progressed.connect(lambda s, _p, _w: seen.append(s))
    qtbot.waitUntil(lambda: stage in seen, timeout=WAIT_MS)


def test_cancel_stops_the_child_and_says_so(qtbot, runner, tiny_data, tmp_path):
    runner.start(arguments(tiny_data, tmp_path / "b"))
    _wait_for_stage(qtbot, runner, "backtest")
    pid = runner.pid()
    with qtbot.waitSignal(runner.failed, timeout=WAIT_MS) as failed:
        runner.cancel()
    assert failed.args == ["was cancelled"]
    assert not runner.is_running()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)   # gone, and reaped


def test_a_child_killed_from_outside_is_a_failure_not_a_success(qtbot, runner, tiny_data,
                                                                 tmp_path):
    succeeded = []
    runner.succeeded.connect(succeeded.append)
    runner.start(arguments(tiny_data, tmp_path / "b"))
    _wait_for_stage(qtbot, runner, "backtest")
    with qtbot.waitSignal(runner.failed, timeout=WAIT_MS) as failed:
        os.kill(runner.pid(), signal.SIGKILL)
    assert "stopped unexpectedly" in failed.args[0]
    assert not succeeded


def test_bad_data_fails_with_the_loaders_sentence(qtbot, runner, tiny_data, tmp_path):
    data = tmp_path / "bad"
    data.mkdir()
    for f in tiny_data.iterdir():
        (data / f.name).write_bytes(f.read_bytes())
    lines = (data / "sales_train.csv").read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[2], "shop?", 1)
    (data / "sales_train.csv").write_text("\n".join(lines) + "\n")
    with qtbot.waitSignal(runner.failed, timeout=WAIT_MS) as failed:
        runner.start(arguments(data, tmp_path / "b"))
    assert failed.args[0].startswith("failed: ")
    assert "sales_train.csv" in failed.args[0] and "line 4" in failed.args[0]


def test_a_second_start_while_one_runs_is_refused(qtbot, runner, tiny_data, tmp_path):
    runner.start(arguments(tiny_data, tmp_path / "b"))
    with pytest.raises(RuntimeError, match="already running"):
        runner.start(arguments(tiny_data, tmp_path / "c"))
    with qtbot.waitSignal(runner.failed, timeout=WAIT_MS):
        runner.cancel()
