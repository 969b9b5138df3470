"""Horizons 1-3: a direct model per month ahead, in the bundle, the results and the store.

Real tiny bundles and real LightGBM (threads=1); the h=2 model is checked against one trained
alone, and its features against the training path's (frames, not the predictor's matrix)."""

import json
import shutil

import numpy as np
import pytest

from salesapp.cli import main
from salesapp.errors import BundleError
from salesapp.model import bundle
from salesapp.model.dataset import load_dataset
from salesapp.model.features import FeatureContext, build_features, monthly_history
from salesapp.model.horizons import RETARGETED, retarget
from salesapp.model.predictor import Predictor
from salesapp.model.training import item_categories, train_horizons
from salesapp.store.job_store import JobStore


@pytest.fixture(scope="module")
def h2_alone(small_bundle):
    """The h=2 model trained on its own from the small bundle's data, as the bundle's was."""
    data = load_dataset(small_bundle.parent / "data")
    boosters, info = train_horizons(monthly_history(data.sales), data.items, seed=0, threads=1,
                                    horizons=(2,))
    return boosters[2], info, data


def test_the_bundle_has_three_horizons_listed_in_its_manifest(small_bundle, small_predictor):
    manifest = json.loads((small_bundle / "manifest.json").read_text())
    assert {"model_h2.txt", "model_h3.txt"} <= set(manifest)
    assert small_predictor.horizons == (1, 2, 3)
    card = small_predictor.card
    for h in ("2", "3"):
        entry = card["horizons"][h]
        assert entry["rounds"] >= 1 and entry["backtest"]["origins"]
        assert entry["ranges"]["pairs"]["held_out"]["rows"] > 0


def test_h2_matches_the_model_trained_alone(small_bundle, small_predictor, h2_alone):
    booster, _, data = h2_alone
    assert booster.model_to_string() == (small_bundle / "model_h2.txt").read_text()
    # its forecasts from the training path's features: frames built at the origin, retargeted
    ctx = FeatureContext(bundle.load_history(small_bundle / "history.npz"),
                         item_categories(data.items))
    ids = [int(i) for i in small_predictor.item_ids[::7]]
    shops = small_predictor.shop_ids
    item = np.repeat(ids, len(shops))
    shop = np.tile(shops, len(ids))
    origin = np.full(len(item), small_predictor.forecast_block)
    feats = build_features(ctx, origin, shop, item)
    for name, values in retarget(ctx, feats, origin, item, 2).items():
        feats[name] = values
    alone = np.clip(booster.predict(feats.to_numpy(np.float32)), 0, 20)
    results = small_predictor.predict(ids)
    got = np.concatenate([r["ahead"][0]["forecasts"] for r in results])
    np.testing.assert_allclose(got, np.round(alone, 3), atol=1e-9)


def test_h2_backtest_learns_only_from_months_known_at_each_origin(h2_alone):
    _, info, _ = h2_alone
    for o in info["backtest"]["origins"]:
        assert o["train_months"][1] == o["month"] - 2   # the origin is month - 1: its past
    assert info["rounds_chosen_on"] == max(o["month"] for o in info["backtest"]["origins"])


def test_retarget_leaves_horizon_1_as_built_and_ages_move_with_the_target(small_bundle,
                                                                          small_predictor):
    names, X = small_predictor.forecast_features(
        np.array(small_predictor.item_ids[:50]), np.full(50, small_predictor.shop_ids[0]))
    cols = {n: X[:, names.index(n)] for n in names}
    month = np.full(50, small_predictor.forecast_block)
    same = retarget(small_predictor._ctx, cols, month, small_predictor.item_ids[:50], 1)
    assert set(same) == set(RETARGETED)
    for name, values in same.items():
        np.testing.assert_array_equal(np.asarray(values, np.float32), cols[name], err_msg=name)
    three = retarget(small_predictor._ctx, cols, month, small_predictor.item_ids[:50], 3)
    age = cols["item_age"]
    np.testing.assert_array_equal(three["item_age"], np.where(age > 0, age + 2, 0))


