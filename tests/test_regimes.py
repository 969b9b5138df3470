"""The generator's regimes: each shows its dynamics in the written files, each has a true oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesapp.cli import main
from salesapp.model.regimes import REGIMES, regime
from salesapp.model.synthetic import generate, oracle_expected
from salesapp.model.synthetic_process import (
    FORECAST_BLOCK,
    TEST_CAP,
    expected_clipped,
    make_process,
    sample_counts,
)

SCALE = 0.02
FILES = ("sales_train.csv.gz", "items.csv", "test.csv", "oracle.csv")


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    """Every regime at scale 0.02, seed 0: its monthly sums per (month, shop, item)."""
    out = {}
    for name in REGIMES:
        d = tmp_path_factory.mktemp(name)
        generate(d, SCALE, 0, name)
        sales = pd.read_csv(d / "sales_train.csv.gz")
        items = pd.read_csv(d / "items.csv")
        monthly = sales.groupby(["date_block_num", "shop_id", "item_id"], as_index=False).agg(
            cnt=("item_cnt_day", "sum"), price=("item_price", "median"))
        monthly["cat"] = items.set_index("item_id")["item_category_id"].reindex(
            monthly["item_id"]).to_numpy()
        out[name] = {"dir": d, "monthly": monthly, "oracle": pd.read_csv(d / "oracle.csv")}
    return out


def _units(world) -> pd.Series:
    return world["monthly"].groupby("date_block_num")["cnt"].sum()


def _dispersion(world) -> float:
    """Squared error of the forecast month's counts around their true mean, over that mean
    (1 for Poisson; 1 + mean / shape for the negative binomial), for pairs of mean 0.3-3."""
    o = world["oracle"]
    near = o[o["expected"].between(0.3, 3.0)]
    return float(((near["realised"] - near["expected"]) ** 2).mean() / near["expected"].mean())


def _december_lift(world) -> float:
    u = _units(world)
    return float((u[11] + u[23]) / (u[10] + u[22]))


def _september_lift(world) -> float:
    u = _units(world)
    return float((u[8] + u[20] + u[32]) / (u[11] + u[23]))


def _second_year_share(world) -> float:
    """Share of an item's units sold after its first 3 months on sale: long life cycles keep it."""
    m = world["monthly"]
    first = m.groupby("item_id")["date_block_num"].transform("min")
    late = m["date_block_num"] - first >= 3
    return float(m.loc[late, "cnt"].sum() / m["cnt"].sum())


def _cut_price_lift(world) -> float:
    """Units in a month sold below 85 % of the item's usual price, over other months."""
    m = world["monthly"]
    usual = m.groupby("item_id")["price"].transform("median")
    cut = m["price"] < 0.8 * usual
    return float(cut.mean())


def _shops_changing(world) -> int:
    """Shops whose first or last month with sales is inside the history (not 0 or 33)."""
    m = world["monthly"]
    span = m.groupby("shop_id")["date_block_num"].agg(["min", "max"])
    return int(((span["min"] > 0) | (span["max"] < 33)).sum())


def _growth(world) -> float:
    u = _units(world)
    return float(u[22:34].sum() / u[0:12].sum())


def _affinity_spread(world) -> float:
    """Spread over shops of a category's share of the shop's units (big categories only)."""
    m = world["monthly"]
    share = m.groupby(["shop_id", "cat"])["cnt"].sum() / m.groupby("shop_id")["cnt"].sum()
    table = share.unstack(fill_value=0.0)
    big = table.mean().nlargest(10).index
    return float((table[big].std() / table[big].mean()).mean())


# regime -> (statistic, True if it must be larger than the default's, else smaller)
SHOWS = {
    "overdispersed": (_dispersion, True),
    "seasonal_weak": (_december_lift, False),
    "seasonal_strong": (_december_lift, True),
    "peak_september": (_september_lift, True),
    "short_life": (_second_year_share, False),
    "long_life": (_second_year_share, True),
    "promotions": (_cut_price_lift, True),
    "shop_churn": (_shops_changing, True),
    "trend_up": (_growth, True),
    "trend_down": (_growth, False),
    "affinity": (_affinity_spread, True),
}


def test_every_regime_but_the_default_is_checked_here():
    assert set(SHOWS) == set(REGIMES) - {"default"}
    assert len(SHOWS) >= 6


@pytest.mark.parametrize("name", sorted(SHOWS))
def test_each_regime_shows_its_dynamics_in_the_sales_file(worlds, name):
    stat, larger = SHOWS[name]
    here, default = stat(worlds[name]), stat(worlds["default"])
    assert (here > 1.15 * default) if larger else (here < default / 1.15), (here, default)


