"""A bundle whose manifest matches but whose model.txt crashes LightGBM is refused in one sentence
(its trial runs in a child process), and the verdict is remembered per manifest."""

import json
import re
import shutil
import subprocess
import sys

import pytest
from engine_cli import cli_env, run_cli

from salesapp.commands.gui_commands import PROBE_ENV
from salesapp.errors import BundleError
from salesapp.model import bundle_check
from salesapp.model.bundle import write_manifest
from salesapp.model.predictor import Predictor

# Out-of-range indexes that make LightGBM read far outside its arrays (SIGSEGV). A smaller one may
# read garbage and loop instead: the trial's timeout covers that.
CRASHING = [("left_child", "2000000000"), ("split_feature", "2000000000")]


@pytest.fixture(autouse=True)
def own_verdicts(tmp_path, monkeypatch):
    """This file's tests see only their own remembered verdicts."""
    monkeypatch.setenv(bundle_check.CACHE_ENV, str(tmp_path / "verdicts"))


def malformed_bundle(small_bundle, out, key="left_child", value="2000000000", name="model.txt"):
    """A copy of the bundle whose first tree's first `key` is out of range (in its model file
    `name`), manifest re-written.

    `tree_sizes` goes too: with it LightGBM refuses a tree whose length changed before reading it.
    """
    d = shutil.copytree(small_bundle, out)
    text = (d / name).read_text(encoding="utf-8")
    text = re.sub(r"^tree_sizes=.*\n", "", text, count=1, flags=re.MULTILINE)
    text, n = re.subn(rf"^{key}=\S+", f"{key}={value}", text, count=1, flags=re.MULTILINE)
    assert n == 1
    (d / name).write_text(text, encoding="utf-8")
    write_manifest(d)
    return d


@pytest.mark.parametrize("key,value", CRASHING)
def test_a_model_that_crashes_lightgbm_really_does_so_in_process(tmp_path, small_bundle, key,
                                                                 value):
    """The premise: without the trial the crafted bundle takes the process down."""
    bad = malformed_bundle(small_bundle, tmp_path / "bad", key, value)
    code = ("import sys; from salesapp.model.predictor import Predictor; "
            "from salesapp.model import bundle; d = sys.argv[1]; "
            "p = Predictor(d, bundle.verify(d)); p.predict(list(p.item_ids))")
    run = subprocess.run([sys.executable, "-c", code, str(bad)], env=cli_env(), cwd=tmp_path,
                         capture_output=True, timeout=120, check=False)
    assert run.returncode < 0, run.stderr[-500:]


@pytest.mark.parametrize("key,value", CRASHING)
def test_predict_and_work_refuse_a_crashing_model_in_one_sentence(tmp_path, small_bundle, key,
                                                                  value):
    bad = malformed_bundle(small_bundle, tmp_path / "bad", key, value)
    predict = run_cli("predict", "--model", bad, "--items", "1-5", "--out", tmp_path / "o.csv")
    assert predict.returncode == 2, predict.stderr[-800:]
    lines = predict.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"salesapp: model bundle {bad} was refused")
    assert "SIGSEGV" in lines[0] and "Traceback" not in predict.stderr
    assert not (tmp_path / "o.csv").exists()

    store = tmp_path / "store"
    assert run_cli("submit", "--store", store, "--model", bad, "--items", "1-5").returncode == 0
    work = run_cli("work", "--store", store, "--model", bad)
    assert work.returncode == 2, work.stderr[-800:]
    assert work.stderr.strip().splitlines() == lines   # remembered: the same sentence at once
    assert not list(tmp_path.glob("core*"))


def test_a_crashing_model_of_a_later_month_is_refused_too(tmp_path, small_bundle):
    """model_h3.txt is tried as model.txt is: the trial forecasts every month."""
    bad = malformed_bundle(small_bundle, tmp_path / "bad", name="model_h3.txt")
    with pytest.raises(BundleError, match="crashed") as exc:
        Predictor.load(bad)
    assert "\n" not in str(exc.value)


