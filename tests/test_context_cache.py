"""The per-user cache of the Predictor's feature context: exact, refuses code, rebuilt when bad."""

import json

import numpy as np
import pandas as pd
import pytest

from salesapp.model import bundle_check, context_cache, features
from salesapp.model.predictor import Predictor


@pytest.fixture(autouse=True)
def no_trial(monkeypatch):
    """The bundle's trial child builds and caches the context too: these tests watch the load's own."""
    monkeypatch.setattr(bundle_check, "ensure_safe", lambda directory: None)


def _feature_rows(p):
    items = np.array(sorted(p._names)[:50], dtype=np.int64)
    shops = np.resize(np.array(p.shop_ids, dtype=np.int64), len(items))
    return p._features(items, shops)


def _folders():
    root = context_cache.cache_root()
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def test_second_load_reads_the_cache_and_forecasts_identically(small_bundle, monkeypatch):
    built = Predictor.load(small_bundle)
    assert len(_folders()) == 1

    def no_build(*a, **k):
        raise AssertionError("the context should come from the cache")

    monkeypatch.setattr(features.FeatureContext, "__init__", no_build)
    cached = Predictor.load(small_bundle)
    pd.testing.assert_frame_equal(_feature_rows(built), _feature_rows(cached))
    ids = sorted(built._names)[:30] + [999999]
    assert cached.predict(ids) == built.predict(ids)
    for name, value in vars(built._ctx).items():
        assert type(getattr(cached._ctx, name)) is type(value), name


def test_an_unreadable_cache_is_rebuilt(small_bundle):
    reference = Predictor.load(small_bundle).predict([1, 2, 3])
    (folder,) = _folders()
    (folder / context_cache.LAYOUT).write_text("{not json", encoding="utf-8")
    assert Predictor.load(small_bundle).predict([1, 2, 3]) == reference
    (folder,) = _folders()
    json.loads((folder / context_cache.LAYOUT).read_text(encoding="utf-8"))   # rewritten


def test_a_layout_never_names_code_to_run(small_bundle):
    Predictor.load(small_bundle)
    (folder,) = _folders()
    layout = json.loads((folder / context_cache.LAYOUT).read_text(encoding="utf-8"))
    # the layout only ever names data kinds (array, series, frame, dict, scalar), never a class
    layout["attrs"]["item_cats"] = {"t": "object", "cls": "os.system", "args": ["true"]}
    (folder / context_cache.LAYOUT).write_text(json.dumps(layout), encoding="utf-8")
    with pytest.raises(ValueError):
        context_cache.read(folder)


def test_arrays_are_read_without_pickle(tmp_path):
    np.save(tmp_path / "a0.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    (tmp_path / context_cache.LAYOUT).write_text(json.dumps(
        {"format": context_cache.FORMAT, "attrs": {"x": {"t": "array", "a": 0}}}), encoding="utf-8")
    with pytest.raises(ValueError):
        context_cache.read(tmp_path)


def test_what_cannot_be_stored_exactly_is_not_cached(small_bundle, monkeypatch):
    real_init = features.FeatureContext.__init__

    def with_object_column(self, *a, **k):
        real_init(self, *a, **k)
        self.extra = pd.Series(["a", "b"])

    monkeypatch.setattr(features.FeatureContext, "__init__", with_object_column)
    p = Predictor.load(small_bundle)
    assert list(p._ctx.extra) == ["a", "b"] and _folders() == []


def test_key_follows_the_manifest(small_bundle, tmp_path):
    import shutil

    copy = tmp_path / "bundle"
    shutil.copytree(small_bundle, copy)
    key = context_cache.cache_key(copy)
    assert key == context_cache.cache_key(small_bundle)
    manifest = copy / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert context_cache.cache_key(copy) != key


def test_only_the_most_recent_contexts_are_kept(small_bundle):
    ctx = Predictor.load(small_bundle)._ctx
    root = context_cache.cache_root()
    for n in range(context_cache.KEEP + 2):
        context_cache.write(root / f"{n:032x}", ctx)
    assert len(_folders()) == context_cache.KEEP


def test_clean_up_removes_only_cache_folders(small_bundle, tmp_path):
    # a cache root that holds other folders (a mistake, a script) must not lose them
    ctx = Predictor.load(small_bundle)._ctx
    root = tmp_path / "root"
    for d in ("data", "0123"):
        (root / d).mkdir(parents=True)
    keys = [f"{n:032x}" for n in range(context_cache.KEEP + 2)]
    for k in keys:   # oldest first: the clean-up keeps the most recently used
        context_cache.write(root / k, ctx)
    left = sorted(p.name for p in root.iterdir())
    assert left == sorted(["data", "0123", *keys[-context_cache.KEEP:]])
