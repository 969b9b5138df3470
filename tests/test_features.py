"""Features on a tiny hand-built history: every lag lands on the right month, nothing leaks."""

import numpy as np
import pandas as pd

from salesapp.model.features import FeatureContext, build_features, monthly_history, training_grid


def _history():
    # pair (shop 1, item 10) sells month m -> 100 + m (clipped to 20 in features), so
    # unclipped values are identifiable; pair (2, 11) sells small distinct counts.
    months = [0, 1, 2, 3, 6, 9, 10, 11, 12]
    rows = [(m, 1, 10, 5.0, float(m + 1)) for m in months]
    rows += [(2, 2, 11, 3.0, 4.0), (3, 2, 11, 3.0, 5.0)]
    sales = pd.DataFrame(rows, columns=["date_block_num", "shop_id", "item_id", "item_price",
                                        "item_cnt_day"])
    return monthly_history(sales), pd.Series([0, 0, 1], index=[10, 11, 12])


def _features(month, shop, item):
    hist, cats = _history()
    ctx = FeatureContext(hist, cats)
    return build_features(ctx, np.array([month]), np.array([shop]), np.array([item])).iloc[0]


def test_each_lag_lands_on_its_month():
    f = _features(12, 1, 10)
    # the pair sold m + 1 units in each listed month, 0 in the others
    assert f["pair_lag1"] == 12.0     # month 11
    assert f["pair_lag2"] == 11.0     # month 10
    assert f["pair_lag3"] == 10.0     # month 9
    assert f["pair_lag6"] == 7.0      # month 6
    assert f["pair_lag12"] == 1.0     # month 0
    assert f["pair_months_since_sale"] == 1
    assert f["item_age"] == 12 and f["pair_age"] == 12
    # one shop sells: its weight is 1 and the pair's rate estimate is the item's units per shop
    assert f["item_rate_lag1"] == 12.0 and f["shop_weight"] == 1.0 and f["pair_hat1"] == 12.0


def test_target_month_does_not_leak():
    # month 12 sold 13 units; changing it must not change month 12's own features
    hist, cats = _history()
    before = build_features(FeatureContext(hist, cats), np.array([12]), np.array([1]),
                            np.array([10]))
    hist.cnt[hist.month == 12] = 0.0
    after = build_features(FeatureContext(hist, cats), np.array([12]), np.array([1]),
                           np.array([10]))
    pd.testing.assert_frame_equal(before, after)


def test_months_without_sales_are_zero_and_gap_counted():
    f = _features(9, 1, 10)
    assert f["pair_lag1"] == 0.0 and f["pair_lag2"] == 0.0 and f["pair_lag3"] == 7.0
    assert f["pair_months_since_sale"] == 3
    # the item sold before: a month without sales is a rate of 0, not unknown
    assert f["item_rate_lag1"] == 0.0 and f["item_rate_mean3"] == 7.0 / 3


def test_rates_are_not_clipped():
    hist, cats = _history()
    hist.cnt[(hist.month == 11) & (hist.item == 10)] = 50.0
    f = build_features(FeatureContext(hist, cats), np.array([12]), np.array([1]),
                       np.array([10])).iloc[0]
    assert f["pair_lag1"] == 20.0 and f["item_rate_lag1"] == 50.0


def test_new_item_has_no_history_features():
    f = _features(13, 1, 12)
    assert f["item_age"] == 0
    assert np.isnan(f["item_lag1"]) and np.isnan(f["item_rate_lag1"]) and f["pair_lag1"] == 0.0
    assert f["pair_months_since_sale"] == -1


def test_grid_is_shops_times_items_of_the_month_with_clipped_target():
    hist, _ = _history()
    grid = training_grid(hist, range(2, 4))
    month2 = grid[grid.month == 2]
    assert set(zip(month2.shop, month2.item)) == {(1, 10), (1, 11), (2, 10), (2, 11)}
    assert month2.set_index(["shop", "item"]).target.to_dict() == {
        (1, 10): 3.0, (1, 11): 0.0, (2, 10): 0.0, (2, 11): 4.0}
    assert grid.target.max() <= 20


def _random_history(seed=3, months=20, shops=7, items=60):
    rng = np.random.default_rng(seed)
    rows = [(m, s, i, float(10 + i % 5 + m), float(rng.integers(-1, 30)))
            for m in range(months) for s in range(shops) for i in range(items)
            if rng.random() < 0.15 + 0.5 * (i % 3 == 0)]
    sales = pd.DataFrame(rows, columns=["date_block_num", "shop_id", "item_id", "item_price",
                                        "item_cnt_day"])
    # ids with gaps (the dense tables use compact codes) and a category for each item
    sales["item_id"] = sales["item_id"] * 7 + 3
    cats = pd.Series(np.arange(items) % 5 + 10, index=np.arange(items) * 7 + 3)
    return monthly_history(sales), cats


def test_dense_tables_match_a_brute_force_reading_of_the_history():
    hist, cats = _random_history()
    ctx = FeatureContext(hist, cats)
    rng = np.random.default_rng(0)
    n = 200   # rows of mixed months, including unknown shops and items
    month = rng.integers(0, 22, n)
    shop = rng.integers(0, 9, n)
    item = rng.integers(0, 64, n) * 7 + 3
    f = build_features(ctx, month, shop, item)
    df = pd.DataFrame({"m": hist.month, "s": hist.shop, "i": hist.item,
                       "y": np.clip(hist.cnt, 0, 20)})
    for k in range(n):
        m, s, i = int(month[k]), int(shop[k]), int(item[k])
        pair = df[(df.s == s) & (df.i == i)]
        lag1 = pair[pair.m == m - 1].y
        assert f["pair_lag1"][k] == (lag1.iloc[0] if len(lag1) else 0.0)
        before = pair[pair.m < m].m
        assert f["pair_months_since_sale"][k] == (m - before.max() if len(before) else -1)
        item_prev = df[(df.i == i) & (df.m == m - 1)]
        open_shops = df[df.m == m - 1].s.nunique()
        want = item_prev.y.sum() / open_shops if len(item_prev) else np.nan
        assert np.isclose(f["item_lag1"][k], want, equal_nan=True)
        first = df[df.i == i].m.min()
        assert f["item_age"][k] == (m - first if first < m else 0)


def test_history_rows_in_any_order_give_the_same_features():
    hist, cats = _random_history(seed=5)
    order = np.random.default_rng(1).permutation(len(hist.month))
    shuffled = type(hist)(*(getattr(hist, f)[order] for f in ("month", "shop", "item", "cnt",
                                                              "price")))
    rows = (np.full(30, 19), np.arange(30) % 7, (np.arange(30) % 60) * 7 + 3)
    pd.testing.assert_frame_equal(build_features(FeatureContext(hist, cats), *rows),
                                  build_features(FeatureContext(shuffled, cats), *rows))


def test_histories_longer_than_64_months_count_months_since_sale():
    # the training-only search packs (pair, month) into one integer: months past 63 must fit
    rows = [(m, 1, 10, 5.0, 1.0) for m in (0, 40, 70, 90)] + [(95, 2, 11, 5.0, 1.0)]
    sales = pd.DataFrame(rows, columns=["date_block_num", "shop_id", "item_id", "item_price",
                                        "item_cnt_day"])
    ctx = FeatureContext(monthly_history(sales), pd.Series([0, 0], index=[10, 11]))
    f = build_features(ctx, np.array([71, 80, 41]), np.array([1, 1, 1]), np.array([10, 10, 10]))
    assert f["pair_months_since_sale"].tolist() == [1, 10, 1]
