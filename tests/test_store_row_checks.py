"""Job rows read back from the store are checked (types, ranges, their key): a row of valid JSON in
the wrong shape is set aside like a pickle row, and every command still opens the store."""

import csv
import json
import sqlite3

import pytest
from engine_cli import run_cli

from salesapp.store.job_store import JobStore

V1 = "aaaaaaaaaaaa"
DEEP = "[" * 100_000 + "]" * 100_000

# (what is wrong, the change to job 2's row, the tag it is left under)
WRONG = [
    ("nested 100,000 deep", {"error": "DEEP"}, "leased"),
    ("lease_until as text", {"state": "leased", "lease_until": "soon", "owner": "1-x"}, "leased"),
    ("owner a number", {"state": "leased", "lease_until": 1.0, "owner": 12345}, "leased"),
    ("seq as text", {"seq": "7"}, "queued"),
    ("another item's id", {"item_id": 7}, "queued"),
    ("another item's id, leased", {"item_id": 7, "state": "leased", "owner": "1-x",
                                   "lease_until": 1e18}, "leased"),
    ("an unknown state", {"state": "paused"}, "leased"),
    ("negative attempts", {"attempts": -5}, "queued"),
    ("attempts a bool", {"attempts": True, "state": "leased", "lease_until": 1.0}, "leased"),
    ("a list, not a job", None, "queued"),
    ("state and tag disagree", {"state": "done"}, "leased"),
]


def _rewrite_job(db_path, item_id, change, tag):
    """Job `item_id`'s row edited by raw SQLite: `change` merged in (None: a JSON list)."""
    con = sqlite3.connect(db_path)
    with con:
        key = f"j:{item_id}"
        (value, old_tag) = con.execute("SELECT value, tag FROM Cache WHERE key = ?",
                                       (key,)).fetchone()
        row = json.loads(value)
        if change is None:
            text = json.dumps([row])
        else:
            row.update(change)
            text = json.dumps(row).replace('"DEEP"', DEEP)
        new_tag = old_tag if tag == "queued" else tag
        con.execute("UPDATE Cache SET value = ?, tag = ? WHERE key = ?",
                    (text.encode(), new_tag, key))
    con.close()


@pytest.mark.parametrize("what, change, tag", WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_shaped_job_row_is_set_aside_and_the_rest_run(tmp_path, what, change, tag):
    with JobStore.open(tmp_path) as store:
        store.submit([1, 2, 3], V1)
    _rewrite_job(tmp_path / "cache.db", 2, change, tag)
    with JobStore.open(tmp_path) as store:   # opens: requeue_expired reads the leased rows
        leased = store.lease("w", 10, 60)
        assert sorted(j.item_id for j in leased) == [1, 3]
        assert store.lease("w", 10, 60) == []   # never leased again and again
        assert store.counts() == {"queued": 0, "leased": 2, "done": 0, "failed": 1}
        jobs = {j.item_id: j for j in store.jobs()}
        assert jobs[2].state == "failed", jobs[2]
        assert jobs[2].error.startswith("its stored row is") and jobs[2].error.count(".") <= 1
        assert store.complete("w", {1: {"item_id": 1}, 3: {"item_id": 3}}) == [1, 3]
        assert [r.item_id for r in store.export_rows()] == [1, 2, 3]
        # asked again, it is queued afresh with a good row
        assert store.submit([2], V1).queued == [2]
        assert [j.item_id for j in store.lease("w", 10, 60)] == [2]


def test_the_row_check_reads_what_the_store_writes():
    from salesapp.store.job_rows import Job, queued_row, row_of, row_problem

    assert row_problem("j:5", queued_row(5, V1, 3, None)) is None
    assert row_problem("j:5", queued_row(5, V1, 3, "bbbbbbbbbbbb")) is None
    leased = Job(5, "leased", V1, attempts=2, owner="12-abc", lease_until=1.5e9, seq=9)
    assert row_problem("j:5", row_of(leased)[0]) is None
    assert row_problem("j:6", row_of(leased)[0]) is not None
    assert row_problem("j:5", dict(row_of(leased)[0], lease_until=float("nan"))) is not None


def test_work_and_results_as_processes_get_past_wrong_shaped_rows(tmp_path, small_bundle):
    """The attack: valid JSON in the wrong shape made every command die at open, and an item id
    that differs from its key made `work` loop for ever."""
    from salesapp.commands.queue_commands import bundle_version

    store_dir = tmp_path / "store"
    with JobStore.open(store_dir) as store:
        store.submit([1, 2, 3, 4, 5, 6], bundle_version(small_bundle))
    db = store_dir / "cache.db"
    _rewrite_job(db, 2, {"item_id": 7}, "queued")
    _rewrite_job(db, 3, {"state": "leased", "lease_until": "soon", "owner": 99}, "leased")
    _rewrite_job(db, 4, {"error": "DEEP"}, "queued")
    _rewrite_job(db, 5, {"seq": "x"}, "leased")

    work = run_cli("work", "--store", store_dir, "--model", small_bundle, timeout=180)
    assert "Traceback" not in work.stderr, work.stderr
    assert work.returncode in (0, 1), work.stderr
    out = tmp_path / "r.csv"
    results = run_cli("results", "--store", store_dir, "--out", out)
    assert results.returncode == 0 and "Traceback" not in results.stderr, results.stderr
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_item: dict[str, list] = {}
    for row in rows:
        by_item.setdefault(row["item_id"], []).append(row)
    assert sorted(by_item) == ["1", "2", "3", "4", "5", "6"]
    for good in ("1", "6"):
        assert all(r["error"] == "" and r["forecast"] for r in by_item[good])
    for bad in ("2", "3", "4", "5"):
        (row,) = by_item[bad]
        assert row["error"].startswith("its stored"), row
    with JobStore.open(store_dir) as store:
        assert store.counts() == {"queued": 0, "leased": 0, "done": 2, "failed": 4}
