"""Predictor results: known, cold-start and unknown ids; pairs; the predict command."""

import json

import numpy as np
import pandas as pd
import pytest

from salesapp.cli import main
from salesapp.model.dataset import load_dataset
from salesapp.model.predictor import Predictor


def _cold_and_warm(bundle):
    data = load_dataset(bundle.parent / "data")
    sold = set(data.sales["item_id"])
    items = data.items["item_id"]
    cold = [int(i) for i in items if i not in sold]
    warm = [int(i) for i in items if i in sold]
    return cold, warm


RESULT_FIELDS = {"item_id", "status", "error", "item_name", "category_id", "category_name",
                 "cold_start", "total", "shops", "forecast_block", "model_version"}
RANGE_FIELDS = {"p10", "p90", "total_p10", "total_p90"}   # a forecast's, not an unknown id's
AHEAD_FIELDS = {"ahead"}   # a bundle with horizons: the months after the next (test_horizons)


def test_results_follow_the_architecture_shape(small_bundle):
    p = Predictor.load(small_bundle)
    cold, warm = _cold_and_warm(small_bundle)
    results = p.predict([warm[0], cold[0], 999999])
    assert [r["item_id"] for r in results] == [warm[0], cold[0], 999999]
    ok, new, bad = results
    assert ok["status"] == "ok" and not ok["cold_start"] and p.history(warm[0])
    assert [s for s, _ in ok["shops"]] == p.shop_ids
    assert abs(ok["total"] - sum(f for _, f in ok["shops"])) < 1e-3
    assert all(0 <= f <= 20 for _, f in ok["shops"])
    assert new["status"] == "ok" and new["cold_start"] and p.history(cold[0]) == []
    assert new["total"] > 0, "cold start must come from category signals, not silent zeros"
    assert bad["status"] == "error" and "999999" in bad["error"]
    assert json.loads(json.dumps(results)) == results, "plain dicts and lists only"
    assert [set(r) for r in results] == \
        [RESULT_FIELDS | RANGE_FIELDS | AHEAD_FIELDS] * 2 + [RESULT_FIELDS], \
        "no history: the bundle has it"
    assert all(r["model_version"] == p.version for r in results)
    assert p.history(999999) == []


def test_predict_pairs_matches_the_per_shop_results(small_bundle):
    p = Predictor.load(small_bundle)
    _, warm = _cold_and_warm(small_bundle)
    test = pd.DataFrame({"ID": [0, 1], "shop_id": [p.shop_ids[0], p.shop_ids[-1]],
                         "item_id": [warm[1], warm[1]]})
    shops = dict(p.predict([warm[1]])[0]["shops"])   # rounded to 3 decimals
    np.testing.assert_allclose(p.predict_pairs(test),
                               [shops[p.shop_ids[0]], shops[p.shop_ids[-1]]], atol=5e-4)


def test_predict_command_long_and_pairs(tmp_path, small_bundle):
    _, warm = _cold_and_warm(small_bundle)
    out = tmp_path / "f.csv"
    assert main(["predict", "--model", str(small_bundle), "--items", f"{warm[0]},{warm[1]}",
                 "--out", str(out)]) == 0
    df = pd.read_csv(out, dtype={"shop_id": str})
    assert set(df.item_id) == {warm[0], warm[1]}
    # no "total" row among the shops: the forecast column sums to the items' totals
    assert df.shop_id.str.isdigit().all()
    totals = {r["item_id"]: r["total"] for r in Predictor.load(small_bundle).predict(warm[:2])}
    assert df.groupby("item_id").forecast.sum().to_dict() == pytest.approx(totals, abs=0.01)
    assert ((0 <= df.p10) & (df.p10 <= df.forecast) & (df.forecast <= df.p90)).all()
    wide = tmp_path / "w.csv"
    assert main(["predict", "--model", str(small_bundle), "--items", f"{warm[0]},{warm[1]}",
                 "--layout", "wide", "--out", str(wide)]) == 0
    w = pd.read_csv(wide).set_index("item_id")
    ranges = {r["item_id"]: (r["total_p10"], r["total_p90"])
              for r in Predictor.load(small_bundle).predict(warm[:2])}
    assert {i: (w.total_p10[i], w.total_p90[i]) for i in warm[:2]} == ranges, "the total's own"
    sub = tmp_path / "s.csv"
    assert main(["predict", "--model", str(small_bundle), "--pairs",
                 str(small_bundle.parent / "data" / "test.csv"), "--out", str(sub)]) == 0
    s = pd.read_csv(sub)
    # the competition's two columns first, so scripts reading those keep working
    assert list(s.columns) == ["ID", "item_cnt_month", "p10", "p90"]
    assert s.item_cnt_month.between(0, 20).all()
    assert ((0 <= s.p10) & (s.p10 <= s.item_cnt_month + 5e-4)
            & (s.item_cnt_month <= s.p90 + 5e-4)).all()


