"""Each cleaning step on its own, on small frames shaped like the loaded sales."""

import numpy as np
import pandas as pd

from salesapp.model import cleaning


def sales_frame(rows):
    """rows: (block, shop, item, price, count)."""
    frame = pd.DataFrame(rows, columns=["date_block_num", "shop_id", "item_id", "item_price",
                                        "item_cnt_day"])
    return frame.astype({"date_block_num": np.int8, "shop_id": np.int8, "item_id": np.int32,
                         "item_price": np.float32, "item_cnt_day": np.float32})


def test_drop_outliers_removes_absurd_values_only():
    rng = np.random.default_rng(0)
    n = 20_000
    frame = sales_frame({"date_block_num": 0, "shop_id": 1, "item_id": 5,
                         "item_price": rng.lognormal(6, 1, n).round(),
                         "item_cnt_day": rng.integers(-1, 6, n)})
    frame.loc[10, "item_cnt_day"] = 2169
    frame.loc[20, "item_price"] = 307_980
    kept, dropped = cleaning.drop_outliers(frame)
    assert dropped == 2 and len(kept) == n - 2
    assert kept["item_cnt_day"].max() < 2169 and kept["item_price"].max() < 307_980
    assert (kept["item_cnt_day"] < 0).any()  # returns are kept


def test_drop_outliers_keeps_everything_when_nothing_is_absurd():
    frame = sales_frame([(0, 1, 5, 100.0 + i, 1.0 + i % 3) for i in range(500)])
    kept, dropped = cleaning.drop_outliers(frame)
    assert dropped == 0 and len(kept) == 500


def test_fix_negative_price_uses_shop_month_median_then_item_median():
    frame = sales_frame([
        (0, 1, 5, 100.0, 1), (0, 1, 5, 120.0, 1), (0, 1, 5, -1.0, 1),   # local median 110
        (1, 2, 5, -1.0, 1),                                            # item median 110
        (0, 1, 6, -1.0, 1),                                            # item never priced
    ])
    fixed, count = cleaning.fix_negative_prices(frame)
    assert count == 3
    assert fixed["item_price"].tolist() == [100.0, 120.0, 110.0, 110.0]


def test_normalised_shop_names_match_real_duplicates():
    norm = cleaning.normalise_shop_name
    assert norm("!Якутск Орджоникидзе, 56 фран") == norm("Якутск Орджоникидзе, 56")
    assert norm('!Якутск ТЦ "Центральный" фран') == norm('Якутск ТЦ "Центральный"')
    assert norm("Жуковский ул. Чкалова 39м?") == norm("Жуковский ул. Чкалова 39м²")
    assert norm("Москва ТЦ Мега") != norm("Москва ТЦ Европа")


def test_detect_aliases_needs_non_overlapping_months():
    shops = pd.DataFrame({"shop_name": ["!Якутск Орджоникидзе, 56 фран", "Якутск Орджоникидзе, 56",
                                        "Жуковский ул. Чкалова 39м?", "Жуковский ул. Чкалова 39м²"],
                          "shop_id": [0, 57, 10, 11]})
    frame = sales_frame([(0, 0, 1, 1.0, 1), (1, 0, 1, 1.0, 1), (2, 57, 1, 1.0, 1),
                         (0, 10, 1, 1.0, 1), (0, 11, 1, 1.0, 1)])  # 10 and 11 overlap in block 0
    assert cleaning.detect_shop_aliases(shops, frame) == {0: 57}


def test_apply_aliases_keeps_dtype():
    frame = sales_frame([(0, 0, 1, 1.0, 1), (1, 3, 1, 1.0, 1)])
    out = cleaning.apply_shop_aliases(frame, {0: 57})
    assert out["shop_id"].tolist() == [57, 3] and out["shop_id"].dtype == np.int8


def test_event_shops_are_isolated_months():
    rows = [(b, 2, 1, 1.0, 1) for b in range(12)]            # a normal shop
    rows += [(b, 9, 1, 1.0, 1) for b in (3, 9)]              # sale events
    rows += [(11, 36, 1, 1.0, 1)]                            # a shop that just opened
    rows += [(b, 40, 1, 1.0, 1) for b in (4, 5)]              # consecutive months: not an event
    assert cleaning.find_event_shops(sales_frame(rows)) == [9]


def test_fix_negative_price_falls_back_to_the_item_median_on_float64_prices():
    """Float64 prices, whose shop-month medians come back as a read-only view, are still repaired."""
    frame = sales_frame([(0, 1, 5, 100.0, 1), (1, 2, 5, -1.0, 1)]).astype({"item_price": np.float64})
    fixed, count = cleaning.fix_negative_prices(frame)
    assert count == 1
    assert fixed["item_price"].tolist() == [100.0, 100.0]
