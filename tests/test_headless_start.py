"""`salesapp work` gives its first result before Qt is imported (start-up budget, issue 4 §5)."""

import subprocess
import sys

SCRIPT = """
import sys
from salesapp.model.predictor import Predictor
from salesapp.store.job_store import JobStore
from salesapp.workers import headless

store, bundle = sys.argv[1], sys.argv[2]
predictor = Predictor.load(bundle)
with JobStore.open(store) as s:
    s.submit(range(40), predictor.version)
    first = headless.run_first_batch(s, predictor)
    print(first.finished, len(first.failed), first.errors, "PySide6" in sys.modules,
          s.counts()["done"], s.counts()["leased"])
"""


def test_first_batch_runs_without_qt(tmp_path, small_bundle):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "s"), str(small_bundle)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    from salesapp.workers.batch_runner import FIRST_BATCH

    assert proc.stdout.split() == [str(FIRST_BATCH), "0", "[]", "False", str(FIRST_BATCH), "0"]


def test_a_store_error_in_the_first_batch_is_reported_not_raised(tmp_path, small_bundle):
    from salesapp.errors import StoreError
    from salesapp.model.predictor import Predictor
    from salesapp.store.job_store import JobStore
    from salesapp.workers.headless import run_first_batch

    predictor = Predictor.load(small_bundle)
    with JobStore.open(tmp_path / "s") as store:
        store.submit([1, 2], predictor.version)

        def broken(*_args, **_kwargs):
            raise StoreError("the disk is gone")

        store.lease = broken
        summary = run_first_batch(store, predictor)
    assert summary.finished == 0 and summary.errors == ["StoreError: the disk is gone"]
