"""Every use of diskcache beyond its public API: SQL on its `Cache` table, in one module.

diskcache has no API for a range of keys, a batched upsert, or an edit of a value inside SQLite.
The store needs all three for batches of thousands of jobs (lease and complete edit the job rows
with SQLite's JSON functions, counts read the indexed tag column, an export reads the few fields
it writes in one query), so they are written here against diskcache's table, and nowhere else;
so is `BoundedCache`, which bounds diskcache's wait on a locked database at open and writes its
set-up in one transaction.
`SCHEMA` names what this module relies on; tests/test_store_schema.py compares it with the database
a real `Cache` creates, so an upgrade that changes it fails a test instead of a user's store.

Only rows that are plain JSON in the database (`mode` raw, no side file) are edited or decoded
by SQLite; any other row comes back with its mode, for the store's disk to refuse.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator

from diskcache import Cache
from diskcache.core import MODE_PICKLE, MODE_RAW

from salesapp.pacing import SQL_CHUNK as CHUNK
from salesapp.pacing import STORE_BUSY_POLL

# What the statements below rely on in diskcache's database (see tests/test_store_schema.py).
SCHEMA = {
    "columns": ("rowid", "key", "raw", "store_time", "expire_time", "access_time",
                "access_count", "tag", "size", "mode", "filename", "value"),
    # index name -> (unique, columns): key lookups and ranges; the queue order and state counts
    "indexes": {"Cache_key_raw": (True, ("key", "raw")),
                "Cache_tag_rowid": (False, ("tag", "rowid"))},
    # diskcache's count and size bookkeeping, kept by triggers for our writes as for its own
    # private members of `Cache` used here: its cursor, its connection, its set-up retry loop
    "cache_members": ("_sql", "_con", "_sql_retry"),
    "triggers": ("Settings_count_insert", "Settings_count_delete", "Settings_size_insert",
                 "Settings_size_update", "Settings_size_delete"),
}
RAW = f"mode = {MODE_RAW} AND filename IS NULL"
_TEXT = "CAST(value AS TEXT)"
JOBS = "raw = 1 AND key >= 'j:' AND key < 'j;'"
QUEUED_JOBS = f"tag >= 'q' AND tag < 'r' AND {JOBS}"
# The row `Cache.set` writes (no expiry, value inside SQLite), as one batched upsert.
_UPSERT = ("INSERT INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag,"
           " size, mode, filename, value) VALUES (?, 1, ?, NULL, ?, 0, ?, ?, ?, NULL, ?)"
           " ON CONFLICT (key, raw) DO UPDATE SET store_time = excluded.store_time,"
           " expire_time = NULL, access_time = excluded.access_time, tag = excluded.tag,"
           " size = excluded.size, mode = excluded.mode, filename = NULL, value = excluded.value")
PLAIN_JSON_ROW = (MODE_RAW, None)   # (mode, filename) of a row whose JSON is in the database
PICKLE_ROWS = f"SELECT COUNT(*) FROM Cache WHERE mode = {MODE_PICKLE} OR raw = 0"


def chunks(keys: list) -> Iterator[tuple[list, str]]:
    """(chunk of at most `CHUNK` keys, its `?,?,...` placeholders): SQL's parameter bound."""
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        yield chunk, ",".join("?" * len(chunk))


