"""A model that outputs NaN or infinity: that item's job fails with a reason instead of storing a
row no reader can take (our encoder used to write `NaN`, which then broke every export)."""

import csv

from engine_cli import FakePredictor, run_cli

from salesapp.store.job_store import JobStore
from salesapp.workers.batch_runner import drain_queue


class NanForSome(FakePredictor):
    """Plain results, with a non-finite forecast for the ids in `bad`."""

    def __init__(self, bad):
        self.bad = bad

    def predict(self, item_ids):
        out = super().predict(item_ids)
        for result in out:
            if result["item_id"] in self.bad:
                result["shops"][0][1] = self.bad[result["item_id"]]
        return out


def test_complete_stores_the_finite_results_and_refuses_the_others(tmp_path):
    with JobStore.open(tmp_path) as store:
        p = NanForSome({2: float("nan"), 3: float("-inf")})
        store.submit([1, 2, 3], p.version)
        store.lease("w", 3, 60)
        accepted = store.complete("w", dict(zip([1, 2, 3], p.predict([1, 2, 3]))))
        assert accepted == [1]
        assert [i for i, _ in accepted.refused] == [2, 3]
        assert all("not a finite number" in why for _, why in accepted.refused)
        assert store.counts() == {"queued": 0, "leased": 2, "done": 1, "failed": 0}
        assert store.result(p.version, 2) is None


def test_a_nan_item_fails_with_its_reason_and_results_export_the_rest(tmp_path):
    store_dir = tmp_path / "store"
    p = NanForSome({2: float("nan")})
    reported = []
    with JobStore.open(store_dir) as store:
        store.submit([1, 2, 3], p.version)
        drain_queue(store, "w", p.predict, 10, _never_set(),
                    lambda what, items: reported.append((what, items)))
        jobs = {j.item_id: j for j in store.jobs()}
        assert (jobs[1].state, jobs[2].state, jobs[3].state) == ("done", "failed", "done")
        assert "not a finite number" in jobs[2].error
    assert ("failed", [(2, jobs[2].error)]) in reported
    out = tmp_path / "r.csv"
    proc = run_cli("results", "--store", store_dir, "--out", out)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    with open(out, newline="", encoding="utf-8") as f:
        rows = {r["item_id"]: r for r in csv.DictReader(f)}
    assert rows["1"]["forecast"] == "1.0" and rows["3"]["forecast"] == "3.0"
    assert "not a finite number" in rows["2"]["error"]


def _never_set():
    import threading

    return threading.Event()
