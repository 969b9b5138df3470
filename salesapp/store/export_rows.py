"""Bulk read of every finished job and the parts of its result an export needs, in one query.

`salesapp results` writes one CSV row per (item, shop): 5,100 items x 44 shops. Decoding every
job and result in Python cost ~0.25 s; here SQLite's JSON functions pick out the few fields
needed, so Python decodes nothing for results in the current stored form. The arrays come back
as JSON text (`[2,3,4]`, no spaces: SQLite writes them minified), split by the caller.
Rows are still refused unless they are plain JSON kept in the database (never pickle).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from diskcache.core import MODE_RAW


def _raw(alias: str) -> str:
    return f"{alias}.mode = {MODE_RAW} AND {alias}.filename IS NULL"


def _field(alias: str, path: str) -> str:
    # Only rows that are plain JSON reach json_extract; any other row comes back with its mode,
    # for the store's disk to refuse.
    return f"CASE WHEN {_raw(alias)} THEN json_extract(CAST({alias}.value AS TEXT), '{path}') END"


_QUERY = f"""
SELECT CAST(substr(j.key, 3) AS INTEGER) AS item_id, j.tag, j.mode, j.filename,
       {_field("j", "$.error")}, {_field("j", "$.model_version")},
       r.key IS NOT NULL, r.mode, r.filename,
       {_field("r", "$.item_name")}, {_field("r", "$.status")}, {_field("r", "$.error")},
       {_field("r", "$.shop_ids")}, {_field("r", "$.forecasts_milli")}
FROM Cache AS j LEFT JOIN Cache AS r
  ON j.tag = 'done' AND r.raw = 1
  AND r.key = CASE WHEN {_raw("j")} THEN 'r:' || json_extract(CAST(j.value AS TEXT),
              '$.model_version') || ':' || substr(j.key, 3) END
WHERE j.raw = 1 AND j.key >= 'j:' AND j.key < 'j;' AND j.tag IN ('done', 'failed')
ORDER BY item_id
"""


class ExportRow(NamedTuple):
    """A finished job and the exported parts of its result (None fields: not stored that way)."""

    item_id: int
    state: str                 # "done" | "failed"
    job_error: str | None      # the failed job's reason
    model_version: str | None
    has_result: bool
    item_name: str | None
    status: str | None
    error: str | None
    shop_ids_json: str | None      # e.g. "[2,3,4]"
    forecasts_milli_json: str | None   # None: stored otherwise: read the result


def export_rows(sql, disk, batch: int = 1000) -> Iterator[ExportRow]:
    """Every done or failed job, by item id, with its result's exported parts.

    `sql` runs a statement (the store's), `disk` refuses rows that are not plain JSON.
    """
    cursor = sql(_QUERY, ())
    while rows := cursor.fetchmany(batch):
        for (item_id, tag, j_mode, j_file, job_error, version, has_result, r_mode, r_file,
             name, status, error, shops, milli) in rows:
            if not (j_mode == MODE_RAW and j_file is None):
                disk.fetch(j_mode, j_file, None, False)   # raises PickleRefusedError
            if has_result and not (r_mode == MODE_RAW and r_file is None):
                disk.fetch(r_mode, r_file, None, False)
            yield ExportRow(item_id, tag, job_error, version, bool(has_result), name, status,
                            error, shops, milli)