def test_predict_pairs_bad_file_is_one_sentence(tmp_path, small_bundle, capsys):
    # Regression: --pairs used a bare pandas read, so a bad cell was a raw traceback.
    bad = tmp_path / "pairs.csv"
    bad.write_text("ID,shop_id,item_id\n0,2,30\n1,two,31\n", encoding="utf-8")
    code = main(["predict", "--model", str(small_bundle), "--pairs", str(bad),
                 "--out", str(tmp_path / "s.csv")])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert "pairs.csv" in err and "line 3" in err and "shop_id" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "s.csv").exists()


def test_predictor_imports_lightgbm_without_sklearn_yet_sklearn_stays_importable():
    # Every entry point (window, self-test, predict, work) reaches LightGBM through the Predictor.
    import subprocess
    import sys

    code = ("import sys\n"
            "import salesapp.model.predictor as p\n"
            "assert 'lightgbm' in sys.modules and 'sklearn' not in sys.modules\n"
            "assert p.lgb.Booster\n"
            "import sklearn\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "ok", out.stderr


def test_lightgbm_import_after_sklearn_is_a_plain_import():
    import sys

    import sklearn  # noqa: F401

    from salesapp.model.lightgbm_import import import_lightgbm

    assert import_lightgbm() is sys.modules["lightgbm"]


def test_batch_results_match_one_by_one_and_history_matches_the_state(small_bundle):
    p = Predictor.load(small_bundle)
    cold, warm = _cold_and_warm(small_bundle)
    ids = warm[:5] + cold[:2] + [999999] + warm[:1]
    batch = p.predict(ids)
    assert batch[:-1] == [p.predict([i])[0] for i in ids[:-1]]
    assert batch[-1] == batch[0] and batch[-1] is not batch[0]   # a repeat is its own dict
    i, m, y = p._ctx.item_month_arrays()
    im = pd.DataFrame({"i": i, "m": m, "y": y})
    for r in batch[:5]:
        rows = im[im["i"] == r["item_id"]].sort_values("m")
        assert p.history(r["item_id"]) == [(int(m), round(float(y), 3))
                                           for m, y in zip(rows["m"], rows["y"])]
        assert all(round(f, 3) == f for _, f in r["shops"])
        assert r["total"] == round(sum(f for _, f in r["shops"]), 3)


def test_prediction_path_never_imports_pandas(small_bundle):
    # pandas is ~0.4 s of every start-up; the Predictor hands LightGBM numpy arrays only
    import subprocess
    import sys
    code = ("import sys\n"
            "from salesapp.model.predictor import Predictor\n"
            f"p = Predictor.load({str(small_bundle)!r})\n"
            "r = p.predict([int(p.item_ids[0]), 999999])\n"
            "assert r[0]['status'] == 'ok' and r[1]['status'] == 'error', r\n"
            "print('pandas' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