def test_every_month_adds_up_and_its_bounds_are_ordered(small_predictor):
    ids = [int(i) for i in small_predictor.item_ids[::3]]
    blocks = small_predictor.forecast_block + np.arange(3)
    for r in small_predictor.predict(ids):
        months = [{"forecast_block": r["forecast_block"], "total": r["total"],
                   "forecasts": [f for _, f in r["shops"]],
                   **{k: r[k] for k in ("p10", "p90", "total_p10", "total_p90")}}, *r["ahead"]]
        assert [m["forecast_block"] for m in months] == blocks.tolist()
        for m in months:
            f, lo, hi = (np.array(m[k]) for k in ("forecasts", "p10", "p90"))
            assert len(f) == len(small_predictor.shop_ids)
            assert round(f.sum(), 3) == pytest.approx(m["total"], abs=5e-4)
            assert (lo >= 0).all() and (lo <= f).all() and (f <= hi).all()
            assert 0 <= m["total_p10"] <= m["total"] <= m["total_p90"]


def test_an_unknown_item_has_no_months_ahead(small_predictor):
    (r,) = small_predictor.predict([9_999_999])
    assert r["status"] == "error" and "ahead" not in r


def test_pairs_forecast_per_horizon_as_predict_does(small_predictor):
    import pandas as pd
    item = int(small_predictor.item_ids[4])
    pairs = pd.DataFrame({"shop_id": small_predictor.shop_ids,
                          "item_id": [item] * len(small_predictor.shop_ids)})
    (r,) = small_predictor.predict([item])
    for h, month in ((2, r["ahead"][0]), (3, r["ahead"][1])):
        f, lo, _ = small_predictor.predict_pairs_with_ranges(pairs, horizon=h)
        np.testing.assert_allclose(np.round(f, 3), month["forecasts"], atol=1e-9)
        assert (np.minimum(np.round(lo, 3), np.round(f, 3)) == month["p10"]).all()
    with pytest.raises(ValueError, match="not 4"):
        small_predictor.predict_pairs_with_ranges(pairs, horizon=4)


def test_months_ahead_survive_submit_work_results(tmp_path, small_bundle, small_predictor,
                                                 capsys):
    store_dir = tmp_path / "s"
    ids = [int(i) for i in small_predictor.item_ids[:5]]
    assert main(["submit", "--store", str(store_dir), "--model", str(small_bundle),
                 "--items", ", ".join(map(str, ids))]) == 0
    assert main(["work", "--store", str(store_dir), "--model", str(small_bundle)]) == 0
    capsys.readouterr()
    store = JobStore.open(store_dir)
    try:
        stored = {r["item_id"]: r for r in store.results()}
    finally:
        store.close()
    for r in small_predictor.predict(ids):
        assert stored[r["item_id"]]["ahead"] == r["ahead"]


def test_a_damaged_month_is_dropped_on_read_and_the_rest_kept(tmp_path, small_predictor):
    item = int(small_predictor.item_ids[2])
    (good,) = small_predictor.predict([item])
    bad = json.loads(json.dumps(good))
    bad["ahead"][0]["forecasts"] = bad["ahead"][0]["forecasts"][:-1]   # a shop short
    bad["ahead"][1]["p90"][0] = -1.0   # a range out of order: the forecasts stay
    store = JobStore.open(tmp_path / "s")
    try:
        store.submit([item], small_predictor.version)
        store.lease("me", 1, 60)
        store.complete("me", {item: bad})
        (read,) = store.results()
    finally:
        store.close()
    assert [m["forecast_block"] for m in read["ahead"]] == [good["ahead"][1]["forecast_block"]]
    assert read["ahead"][0]["forecasts"] == good["ahead"][1]["forecasts"]
    assert "p90" not in read["ahead"][0] and read["p90"] == good["p90"]


@pytest.mark.parametrize("damage, said", [
    (lambda d: (d / "model_h2.txt").write_text("tree\n"), "does not match its SHA-256"),
    (lambda d: _relist(d, drop="model_h2.txt"), "lists model_h3.txt but not model_h2.txt"),
    (lambda d: _recard(d, lambda c: c["horizons"].pop("2")), "has no horizons.2"),
    (lambda d: _recard(d, lambda c: c["horizons"]["3"].update(ranges={})),
     "horizons.3 has no ranges"),
])
def test_a_bundle_with_a_bad_horizon_is_refused_in_one_sentence(tmp_path, small_bundle, damage,
                                                                said):
    d = tmp_path / "b"
    shutil.copytree(small_bundle, d)
    damage(d)
    with pytest.raises(BundleError, match=said) as exc:
        Predictor.load(d)
    assert "\n" not in str(exc.value)