def test_the_window_shows_the_refusal_and_stays_up(tmp_path, small_bundle):
    """The window's engine load reports the refused bundle instead of crashing at every start."""
    bad = malformed_bundle(small_bundle, tmp_path / "bad")
    store = tmp_path / "store"
    assert run_cli("submit", "--store", store, "--model", bad, "--items", "1-5").returncode == 0
    run = subprocess.run([sys.executable, "-m", "salesapp", "--store", str(store), "--model",
                          str(bad)], env=cli_env(**{PROBE_ENV: "1"}), capture_output=True,
                         text=True, timeout=120, check=False, cwd=tmp_path)
    assert "model FAILED" in run.stdout, (run.returncode, run.stdout, run.stderr[-800:])
    assert run.returncode == 1   # the probe's verdict, not a signal


def test_a_verdict_is_remembered_per_manifest(tmp_path, small_bundle, monkeypatch):
    good = shutil.copytree(small_bundle, tmp_path / "good")
    Predictor.load(good)
    (kept,) = bundle_check.cache_root().glob("*.json")
    assert json.loads(kept.read_text()) == {"verdict": "ok"}

    # From now on every trial crashes: a remembered bundle never runs one, a new manifest does.
    monkeypatch.setattr(bundle_check, "child_command",
                        lambda d: [sys.executable, "-c", "import os; os.abort()"])
    assert Predictor.load(good).predict([1])[0]["item_id"] == 1
    other = shutil.copytree(small_bundle, tmp_path / "other")
    with open(other / "card.json", "a", encoding="utf-8") as f:
        f.write("\n")
    write_manifest(other)
    with pytest.raises(BundleError, match=r"^model bundle .*other was refused: .*SIGABRT"):
        Predictor.load(other)
    assert len(list(bundle_check.cache_root().glob("*.json"))) == 2


def test_a_trial_killed_from_outside_is_not_remembered(tmp_path, small_bundle, monkeypatch):
    monkeypatch.setattr(bundle_check, "child_command",
                        lambda d: [sys.executable, "-c",
                                   "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    with pytest.raises(BundleError, match="SIGKILL"):
        Predictor.load(small_bundle)
    assert not list(bundle_check.cache_root().glob("*.json"))


def test_the_frozen_app_runs_its_trial_through_itself(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert bundle_check.child_command(tmp_path) == [sys.executable, "_check-bundle", str(tmp_path)]


def test_a_lightgbm_without_a_version_still_keys_its_verdicts(tmp_path, small_bundle, monkeypatch):
    """The frozen app's LightGBM has no __version__ (its VERSION.txt is not bundled)."""
    import lightgbm

    monkeypatch.delattr(lightgbm, "__version__")
    assert len(bundle_check.verdict_key(small_bundle)) == 32
    assert bundle_check._lightgbm_identity(lightgbm).startswith("lib ")


def test_a_trial_that_never_ends_is_refused_for_good_at_the_second_timeout(tmp_path, small_bundle,
                                                                           monkeypatch):
    """One timeout may be a busy machine (said, tried again next start); the same files timing
    out again are a model that loops: refused from then on at once, without a trial."""
    d = shutil.copytree(small_bundle, tmp_path / "looping")
    trials = []

    def never_ending(directory):
        trials.append(directory)
        return [sys.executable, "-c", "import time; time.sleep(60)"]

    monkeypatch.setattr(bundle_check, "child_command", never_ending)
    monkeypatch.setattr(bundle_check, "BUNDLE_CHECK_SECONDS", 0.5)
    with pytest.raises(BundleError, match="tried again at the next start"):
        bundle_check.ensure_safe(d)
    with pytest.raises(BundleError, match="did not finish within 0 s at 2 tries"):
        bundle_check.ensure_safe(d)
    assert len(trials) == bundle_check.TIMEOUTS_TO_REFUSE
    with pytest.raises(BundleError, match="at 2 tries, so its model.txt does not end"):
        bundle_check.ensure_safe(d)
    assert len(trials) == bundle_check.TIMEOUTS_TO_REFUSE   # remembered: no third trial
