"""The committed default data set in data/ is exactly what the generator makes from its recipe."""

from __future__ import annotations

from salesapp.model.synthetic import generate
from salesapp.paths import default_data_dir

FILES = ("sales_train.csv.gz", "items.csv", "item_categories.csv", "shops.csv", "test.csv",
         "oracle.csv")


def test_default_data_is_what_its_recipe_generates(tmp_path):
    generate(tmp_path, scale=0.05, seed=0)   # the recipe in data/README.md
    committed = default_data_dir()
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), name
