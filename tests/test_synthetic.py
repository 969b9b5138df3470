"""The synthetic data generator: determinism, calibration to the real statistics, the oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from salesapp.cli import main
from salesapp.model import cleaning
from salesapp.model.synthetic import generate
from salesapp.model.synthetic_process import (
    NB_SHAPE,
    POPULARITY_MU,
    POPULARITY_SIGMA,
    expected_clipped,
    expected_clipped_unknown_popularity,
    sample_counts,
)

FILES = ("sales_train.csv.gz", "items.csv", "item_categories.csv", "shops.csv", "test.csv",
         "oracle.csv")
SCALE = 0.05


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One data set at scale 0.05, read back with plain pandas, plus its monthly grid."""
    out = tmp_path_factory.mktemp("synthetic")
    info = generate(out, SCALE, 0)
    sales = pd.read_csv(out / "sales_train.csv.gz")
    monthly = sales.groupby(["date_block_num", "shop_id", "item_id"],
                            as_index=False)["item_cnt_day"].sum()
    return {"dir": out, "info": info, "sales": sales, "monthly": monthly,
            "shops": pd.read_csv(out / "shops.csv"), "items": pd.read_csv(out / "items.csv"),
            "categories": pd.read_csv(out / "item_categories.csv"),
            "test": pd.read_csv(out / "test.csv"), "oracle": pd.read_csv(out / "oracle.csv")}


def _bytes(directory):
    return {name: (directory / name).read_bytes() for name in FILES}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        generate(tmp_path / name, 0.01, seed)
    first = _bytes(tmp_path / "a")
    assert first == _bytes(tmp_path / "b")
    other = _bytes(tmp_path / "c")
    assert first["sales_train.csv.gz"] != other["sales_train.csv.gz"]
    assert first["oracle.csv"] != other["oracle.csv"]


def test_fixed_dimensions_and_names(world):
    sales = world["sales"]
    assert len(world["shops"]) == 60 and len(world["categories"]) == 84
    assert len(world["items"]) == round(22_170 * SCALE)
    assert sorted(sales["date_block_num"].unique()) == list(range(34))  # month 34 is not history
    assert sales["shop_id"].nunique() == 60
    names = " ".join(world["shops"]["shop_name"]) + " ".join(world["items"]["item_name"])
    assert '"' in names and "," in names and "Москва" in names
    assert "Игры - PS3" in set(world["categories"]["item_category_name"])


def test_zero_share_of_the_monthly_grid(world):
    """Grid = shops with sales that month x items with sales that month (as the real test)."""
    shares = [1 - len(g) / (g["shop_id"].nunique() * g["item_id"].nunique())
              for _, g in world["monthly"].groupby("date_block_num")]
    assert 0.80 <= np.mean(shares) <= 0.90


def test_daily_counts_returns_and_outliers(world):
    cnt, price = world["sales"]["item_cnt_day"], world["sales"]["item_price"]
    assert 1.1 <= cnt.mean() <= 1.4
    assert (cnt < 0).sum() > 50                # returns
    assert cnt.max() >= 2000 and price.max() >= 300_000 and price.min() < 0
    # Prices change over time: some items are sold at several prices.
    assert (world["sales"].groupby("item_id")["item_price"].nunique() > 1).mean() > 0.3


def test_december_peak_and_downward_trend(world):
    total = world["monthly"].query("item_cnt_day < 1000").groupby("date_block_num")[
        "item_cnt_day"].sum()
    for dec in (11, 23):
        assert total[dec] > 1.2 * max(total[dec - 1], total[dec + 1])
    assert total[0:6].mean() > 1.3 * total[27:33].mean()


def test_forecast_set_shape_and_new_items(world):
    test, sales = world["test"], world["sales"]
    assert test["shop_id"].nunique() == 42
    assert test["item_id"].nunique() == round(5_100 * SCALE)
    assert len(test) == 42 * round(5_100 * SCALE)
    assert list(test["ID"]) == list(range(len(test)))
    new = set(test["item_id"]) - set(sales["item_id"])
    assert len(new) >= round(363 * SCALE)
    assert set(test["shop_id"]) <= set(sales.query("date_block_num == 33")["shop_id"]) | {36}


