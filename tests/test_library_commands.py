"""`salesapp models list | activate | add`, and the commands using the active model when no
--model is given (the real CLI in child processes, the real small bundles)."""

import csv
import os
import re
import shutil
from pathlib import Path

from engine_cli import run_cli

from salesapp.model import bundle
from salesapp.paths import default_model_dir


def home() -> Path:
    return Path(os.environ["SALESAPP_HOME"])


def test_a_fresh_list_shows_the_bundled_model_active():
    run = run_cli("models", "list")
    assert run.returncode == 0, run.stderr
    header, row = run.stdout.splitlines()
    for column in ("version", "forecasts", "trained on", "backtest vs best naive", "size",
                   "created"):
        assert column in header
    version = bundle.verify(default_model_dir())
    card = bundle.read_json_object(default_model_dir() / "card.json")
    mean = card["backtest"]["mean"]
    cells = re.split(r"\s{2,}", row)
    assert cells[:4] == ["* " + version, "Nov 2015", "Jan 2013 – Oct 2015",
                         (f"RMSE {mean['model']:.3f} vs "
                         f"{min(mean['last_month'], mean['mean_last3']):.3f} "
                         f"({(1 - mean['model_vs_best_naive']) * 100:.0f} % better)")]
    assert row.endswith("(bundled)")


def test_add_activate_and_the_commands_use_the_active_model(tmp_path, small_bundle):
    version = bundle.verify(small_bundle)
    run = run_cli("models", "add", small_bundle)
    assert run.returncode == 0 and f"model {version} is in the library" in run.stderr
    listed = run_cli("models", "list").stdout.splitlines()
    assert [line[0] for line in listed[1:]] == ["*", " "]   # added, not yet active
    run = run_cli("models", "activate", version[:5])
    assert run.returncode == 0 and f"model {version} is active" in run.stderr
    assert run_cli("models", "list").stdout.splitlines()[2].startswith(f"* {version}")
    out = tmp_path / "f.csv"
    run = run_cli("predict", "--items", "1,2", "--out", out)
    assert run.returncode == 0, run.stderr
    store = tmp_path / "store"
    assert run_cli("submit", "--items", "1,2", "--store", store).returncode == 0
    assert run_cli("work", "--store", store).returncode == 0
    assert run_cli("results", "--out", out, "--store", store).returncode == 0
    from salesapp.store.job_store import JobStore
    with JobStore.open(store) as s:
        assert {j.model_version for j in s.jobs()} == {version}
    # --model still wins
    run = run_cli("submit", "--items", "3", "--store", store, "--model", default_model_dir())
    with JobStore.open(store) as s:
        assert {j.item_id: j.model_version for j in s.jobs()}[3] == \
            bundle.verify(default_model_dir())


def test_a_tampered_bundle_is_refused_in_one_sentence_and_not_listed(tmp_path, small_bundle):
    bad = shutil.copytree(small_bundle, tmp_path / "bad")
    (bad / "state.json").write_text('{"forecast_block": 5, "open_shops": [1]}', encoding="utf-8")
    run = run_cli("models", "add", "--activate", bad)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "state.json does not match its SHA-256" in run.stderr
    assert "Traceback" not in run.stderr
    assert len(run_cli("models", "list").stdout.splitlines()) == 2


def test_unknown_version_is_one_sentence():
    run = run_cli("models", "activate", "beef")
    assert run.returncode == 2 and run.stderr.startswith("salesapp: no model 'beef'")
    assert run.stderr.count("\n") == 1
    assert run.stderr.endswith(").\n")   # a sentence, ended as one


def test_a_damaged_pointer_is_said_once_and_the_bundled_model_used(tmp_path, small_bundle):
    assert run_cli("models", "add", "--activate", small_bundle).returncode == 0
    (home() / "models" / "active").write_bytes(b"\x00garbage")
    out = tmp_path / "f.csv"
    run = run_cli("predict", "--items", "1", "--out", out)
    assert run.returncode == 0
    assert "the active-model pointer" in run.stderr and "set aside" in run.stderr
    assert run.stderr.endswith("the bundled model is active.\n")
    with open(out, encoding="utf-8") as f:
        assert list(csv.DictReader(f))   # forecast by the bundled model
    again = run_cli("predict", "--items", "1", "--out", out)
    assert again.stderr == ""
