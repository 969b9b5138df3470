"""The thousandths rule: the list form and the array form agree on every float."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from salesapp import thousandths

floats = st.one_of(st.floats(), st.floats(0, 20).map(lambda v: round(v, 3)),
                   st.integers(-(2**63), 2**63).map(lambda k: k / 1000))


def _by_array(values: list[float]) -> list[int] | None:
    k, exact = thousandths.of_array(np.array(values, dtype=np.float64))
    return k.tolist() if exact.all() else None


@settings(max_examples=300, deadline=None)
@given(st.lists(floats, max_size=8))
def test_list_and_array_forms_agree(values):
    assert thousandths.of_list(values) == _by_array(values)


def test_exact_values_read_back_as_the_same_floats():
    values = [0.0, 0.001, 19.999, 20.0, 12.345, -1.5, round(7 * 0.0007, 3)]
    k = thousandths.of_list(values)
    assert k == [0, 1, 19999, 20000, 12345, -1500, 5]
    assert [x / 1000 for x in k] == values


def test_what_is_not_exact():
    assert thousandths.of_list([0.1234]) is None             # a fourth decimal
    assert thousandths.of_list([math.inf]) is None
    assert thousandths.of_list([math.nan]) is None
    assert thousandths.of_list([1e300]) is None               # past the int64 bound
    assert thousandths.of_list([1, 2.0]) is None              # an int is stored as it is
    assert thousandths.of_list([]) == []
    k, exact = thousandths.of_array(np.array([0.5, math.inf, 0.1234, 1e300]))
    assert exact.tolist() == [True, False, False, False] and k.tolist() == [500, 0, 0, 0]


def test_the_bound_is_the_same_in_both_forms():
    edge = [(thousandths.LIMIT - 1024) / 1000, thousandths.LIMIT / 1000]
    for v in edge:
        assert thousandths.of_list([v]) == _by_array([v])
    assert thousandths.of_list([edge[1]]) is None
