"""Reasons of a forecast: LightGBM's contributions, grouped, on the real bundled model."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

from salesapp.model.features import CLIP
from salesapp.model.lightgbm_import import import_lightgbm
from salesapp.model.reasons import (
    BUCKETS,
    Explainer,
    ItemReasons,
    bucket_of,
    decimals_for,
    group,
    objective_of,
    scale_of,
)
from salesapp.paths import default_model_dir

lgb = import_lightgbm()


@pytest.fixture(scope="module")
def predictor(bundled_predictor):
    return bundled_predictor


def sample_items(predictor, n=12):
    ids = predictor.item_ids
    return [int(i) for i in ids[:: max(1, len(ids) // n)][:n]]


def test_contributions_of_every_row_sum_to_the_raw_prediction(predictor):
    # LightGBM's guarantee, on the bundled model and the app's own feature rows, checked
    # against a Booster loaded separately from the bundle's model file
    booster = lgb.Booster(model_file=str(default_model_dir() / "model.txt"))
    items = np.repeat(sample_items(predictor, 30), len(predictor.shop_ids))
    shops = np.tile(predictor.shop_ids, 30)
    names, X = predictor.forecast_features(items, shops)
    raw = booster.predict(X, raw_score=True)
    contrib = booster.predict(X, pred_contrib=True)
    assert contrib.shape == (len(X), len(names) + 1)
    np.testing.assert_allclose(contrib.sum(axis=1), raw, rtol=1e-9, atol=1e-9)
    base, buckets = group(contrib, names)
    np.testing.assert_allclose(base + buckets.sum(axis=1), raw, rtol=1e-9, atol=1e-9)
    assert np.ptp(raw) > 1   # not a degenerate sample: forecasts differ widely


def test_explain_matches_the_predictor_for_every_shop_and_the_total(predictor):
    explainer = Explainer(predictor)
    assert explainer.scale == "units"   # the bundle is trained with L2: contributions in units
    ids = sample_items(predictor)
    results = predictor.predict(ids)
    for item, result in zip(ids, results):
        r = explainer.explain(item)
        assert r.shop_ids == tuple(predictor.shop_ids)
        np.testing.assert_allclose(r.base + r.values.sum(axis=1), r.raw, atol=1e-9)
        forecasts = dict(result["shops"])
        for shop in r.shop_ids:
            part = r.shop(shop)
            assert part["forecast"] == pytest.approx(forecasts[shop], abs=5e-4)
            assert part["base"] + sum(part["values"].values()) == pytest.approx(part["raw"])
        total = r.total()
        assert total["forecast"] == pytest.approx(result["total"], abs=0.05)
        assert (total["base"] + sum(total["values"].values()) + total["clipped"]
                == pytest.approx(total["forecast"]))
        assert total["clipped"] == pytest.approx(float(np.sum(np.clip(r.raw, 0, CLIP) - r.raw)))


def test_the_words_add_up_to_the_forecast(predictor):
    explainer = Explainer(predictor)
    ids = sample_items(predictor)
    busiest = max(ids, key=lambda i: predictor.predict([i])[0]["total"])
    r = explainer.explain(busiest)
    for shop, text in ((None, r.describe()), (r.shop_ids[0], r.describe(r.shop_ids[0], "Moscow"))):
        part = r.total() if shop is None else r.shop(shop)
        d = decimals_for(part["forecast"], part["base"])
        assert text.startswith(f"{part['forecast']:.{d}f} units in "
                               + ("all shops" if shop is None else "Moscow"))
        typical = float(re.search(r"would get (-?\d+\.\d+)", text).group(1))
        signed = [(1 if verb == "adds" else -1) * float(v)
                  for verb, v in re.findall(r"(adds|takes away) (\d+\.\d+)", text)]
        signed += [float(v) for v in re.findall(r"(?:smaller effects|units:) ([+-]\d+\.\d+)", text)]
        rounding = 0.6 * 10 ** -d * (len(signed) + 1)   # each figure rounded to d decimals
        assert typical + sum(signed) == pytest.approx(part["forecast"], abs=rounding)


def test_every_feature_of_the_bundled_model_has_a_named_bucket(predictor):
    names = lgb.Booster(model_str=predictor.model_text).feature_name()
    assert {bucket_of(n) for n in names} == set(BUCKETS)   # none OTHER, every bucket used
    assert bucket_of("pair_lag1") == "recent sales in this shop"
    assert bucket_of("price_vs_first") == "price change"
    assert bucket_of("new_item_hat") == "a new item"
    assert bucket_of("shop_weight") == "the shop"
    assert bucket_of("cat_season_step") == "category and season"
    assert bucket_of("item_rate_mean3") == "the item across all shops"


def test_an_unknown_feature_is_counted_in_other_and_bad_shapes_are_refused():
    contrib = np.array([[1.0, 2.0, 4.0, 0.5]])
    base, values = group(contrib, ["pair_lag1", "weather", "pair_lag2"])
    assert base.tolist() == [0.5] and values[0, BUCKETS.index("recent sales in this shop")] == 5.0
    assert values.shape == (1, len(BUCKETS) + 1) and values[0, -1] == 2.0
    with pytest.raises(ValueError, match=r"shape \(1, 4\), expected \(rows, 3\)"):
        group(contrib, ["pair_lag1", "pair_lag2"])


def test_a_log_link_model_gives_factors(predictor):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 3, (400, 2))
    y = rng.poisson(np.exp(0.5 * X[:, 0] - 0.2 * X[:, 1]))
    booster = lgb.train({"objective": "poisson", "verbose": -1, "num_leaves": 4},
                        lgb.Dataset(X, y, feature_name=["pair_lag1", "price_vs_cat"]), 20)
    assert scale_of(objective_of(booster.model_to_string())) == "log"
    contrib = booster.predict(X[:3], pred_contrib=True)
    base, values = group(contrib, booster.feature_name())
    r = ItemReasons(1, (10, 11, 12), BUCKETS, "log", base, values, base + values.sum(axis=1))
    np.testing.assert_allclose(r.forecast, booster.predict(X[:3]), rtol=1e-9)
    assert "×" in r.describe(10) and "factors" in r.describe(10)
    with pytest.raises(ValueError, match="objective is 'binary'"):
        scale_of("binary")


def test_explain_runs_beside_predictions_on_other_threads(predictor):
    explainer = Explainer(predictor)
    ids = sample_items(predictor, 6)
    alone = {i: explainer.explain(i).values for i in ids}
    errors, stop = [], threading.Event()

    def predict_forever():
        while not stop.is_set():
            predictor.predict(ids)

    threads = [threading.Thread(target=predict_forever) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            for i in ids:
                if not np.array_equal(explainer.explain(i).values, alone[i]):
                    errors.append(i)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []


def test_an_unknown_item_is_one_sentence(predictor):
    with pytest.raises(ValueError, match=r"^item 99999999 is not in items.csv$"):
        Explainer(predictor).explain(99999999)
