"""A store taken away under a running `salesapp work` or window: one sentence, then a stop.

SQLite keeps working on deleted files, so without a check a run would go on "recording" results
in files nobody can read back, or spin on a store that fails every call.
"""

import shutil
import subprocess
import sys
import time

import pytest
from engine_cli import FakePredictor, cli_env, run_cli

from salesapp.errors import StoreError
from salesapp.store.job_store import JobStore


def _take_away(store_dir, how):
    if how == "folder":
        shutil.rmtree(store_dir)
    elif how == "wal":
        (store_dir / "cache.db-wal").unlink()
    else:   # another database moved in its place
        replacement = store_dir.parent / "other"
        JobStore.open(replacement).close()
        (replacement / "cache.db").replace(store_dir / "cache.db")


@pytest.mark.parametrize("how", ["folder", "wal", "replaced"])
def test_a_store_call_after_its_files_are_taken_away_says_so(tmp_path, how):
    store = JobStore.open(tmp_path / "s")
    store.submit([1, 2], "v")
    _take_away(tmp_path / "s", how)
    with pytest.raises(StoreError, match="can no longer be used"):
        store.lease("w", 10, 60)
    with pytest.raises(StoreError, match="can no longer be used"):
        store.counts()
    store.close()


@pytest.mark.parametrize("how", ["folder", "wal"])
def test_work_ends_in_one_sentence_when_its_store_is_removed_mid_run(tmp_path, small_bundle, how):
    store = tmp_path / "store"
    assert run_cli("submit", "--store", store, "--model", small_bundle,
                   "--items", "0-1999").returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "salesapp", "work", "--store", str(store),
                             "--model", str(small_bundle)],
                            env=cli_env(SALESAPP_TEST_SLOW_MS=300, SALESAPP_BATCH_SIZE=25),
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines = []
    for line in proc.stderr:   # the first batch is recorded: the run is under way
        lines.append(line)
        if "jobs" in line:
            break
    _take_away(store, how)
    removed = time.monotonic()
    try:
        code = proc.wait(20)
    finally:
        proc.kill()
    took = time.monotonic() - removed
    lines += proc.stderr.readlines()
    proc.stderr.close()
    said = [line for line in lines if not line.rstrip().endswith(" jobs")]
    assert code == 1, lines
    assert took < 5, took
    assert len(said) == 1 and "can no longer be used" in said[0], said
    assert "Traceback" not in "".join(lines)


def test_the_window_dispatcher_says_once_that_its_store_is_gone_and_stops(qtbot, tmp_path):
    from salesapp.workers.dispatcher import PredictionDispatcher

    store = JobStore.open(tmp_path / "s")
    store.submit([1, 2, 3], FakePredictor.version)
    calls = []
    counts = store.counts

    def counted():
        calls.append(1)
        return counts()

    store.counts = counted
    d = PredictionDispatcher(store, FakePredictor(), pool_size=1, lease_seconds=0.5)
    said = []
    d.store_failed.connect(said.append)
    shutil.rmtree(tmp_path / "s")
    try:
        d.start()
        qtbot.waitUntil(lambda: bool(said), timeout=10000)
        asked = len(calls)
        qtbot.wait(1500)   # three lease ticks: nothing more is asked of the store
        assert len(calls) == asked <= 5
        assert len(said) == 1 and "can no longer be used" in said[0]
    finally:
        assert d.shutdown(5000)
        store.close()