class CacheSQL:
    """The store's statements, run on one diskcache `Cache` (inside its `transact()` to write)."""

    def __init__(self, cache):
        self._cache = cache

    def run(self, statement: str, params: Iterable = ()):
        """A cursor over `statement` run on the cache's connection."""
        return self._cache._sql(statement, tuple(params))

    # --- writes ----------------------------------------------------------------------------

    def upsert(self, rows: list[tuple]) -> None:
        """Write (key, now, now, tag, size, mode, db_value) rows as `Cache.set` would, at once."""
        self._cache._con.executemany(_UPSERT, rows)

    def delete(self, keys: list[str]) -> None:
        """Remove the rows of `keys`."""
        for chunk, marks in chunks(keys):
            self.run(f"DELETE FROM Cache WHERE raw = 1 AND key IN ({marks})", chunk)

    def set_aside(self, keys: list[str]) -> None:
        """Tag rows failed without reading them: out of the queue, kept for inspection."""
        for chunk, marks in chunks(keys):
            self.run(f"UPDATE Cache SET tag = 'failed' WHERE raw = 1 AND key IN ({marks})", chunk)

    def move_aside(self, keys: list[str]) -> None:
        """Rename rows to `aside:KEY` (replacing an earlier one of that name): no read by key or
        prefix finds them again, and they stay in the database for inspection."""
        for chunk, marks in chunks(keys):
            self.run(f"DELETE FROM Cache WHERE raw = 1 AND key IN ({marks})",
                     [f"aside:{k}" for k in chunk])
            self.run(f"UPDATE Cache SET key = 'aside:' || key WHERE raw = 1 AND key IN ({marks})",
                     chunk)

    def lease_candidates(self, limit: int) -> list[tuple[int, str, int]]:
        """The first `limit` queued jobs in FIFO order: (rowid, key, ok), values not decoded.

        `ok` is 1 for a row that is plain JSON in the database and 0 for any other (pickle mode,
        a side file, damaged JSON): such a row is never handed to `json_set` or to a decoder.
        """
        return self.run(f"SELECT rowid, key, CASE WHEN {RAW} THEN json_valid({_TEXT}) ELSE 0 END"
                        f" FROM Cache WHERE {QUEUED_JOBS} ORDER BY tag LIMIT ?",
                        (int(limit),)).fetchall()

    def lease_rows(self, rowids: list[int], owner: str, until: float, now: float) -> list:
        """Lease the jobs of `rowids` to `owner`, one more attempt each: (key, new JSON) rows."""
        out = []
        for start in range(0, len(rowids), CHUNK):
            part = rowids[start:start + CHUNK]
            marks = ",".join("?" * len(part))
            out += self.run(
                f"UPDATE Cache SET tag = 'leased', store_time = ?, access_time = ?,"
                f" value = CAST(json_set({_TEXT}, '$.state', 'leased', '$.owner', ?,"
                f" '$.lease_until', ?, '$.attempts', json_extract({_TEXT}, '$.attempts') + 1)"
                f" AS BLOB) WHERE rowid IN ({marks}) AND {RAW} RETURNING key, value",
                (now, now, owner, until, *part)).fetchall()
        return out

    def complete_rows(self, keys: list[str], owner: str, now: float,
                      version: str | None = None) -> list[tuple[str, str]]:
        """Mark done the jobs of `keys` that `owner` holds (or that went back to queued unleased).

        With `version`, the jobs now name that model version (the one whose results these are).
        Returns (key, model_version) of each job marked done.
        """
        new_version = "" if version is None else ", '$.model_version', ?"
        out = []
        for chunk, marks in chunks(keys):
            out += self.run(
                f"UPDATE Cache SET tag = 'done', store_time = ?, access_time = ?,"
                f" value = CAST(json_set({_TEXT}, '$.state', 'done', '$.owner', NULL,"
                f" '$.lease_until', NULL, '$.error', NULL{new_version}) AS BLOB)"
                f" WHERE raw = 1 AND key IN ({marks}) AND {RAW}"
                f" AND ((tag = 'leased' AND json_extract({_TEXT}, '$.owner') = ?)"
                f" OR (tag >= 'q' AND tag < 'r'))"
                f" RETURNING key, json_extract({_TEXT}, '$.model_version')",
                (now, now, *([] if version is None else [version]), *chunk, owner)).fetchall()
        return out

    # --- reads -----------------------------------------------------------------------------

    def rows_of(self, keys: list[str]) -> Iterator[list[tuple]]:
        """(key, mode, filename, value) of the `keys` that exist, a list per chunk of keys."""
        for chunk, marks in chunks(keys):
            yield self.run("SELECT key, mode, filename, value FROM Cache"
                           f" WHERE raw = 1 AND key IN ({marks})", chunk).fetchall()

    def readable_keys(self, keys: list[str]) -> set[str]:
        """The `keys` whose row is plain JSON that SQLite reads (not pickle, damaged or NaN)."""
        found: set[str] = set()
        for chunk, marks in chunks(keys):
            found.update(k for (k,) in self.run(
                f"SELECT key FROM Cache WHERE raw = 1 AND key IN ({marks}) AND {RAW}"
                f" AND json_valid({_TEXT})", chunk))
        return found

    def existing_keys(self, keys: list[str]) -> set[str]:
        """The `keys` that have a row."""
        found: set[str] = set()
        for chunk, marks in chunks(keys):
            found.update(k for (k,) in self.run(
                f"SELECT key FROM Cache WHERE raw = 1 AND key IN ({marks})", chunk))
        return found

    def rows_with_prefix(self, prefix: str) -> list[tuple]:
        """(key, mode, filename, value) of keys starting with `prefix`, in key order."""
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return self.run("SELECT key, mode, filename, value FROM Cache WHERE raw = 1"
                        " AND key >= ? AND key < ? ORDER BY key", (prefix, upper)).fetchall()

    def job_keys_tagged(self, tag: str) -> list[str]:
        """Keys of the job rows whose tag is `tag` (read from the tag index)."""
        return [k for (k,) in self.run(f"SELECT key FROM Cache WHERE tag = ? AND {JOBS}", (tag,))]

    def state_counts(self) -> dict[str, int]:
        """Job rows per tag, every queued tag (`q{seq}`) counted as "queued"; no value read."""
        return dict(self.run("SELECT CASE WHEN tag >= 'q' AND tag < 'r' THEN 'queued'"
                             f" ELSE tag END AS s, COUNT(*) FROM Cache WHERE {JOBS}"
                             " GROUP BY s").fetchall())

    def export_rows(self):
        """A cursor over `EXPORT_ROWS`: every done or failed job and its result's exported parts."""
        return self.run(EXPORT_ROWS)


