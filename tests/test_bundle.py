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