def test_regimes_are_deterministic_and_default_is_the_plain_generator(tmp_path, worlds):
    generate(tmp_path / "plain", SCALE, 0)
    generate(tmp_path / "again", SCALE, 0, "promotions")
    for f in FILES:
        assert (tmp_path / "plain" / f).read_bytes() == (worlds["default"]["dir"] / f).read_bytes()
        assert (tmp_path / "again" / f).read_bytes() == (worlds["promotions"]["dir"] / f).read_bytes()
    assert ((worlds["promotions"]["dir"] / "sales_train.csv.gz").read_bytes()
            != (worlds["default"]["dir"] / "sales_train.csv.gz").read_bytes())


@pytest.mark.parametrize("name", sorted(REGIMES))
def test_each_oracle_beats_the_naive_forecasts_of_its_own_data(worlds, name):
    """The oracle's expected value is closer to the realised counts than a zero forecast."""
    o = worlds[name]["oracle"]
    assert o["expected"].between(0, TEST_CAP).all()
    oracle = np.sqrt(((o["expected"] - o["realised"]) ** 2).mean())
    zero = np.sqrt((o["realised"] ** 2).mean())
    assert oracle < 0.95 * zero


@pytest.mark.parametrize("name", ["promotions", "overdispersed", "affinity", "shop_churn"])
def test_oracle_is_the_mean_of_many_draws_of_the_forecast_month(name):
    """E[clip(Y)] of the oracle against Monte Carlo over what the history leaves open: the
    count's noise and, with promotions, whether one runs in the forecast month."""
    proc = make_process(np.random.default_rng(4), SCALE, regime(name))
    shops = np.flatnonzero(proc.shop_rate(FORECAST_BLOCK) > 0)
    rate = proc.item_rate(FORECAST_BLOCK)
    items = np.flatnonzero((proc.item_launch < FORECAST_BLOCK) & (rate > 0))
    items = items[np.argsort(rate[items])[-60:]]   # the busiest: counts near the clip
    shop_col, item_col = np.repeat(shops, items.size), np.tile(items, shops.size)
    mean = proc.expected(FORECAST_BLOCK, shop_col, item_col)
    exact = oracle_expected(proc, mean, item_col)
    rng = np.random.default_rng(9)
    draws = 4000
    if proc.promo is not None:
        lift = proc.promo_lift[item_col]
        plain = mean / np.where(proc.promo[FORECAST_BLOCK, item_col], lift, 1.0)
        on = rng.random((draws, mean.size)) < proc.promo_chance(FORECAST_BLOCK, item_col)
        means = np.where(on, plain * lift, plain)
        assert not np.allclose(exact, expected_clipped(mean, shape=proc.regime.nb_shape))
    else:
        means = np.broadcast_to(mean, (draws, mean.size))
    drawn = np.clip(sample_counts(rng, means, proc.regime.nb_shape), 0, TEST_CAP).mean(axis=0)
    busy = exact > 1.0
    assert busy.sum() > 50
    # the mean of 4,000 draws is within a few standard errors of the exact value
    assert np.abs(drawn[busy] - exact[busy]).mean() < 0.05 * exact[busy].mean()
    assert abs(drawn[busy].mean() - exact[busy].mean()) < 0.01 * exact[busy].mean()


def test_cli_names_an_unknown_regime_in_one_sentence(tmp_path, capsys):
    assert main(["generate-data", str(tmp_path / "x"), "--regime", "monsoon"]) == 2
    err = capsys.readouterr().err
    assert "--regime 'monsoon' is not a regime" in err and "promotions" in err
    assert "Traceback" not in err and not (tmp_path / "x").exists()


def test_cli_lists_the_regimes_and_writes_one(tmp_path, capsys):
    assert main(["generate-data", str(tmp_path / "x"), "--regime", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == list(REGIMES)
    assert main(["generate-data", str(tmp_path / "y"), "--scale", "0.01",
                 "--regime", "trend_down"]) == 0
    assert "(regime trend_down)" in capsys.readouterr().out
    assert (tmp_path / "y" / "oracle.csv").is_file()


def test_the_suite_ablation_groups_cover_every_feature_once(worlds):
    """bench_robustness drops features by group: each model feature is in exactly one."""
    from benchmarks.bench_robustness import GROUPS, group_columns
    from salesapp.model.dataset import load_dataset
    from salesapp.model.features import FeatureContext, build_features, monthly_history
    from salesapp.model.training import item_categories

    data = load_dataset(worlds["default"]["dir"])
    hist = monthly_history(data.sales)
    names = list(build_features(FeatureContext(hist, item_categories(data.items)),
                                np.array([34]), np.array([2]), np.array([0])).columns)
    per_group = [group_columns(names, [g]) for g in GROUPS]
    assert sorted(c for cols in per_group for c in cols) == sorted(names)
    assert all(per_group)
