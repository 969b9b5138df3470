"""The batched codec paths equal the plain ones: `pack_many` vs `pack`, our JSON vs `json`."""

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from salesapp.store.json_disk import decode_json, encode_json
from salesapp.store.result_codec import pack, pack_many, unpack

values = st.one_of(st.floats(), st.integers(-10**6, 10**6),
                   st.floats(0, 20).map(lambda v: round(v, 3)), st.none())
pairs = st.lists(st.tuples(st.integers(0, 60), values).map(list), max_size=6)
results = st.fixed_dictionaries({"item_id": st.integers(0, 10**6)},
                                optional={"shops": st.one_of(pairs, st.none()),
                                          "history": pairs, "total": values})


@settings(max_examples=200, deadline=None)
@given(st.lists(results, max_size=6))
def test_pack_many_stores_exactly_what_pack_stores(batch):
    packed = pack_many(batch)
    for got, expected in zip(packed, [pack(r) for r in batch]):
        assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_pack_many_on_floats_only_batches_uses_thousandths_where_exact():
    batch = [{"shops": [[2, 0.5], [3, 1.25]], "history": [[0, 5.0]]},
             {"shops": [[2, 0.1234], [3, 1e308], [4, math.inf]], "history": []},
             {"shops": [[2, -0.0]], "history": [[1, 3.001]]}]
    packed = pack_many(batch)
    assert packed == [pack(r) for r in batch[:1]] + [
        {"shop_ids": [2, 3, 4], "forecasts": [0.1234, 1e308, math.inf], "history_months": [],
         "history_units_milli": []},
        {"shop_ids": [2], "forecasts_milli": [0], "history_months": [1],
         "history_units_milli": [3001]}]
    assert unpack(packed[0]) == batch[0]
    assert batch[0]["shops"] == [[2, 0.5], [3, 1.25]], "pack_many must not change its argument"


def test_pack_many_keeps_values_past_int64_like_pack():
    batch = [{"shops": [[1, 1e300], [2, 0.5]]}, {"shops": [[1, 0.25]]}]
    assert pack_many(batch) == [pack(r) for r in batch]


def test_pack_many_of_nothing():
    assert pack_many([]) == []
    assert pack_many([{"item_id": 1}]) == [{"item_id": 1}]


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(), inner, max_size=4)),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_our_json_reads_and_writes_what_the_json_module_does(value):
    data = encode_json(value)
    assert json.loads(data) == value
    assert decode_json(data) == value
    assert decode_json(json.dumps(value).encode("utf-8")) == value


def test_decode_json_refuses_what_json_refuses():
    for bad in (b"", b"1 x", b"{", b"[1,]"):
        try:
            decode_json(bad)
        except json.JSONDecodeError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
    assert decode_json(b' {"a": 1}\n') == {"a": 1}
