"""The shops a forecast covers: those that trade in the forecast month, under the ids the data
itself uses (checked on the bundled data/ and weights/)."""

import json

import pandas as pd

from salesapp.model import cleaning
from salesapp.model.dataset import load_dataset
from salesapp.model.predictor import Predictor
from salesapp.paths import default_data_dir, default_model_dir


def test_merged_duplicate_keeps_the_id_it_trades_under_now():
    shops = pd.DataFrame({"shop_name": ["Жуковский ул. Чкалова 39м?", "Жуковский ул. Чкалова 39м²",
                                        "Якутск ТЦ", "!Якутск ТЦ фран"],
                          "shop_id": [10, 11, 57, 0]})
    sales = pd.DataFrame({"date_block_num": [0, 1, 2, 3, 4, 0, 1, 5],
                          "shop_id": [10, 10, 11, 10, 10, 0, 0, 57]})
    assert cleaning.detect_shop_aliases(shops, sales) == {11: 10, 0: 57}


def test_open_shops_of_the_bundled_data_are_its_forecast_set():
    data = load_dataset(default_data_dir())
    assert data.shop_aliases == {0: 57, 1: 58, 11: 10}
    assert data.event_shops == [9, 20]
    open_shops = cleaning.open_shops(data.sales, data.event_shops)
    test = pd.read_csv(default_data_dir() / "test.csv")
    assert open_shops == sorted(int(s) for s in test["shop_id"].unique())
    assert len(open_shops) == 42 and 10 in open_shops
    assert not {9, 20, 11} & set(open_shops)


def test_default_bundle_forecasts_the_open_shops_under_the_datas_ids():
    weights = default_model_dir()
    state = json.loads((weights / "state.json").read_text(encoding="utf-8"))
    test = pd.read_csv(default_data_dir() / "test.csv")
    assert state["open_shops"] == sorted(int(s) for s in test["shop_id"].unique())
    assert state["shop_aliases"]["11"] == 10
    [result] = Predictor.load(weights).predict([int(test["item_id"].iloc[0])])
    shops = [s for s, _ in result["shops"]]
    assert 10 in shops and not {9, 20, 11} & set(shops) and len(shops) == 42
    assert result["total"] == sum(f for _, f in result["shops"]) or \
        abs(result["total"] - sum(f for _, f in result["shops"])) < 0.01 * len(shops)
