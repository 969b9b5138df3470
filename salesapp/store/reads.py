"""Reads of the store: jobs, counts, results and the rows of an export (no transaction needed).

Values go through our disk, which refuses rows that are not plain JSON; a refused or damaged row
is an error naming the store and the row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from salesapp.errors import StoreError
from salesapp.gc_pause import gc_paused
from salesapp.pacing import EXPORT_FETCH
from salesapp.store.cache_sql import PLAIN_JSON_ROW, CacheSQL, chunks
from salesapp.store.job_rows import STATES, Job, job_key, job_of_row, result_key
from salesapp.store.json_disk import PickleRefusedError
from salesapp.store.result_codec import unpack


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
    forecasts_json: str | None     # e.g. "[0.5,1.25,0.0]"; None: stored otherwise: read the result
    bad_result: str | None = None  # why the stored result cannot be read (then it is skipped)
    category_name: str | None = None
    forecast_block: int | None = None
    p10_json: str | None = None    # the range, as forecasts_json (None: a result without one)
    p90_json: str | None = None
    total: float | None = None
    total_p10: float | None = None
    total_p90: float | None = None
    ahead_json: str | None = None  # the months after the next, as stored (None: none)


def _unreadable(mode, filename) -> str:
    """Why a row SQLite would not read is not read (a phrase)."""
    if (mode, filename) != PLAIN_JSON_ROW:
        return "not plain JSON; it was refused, not loaded"
    return "damaged (not JSON the store writes: cut short, too deep, or NaN)"


class Reads:
    """The store's reads over one cache."""

    def __init__(self, sql: CacheSQL, disk, directory: Path):
        self._sql = sql
        self._disk = disk
        self._directory = directory

    def jobs(self) -> list[Job]:
        """Every job, in submission order (a row set aside shows as a failed job saying why)."""
        rows = self._sql.rows_with_prefix("j:")
        with gc_paused():
            jobs = [job_of_row(self._disk, *row)[0] for row in rows]
        return sorted(jobs, key=lambda j: j.seq)

    def counts(self) -> dict[str, int]:
        """Number of jobs in each state (read from the indexed tag column, no value decoding)."""
        found = self._sql.state_counts()
        return {state: int(found.get(state, 0)) for state in STATES}

    def results(self) -> list[dict]:
        """Every stored result (any model version), ordered by key."""
        rows = self._sql.rows_with_prefix("r:")
        with gc_paused():
            return [unpack(self._value(*row)) for row in rows]

    def results_of(self, wanted: Iterable[tuple[str, int]], packed: bool = False
                   ) -> Iterator[dict | None]:
        """The result of each (model_version, item_id) in `wanted`, in order; None if absent.

        Read in chunks, so a large export never holds every result at once. `packed=True` yields
        the stored form (`result_codec`), for readers that need no [key, value] pairs.
        """
        keys = [result_key(v, int(i)) for v, i in wanted]
        for chunk, _ in chunks(keys):
            found = self._fetch(chunk)
            for key in chunk:
                value = found.get(key)
                yield value if value is None or packed else unpack(value)

    def readable_results_of(self, wanted: Iterable[tuple[str, int]]
                            ) -> tuple[list[dict], list[tuple[str, int]]]:
        """(the stored results of `wanted` that read back as results, the (model_version,
        item_id) pairs whose stored result does not: refused, damaged or not a result dict).
        Pairs without a result are in neither: one bad row costs its own result only."""
        item_of = {result_key(v, int(i)): (v, int(i)) for v, i in wanted}
        found: list[dict] = []
        bad: list[tuple[str, int]] = []
        for rows in self._sql.rows_of(list(item_of)):
            with gc_paused():
                for row in rows:
                    result = self._result_or_none(item_of[row[0]][1], *row)
                    if result is None:
                        bad.append(item_of[row[0]])
                    else:
                        found.append(result)
        return found, bad

    def _result_or_none(self, item_id: int, key: str, mode, filename, value) -> dict | None:
        try:
            stored = self._value(key, mode, filename, value)
            if type(stored) is dict and stored.get("item_id") == item_id:
                return unpack(stored)
        except (StoreError, PickleRefusedError, TypeError, KeyError, ValueError):
            pass
        return None

    def export_rows(self, batch: int = EXPORT_FETCH) -> Iterator[ExportRow]:
        """Every done or failed job by item id, with the parts of its result an export needs.

        Read in one query by SQLite's JSON functions. A job row that is not readable JSON comes
        back failed saying why; a result row that is not (pickle, too deep, NaN) comes back with
        `bad_result` saying why, its parts None: one bad row never ends the export.
        """
        try:
            cursor = self._sql.export_rows()
            while rows := cursor.fetchmany(batch):
                for row in rows:
                    yield self._export_row(*row)
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the store {self._directory} could not be read ({exc}); the rows "
                             "before it were read, nothing was changed") from None

    def _export_row(self, item_id, tag, j_mode, j_file, j_ok, job_error, version, has_result,
                    r_mode, r_file, r_ok, name, status, error, shops, forecasts, category=None,
                    block=None, p10=None, p90=None, total=None, total_p10=None,
                    total_p90=None, ahead=None) -> ExportRow:
        if not j_ok:
            why = _unreadable(j_mode, j_file)
            return ExportRow(item_id, "failed", f"its stored job row is {why}; ask for the id "
                             "again to queue it", None, False, None, None, None, None, None)
        if tag == "failed" and type(job_error) is not str:
            job_error = self._set_aside_reason(item_id)
        if has_result and not r_ok:
            return ExportRow(item_id, tag, job_error, version, True, None, None, None, None, None,
                             bad_result=f"its stored result is {_unreadable(r_mode, r_file)}")
        return ExportRow(item_id, tag, job_error, version, bool(has_result), name, status,
                         error, shops, forecasts, category_name=category, forecast_block=block,
                         p10_json=p10, p90_json=p90, total=total, total_p10=total_p10,
                         total_p90=total_p90, ahead_json=ahead)

    def _set_aside_reason(self, item_id: int) -> str | None:
        """Why the failed job of `item_id` has no reason of its own: its row was set aside."""
        for rows in self._sql.rows_of([job_key(item_id)]):
            for row in rows:
                job, refused = job_of_row(self._disk, *row)
                return job.error if refused else None
        return None

    def _fetch(self, keys: list[str]) -> dict[str, Any]:
        """Values of `keys` that exist, decoded by our disk (which refuses pickle rows)."""
        out: dict[str, Any] = {}
        for rows in self._sql.rows_of(keys):
            with gc_paused():
                for row in rows:
                    out[row[0]] = self._value(*row)
        return out

    def _value(self, key: str, mode, filename, value):
        """A row's value through our disk; a refused or damaged row is an error naming it."""
        try:
            return self._disk.fetch(mode, filename, value, False)
        except PickleRefusedError as exc:
            raise PickleRefusedError(f"{exc} (store {self._directory}, row {key})") from None
        except (ValueError, RecursionError):   # cut short, or nested deeper than a decoder goes
            raise StoreError(f"the store {self._directory} has a damaged row ({key}); it was "
                             "not read, nothing was changed") from None