def test_duplicate_shops_and_event_shops(world):
    months = cleaning.active_months(world["sales"])
    names = dict(zip(world["shops"]["shop_id"], world["shops"]["shop_name"]))
    for old, new in ((0, 57), (1, 58), (10, 11)):
        assert names[old] != names[new]
        assert cleaning.normalise_shop_name(names[old]) == cleaning.normalise_shop_name(names[new])
        assert months[old] and months[new] and not months[old] & months[new]
    assert cleaning.find_event_shops(world["sales"]) == [9, 20]


def test_oracle_beats_last_month(world):
    test, oracle, monthly = world["test"], world["oracle"], world["monthly"]
    assert list(oracle["ID"]) == list(test["ID"])
    assert oracle["expected"].between(0, 20).all() and oracle["realised"].between(0, 20).all()
    last = monthly.query("date_block_num == 33").set_index(["shop_id", "item_id"])["item_cnt_day"]
    naive = test.join(last, on=["shop_id", "item_id"])["item_cnt_day"].fillna(0).clip(0, 20)
    truth = oracle["realised"]
    rmse_oracle = np.sqrt(np.mean((oracle["expected"] - truth) ** 2))
    rmse_naive = np.sqrt(np.mean((naive - truth) ** 2))
    assert rmse_oracle < 0.9 * rmse_naive
    # Intermittent demand, but not all zeros: the oracle has something to forecast.
    assert 0.05 < truth.mean() < 1.0


def test_expected_clipped_matches_the_negative_binomial():
    mean = np.array([0.0, 0.01, 0.3, 1.0, 4.0, 15.0, 60.0])
    p = NB_SHAPE / (NB_SHAPE + mean)
    y = np.arange(20)[:, None]
    exact = (stats.nbinom.sf(y, NB_SHAPE, p[None, :])).sum(axis=0)  # sum_{y<20} P(Y > y)
    np.testing.assert_allclose(expected_clipped(mean), exact, rtol=1e-9, atol=1e-12)
    assert expected_clipped(np.array([500.0]))[0] == pytest.approx(20.0, abs=1e-3)


def test_sampler_and_oracle_agree():
    """The oracle's formula describes the very distribution the generator draws from."""
    mean = np.full(200_000, 6.0)
    drawn = np.clip(sample_counts(np.random.default_rng(5), mean), 0, 20)
    assert drawn.mean() == pytest.approx(expected_clipped(mean[:1])[0], rel=0.01)


def test_oracle_integrates_out_the_popularity_of_new_items():
    """Quadrature over the popularity prior equals a Monte Carlo draw of the same process."""
    rng = np.random.default_rng(1)
    popularity = rng.lognormal(POPULARITY_MU, POPULARITY_SIGMA, 200_000)
    for base in (0.5, 3.0, 30.0):
        drawn = np.clip(sample_counts(rng, base * popularity), 0, 20).mean()
        exact = expected_clipped_unknown_popularity(np.array([base]))[0]
        assert drawn == pytest.approx(exact, rel=0.02)


def test_generate_data_command(tmp_path, capsys):
    assert main(["generate-data", str(tmp_path / "out"), "--scale", "0.01", "--seed", "3"]) == 0
    assert all((tmp_path / "out" / name).is_file() for name in FILES)
    assert "sales rows" in capsys.readouterr().out
    assert main(["generate-data", str(tmp_path / "bad"), "--scale", "-1"]) == 2
    assert "--scale" in capsys.readouterr().err


def test_load_dataset_reads_the_output(world):
    from salesapp.model.dataset import load_dataset

    data = load_dataset(world["dir"])
    assert data.shop_aliases == {0: 57, 1: 58, 11: 10}
    assert data.event_shops == [9, 20]
    assert data.cleaning_report["outliers_dropped"] >= 2
    assert len(data.test) == len(world["test"])
