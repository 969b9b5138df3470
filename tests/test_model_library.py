"""The model library: bundles kept by version, an atomic active pointer, the bundled model first,
tampered bundles refused and never active, damaged pointers and entries set aside in one sentence.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from salesapp import library
from salesapp.errors import BundleError
from salesapp.library import ModelLibrary, UnknownModelError
from salesapp.library.model_library import POINTER, SET_ASIDE
from salesapp.model import bundle
from salesapp.paths import default_model_dir


@pytest.fixture
def lib(tmp_path, small_bundle):
    """A library whose bundled model is the small bundle (a copy: tests may damage it)."""
    builtin = shutil.copytree(small_bundle, tmp_path / "builtin")
    return ModelLibrary(tmp_path / "models", builtin)


def tampered(src, out):
    """A copy of a bundle whose model.txt no longer matches its manifest."""
    d = shutil.copytree(src, out)
    with open(d / "model.txt", "a", encoding="utf-8") as f:
        f.write("\n")
    return d


def test_a_fresh_library_lists_the_bundled_model_first_and_active(lib, small_bundle):
    entries = lib.entries()
    assert [e.version for e in entries] == [bundle.verify(small_bundle)]
    first = entries[0]
    assert first.builtin and first.active and first.path == lib.builtin
    assert lib.active_dir() == lib.builtin
    assert not (lib.root / small_bundle.name).exists()   # listed, not copied
    card = json.loads((small_bundle / "card.json").read_text(encoding="utf-8"))
    assert first.forecast_block == card["forecast_block"]
    assert (first.first_block, first.last_block) == (card["forecast_block"] - card["months"],
                                                     card["forecast_block"] - 1)
    mean = card["backtest"]["mean"]
    assert first.backtest_model == pytest.approx(mean["model"])
    assert first.backtest_naive == pytest.approx(min(mean["last_month"], mean["mean_last3"]))
    assert first.backtest_ratio == pytest.approx(mean["model_vs_best_naive"])
    assert first.size_bytes == sum(p.stat().st_size for p in small_bundle.iterdir())


def test_the_user_library_starts_with_the_shipped_model():
    entries = library.entries()
    assert entries[0].builtin and entries[0].path == default_model_dir()
    assert library.active_dir() == default_model_dir()


def test_an_added_bundle_is_kept_by_version_and_becomes_active_only_when_activated(
        lib, second_bundle):
    version = lib.add(second_bundle)
    assert version == bundle.verify(second_bundle)
    kept = lib.root / version
    assert bundle.verify(kept) == version
    assert lib.active_dir() == lib.builtin
    assert [e.version for e in lib.entries()][1:] == [version]
    entry = lib.activate(version[:6])   # a unique prefix is enough
    assert entry.version == version and entry.active
    assert lib.active_dir() == kept
    assert (lib.root / POINTER).read_text(encoding="ascii").strip() == version
    assert [e.version for e in lib.entries() if e.active] == [version]
    assert lib.add(second_bundle) == version   # kept once
    assert len([p for p in lib.root.iterdir() if p.is_dir()]) == 1
    lib.activate(lib.entries()[0].version)    # back to the bundled model
    assert lib.active_dir() == lib.builtin


def test_add_keeps_the_created_time_of_the_bundle(lib, second_bundle):
    version = lib.add(second_bundle)
    entry = lib.find(version)
    assert abs(entry.created.timestamp() - (second_bundle / "manifest.json").stat().st_mtime) < 1


def test_a_tampered_bundle_is_refused_in_one_sentence_and_never_listed(lib, tmp_path,
                                                                       second_bundle):
    bad = tampered(second_bundle, tmp_path / "bad")
    with pytest.raises(BundleError) as info:
        lib.add(bad)
    message = str(info.value)
    assert "model.txt does not match its SHA-256" in message and "\n" not in message
    assert len(lib.entries()) == 1 and lib.active_dir() == lib.builtin
    assert not any(p.name.startswith(".incoming") for p in lib.root.glob("*"))


def test_an_incomplete_bundle_is_refused(lib, tmp_path, second_bundle):
    bad = shutil.copytree(second_bundle, tmp_path / "incomplete")
    (bad / "history.npz").unlink()
    with pytest.raises(BundleError, match="missing history.npz"):
        lib.add(bad)
    with pytest.raises(BundleError, match="not a folder"):
        lib.add(tmp_path / "nothing-here")
    assert len(lib.entries()) == 1


def test_a_model_that_crashes_lightgbm_is_refused_by_its_trial_run(lib, tmp_path,
                                                                  second_bundle, monkeypatch):
    from test_bundle_check import malformed_bundle

    monkeypatch.setenv("SALESAPP_BUNDLE_VERDICTS", str(tmp_path / "verdicts"))
    bad = malformed_bundle(second_bundle, tmp_path / "crashing")
    with pytest.raises(BundleError, match="was refused: LightGBM crashed"):
        lib.add(bad)
    assert len(lib.entries()) == 1


def test_a_kept_entry_tampered_afterwards_is_set_aside_on_activate_and_never_active(
        lib, second_bundle):
    version = lib.add(second_bundle)
    with open(lib.root / version / "model.txt", "a", encoding="utf-8") as f:
        f.write("\n")
    with pytest.raises(BundleError, match="does not match its SHA-256"):
        lib.activate(version)
    assert lib.active_dir() == lib.builtin
    assert not (lib.root / POINTER).exists()
    assert [e.version for e in lib.entries()] == [lib.entries()[0].version]
    aside = list((lib.root / SET_ASIDE).iterdir())
    assert len(aside) == 1 and aside[0].name.startswith(version)
    assert len(lib.notices) == 1 and "taken out of the library" in lib.notices[0]


def test_an_active_entry_damaged_later_falls_back_to_the_bundled_model(lib, second_bundle):
    version = lib.add(second_bundle)
    lib.activate(version)
    (lib.root / version / "history.npz").write_bytes(b"not numpy")
    assert lib.active_dir() == lib.root / version     # the cheap look hashes nothing
    assert lib.checked_active_dir() == lib.builtin
    assert lib.active_dir() == lib.builtin
    assert "history.npz does not match" in lib.notices[0]
    assert "the bundled model is active instead" in lib.notices[0]


def test_an_entry_with_a_swapped_card_is_set_aside_when_listed(lib, second_bundle):
    version = lib.add(second_bundle)
    (lib.root / version / "card.json").write_text("{}", encoding="utf-8")
    assert [e.builtin for e in lib.entries()] == [True]
    assert "card.json does not match its SHA-256" in lib.notices[0]
    assert not (lib.root / version).exists()


@pytest.mark.parametrize("content", [b"", b"not a version\n", b"\xff\xfe", b"0123456789ab\n"])
def test_a_damaged_pointer_is_set_aside_in_one_sentence(lib, second_bundle, content):
    lib.activate(lib.add(second_bundle))
    (lib.root / POINTER).write_bytes(content)
    assert lib.active_dir() == lib.builtin
    assert len(lib.notices) == 1 and "active-model pointer" in lib.notices[0]
    assert "the bundled model is active" in lib.notices[0]
    assert not (lib.root / POINTER).exists()
    assert [p.read_bytes() for p in (lib.root / SET_ASIDE).iterdir()] == [content]
    lib.notices.clear()
    assert lib.active_dir() == lib.builtin and not lib.notices   # said once


def test_unknown_and_ambiguous_versions_are_one_sentence(lib):
    with pytest.raises(UnknownModelError, match="no model 'ffff' in the library"):
        lib.activate("ffff")
    with pytest.raises(UnknownModelError, match="no model"):
        lib.activate("")


def test_a_staged_bundle_is_moved_in_and_a_refused_one_set_aside(lib, second_bundle):
    staged = lib.staging_dir()
    shutil.rmtree(staged)
    shutil.copytree(second_bundle, staged)
    version = lib.add(staged, move=True)
    assert not staged.exists() and bundle.verify(lib.root / version) == version
    bad = lib.staging_dir()
    shutil.rmtree(bad)
    tampered(second_bundle, bad)
    with pytest.raises(BundleError):
        lib.add(bad, move=True)
    assert not bad.exists() and len(list((lib.root / SET_ASIDE).iterdir())) == 1
    assert [e.version for e in lib.entries()][1:] == [version]


def test_the_pointer_is_replaced_atomically_under_a_killed_writer(lib, second_bundle):
    """A process killed while activating over and over leaves the old or the new pointer."""
    version = lib.add(second_bundle)
    builtin = lib.entries()[0].version
    code = ("import sys; from salesapp.library import ModelLibrary\n"
            f"lib = ModelLibrary({str(lib.root)!r}, {str(lib.builtin)!r})\n"
            "print('go', flush=True)\n"
            f"while True:\n    lib.activate({version!r}); lib.activate({builtin!r})\n")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             env={**os.environ})
    assert child.stdout.readline().strip() == "go"
    child.kill()
    child.wait()
    child.stdout.close()
    assert lib.active_version() in (version, builtin) and not lib.notices