def test_a_bundle_without_horizons_still_loads_and_forecasts_the_next_month(tmp_path,
                                                                            small_bundle):
    d = tmp_path / "b"
    shutil.copytree(small_bundle, d)
    for name in bundle.HORIZON_FILES:
        (d / name).unlink()
    _recard(d, lambda c: c.pop("horizons"))
    p = Predictor.load(d)
    (r,) = p.predict([int(p.item_ids[0])])
    assert p.horizons == (1,) and "ahead" not in r and r["status"] == "ok"


def _relist(d, drop):
    manifest = json.loads((d / "manifest.json").read_text())
    del manifest[drop]
    (d / "manifest.json").write_text(json.dumps(manifest))


def _recard(d, change):
    card = json.loads((d / "card.json").read_text())
    change(card)
    (d / "card.json").write_text(json.dumps(card))
    bundle.write_manifest(d)


def test_predict_horizon_3_writes_a_set_of_rows_per_month(tmp_path, small_bundle,
                                                          small_predictor):
    import csv
    ids = [int(i) for i in small_predictor.item_ids[:2]]
    out = tmp_path / "f.csv"
    assert main(["predict", "--model", str(small_bundle), "--items", ",".join(map(str, ids)),
                 "--horizon", "3", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    block = small_predictor.forecast_block
    months = [int(r["month"]) for r in rows]
    assert len(rows) == 3 * len(ids) * len(small_predictor.shop_ids)
    assert {m: months.count(m) for m in set(months)} == \
        dict.fromkeys((block, block + 1, block + 2), len(ids) * len(small_predictor.shop_ids))
    for r in small_predictor.predict(ids):
        for k, month in enumerate(r["ahead"], start=1):
            got = [float(x["forecast"]) for x in rows
                   if int(x["item_id"]) == r["item_id"] and int(x["month"]) == block + k]
            assert got == month["forecasts"]


def test_predict_pairs_horizon_3_keeps_the_submission_columns_first(tmp_path, small_bundle,
                                                                    small_predictor):
    import pandas as pd
    test = small_bundle.parent / "data" / "test.csv"
    out1, out3 = tmp_path / "one.csv", tmp_path / "three.csv"
    assert main(["predict", "--model", str(small_bundle), "--pairs", str(test),
                 "--out", str(out1)]) == 0
    assert main(["predict", "--model", str(small_bundle), "--pairs", str(test),
                 "--horizon", "3", "--out", str(out3)]) == 0
    one, three = pd.read_csv(out1), pd.read_csv(out3)
    assert list(one.columns) == ["ID", "item_cnt_month", "p10", "p90"]
    assert list(three.columns) == ["ID", "item_cnt_month", "p10", "p90", "month"]
    block = small_predictor.forecast_block
    assert three["month"].tolist() == sorted([block, block + 1, block + 2] * len(one))
    first = three[three["month"] == block].drop(columns="month").reset_index(drop=True)
    pd.testing.assert_frame_equal(first, one)
    pairs = pd.read_csv(test)
    f3, _, _ = small_predictor.predict_pairs_with_ranges(bundle.alias_pairs(pairs, small_bundle),
                                                         3)
    later = three[three["month"] == block + 2]
    np.testing.assert_allclose(later["item_cnt_month"], f3)
    assert (later["p10"] <= later["item_cnt_month"] + 1e-3).all()
    assert (later["item_cnt_month"] <= later["p90"] + 1e-3).all()


@pytest.mark.parametrize("value", ["4", "0", "two"])
def test_predict_refuses_a_horizon_outside_1_to_3(tmp_path, small_bundle, capsys, value):
    with pytest.raises(SystemExit) as exc:
        main(["predict", "--model", str(small_bundle), "--items", "1", "--horizon", value,
              "--out", str(tmp_path / "f.csv")])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--horizon" in err and f"not '{value}'" in err and "Traceback" not in err
    assert not (tmp_path / "f.csv").exists()


def test_predict_horizon_2_with_a_one_month_model_says_so(tmp_path, small_bundle, capsys):
    d = tmp_path / "b"
    shutil.copytree(small_bundle, d)
    for name in bundle.HORIZON_FILES:
        (d / name).unlink()
    _recard(d, lambda c: c.pop("horizons"))
    assert main(["predict", "--model", str(d), "--items", "1", "--horizon", "2",
                 "--out", str(tmp_path / "f.csv")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "forecasts the next month only" in line and "retrain" in line
    assert not (tmp_path / "f.csv").exists()
