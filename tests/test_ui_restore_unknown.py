"""A restored done job of an id its model does not know shows as an unknown item from its first
paint, not as "done" until its result is read (real store, real model, real window)."""

from __future__ import annotations

import pytest

from salesapp.model.predictor import Predictor
from salesapp.model.unknown_items import UNKNOWN_ITEM
from salesapp.store.job_store import JobStore
from salesapp.ui.main_window import MainWindow
from salesapp.workers.dispatcher import PredictionDispatcher

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


def test_restored_unknown_items_are_never_shown_done(qtbot, tmp_path, small_bundle):
    p = Predictor.load(small_bundle)
    known, unknown = int(p.item_ids[0]), [9_000_001, 9_000_002]
    ids = [known, *unknown]
    with JobStore.open(tmp_path / "s") as s:
        s.submit(ids, p.version)
        s.lease("earlier", len(ids), 60)
        s.complete("earlier", {r["item_id"]: r for r in p.predict(ids)})
    store = JobStore.open(tmp_path / "s")
    window = MainWindow()
    qtbot.addWidget(window)
    seen = []

    def look() -> bool:
        rows = [window.model.row_for(i) for i in ids]
        if all(r is not None for r in rows):
            seen.append([(r.status, r.result is not None) for r in rows])
        return bool(seen) and all(has for _, has in seen[-1])

    try:
        window.session.attach(store, PredictionDispatcher(store, p, pool_size=1), p)
        qtbot.waitUntil(look, timeout=20000)
    finally:
        window.close()
    assert all(states[1][0] == states[2][0] == UNKNOWN_ITEM for states in seen), seen
    assert seen[-1][0] == ("done", True)
    assert "not in the product list" in window.model.row_for(unknown[0]).note
