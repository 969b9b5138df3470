"""Job transitions done inside SQLite: the lease and the done state, without decoding in Python.

Leasing and completing a batch of 5,100 jobs read, decoded, changed, encoded and wrote back every
job's JSON row in Python (~0.1 s each way). SQLite's `json_set` edits the same rows in place
within the transaction, and the rows stay plain compact JSON. Only rows that are plain JSON in
the database (`mode` raw, no side file) are touched; the caller refuses any other row first.
"""

from __future__ import annotations

from diskcache.core import MODE_RAW

RAW = f"mode = {MODE_RAW} AND filename IS NULL"
_TEXT = "CAST(value AS TEXT)"
QUEUED_JOBS = "tag >= 'q' AND tag < 'r' AND raw = 1 AND key >= 'j:' AND key < 'j;'"


def lease_candidates(limit: int) -> tuple[str, tuple]:
    """The first `limit` queued jobs in FIFO order: (rowid, key, ok), values not decoded.

    `ok` is 1 for a row that is plain JSON in the database and 0 for any other (pickle mode, a
    side file, damaged JSON): such a row is never handed to `json_set` or to Python's decoder.
    """
    sql = (f"SELECT rowid, key, CASE WHEN {RAW} THEN json_valid({_TEXT}) ELSE 0 END"
           f" FROM Cache WHERE {QUEUED_JOBS} ORDER BY tag LIMIT ?")
    return sql, (int(limit),)


def lease_rows(rowids: list[int], owner: str, until: float, now: float) -> tuple[str, tuple]:
    """Lease the jobs of `rowids` to `owner`, one more attempt each; returns (key, new JSON)."""
    marks = ",".join("?" * len(rowids))
    sql = (f"UPDATE Cache SET tag = 'leased', store_time = ?, access_time = ?,"
           f" value = CAST(json_set({_TEXT}, '$.state', 'leased', '$.owner', ?,"
           f" '$.lease_until', ?, '$.attempts', json_extract({_TEXT}, '$.attempts') + 1)"
           f" AS BLOB) WHERE rowid IN ({marks}) AND {RAW} RETURNING key, value")
    return sql, (now, now, owner, until, *rowids)


def complete_rows(keys: list[str], owner: str, now: float,
                  version: str | None = None) -> tuple[str, tuple]:
    """Mark done the jobs of `keys` that `owner` holds (or that went back to queued unleased).

    With `version`, the jobs now name that model version (the one whose results these are).
    Returns (key, model_version) of each job marked done.
    """
    marks = ",".join("?" * len(keys))
    new_version = "" if version is None else ", '$.model_version', ?"
    sql = (f"UPDATE Cache SET tag = 'done', store_time = ?, access_time = ?,"
           f" value = CAST(json_set({_TEXT}, '$.state', 'done', '$.owner', NULL,"
           f" '$.lease_until', NULL, '$.error', NULL{new_version}) AS BLOB)"
           f" WHERE raw = 1 AND key IN ({marks}) AND {RAW}"
           f" AND ((tag = 'leased' AND json_extract({_TEXT}, '$.owner') = ?)"
           f" OR (tag >= 'q' AND tag < 'r'))"
           f" RETURNING key, json_extract({_TEXT}, '$.model_version')")
    return sql, (now, now, *([] if version is None else [version]), *keys, owner)
