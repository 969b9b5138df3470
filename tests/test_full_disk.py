"""`salesapp submit` on a full disk: one sentence, nothing lost, and it works again once there is
room (a real 1 MB tmpfs; needs root, skipped otherwise)."""

import subprocess

import pytest
from engine_cli import run_cli


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("a 1 MB tmpfs cannot be mounted here (needs root)")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_submit_on_a_full_disk_says_so_in_one_sentence_and_loses_nothing(tiny_disk, small_bundle):
    store = tiny_disk / "store"
    first = run_cli("submit", "--store", store, "--model", small_bundle, "--items", "1-5")
    assert first.returncode == 0, first.stderr

    full = run_cli("submit", "--store", store, "--model", small_bundle, "--items", "100-99999")
    assert full.returncode == 2, full.stderr[-800:]
    assert full.stderr.strip().splitlines() == [
        (f"salesapp: the store {store} is on a full disk, so this submit was not written (jobs "
         "queued before stay queued); free some space and submit again.")]

    again = run_cli("submit", "--store", store, "--model", small_bundle, "--items", "1-7")
    assert again.returncode == 0, again.stderr
    assert "2 queued, 5 already pending" in again.stderr
