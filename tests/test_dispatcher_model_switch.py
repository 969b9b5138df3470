"""PredictionDispatcher.use_predictor: a batch already in the old model is stored under the old
version; every job after it is answered by the new model (real bundles, real store)."""

import pytest

from salesapp.model.predictor import Predictor
from salesapp.workers.dispatcher import PredictionDispatcher
from salesapp.workers.test_hooks import TestHooks

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


def test_a_running_batch_finishes_under_the_old_model_the_rest_under_the_new(
        qtbot, store, small_bundle, second_bundle):
    old, new = Predictor.load(small_bundle), Predictor.load(second_bundle)
    d = PredictionDispatcher(store, old, pool_size=1, batch_size=4,
                             hooks=TestHooks(slow_ms=300))   # a batch lasts long enough
    finished = []
    d.jobs_finished.connect(finished.extend)
    ids = list(range(16))
    with qtbot.waitSignal(d.jobs_started, timeout=10000) as started:
        d.submit(ids)
    first = set(started.args[0])
    assert len(first) == 4   # one batch of the old model under way, 12 jobs still queued
    d.use_predictor(new)
    assert d.model_version == new.version
    with qtbot.waitSignal(d.idle, timeout=30000):
        pass
    late = list(range(16, 20))   # asked after the switch: filed under the new version
    d.submit(late)
    qtbot.waitUntil(lambda: len(finished) == 20, timeout=30000)
    assert d.shutdown(5000)
    by_id = {r["item_id"]: r["model_version"] for r in finished}
    assert sorted(by_id) == ids + late
    assert {i for i, v in by_id.items() if v == old.version} == first
    assert all(by_id[i] == new.version for i in ids + late if i not in first)
    for i, version in by_id.items():
        assert store.result(version, i)["model_version"] == version
    assert {j.model_version for j in store.jobs() if j.item_id in late} == {new.version}
