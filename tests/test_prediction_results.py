"""Result assembly: rounded forecasts as plain pairs, and an item's history sliced from arrays."""

import json

import numpy as np

from salesapp.model.prediction_results import ItemHistory, rounded, shop_pairs
from salesapp.model.predictor import Predictor


def test_rows_are_rounded_and_totals_are_the_sums_of_the_rounded_shops():
    rows, totals = rounded(np.array([[0.12345, 2.0], [1 / 3, 19.9996]]))
    pairs = shop_pairs([4, 7], rows)
    assert pairs == [[[4, 0.123], [7, 2.0]], [[4, 0.333], [7, 20.0]]]
    assert totals == [2.123, 20.333]
    assert all(type(p) is list for row in pairs for p in [row, *row])
    assert json.dumps(pairs[0]) == "[[4, 0.123], [7, 2.0]]"


def test_history_slices_are_month_ordered_pairs_per_item():
    h = ItemHistory(np.array([5, 5, 9]), np.array([3, 1, 2]), np.array([2.0, 1.5, 0.25]))
    assert [h.of_item(i) for i in (5, 9, 7)] == [[(1, 1.5), (3, 2.0)], [(2, 0.25)], []]
    assert h.sold([5, 9, 7]) == [True, True, False]
    assert ItemHistory(np.array([1]), np.array([0]), np.array([1 / 3])).of_item(1) == [(0, 0.333)]


def test_predictor_results_are_plain_json_values(small_bundle):
    predictor = Predictor.load(small_bundle)
    results = predictor.predict([1, 2, 3, 999999])
    assert json.loads(json.dumps(results)) == results
    assert all(type(r["shops"]) is list and all(type(p) is list for p in r["shops"])
               for r in results)
    assert all("history" not in r for r in results)
