"""`salesapp work` starts without Qt and gives its first result from a small first batch."""

import subprocess
import sys

from engine_cli import cli_env, run_cli

from salesapp.pacing import FIRST_BATCH

# `salesapp work` as the command line runs it, then: was PySide6 ever imported?
SCRIPT = """
import sys
from salesapp.cli import main

code = main(["work", "--store", sys.argv[1], "--model", sys.argv[2]])
print(code, "PySide6" in sys.modules, any(m.startswith("PySide6") for m in sys.modules))
"""


def test_work_never_imports_qt(tmp_path, small_bundle):
    store = tmp_path / "s"
    assert run_cli("submit", "--store", store, "--model", small_bundle, "--items", "1-40"
                   ).returncode == 0
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(store), str(small_bundle)],
                          env=cli_env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "False", "False"], proc.stderr
    progress = [line.split()[1] for line in proc.stderr.splitlines() if "jobs" in line]
    assert progress[0] == f"{FIRST_BATCH}/40" and progress[-1] == "40/40", proc.stderr


def test_a_store_error_in_the_first_batch_is_reported_not_raised(tmp_path, small_bundle):
    from salesapp.errors import StoreError
    from salesapp.model.predictor import Predictor
    from salesapp.pacing import STORE_FAILURES_TO_STOP
    from salesapp.store.job_store import JobStore
    from salesapp.workers.headless import run_until_idle

    predictor = Predictor.load(small_bundle)
    with JobStore.open(tmp_path / "s") as store:
        store.submit([1, 2], predictor.version)

        tries = []

        def broken(*_args, **_kwargs):
            tries.append(1)
            raise StoreError("the disk is gone")

        store.lease = broken
        summary = run_until_idle(store, predictor)
    # tried again a few times (a lock may pass), then the run's one error
    assert summary.finished == 0 and summary.errors == ["the disk is gone"]
    assert len(tries) == STORE_FAILURES_TO_STOP
