"""One stored result row that cannot be read costs that one result: the rest read with it are
shown, the bad one is said once, moved aside and computed again (a real store, real model,
the real window offscreen)."""

from __future__ import annotations

import pickle
import sqlite3

import pytest

from salesapp.model.predictor import Predictor
from salesapp.store.job_store import JobStore
from salesapp.ui.main_window import MainWindow
from salesapp.workers.dispatcher import PredictionDispatcher

WAIT_MS = 30000
DAMAGE = {"pickle": None, "cut short": b'{"item_id": 7, "status": "ok", ',
          "not a result": b"[1, 2]", "NaN": b'{"item_id": 7, "status": "ok", "forecasts": [NaN]}'}

pytestmark = pytest.mark.usefixtures("no_dangling_pool_threads")


@pytest.fixture(scope="module")
def predictor(small_bundle):
    return Predictor.load(small_bundle)


def _store_with_results(root, predictor, ids):
    with JobStore.open(root) as store:
        store.submit(ids, predictor.version)
        store.lease("earlier", len(ids), 600)
        store.complete("earlier", {r["item_id"]: r for r in predictor.predict(ids)})


def _damage(root, key: str, how: str) -> None:
    con = sqlite3.connect(root / "cache.db")
    with con:
        if how == "pickle":
            con.execute("UPDATE Cache SET mode = 4, value = ? WHERE key = ?",
                        (pickle.dumps({"item_id": 7}), key))
        else:
            con.execute("UPDATE Cache SET value = ? WHERE key = ?", (DAMAGE[how], key))
    con.close()


@pytest.mark.parametrize("how", list(DAMAGE))
def test_readable_results_of_names_the_bad_row_and_returns_the_others(tmp_path, predictor, how):
    ids = [int(i) for i in predictor.item_ids[:10]]
    _store_with_results(tmp_path / "s", predictor, ids)
    bad = ids[3]
    _damage(tmp_path / "s", f"r:{predictor.version}:{bad}", how)
    with JobStore.open(tmp_path / "s") as store:
        found, unreadable = store.readable_results_of([(predictor.version, i) for i in ids])
        assert sorted(r["item_id"] for r in found) == sorted(set(ids) - {bad})
        assert unreadable == [(predictor.version, bad)]
        report = store.recompute(unreadable, predictor.version)
        assert report.queued == [bad]
        assert store.result(predictor.version, bad) is None
        assert {j.item_id: j.state for j in store.jobs()}[bad] == "queued"
    con = sqlite3.connect(tmp_path / "s" / "cache.db")
    kept = con.execute("SELECT count(*) FROM Cache WHERE key = ?",
                       (f"aside:r:{predictor.version}:{bad}",)).fetchone()[0]
    con.close()
    assert kept == 1   # kept for inspection, under a key no read finds


def test_the_window_loses_only_the_bad_result_and_computes_it_again(qtbot, tmp_path, predictor):
    ids = [int(i) for i in predictor.item_ids[:300]]   # more than one read batch of results
    root = tmp_path / "store"
    _store_with_results(root, predictor, ids)
    bad = ids[5]
    _damage(root, f"r:{predictor.version}:{bad}", "cut short")
    store = JobStore.open(root)
    window = MainWindow()
    qtbot.addWidget(window)
    try:
        window.session.attach(store, PredictionDispatcher(store, predictor, pool_size=1),
                              predictor)
        model = window.model

        def all_shown() -> bool:
            rows = [model.row_for(i) for i in ids]
            return all(r is not None and r.status == "done" and r.result is not None
                       for r in rows)

        qtbot.waitUntil(all_shown, timeout=WAIT_MS)
        assert f"items {bad} could not be read" in window.banner.text()
        assert window.banner.text().count(str(bad)) == 1
        assert model.row_for(bad).result["item_id"] == bad
    finally:
        window.close()
    with JobStore.open(root) as again:
        assert again.result(predictor.version, bad)["item_id"] == bad
