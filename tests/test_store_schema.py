"""The diskcache schema `cache_sql` is written against is the one a real store has.

`cache_sql` runs SQL on diskcache's `Cache` table; a diskcache release that renames a column,
drops an index or a bookkeeping trigger must fail here, not in a user's store.
"""

import sqlite3

from diskcache import Cache

from salesapp.store.cache_sql import SCHEMA
from salesapp.store.job_store import JobStore


def _database(store_dir):
    with JobStore.open(store_dir) as store:
        store.submit([1], "v1")
    return sqlite3.connect(store_dir / "cache.db")


def test_the_cache_table_has_the_columns_cache_sql_uses(tmp_path):
    con = _database(tmp_path / "s")
    columns = {row[1] for row in con.execute("PRAGMA table_info(Cache)")}
    con.close()
    assert set(SCHEMA["columns"]) <= columns


def test_the_cache_table_has_the_indexes_cache_sql_relies_on(tmp_path):
    con = _database(tmp_path / "s")
    found = {}
    for _, name, unique, *_ in con.execute("PRAGMA index_list(Cache)"):
        cols = tuple(r[2] for r in con.execute(f"PRAGMA index_info({name})"))
        found[name] = (bool(unique), cols)
    con.close()
    for name, (unique, cols) in SCHEMA["indexes"].items():
        # index_info names the table's rowid alias column by its name, or None for the rowid
        assert name in found, name
        assert found[name][0] == unique and found[name][1] in (cols, cols[:-1] + (None,)), name


def test_diskcache_keeps_its_counts_by_the_triggers_our_upsert_relies_on(tmp_path):
    con = _database(tmp_path / "s")
    triggers = {name for (name,) in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'Cache'")}
    (count,) = con.execute("SELECT value FROM Settings WHERE key = 'count'").fetchone()
    (rows,) = con.execute("SELECT COUNT(*) FROM Cache").fetchone()
    con.close()
    assert set(SCHEMA["triggers"]) <= triggers
    assert count == rows, "a batched upsert left diskcache's row count wrong"


def test_the_private_members_of_cache_that_cache_sql_uses_are_still_there(tmp_path):
    cache = Cache(str(tmp_path / "c"))
    try:
        for name in SCHEMA["cache_members"]:
            assert isinstance(getattr(Cache, name, None), property), name
        assert cache._sql("SELECT 1").fetchone() == (1,)
        assert cache._sql_retry("SELECT 1").fetchone() == (1,)
        assert hasattr(cache._con, "executemany")
    finally:
        cache.close()
