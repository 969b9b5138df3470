"""The rolling-origin backtest: no origin's model sees its month or later; figures recomputed
here from the raw sales, not from the model's features."""

import numpy as np
import pandas as pd
import pytest
from conftest import _write_tiny_data

from salesapp.model.backtest_report import backtest_text
from salesapp.model.dataset import load_dataset
from salesapp.model.features import monthly_history
from salesapp.model.training import train_history

MONTHS = 15


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    data = _write_tiny_data(tmp_path_factory.mktemp("bt") / "d", seed=2, months=MONTHS)
    sales = load_dataset(data).sales
    items = load_dataset(data).items
    _, info = train_history(monthly_history(sales), items, seed=0, threads=1)
    return sales, items, info["backtest"]


def _rmse(pred, truth):
    p, t = np.clip(pred, 0, 20), np.clip(truth, 0, 20)
    return float(np.sqrt(np.mean((p - t) ** 2)))


def test_three_origins_each_fit_only_on_earlier_months(tiny):
    _, _, bt = tiny
    last = MONTHS - 1
    assert [o["month"] for o in bt["origins"]] == [last - 2, last - 1, last]
    for o in bt["origins"]:
        lo, hi = o["train_months"]
        assert hi == o["month"] - 1 and lo >= 1


def test_baselines_and_segments_recomputed_from_the_raw_sales(tiny):
    sales, _, bt = tiny
    monthly = sales.groupby(["date_block_num", "shop_id", "item_id"])["item_cnt_day"].sum()
    monthly = monthly.clip(0, 20)
    for o in bt["origins"]:
        m = o["month"]
        now = monthly.loc[m]
        shops = now.index.get_level_values(0).unique()
        items = now.index.get_level_values(1).unique()
        grid = pd.MultiIndex.from_product([shops, items])
        truth = now.reindex(grid, fill_value=0).to_numpy()

        def lag(k, m=m, grid=grid):
            return (monthly.loc[m - k].reindex(grid, fill_value=0).to_numpy()
                    if m - k in monthly.index.get_level_values(0) else np.zeros(len(grid)))

        assert o["rows"] == len(grid)
        assert o["zero"] == pytest.approx(_rmse(0 * truth, truth), rel=1e-6)
        assert o["last_month"] == pytest.approx(_rmse(lag(1), truth), rel=1e-6)
        assert o["mean_last3"] == pytest.approx(_rmse((lag(1) + lag(2) + lag(3)) / 3, truth),
                                                rel=1e-5)
        # seasonal naive: 12 months back; the tiny data has months 0..14
        assert o["seasonal_naive"] == pytest.approx(_rmse(lag(12), truth), rel=1e-6)
        before = sales[sales.date_block_num < m]
        pair_seen = grid.isin(pd.MultiIndex.from_frame(before[["shop_id", "item_id"]]))
        item_seen = grid.get_level_values(1).isin(before.item_id)
        seg = o["segments"]
        assert seg["pairs_with_history"]["rows"] == pair_seen.sum()
        assert seg["new_to_shop"]["rows"] == (item_seen & ~pair_seen).sum()
        assert seg["new_to_chain"]["rows"] == (~item_seen).sum()
        assert seg["new_to_chain"]["rows"] > 0 and seg["new_to_shop"]["rows"] > 0
        sel = ~item_seen
        assert seg["new_to_chain"]["zero"] == pytest.approx(_rmse(0 * truth[sel], truth[sel]))
    means = bt["mean"]
    for key in ("model", "zero", "last_month", "mean_last3", "seasonal_naive"):
        assert means[key] == pytest.approx(np.mean([o[key] for o in bt["origins"]]))
    assert means["model"] < min(means["zero"], means["last_month"], means["mean_last3"])


def test_changing_a_month_changes_no_earlier_origin(tiny):
    """Triple the sales of the last month: the earlier origins' figures stay bit for bit, and the
    last origin's rounds (chosen without it) stay; its own RMSE changes as its truth does."""
    sales, items, bt = tiny
    last = MONTHS - 1
    changed = sales.copy()
    at = changed.date_block_num == last
    changed.loc[at, "item_cnt_day"] = changed.loc[at, "item_cnt_day"] * 3
    _, info = train_history(monthly_history(changed), items, seed=0, threads=1)
    again = info["backtest"]["origins"]
    assert again[:2] == bt["origins"][:2]
    assert again[2]["rounds"] == bt["origins"][2]["rounds"]
    assert again[2]["model"] != bt["origins"][2]["model"]


def test_backtest_text_lists_every_origin_mean_and_segment(tiny):
    text = backtest_text(tiny[2])
    for word in ("month 12", "month 13", "month 14", "mean", "last month", "seasonal",
                 "pairs with history", "items new to a shop", "items new to the chain"):
        assert word in text
