"""Forecast versus actual on generated data: a model trained without the last month, scored on it.

The expected numbers are computed with plain pandas group-bys over the loader's rows
(conftest.expected_accuracy, not salesapp.model.forecast_accuracy); only the model's own
forecast comes from `Predictor`.
"""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from salesapp.model import bundle
from salesapp.model.accuracy_words import summary_sentences
from salesapp.model.forecast_accuracy import compare, month_sales_from_folder
from salesapp.model.predictor import Predictor
from salesapp.ui.months import month_label


@pytest.fixture(scope="module")
def scored(month_model, month_expected):
    bundle_dir, full, _, month = month_model
    predictor = Predictor.load(bundle_dir)
    sales = month_sales_from_folder(full, month, bundle.shop_aliases(bundle_dir))
    return compare(predictor, sales), month_expected


def _metrics(frame, name):
    err = frame[name] - frame["actual"]
    return {"rmse": np.sqrt((err ** 2).mean()), "mae": err.abs().mean(), "bias": err.mean()}


def test_overall_metrics_of_the_model_and_every_baseline_match_pandas(scored):
    report, expected = scored
    assert len(report.pairs) == len(expected) > 0
    assert expected["actual"].sum() > 0
    for name in ("model", "last_month", "mean_last3", "seasonal_naive", "zero"):
        want = _metrics(expected, name)
        for metric, value in want.items():
            assert report.overall[name][metric] == pytest.approx(value, rel=1e-6, abs=1e-9), \
                (name, metric)


def test_per_shop_metrics_match_pandas(scored):
    report, expected = scored
    err = expected.assign(e=expected["model"] - expected["actual"])
    want = err.groupby("shop_id").agg(mae=("e", lambda e: e.abs().mean()),
                                      rmse=("e", lambda e: np.sqrt((e ** 2).mean())),
                                      bias=("e", "mean"), actual=("actual", "sum"))
    got = report.by_shop.set_index("shop_id")
    assert list(got.index) == list(want.index)
    for metric in ("mae", "rmse", "bias"):
        np.testing.assert_allclose(got[f"model_{metric}"], want[metric], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got["actual_units"], want["actual"])


def test_the_exception_list_puts_the_items_missed_most_first(scored):
    report, expected = scored
    missed = ((expected["model"] - expected["actual"]).abs().groupby(expected["item_id"]).sum()
              .sort_values(ascending=False, kind="stable"))
    top = report.exceptions.head(10)
    np.testing.assert_allclose(top["missed_units"], missed.head(10).to_numpy(), rtol=1e-6)
    assert top["item_id"].iloc[0] == missed.index[0]
    assert top["item_name"].iloc[0]   # named for staff
    assert (np.diff(report.exceptions["missed_units"]) <= 1e-12).all()


def test_the_summary_says_how_high_or_low_and_against_last_month_in_words(scored):
    report, expected = scored
    share = expected["model"].sum() / expected["actual"].sum() - 1
    gain = 1 - _metrics(expected, "model")["rmse"] / _metrics(expected, "last_month")["rmse"]
    words = summary_sentences(report, month_label)
    high = "high" if share > 0 else "low"
    assert f"were {abs(share) * 100:.0f} % {high} on average" in words[0]
    assert month_label(report.month) in words[0]
    verb = f"The model beat last month's sales by {gain * 100:.0f} %" if gain > 0 else \
        f"Last month's sales beat the model by {(1 / (1 - gain) - 1) * 100:.0f} %"
    assert words[1].startswith(verb)


def test_a_month_the_data_does_not_hold_is_refused_naming_it(month_model):
    from salesapp.errors import InputError
    _, _, past, month = month_model
    with pytest.raises(InputError, match=f"no sales in {month_label(month)}, the month the model "
                       "forecast"):
        month_sales_from_folder(past, month, {}, month_label)


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "salesapp", "accuracy", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120, check=False)


def test_the_command_writes_pairs_and_a_summary_and_prints_one_line(month_model, scored, tmp_path):
    bundle_dir, full, _, _ = month_model
    report, expected = scored
    run = _cli("--model", bundle_dir, "--data", full, "--out", tmp_path / "acc.csv", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.strip().splitlines()) == 1
    assert "on average" in run.stdout and "last month's sales" in run.stdout
    pairs = pd.read_csv(tmp_path / "acc.csv")
    assert len(pairs) == len(expected)
    assert set(pairs["model_version"]) == {report.model_version}
    summary = pd.read_csv(tmp_path / "acc-summary.csv")
    overall = summary[summary["scope"] == "overall"].iloc[0]
    assert overall["model_rmse"] == pytest.approx(_metrics(expected, "model")["rmse"], abs=1e-3)
    assert overall["last_month_bias"] == pytest.approx(_metrics(expected, "last_month")["bias"],
                                                       abs=1e-3)
    assert (summary["scope"] == "shop").sum() == expected["shop_id"].nunique()


def test_the_command_refuses_data_without_the_month_in_one_sentence(month_model, tmp_path):
    bundle_dir, _, past, month = month_model
    run = _cli("--model", bundle_dir, "--data", past, "--out", tmp_path / "acc.csv", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert month_label(month) in run.stderr
    assert not (tmp_path / "acc.csv").exists()


def test_the_command_names_file_line_and_column_of_a_bad_sales_row(month_model, tmp_path,
                                                                   data_with_bad_cell):
    bundle_dir, _, past, _ = month_model
    bad = data_with_bad_cell(past, 4, 2, "x")   # shop_id
    run = _cli("--model", bundle_dir, "--data", bad, "--out", tmp_path / "acc.csv", cwd=tmp_path)
    assert run.returncode == 2
    assert "sales_train.csv, line 4, column 'shop_id'" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def _salesapp(*args, home, cwd):
    import os
    env = {**os.environ, "SALESAPP_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "salesapp", *map(str, args)], env=env,
                          capture_output=True, text=True, cwd=cwd, timeout=180, check=False)


def test_without_data_or_model_it_scores_the_kept_model_of_the_month_held(month_model, scored,
                                                                           tmp_path):
    bundle_dir, full, _, month = month_model
    report, expected = scored
    home = tmp_path / "home"
    for step in (("data", "import", full), ("models", "add", bundle_dir)):
        run = _salesapp(*step, home=home, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
    run = _salesapp("accuracy", "--out", tmp_path / "acc.csv", home=home, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert f"Forecasts for {month_label(month)} were" in run.stdout
    summary = pd.read_csv(tmp_path / "acc-summary.csv")
    overall = summary[summary["scope"] == "overall"].iloc[0]
    assert overall["model_version"] == report.model_version   # not the active (bundled) one
    assert overall["model_rmse"] == pytest.approx(_metrics(expected, "model")["rmse"], abs=1e-3)
    assert overall["pairs"] == len(expected)


def test_a_held_history_without_the_month_is_refused_naming_it(month_model, tmp_path):
    bundle_dir, _, past, month = month_model
    home = tmp_path / "home"
    assert _salesapp("data", "import", past, home=home, cwd=tmp_path).returncode == 0
    run = _salesapp("accuracy", "--model", bundle_dir, "--out", tmp_path / "acc.csv", home=home,
                    cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith("salesapp: the sales history the desk holds has no sales in "
                                 f"{month_label(month)}, the month the model forecast")
    assert run.stderr.count("\n") == 1
