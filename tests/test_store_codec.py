"""The store's codec: a result's stored form gives it back exactly; our JSON equals `json`'s."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from salesapp.store.json_disk import decode_json, encode_json
from salesapp.store.result_codec import pack, unpack

values = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**6, 10**6),
                   st.floats(0, 20).map(lambda v: round(v, 3)), st.none())
pairs = st.lists(st.tuples(st.integers(0, 60), values).map(list), max_size=6)
results = st.fixed_dictionaries({"item_id": st.integers(0, 10**6)},
                                optional={"shops": st.one_of(pairs, st.none()),
                                          "total": values})


@settings(max_examples=200, deadline=None)
@given(results)
def test_a_stored_result_reads_back_as_it_was_given(result):
    stored = decode_json(encode_json(pack(result)))
    assert json.dumps(unpack(stored), sort_keys=True) == json.dumps(result, sort_keys=True)


@given(st.sampled_from([float("nan"), float("inf"), float("-inf")]))
def test_our_encoder_refuses_non_finite_numbers(number):
    """NaN and Infinity are not JSON: SQLite and every other reader would refuse the row."""
    import pytest

    with pytest.raises(ValueError):
        encode_json({"forecasts": [0.5, number]})


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text()),
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


@given(st.sampled_from([float("nan"), float("inf"), float("-inf")]),
       st.sampled_from(["total", "error", "item_name"]))
def test_a_non_finite_number_beside_nulls_or_nested_is_refused(number, null_field):
    """The fast encoder writes NaN as null: a null among the result's own Nones, or in a later
    month's list, must still be refused, never stored as null."""
    import pytest

    for value in ({null_field: None, "total": number, "forecasts": [0.5]},
                  {"error": None, "ahead": [{"forecasts": [0.5, number]}]},
                  {"item_name": "null", "p10": [number]}, [None, number], number):
        with pytest.raises(ValueError):
            encode_json(value)


def test_nulls_and_the_text_null_are_written_as_json_writes_them():
    for value in ({"error": None, "item_name": "null", "ahead": [{"x": None}]}, [None, [None]],
                  None, {"big": 2**70, "n": None}):
        assert json.loads(encode_json(value)) == value


range_values = st.one_of(st.floats(-1, 5), st.integers(-2, 5), st.just(float("nan")),
                         st.just(float("inf")), st.booleans(), st.none(), st.just("1"))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(range_values, range_values, range_values), max_size=5))
def test_a_range_is_in_order_exactly_when_each_shop_is(triples):
    """`in_order` (C loops) says what a check of each shop's value says."""
    from salesapp.store.result_codec import in_order

    def number(v):
        return type(v) in (int, float) and v >= 0

    each = all(number(a) and number(f) and number(b) and a <= f <= b for a, f, b in triples)
    lo, mid, hi = ([t[k] for t in triples] for k in range(3))
    assert in_order(lo, mid, hi) == each
