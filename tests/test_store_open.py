"""Opening a store: diskcache's set-up writes share one transaction, and all of them land.

diskcache writes every setting again at each open, by default each write its own commit (a
disk flush each under FULL sync); `BoundedCache` puts them in one transaction.
"""

import sqlite3

import pytest

from salesapp.store.job_store import JobStore
from salesapp.store.json_disk import HUGE, STORE_SETTINGS


@pytest.fixture
def statements(monkeypatch):
    """Every SQL statement the store's connections run, in order."""
    seen: list[str] = []
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        con = real_connect(*args, **kwargs)
        con.set_trace_callback(seen.append)
        return con

    monkeypatch.setattr(sqlite3, "connect", connect)
    return seen


def _writes_outside_a_transaction(statements: list[str]) -> list[str]:
    outside, in_txn = [], False
    for s in statements:
        word = s.split(None, 1)[0].upper()
        if word == "BEGIN":
            in_txn = True
        elif word in ("COMMIT", "ROLLBACK", "END"):
            in_txn = False
        elif word in ("INSERT", "UPDATE", "DELETE", "REPLACE") and not in_txn:
            outside.append(s)
    return outside


def test_reopening_a_store_writes_its_settings_in_one_transaction(tmp_path, statements):
    JobStore.open(tmp_path / "s").close()
    statements.clear()
    JobStore.open(tmp_path / "s").close()
    assert any(s.startswith("INSERT OR REPLACE INTO Settings") for s in statements)
    assert _writes_outside_a_transaction(statements) == []
    assert sum(s.startswith("BEGIN") for s in statements) <= 2   # settings, requeue_expired


def test_a_new_store_keeps_every_setting_and_table_it_was_opened_with(tmp_path):
    with JobStore.open(tmp_path / "s") as store:
        store.submit([1, 2], "v1")
    con = sqlite3.connect(tmp_path / "s" / "cache.db")
    settings = dict(con.execute("SELECT key, value FROM Settings"))
    indexes = {name for (name,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index'")}
    (count,) = con.execute("SELECT COUNT(*) FROM Cache").fetchone()
    con.close()
    for key, value in STORE_SETTINGS.items():
        assert settings[key] == value, key
    assert settings["size_limit"] == HUGE and settings["count"] == count == 3   # 2 jobs, m:seq
    assert "Cache_tag_rowid" in indexes


def test_a_pragma_set_again_during_the_settings_writes_is_set_outside_their_transaction(tmp_path):
    """diskcache sets a pragma again while writing the settings when reading it back gives
    another spelling ("FULL" reads back 2); the safety level cannot change inside a
    transaction, so the writes before it are committed first."""
    from salesapp.store.cache_sql import BoundedCache
    from salesapp.store.json_disk import JsonOnlyDisk

    settings = {**STORE_SETTINGS, "sqlite_synchronous": "FULL"}
    cache = BoundedCache(str(tmp_path / "c"), 1.0, disk=JsonOnlyDisk, **settings)
    try:
        cache.set("k", 1)
        assert cache._sql("PRAGMA synchronous").fetchone() == (2,)
    finally:
        cache.close()
    con = sqlite3.connect(tmp_path / "c" / "cache.db")
    assert dict(con.execute("SELECT key, value FROM Settings"))["sqlite_synchronous"] == "FULL"
    con.close()
