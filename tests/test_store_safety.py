"""The store never trusts a pickle, survives a garbage database, and never hangs on a lock."""

import multiprocessing
import pickle
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from salesapp.errors import StoreError
from salesapp.store.inspect import integrity_check, pickle_rows
from salesapp.store.job_store import JobStore
from salesapp.store.json_disk import PickleRefusedError, open_cache

V1 = "aaaaaaaaaaaa"


class TouchesAFile:
    """Unpickling this creates `path`: proof that the store executed a pickle."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _rewrite_as_pickle(directory, key, obj):
    con = sqlite3.connect(directory / "cache.db")
    with con:
        con.execute("UPDATE Cache SET mode = 4, value = ? WHERE key = ?",
                    (pickle.dumps(obj), key))
    con.close()


def test_values_are_json_inside_sqlite(tmp_path):
    with JobStore.open(tmp_path) as store:
        store.submit([1], V1)
        store.complete("w", {1: {"item_id": 1, "name": "Игра «Ведьмак», 3"}})
    con = sqlite3.connect(tmp_path / "cache.db")
    rows = con.execute("SELECT key, mode, filename, value FROM Cache").fetchall()
    con.close()
    assert {mode for _, mode, _, _ in rows} == {1}  # raw bytes, never pickle
    assert all(filename is None for _, _, filename, _ in rows)
    assert b'"item_id":1' in {k: v for k, _, _, v in rows}["r:aaaaaaaaaaaa:1"]
    assert not list(tmp_path.glob("??/??/*.val"))  # no side files


@pytest.mark.parametrize("key, read", [
    ("r:aaaaaaaaaaaa:2", lambda s: s.result(V1, 2)),
    ("r:aaaaaaaaaaaa:2", lambda s: s.results()),
])
def test_a_pickle_row_is_refused_and_never_executed(tmp_path, key, read):
    marker = tmp_path / "pwned"
    store_dir = tmp_path / "store"
    with JobStore.open(store_dir) as store:
        store.submit([1, 2], V1)
        store.complete("w", {2: {"item_id": 2}})
    _rewrite_as_pickle(store_dir, key, TouchesAFile(marker))
    with JobStore.open(store_dir) as store, pytest.raises(PickleRefusedError, match="refused"):
        try:
            read(store)
        except PickleRefusedError as exc:
            assert str(store_dir) in str(exc)   # the message names the store
            raise
    assert not marker.exists()
    assert pickle_rows(store_dir) == 1


@pytest.mark.parametrize("bad", ["pickle", "damaged JSON", "JSON of something else"])
def test_a_bad_job_row_is_set_aside_as_failed_and_the_rest_run(tmp_path, bad):
    """One job row that is not a plain JSON job must not stop the queue (found by the engine
    review: a pickle row stopped every worker); it shows failed, is never loaded, and asking for
    the id again queues it afresh."""
    marker = tmp_path / "pwned"
    store_dir = tmp_path / "store"
    with JobStore.open(store_dir) as store:
        store.submit([1, 2, 3], V1)
    if bad == "pickle":
        _rewrite_as_pickle(store_dir, "j:2", TouchesAFile(marker))
    else:
        value = b'{"item_id": 2, ' if bad == "damaged JSON" else b'{"item_id": 2, "x": 1}'
        con = sqlite3.connect(store_dir / "cache.db")
        with con:
            con.execute("UPDATE Cache SET value = ? WHERE key = 'j:2'", (value,))
        con.close()
    with JobStore.open(store_dir) as store:
        assert sorted(j.item_id for j in store.lease("w", 5, 60)) == [1, 3]
        assert store.counts() == {"queued": 0, "leased": 2, "done": 0, "failed": 1}
        failed = {j.item_id: j for j in store.jobs()}[2]
        assert failed.state == "failed" and "ask for the id again" in failed.error
        assert store.submit([2], V1).queued == [2]
        assert [j.item_id for j in store.lease("w", 5, 60)] == [2]
    assert not marker.exists() and pickle_rows(store_dir) == 0


@pytest.mark.parametrize("key", ["j:2", "r:aaaaaaaaaaaa:2"])
def test_an_export_flags_a_pickle_row_never_loads_it_and_reads_the_rest(tmp_path, key):
    marker = tmp_path / "pwned"
    store_dir = tmp_path / "store"
    with JobStore.open(store_dir) as store:
        store.submit([1, 2], V1)
        store.complete("w", {1: {"item_id": 1}, 2: {"item_id": 2}})
    _rewrite_as_pickle(store_dir, key, TouchesAFile(marker))
    with JobStore.open(store_dir) as store:
        rows = {r.item_id: r for r in store.export_rows()}
    assert rows[1].state == "done" and rows[1].bad_result is None
    if key.startswith("j:"):
        assert rows[2].state == "failed" and "refused, not loaded" in rows[2].job_error
    else:
        assert "refused, not loaded" in rows[2].bad_result and rows[2].item_name is None
    assert not marker.exists()


def test_diskcache_api_reads_through_the_refusing_disk(tmp_path):
    marker = tmp_path / "pwned"
    cache = open_cache(str(tmp_path), timeout=1)
    cache.set("k", {"a": 1})
    _rewrite_as_pickle(tmp_path, "k", TouchesAFile(marker))
    with pytest.raises(PickleRefusedError):
        cache.get("k")
    with pytest.raises(TypeError):
        cache.set(("tuple", "key"), 1)  # would be a pickled key
    cache.close()
    assert not marker.exists()


def test_a_garbage_database_is_moved_aside_and_a_fresh_store_started(tmp_path):
    garbage = b"this is not SQLite\x00\xff" * 500
    (tmp_path / "cache.db").write_bytes(garbage)
    with JobStore.open(tmp_path) as store:
        assert store.notice is not None and "moved aside" in store.notice
        assert str(tmp_path) in store.notice
        store.submit([1], V1)
        assert store.counts()["queued"] == 1
    kept = list(tmp_path.glob("cache.db.broken-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == garbage
    assert integrity_check(tmp_path) == "ok"
    with JobStore.open(tmp_path) as store:
        assert store.notice is None


def test_a_corrupted_page_fails_the_quick_check(tmp_path):
    with JobStore.open(tmp_path) as store:
        store.submit(range(2000), V1)
    db = tmp_path / "cache.db"
    data = bytearray(db.read_bytes())
    page = 4096
    assert not (tmp_path / "cache.db-wal").exists()  # everything is in the main file
    data[2 * page:] = b"\xa5" * (len(data) - 2 * page)  # clobber every b-tree, keep page 1
    db.write_bytes(bytes(data))
    with JobStore.open(tmp_path) as store:
        assert store.notice is not None and "damaged" in store.notice
        assert store.jobs() == []


def _hold_write_lock(db_path, locked, release):
    con = sqlite3.connect(db_path, timeout=1)
    con.execute("BEGIN IMMEDIATE")
    locked.set()
    release.wait(30)
    con.rollback()
    con.close()


def test_a_lock_held_by_another_process_gives_a_clear_error_not_a_hang(tmp_path):
    store = JobStore.open(tmp_path, timeout=0.3, retries=1)
    store.submit([1], V1)
    ctx = multiprocessing.get_context("spawn")
    locked, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_write_lock, args=(str(tmp_path / "cache.db"), locked, release))
    holder.start()
    try:
        assert locked.wait(30)
        start = time.monotonic()
        with pytest.raises(StoreError, match="locked by another process"):
            store.lease("w", 1, 60)
        with pytest.raises(StoreError, match="locked by another process"):
            JobStore.open(tmp_path, timeout=0.3, retries=1)
        assert time.monotonic() - start < 10
        assert store.counts()["queued"] == 1  # reads still work while another process writes
    finally:
        release.set()
        holder.join(30)
    assert [j.item_id for j in store.lease("w", 1, 60)] == [1]  # fine once the lock is gone
    store.close()


@pytest.mark.parametrize("damage", [b'{"item_id": 2, ', b"[" * 100_000 + b"]" * 100_000,
                                    b'{"item_id": 2, "status": "ok", "forecasts": [NaN]}'])
def test_a_damaged_result_row_in_an_export_is_flagged_and_the_rest_read(tmp_path, damage):
    with JobStore.open(tmp_path) as store:
        store.submit([1, 2, 3], V1)
        store.complete("w", {i: {"item_id": i} for i in (1, 2, 3)})
    con = sqlite3.connect(tmp_path / "cache.db")
    with con:
        con.execute("UPDATE Cache SET value = ? WHERE key = ?", (damage, "r:" + V1 + ":2"))
    con.close()
    with JobStore.open(tmp_path) as store:
        rows = list(store.export_rows())
        assert [(r.item_id, r.bad_result is None) for r in rows] == [(1, True), (2, False),
                                                                   (3, True)]
        assert "damaged" in rows[1].bad_result
        # asked again, the damaged result is computed anew instead of "already done"
        assert store.submit([1, 2], V1).queued == [2]


_OPEN_WITH_FEW_FILES = """
import resource, sys
from salesapp.store.job_store import JobStore
n = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_NOFILE, (n, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
try:
    JobStore.open(sys.argv[2]).close()
    print("opened")
except Exception as exc:
    print(type(exc).__name__, exc)
"""


def test_a_store_that_cannot_be_opened_right_now_is_never_moved_aside(tmp_path):
    """Too few file descriptors ("unable to open database file") is not damage: a clear error,
    and the jobs are all there the next time (found by the engine review)."""
    where = tmp_path / "store"
    with JobStore.open(where) as store:
        store.submit(range(5), V1)
    outcomes = [subprocess.run([sys.executable, "-c", _OPEN_WITH_FEW_FILES, str(n), str(where)],
                               capture_output=True, text=True, timeout=60, check=False).stdout
                for n in range(4, 12)]
    assert not list(where.glob("cache.db.broken-*")), outcomes
    assert any(o.startswith("StoreError the store") and "cannot be opened" in o
               for o in outcomes), outcomes
    with JobStore.open(where) as store:
        assert store.counts()["queued"] == 5 and store.notice is None


def test_a_store_path_that_names_a_file_is_one_store_error(tmp_path):
    where = tmp_path / "a_file"
    where.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StoreError, match=f"the store {where} cannot be made"):
        JobStore.open(where)
    assert where.read_text(encoding="utf-8") == "not a folder"


def test_inspect_reads_a_store_whose_path_has_uri_characters(tmp_path):
    where = tmp_path / "a?b#c %41 д"
    with JobStore.open(where) as store:
        store.submit([1], V1)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert (integrity_check(where), pickle_rows(where)) == ("ok", 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == before   # nothing made beside it


def test_a_bad_leased_job_row_does_not_stop_the_store_opening(tmp_path):
    marker = tmp_path / "pwned"
    store_dir = tmp_path / "store"
    with JobStore.open(store_dir) as store:
        store.submit([1, 2], V1)
        store.lease("gone", 2, -1)   # a lease that has already run out
    _rewrite_as_pickle(store_dir, "j:1", TouchesAFile(marker))
    with JobStore.open(store_dir) as store:
        assert store.counts() == {"queued": 1, "leased": 0, "done": 0, "failed": 1}
        assert [j.item_id for j in store.lease("w", 5, 60)] == [2]
    assert not marker.exists()


def test_a_damaged_result_row_read_by_id_is_one_store_error_naming_it(tmp_path):
    with JobStore.open(tmp_path) as store:
        store.submit([1], V1)
        store.lease("w", 1, 60)
        store.complete("w", {1: {"item_id": 1}})
    con = sqlite3.connect(tmp_path / "cache.db")
    with con:
        con.execute("UPDATE Cache SET value = ? WHERE key = 'r:aaaaaaaaaaaa:1'", (b'{"item_', ))
    con.close()
    with JobStore.open(tmp_path) as store, pytest.raises(
            StoreError, match=r"damaged row \(r:aaaaaaaaaaaa:1\)"):
        store.result(V1, 1)


def test_sqlite_memory_mapping_is_off_on_every_connection(tmp_path):
    """A mapped database file truncated under a worker is SIGBUS (a crash without a sentence);
    unmapped, it is an I/O error the store names."""
    with JobStore.open(tmp_path) as store:
        store.submit([1], V1)
        assert store._cache._sql("PRAGMA mmap_size").fetchone()[0] == 0
        seen = []
        thread = threading.Thread(target=lambda: seen.append(
            store._cache._sql("PRAGMA mmap_size").fetchone()[0]))   # a connection per thread
        thread.start()
        thread.join()
        assert seen == [0]
    con = sqlite3.connect(tmp_path / "cache.db")
    assert con.execute("SELECT value FROM Settings WHERE key = 'sqlite_mmap_size'"
                       ).fetchone()[0] == 0
    con.close()


def test_a_move_aside_notice_is_one_sentence_and_the_log_keeps_the_report(tmp_path, caplog):
    with JobStore.open(tmp_path) as store:
        store.submit(range(20_000), V1)
    db = tmp_path / "cache.db"
    data = bytearray(db.read_bytes())
    for page in range(3, len(data) // 4096, 2):   # many damaged pages: a long report
        data[page * 4096 + 100:page * 4096 + 400] = b"\x00\xff" * 150
    db.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="salesapp.store.recovery"), \
            JobStore.open(tmp_path) as store:
        notice = store.notice
    assert notice is not None and "moved aside" in notice
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert len(logged) > len(notice) + 200, logged   # the report was long, and is in the log
    assert "\n" not in notice and len(notice) < len(str(tmp_path)) + 300, notice
    assert notice.count(". ") == 0 and notice.endswith(".")
