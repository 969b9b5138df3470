"""P10 / P90 ranges: calibrated on backtest residuals, ordered, never below 0, the total's own."""

import json
import shutil
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from salesapp.errors import BundleError
from salesapp.model import range_calibration, ranges
from salesapp.model.predictor import Predictor


def _counts(rng, n):
    """Intermittent counts with a known mean: a negative binomial whose mean varies per row."""
    mean = rng.gamma(0.5, 1.2, n)
    y = rng.negative_binomial(1.5, 1.5 / (1.5 + mean))
    return mean, y.astype(float)


def test_held_out_tails_stay_within_the_budget_in_every_bin():
    rng = np.random.default_rng(3)
    mean, y = _counts(rng, 200_000)
    cls = (rng.random(len(y)) < 0.3).astype(np.int8)
    table = ranges.fit_table(mean, y, cls, ranges.PAIR_EDGES, ("a", "b"))
    mean2, y2 = _counts(rng, 200_000)
    lo, hi = table.bounds(mean2, (rng.random(len(y2)) < 0.3).astype(np.int8))
    # the shares computed here, not by the module's own `coverage`
    edges = [0, 0.25, 0.5, 1, 2, 4, 8, np.inf]
    for a, b in pairwise(edges):
        sel = (mean2 >= a) & (mean2 < b)
        if sel.sum() < 500:
            continue
        above, below = np.mean(y2[sel] > hi[sel]), np.mean(y2[sel] < lo[sel])
        assert above <= 0.12 and below <= 0.12, (a, b, above, below)
        if a >= 2:   # wide enough for the tails to be near their 10 %
            assert 0.06 <= above <= 0.14, (a, b, above)
    assert ranges.pinball(lo, hi, y2) < ranges.pinball(*_own_percentiles(rng, mean2), y2)


def _own_percentiles(rng, mean):
    """The naive range of rows whose 12 past months come from the same process."""
    past = rng.negative_binomial(1.5, 1.5 / (1.5 + mean[:, None]), (len(mean), 12))
    return ranges.naive_range(past)


def test_bounds_are_never_below_zero_and_hold_the_mean():
    # A skewed count: forecast 0.3, 19 months in 20 sell nothing, so P90 of the counts is 0.
    # The range is widened to hold the mean (0 <= P10 <= mean <= P90), not left as 0-0.
    pred = np.full(1000, 0.3)
    y = np.where(np.arange(1000) % 20 == 0, 6.0, 0.0)
    table = ranges.fit_table(pred, y, np.zeros(1000), ranges.PAIR_EDGES, ("all",))
    lo, hi = table.bounds([0.3, 0.0, 7.5], [0, 0, 0])
    assert lo.tolist() == [0.0, 0.0, 0.0]
    assert hi[0] == pytest.approx(0.3) and hi[1] == 0.0 and hi[2] >= 7.5
    # a symmetric band would go below 0: these bounds are asymmetric instead
    wide = ranges.fit_table(np.full(1000, 1.0), np.r_[np.zeros(500), np.full(500, 6.0)],
                            np.zeros(1000), ranges.PAIR_EDGES, ("all",))
    lo, hi = wide.bounds([1.0], [0])
    assert lo[0] == 0.0 and hi[0] == 6.0


def test_a_table_reads_back_from_its_json_and_refuses_nonsense():
    table = ranges.fit_table(np.linspace(0, 5, 500), np.arange(500) % 7, np.zeros(500),
                             ranges.PAIR_EDGES, ("all",))
    again = ranges.RangeTable.from_json(json.loads(json.dumps(table.to_json())), "t")
    assert again == table
    bad = table.to_json() | {"p10": [[1.0] * len(table.edges)], "p90": [[0.5] * len(table.edges)]}
    with pytest.raises(ValueError, match="t: every p10 must be a finite number no larger"):
        ranges.RangeTable.from_json(bad, "t")
    with pytest.raises(ValueError, match="t: p90 must be 1 rows of"):
        ranges.RangeTable.from_json(table.to_json() | {"p90": [[1]]}, "t")


def test_the_naive_range_of_the_last_twelve_months():
    from salesapp.model.features import MonthlyHistory
    hist = MonthlyHistory(np.array([0, 5, 6, 11, 12], np.int16), np.zeros(5, np.int16),
                          np.full(5, 7, np.int32), np.array([9, 1, 30, 2, 4], np.float32),
                          np.ones(5, np.float32))
    past = range_calibration.last_months(hist, 12, np.array([0, 0]), np.array([7, 8]))
    assert past[0].tolist() == [9, 0, 0, 0, 0, 1, 20, 0, 0, 0, 0, 2]   # clipped to 20
    assert past[1].tolist() == [0] * 12   # a pair without history: 0 and 0
    lo, hi = ranges.naive_range(past)
    assert lo.tolist() == [0.0, 0.0] and hi[0] == pytest.approx(np.quantile(past[0], 0.9))


