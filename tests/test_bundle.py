"""A tampered, truncated or incomplete bundle is refused with one clear sentence."""

import json
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
    # The loader merges shop 11 into 10 (one shop, two ids; 10 sold last); a pairs file may still
    # name shop 11, which must be forecast from the merged history, not as a shop that never
    # sold anything.
    import argparse

    import pandas as pd

    from salesapp.commands.model_commands import predict
    from salesapp.model.bundle import load_history, shop_aliases

    assert shop_aliases(small_bundle).get(11) == 10
    hist = load_history(small_bundle / "history.npz")
    item = int(hist.item[(hist.shop == 10) & (hist.month == hist.month.max())][0])
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


def _rewrite(bundle_dir, name, data: bytes):
    from salesapp.model.bundle import write_manifest

    (bundle_dir / name).write_bytes(data)
    write_manifest(bundle_dir)


def test_a_binary_manifest_is_refused_in_one_sentence(bundle_copy):
    (bundle_copy / "manifest.json").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(BundleError, match=r"manifest.json is not text \(byte 1 is not UTF-8\)"):
        Predictor.load(bundle_copy)


@pytest.mark.parametrize("text,message", [
    (b"[1, 2]", "is not a manifest"),
    (b'{"model.txt": 5}', "the SHA-256 of model.txt is not text"),
    (b"{" * 100_000, "nested too deeply|not valid JSON"),
])
def test_a_manifest_of_the_wrong_shape_is_refused(bundle_copy, text, message):
    (bundle_copy / "manifest.json").write_bytes(text)
    with pytest.raises(BundleError, match=message):
        Predictor.load(bundle_copy)


@pytest.mark.parametrize("value,message", [
    ("1e400", "forecast_block must be a whole number from 0 to 2147483647, not inf"),
    (str(10**20), "forecast_block must be a whole number .* not 100000000000000000000"),
    ("[34]", r"forecast_block must be a whole number .* not \[34\]"),
    ("true", "forecast_block must be a whole number"),
    (None, "has no forecast_block"),
])
def test_a_nonsense_forecast_block_is_refused_naming_state_json(bundle_copy, value, message):
    state = json.loads((bundle_copy / "state.json").read_text(encoding="utf-8"))
    text = json.dumps({k: v for k, v in state.items() if k != "forecast_block"})
    if value is not None:
        text = text[:-1] + f', "forecast_block": {value}}}'
    _rewrite(bundle_copy, "state.json", text.encode())
    with pytest.raises(BundleError, match=rf"state.json.*{message}"):
        Predictor.load(bundle_copy)


@pytest.mark.parametrize("shops,message", [
    ([0, -1], "open_shops item 2 must be a whole number"),
    ([2**40], "open_shops item 1 must be a whole number .* not 1099511627776"),
    ([3, 1, 3], "open_shops lists shop 3 more than once"),
    ([], "open_shops must be a non-empty list"),
    ("0,1", "open_shops must be a non-empty list"),
])
def test_nonsense_open_shops_are_refused(bundle_copy, shops, message):
    state = json.loads((bundle_copy / "state.json").read_text(encoding="utf-8"))
    state["open_shops"] = shops
    _rewrite(bundle_copy, "state.json", json.dumps(state).encode())
    with pytest.raises(BundleError, match=rf"state.json: {message}"):
        Predictor.load(bundle_copy)


def test_predict_says_a_bad_state_json_in_one_sentence(tmp_path, bundle_copy):
    from engine_cli import run_cli

    state = json.loads((bundle_copy / "state.json").read_text(encoding="utf-8"))
    state["forecast_block"] = 10**20
    _rewrite(bundle_copy, "state.json", json.dumps(state).encode())
    run = run_cli("predict", "--model", bundle_copy, "--items", "1", "--out", tmp_path / "o.csv")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        (f"salesapp: {bundle_copy / 'state.json'}: forecast_block must be a whole number from 0 "
         "to 2147483647, not 100000000000000000000.")]
