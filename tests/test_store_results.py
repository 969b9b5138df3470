"""Results in the store: compact stored form, round trip, bulk reads in order, older layout."""

import gc
import json
import sqlite3
import threading
import weakref

from salesapp.gc_pause import gc_paused
from salesapp.store.result_codec import pack, shop_forecasts, unpack

V1 = "aaaaaaaaaaaa"


def full_result(item_id):
    return {"item_id": item_id, "status": "ok", "error": None, "item_name": "Товар, \"1\"",
            "category_id": 3, "category_name": "Игры", "cold_start": False, "total": 1.5,
            "shops": [[2, 0.5], [7, 1.0], [9, 0.0]], "history": [[0, 5.0], [3, 1.0]],
            "forecast_block": 34, "model_version": V1}


def test_pack_and_unpack_round_trip_exactly_through_json():
    r = full_result(5)
    stored = pack(r)
    assert "shops" not in stored and stored["forecasts_milli"] == [500, 1000, 0]
    assert stored["shop_ids"] == [2, 7, 9] and stored["history_months"] == [0, 3]
    assert r == full_result(5), "pack must not change its argument"
    assert unpack(json.loads(json.dumps(stored))) == r
    assert list(shop_forecasts(stored)) == [(2, 0.5), (7, 1.0), (9, 0.0)]
    assert list(shop_forecasts(r)) == [(2, 0.5), (7, 1.0), (9, 0.0)]


def test_values_not_exact_in_thousandths_are_stored_as_they_are():
    r = {"item_id": 1, "shops": [[2, 0.1234], [3, 1.0]], "history": [[0, 5], [1, 2.0]]}
    stored = pack(r)
    assert stored["forecasts"] == [0.1234, 1.0] and stored["history_units"] == [5, 2.0]
    assert unpack(json.loads(json.dumps(stored))) == r
    assert [type(v) for _, v in unpack(pack(r))["history"]] == [int, float]


def test_thousandths_give_back_the_very_same_floats():
    values = [round(i * 0.0007, 3) for i in range(20000)] + [19.999, 0.001, 12.345]
    r = {"shops": [[i, v] for i, v in enumerate(values)]}
    back = unpack(json.loads(json.dumps(pack(r))))
    assert [v for _, v in back["shops"]] == values
    assert [repr(v) for _, v in back["shops"]] == [repr(v) for v in values]


def test_error_results_without_pairs_round_trip():
    r = {"item_id": 9, "status": "error", "error": "item 9 is not in items.csv", "shops": [],
         "history": []}
    assert unpack(pack(r)) == r
    assert unpack(pack({"item_id": 1})) == {"item_id": 1}


def test_store_keeps_the_compact_form_and_reads_back_the_result(store):
    store.submit([1], V1)
    store.lease("w", 1, 60)
    store.complete("w", {1: full_result(1)})
    con = sqlite3.connect(store.directory / "cache.db")
    (raw,) = con.execute("SELECT value FROM Cache WHERE key = ?", (f"r:{V1}:1",)).fetchone()
    con.close()
    assert set(json.loads(bytes(raw))) >= {"shop_ids", "forecasts_milli", "history_units_milli"}
    assert store.result(V1, 1) == full_result(1)
    assert store.results() == [full_result(1)]


def test_results_written_in_the_older_pair_layout_are_read_unchanged(store):
    store._cache.set(f"r:{V1}:4", full_result(4))   # how results were stored before
    assert store.result(V1, 4) == full_result(4)
    assert next(store.results_of([(V1, 4)], packed=True)) == full_result(4)


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
    assert packed["forecasts_milli"] == [500, 1000, 0] and "shops" not in packed


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
