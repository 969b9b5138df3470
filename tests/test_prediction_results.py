"""Result assembly: pairs as the architecture has them, and the columns the store packs from."""

import copy
import json

import numpy as np

from salesapp.model.prediction_results import ItemHistory, PairList, rounded, shop_pairs
from salesapp.model.predictor import Predictor
from salesapp.store.result_codec import pack, pack_many, unpack


def _plain(result):
    """The result with plain lists only (what `pack` was written for)."""
    return json.loads(json.dumps(result))


def test_pairs_are_plain_lists_with_columns_in_thousandths():
    rows, totals = rounded(np.array([[0.12345, 2.0], [1 / 3, 19.9996]]))
    pairs = shop_pairs([4, 7], rows)
    assert pairs == [[[4, 0.123], [7, 2.0]], [[4, 0.333], [7, 20.0]]]
    assert totals == [2.123, 20.333]
    assert pairs[0].columns == ([4, 7], [0.123, 2.0], [123, 2000])
    assert json.dumps(pairs[0]) == "[[4, 0.123], [7, 2.0]]"


def test_rows_not_exact_in_thousandths_carry_no_columns():
    pairs = shop_pairs([1], [[0.1234]])   # rows not from `rounded`
    assert pairs == [[[1, 0.1234]]] and pairs[0].columns is None


def test_history_slices_carry_their_thousandths():
    h = ItemHistory(np.array([5, 5, 9]), np.array([3, 1, 2]), np.array([2.0, 1.5, 0.25]))
    five, nine, none = h.of_items([5, 9, 7])
    assert (five, nine, none) == ([[1, 1.5], [3, 2.0]], [[2, 0.25]], [])
    assert five.columns == ([1, 3], [1.5, 2.0], [1500, 2000])
    assert none.columns == ([], [], [])


def test_predictor_results_pack_as_plain_results_do_and_drop_their_columns(small_bundle):
    predictor = Predictor.load(small_bundle)
    results = predictor.predict([1, 2, 3, 999999])
    plain = [_plain(r) for r in results]
    assert pack_many(results) == [pack(r) for r in plain]
    assert all(type(r["shops"]) is PairList and r["shops"].columns is None
               for r in results[:3])
    assert [_plain(r) for r in results] == plain
    assert [unpack(s) for s in pack_many(copy.deepcopy(plain))] == plain
