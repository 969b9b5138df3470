"""Test set-up shared by every test: offscreen Qt and a per-test user data directory."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path, monkeypatch):
    """No test writes to the real per-user data directory."""
    monkeypatch.setenv("SALESAPP_HOME", str(tmp_path / "home"))