def _raw(alias: str) -> str:
    return f"{alias}.mode = {MODE_RAW} AND {alias}.filename IS NULL"


def _json(alias: str) -> str:
    # json_valid first: json_extract raises on one malformed row (too deep, NaN, cut short)
    # and that would end the whole query; such a row comes back flagged instead.
    return f"{_raw(alias)} AND json_valid(CAST({alias}.value AS TEXT))"


def _field(alias: str, path: str) -> str:
    return f"CASE WHEN {_json(alias)} THEN json_extract(CAST({alias}.value AS TEXT), '{path}') END"


# By item id: (item_id, tag, job mode, job filename, job readable, job error, model version,
# has result, result mode, result filename, result readable, item_name, status, error, shop ids
# JSON, forecasts JSON, category_name, forecast_block, the range: p10 JSON, p90 JSON, total,
# total_p10, total_p90, the months after the next as JSON: ahead). The arrays come back as minified JSON text (`[2,3,4]`), numbers as
# they were written. "readable": plain JSON that SQLite reads (a pickle or damaged row: 0).
EXPORT_ROWS = f"""
SELECT CAST(substr(j.key, 3) AS INTEGER) AS item_id, j.tag, j.mode, j.filename,
       CASE WHEN {_json("j")} THEN 1 ELSE 0 END,
       {_field("j", "$.error")}, {_field("j", "$.model_version")},
       r.key IS NOT NULL, r.mode, r.filename, CASE WHEN {_json("r")} THEN 1 ELSE 0 END,
       {_field("r", "$.item_name")}, {_field("r", "$.status")}, {_field("r", "$.error")},
       {_field("r", "$.shop_ids")}, {_field("r", "$.forecasts")},
       {_field("r", "$.category_name")}, {_field("r", "$.forecast_block")},
       {_field("r", "$.p10")}, {_field("r", "$.p90")}, {_field("r", "$.total")},
       {_field("r", "$.total_p10")}, {_field("r", "$.total_p90")}, {_field("r", "$.ahead")}
FROM Cache AS j LEFT JOIN Cache AS r
  ON j.tag = 'done' AND r.raw = 1
  AND r.key = CASE WHEN {_json("j")} THEN 'r:' || json_extract(CAST(j.value AS TEXT),
              '$.model_version') || ':' || substr(j.key, 3) END
WHERE j.raw = 1 AND j.key >= 'j:' AND j.key < 'j;' AND j.tag IN ('done', 'failed')
ORDER BY item_id
"""


class BoundedCache(Cache):
    """`Cache` whose set-up statements give up after `timeout` instead of diskcache's 60 s, and
    whose set-up writes share one transaction.

    diskcache's set-up writes every setting again at each open, each write its own commit: under
    FULL sync one disk flush each, the most of an open's time. The writes from the first
    setting written on are one transaction instead, committed before diskcache closes its set-up
    connection; a pragma changed meanwhile (only when the file held another value; some cannot
    change inside a transaction) commits what came before it first. A crash in between leaves
    the settings as they were, which the next open writes again.
    """

    def __init__(self, directory, timeout, **kwargs):
        self._busy_budget = timeout
        self._setup_open = True       # diskcache's __init__ is running
        self._setup_in_txn = False    # ... inside our transaction of its writes
        try:
            super().__init__(directory, timeout=timeout, **kwargs)
        except BaseException:
            self._end_setup("ROLLBACK")
            raise
        finally:
            self._setup_open = False

    def _end_setup(self, how: str) -> None:
        if self._setup_in_txn:
            self._setup_in_txn = False
            self._con.execute(how)

    def close(self):
        # diskcache's set-up ends by closing its connection: commit its writes first
        self._end_setup("COMMIT")
        super().close()

    @property
    def _sql(self):
        execute = Cache._sql.fget(self)
        if not self.__dict__.get("_setup_open"):
            return execute

        def setup_execute(statement, *args, **kwargs):
            if statement.startswith("PRAGMA") and "=" in statement:
                self._end_setup("COMMIT")
            elif not self._setup_in_txn and statement.startswith("INSERT"):
                execute("BEGIN IMMEDIATE")   # "locked": `_sql_retry` tries the write again
                self._setup_in_txn = True
            return execute(statement, *args, **kwargs)

        return setup_execute

    @property
    def _sql_retry(self):
        # diskcache retries set-up writes for 60 s when another process holds the lock: a hang
        # from the user's point of view. Same loop, our budget; the caller turns it into StoreError.
        sql = self._sql
        budget = self._busy_budget

        def execute(statement, *args, **kwargs):
            start = time.monotonic()
            while True:
                try:
                    return sql(statement, *args, **kwargs)
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() - start > budget:
                        raise
                    time.sleep(STORE_BUSY_POLL)

        return execute
