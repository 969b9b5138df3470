"""A tampered, truncated or incomplete bundle is refused with one clear sentence."""

import shutil

import pytest

from salesapp.errors import BundleError
from salesapp.model.predictor import Predictor


@pytest.fixture
def bundle_copy(tmp_path, small_bundle):
    return shutil.copytree(small_bundle, tmp_path / "b")


def test_intact_bundle_loads_with_manifest_version(bundle_copy):
    p = Predictor.load(bundle_copy)
    assert len(p.version) == 12 and p.shop_ids


def test_tampered_file_is_refused(bundle_copy):
    with open(bundle_copy / "model.txt", "a") as f:
        f.write("\n")
    with pytest.raises(BundleError, match="model.txt does not match its SHA-256"):
        Predictor.load(bundle_copy)


def test_missing_file_is_refused(bundle_copy):
    (bundle_copy / "history.npz").unlink()
    with pytest.raises(BundleError, match="missing history.npz"):
        Predictor.load(bundle_copy)


def test_missing_manifest_is_refused(bundle_copy):
    (bundle_copy / "manifest.json").unlink()
    with pytest.raises(BundleError, match="not a model bundle"):
        Predictor.load(bundle_copy)



def test_pairs_naming_a_merged_shop_id_use_the_merged_history(tmp_path, small_bundle):
    # The loader merges shop 10 into 11 (one shop, two ids); test.csv may still name shop 10,
    # which must be forecast from the merged history, not as a shop that never sold anything.
    import argparse

    import pandas as pd

    from salesapp.commands.model_commands import predict
    from salesapp.model.bundle import load_history, shop_aliases

    assert shop_aliases(small_bundle).get(10) == 11
    hist = load_history(small_bundle / "history.npz")
    item = int(hist.item[(hist.shop == 11) & (hist.month == hist.month.max())][0])
    pairs = tmp_path / "test.csv"
    pd.DataFrame({"ID": [0, 1], "shop_id": [10, 11], "item_id": [item, item]}).to_csv(
        pairs, index=False)
    out = tmp_path / "submission.csv"
    predict(argparse.Namespace(model=str(small_bundle), pairs=str(pairs), out=str(out),
                               items=None, file=None))
    forecast = pd.read_csv(out)["item_cnt_month"].tolist()
    assert forecast[0] == forecast[1] > 0


def test_read_columns_skips_blank_lines(tmp_path):
    from salesapp.model.bundle import read_columns
    path = tmp_path / "t.csv"
    path.write_text('item_id,item_name\n1,"a, b"\n\n2,c\n', encoding="utf-8")
    assert read_columns(path, "item_name", "item_id") == {"item_name": ["a, b", "c"],
                                                          "item_id": ["1", "2"]}
