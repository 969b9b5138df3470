"""Results in the store: compact stored form, round trip, bulk reads in order, older layout."""

import gc
import json
import sqlite3
import threading
import weakref

from salesapp.gc_pause import gc_paused
from salesapp.store.result_codec import pack, shop_columns, unpack

V1 = "aaaaaaaaaaaa"


def full_result(item_id):
    return {"item_id": item_id, "status": "ok", "error": None, "item_name": "Товар, \"1\"",
            "category_id": 3, "category_name": "Игры", "cold_start": False, "total": 1.5,
            "shops": [[2, 0.5], [7, 1.0], [9, 0.0]], "forecast_block": 34, "model_version": V1}


def test_pack_and_unpack_round_trip_exactly_through_json():
    r = full_result(5)
    stored = pack(r)
    assert "shops" not in stored and stored["forecasts"] == [0.5, 1.0, 0.0]
    assert stored["shop_ids"] == [2, 7, 9]
    assert r == full_result(5), "pack must not change its argument"
    assert unpack(json.loads(json.dumps(stored))) == r
    assert shop_columns(stored) == ([2, 7, 9], [0.5, 1.0, 0.0])
    assert shop_columns(r) == ([2, 7, 9], [0.5, 1.0, 0.0])


def test_any_numbers_are_stored_as_they_are():
    r = {"item_id": 1, "shops": [[2, 0.1234], [3, 1], [4, None], [5, 1e300]]}
    assert unpack(json.loads(json.dumps(pack(r)))) == r
    assert [type(v) for _, v in unpack(pack(r))["shops"]] == [float, int, type(None), float]


def test_error_results_without_pairs_round_trip():
    r = {"item_id": 9, "status": "error", "error": "item 9 is not in items.csv", "shops": []}
    assert unpack(pack(r)) == r
    assert unpack(pack({"item_id": 1})) == {"item_id": 1}
    assert unpack(pack({"item_id": 1, "shops": None})) == {"item_id": 1, "shops": None}


def test_store_keeps_the_stored_form_and_reads_back_the_result(store):
    store.submit([1], V1)
    store.lease("w", 1, 60)
    store.complete("w", {1: full_result(1)})
    con = sqlite3.connect(store.directory / "cache.db")
    (raw,) = con.execute("SELECT value FROM Cache WHERE key = ?", (f"r:{V1}:1",)).fetchone()
    con.close()
    assert json.loads(bytes(raw))["forecasts"] == [0.5, 1.0, 0.0]
    assert store.result(V1, 1) == full_result(1)
    assert store.results() == [full_result(1)]


def test_results_written_in_older_layouts_read_as_results_do_now(store):
    with_history = dict(full_result(4), history=[[0, 5.0], [3, 1.0]])
    store._cache.set(f"r:{V1}:4", with_history)   # pairs, and the history a result once carried
    assert store.result(V1, 4) == full_result(4)
    assert next(store.results_of([(V1, 4)], packed=True)) == with_history
    milli = {k: v for k, v in full_result(5).items() if k != "shops"}
    milli.update(shop_ids=[2, 7, 9], forecasts_milli=[500, 1000, 0], history_months=[0],
                 history_units_milli=[5000])   # integer thousandths
    store._cache.set(f"r:{V1}:5", milli)
    assert store.result(V1, 5) == full_result(5)
    assert shop_columns(milli) == ([2, 7, 9], [0.5, 1.0, 0.0])


def test_results_of_follows_the_order_asked_across_chunks(store):
    ids = list(range(1200))
    store.submit(ids, V1)
    store.lease("w", 1200, 60)
    store.complete("w", {i: full_result(i) for i in ids})
    wanted = [(V1, i) for i in reversed(ids)] + [(V1, 99999), ("other", 1)]
    got = list(store.results_of(wanted))
    assert [r["item_id"] for r in got[:1200]] == list(reversed(ids))
    assert got[1200:] == [None, None]
    assert got[0] == full_result(1199)
    packed = next(store.results_of([(V1, 3)], packed=True))
    assert packed["forecasts"] == [0.5, 1.0, 0.0] and "shops" not in packed


def test_gc_pause_nests_and_restores_the_collector():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_gc_pause_from_two_threads_restores_when_the_last_ends():
    inside, release = threading.Event(), threading.Event()

    def other():
        with gc_paused():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=other)
    t.start()
    inside.wait(10)
    with gc_paused():
        pass
    assert not gc.isenabled(), "the other thread's block is still open"
    release.set()
    t.join(10)
    assert gc.isenabled()


def test_gc_pause_leaves_a_disabled_collector_disabled():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_gc_pause_leaves_no_young_objects_and_cycles_are_still_collected():
    class Node:
        pass

    collected = []
    with gc_paused():
        made = [[i] for i in range(50_000)]
        a, b = Node(), Node()
        a.other, b.other = b, a   # a cycle made inside the block
        weakref.finalize(a, collected.append, "a")
        del a, b
    # the block's survivors are not young: no collection walks them on the next allocation
    assert gc.get_count()[0] < 1_000
    assert len(made) == 50_000
    gc.collect()
    assert collected == ["a"]