@pytest.fixture(scope="module")
def predicted(small_bundle):
    p = Predictor.load(small_bundle)
    return p, p.predict(p.item_ids)


def test_every_forecast_has_an_ordered_range_and_the_total_its_own(predicted):
    p, results = predicted
    assert p.card["ranges"]["pairs"]["held_out"]["rows"] > 0
    widths = []
    for r in results:
        f = np.array([v for _, v in r["shops"]])
        lo, hi = np.array(r["p10"]), np.array(r["p90"])
        assert len(lo) == len(hi) == len(f)
        assert (0 <= lo).all() and (lo <= f).all() and (f <= hi).all()
        assert 0 <= r["total_p10"] <= r["total"] <= r["total_p90"]
        widths.append((r["total_p10"], r["total_p90"], lo.sum(), hi.sum()))
    own_lo, own_hi, _, sum_hi = np.array(widths).T
    # the total's bounds are its own quantiles: a sum of the shops' P90 (many of them the
    # forecast itself: a pair that rarely sells) would be far below what the total reaches
    assert np.mean(np.abs(own_hi - sum_hi) > 0.01) > 0.9
    assert np.mean(own_hi > sum_hi) > 0.5 and (own_lo >= 0).all()


def test_the_model_card_reports_the_held_out_tails(predicted):
    from salesapp.ui.model_card import card_text
    p, _ = predicted
    text = card_text(p.card, p.version)
    held = p.card["ranges"]["pairs"]["held_out"]
    first = held["bins"][0]
    assert "Ranges P10-P90 on backtest months their tables did not see" in text
    assert f"{first['rows']:>8,}{first['above_p90']:>8.1%}" in text
    assert f"per shop {held['pinball']:.3f}, naive range {held['pinball_naive']:.3f}" in text
    assert max(map(len, text.splitlines()[-12:])) <= 95, "narrow enough for the About box"


def test_tails_on_the_forecast_month_against_what_was_drawn(predicted, small_bundle):
    p, _ = predicted
    data = small_bundle.parent / "data"
    test = pd.read_csv(data / "test.csv")
    y = pd.read_csv(data / "oracle.csv").set_index("ID").loc[test["ID"], "realised"].to_numpy()
    f, lo, hi = p.predict_pairs_with_ranges(test)
    assert (0 <= lo).all() and (lo <= f).all() and (f <= hi).all()
    assert np.mean(y > hi) <= 0.12 and np.mean(y < lo) <= 0.12
    past = range_calibration.last_months(_history(small_bundle), p.forecast_block,
                                         test["shop_id"].to_numpy(), test["item_id"].to_numpy())
    assert ranges.pinball(lo, hi, y) < ranges.pinball(*ranges.naive_range(past), y)


def _history(bundle_dir):
    from salesapp.model.bundle import load_history
    return load_history(bundle_dir / "history.npz")


def test_a_bundle_without_ranges_still_forecasts(tmp_path, small_bundle):
    from salesapp.model.bundle import write_manifest
    old = shutil.copytree(small_bundle, tmp_path / "old")
    card = json.loads((old / "card.json").read_text(encoding="utf-8"))
    del card["ranges"]
    (old / "card.json").write_text(json.dumps(card), encoding="utf-8")
    write_manifest(old)
    p = Predictor.load(old)
    r = p.predict(p.item_ids[:2])[0]
    assert r["status"] == "ok" and "p10" not in r and "total_p90" not in r
    assert p.predict_pairs_with_ranges(pd.DataFrame({"shop_id": [p.shop_ids[0]],
                                                     "item_id": [p.item_ids[0]]}))[1] is None


def test_a_bundle_with_nonsense_ranges_is_refused_in_one_sentence(tmp_path, small_bundle):
    from salesapp.model.bundle import write_manifest
    bad = shutil.copytree(small_bundle, tmp_path / "bad")
    card = json.loads((bad / "card.json").read_text(encoding="utf-8"))
    card["ranges"]["total"]["edges"] = [0, 5, 2]
    (bad / "card.json").write_text(json.dumps(card), encoding="utf-8")
    write_manifest(bad)
    with pytest.raises(BundleError, match=r"card.json: ranges.total: edges must be increasing"):
        Predictor.load(bad)
