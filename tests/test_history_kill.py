"""An import killed (SIGKILL) at any moment leaves the history it found or the one it was
writing, never a damaged one: real child processes of `salesapp data import`."""

import os
import signal
import subprocess
import sys
import time

import pytest
from test_history_import import write_part

from salesapp import history
from salesapp.history import storage

KILL_AFTER_S = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)   # across start-up, reading and writing


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_killed_import_leaves_the_old_history_or_the_new_one(tmp_path):
    from salesapp.model.synthetic import generate

    src = generate(tmp_path / "data", 0.02, 4) and tmp_path / "data"
    history.import_folder(write_part(src, tmp_path / "first", range(30)))
    month = write_part(src, tmp_path / "month", [30], tables=None)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    for n, delay in enumerate(KILL_AFTER_S):
        child = subprocess.Popen([sys.executable, "-m", "salesapp", "data", "import",
                                  str(month), "--replace"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        held = history.load()
        assert held.notice is None, (delay, held.notice)
        assert held.months in (list(range(30)), list(range(31))), delay
    # whatever the kills left, the next import clears their temporary folders
    history.import_folder(month, replace=True)
    assert not list(history.folder().glob("tmp-*"))
    assert len(storage.generations(history.folder())) == storage.KEEP_GENERATIONS
