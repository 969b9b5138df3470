"""The bundle's CSV tables round-trip any name: one write rule (`write_table`) and one read rule
(`read_columns`). A bare CR in an item name used to make the bundle unloadable."""

import csv

import pandas as pd
from conftest import _write_tiny_data

from salesapp.model import bundle

NAMES = ["bare\rcr", "line\nfeed", "both\r\n", 'say "hi"', "a, b", "  spaced  ", "", "=1+2",
         "\r", "\ttab", "Игра «Ведьмак», 3\r"]


def test_write_table_and_read_columns_round_trip_any_name(tmp_path):
    path = tmp_path / "items.csv"
    table = pd.DataFrame({"item_name": NAMES, "item_id": range(len(NAMES)),
                          "item_category_id": [3] * len(NAMES)})
    bundle.write_table(path, table)
    got = bundle.read_columns(path, "item_id", "item_name", "item_category_id")
    assert got["item_name"] == NAMES
    assert got["item_id"] == [str(i) for i in range(len(NAMES))]
    assert got["item_category_id"] == ["3"] * len(NAMES)


def test_a_trained_bundle_loads_and_names_items_with_line_breaks(tmp_path):
    from salesapp.commands.model_commands import train_bundle
    from salesapp.model.predictor import Predictor

    data = tmp_path / "data"
    _write_tiny_data(data, items=30, months=8)
    items = pd.read_csv(data / "items.csv")
    kept = [n for n in NAMES if n.strip(" ") == n]   # the loader trims spaces: data cleaning
    items["item_name"] = [kept[i % len(kept)] + str(i) for i in range(len(items))]
    with open(data / "items.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([list(items.columns), *items.itertuples(index=False)])
    train_bundle(data, tmp_path / "bundle", seed=0, threads=1)
    predictor = Predictor.load(tmp_path / "bundle", num_threads=1)
    got = {r["item_id"]: r["item_name"] for r in predictor.predict(list(range(len(items))))}
    assert got == dict(zip(items["item_id"], items["item_name"]))
