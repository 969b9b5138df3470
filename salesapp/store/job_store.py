"""The durable job queue and result store (ARCHITECTURE.md "Job store"): leases, never pops.

Layout of the keys in one diskcache `Cache` (JSON values, see `json_disk`):
- `j:{item_id}`   the job (a dict of `Job`'s fields). The row's tag column, which diskcache indexes
                  (tag_index), holds the state, or `q{seq:012d}` while queued: tag order is FIFO
                  order, so leasing reads the first rows of an index instead of scanning every job,
                  and counts read no values. (A separate `q:` row per job cost 2x the writes.)
- `r:{model_version}:{item_id}` the result, in the compact stored form of `result_codec`; written
                  in the same transaction as the done state.
- `m:seq`         the next sequence number.
Every state change is one `cache.transact()`; a crash at any instant leaves the old or new state.
Lease and complete edit the job rows with SQLite's JSON functions (`job_sql`) inside that
transaction; `export_rows` reads exports the same way. Python decodes only what it returns.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

from diskcache import Timeout
from diskcache.core import MODE_RAW

from salesapp.errors import StoreError
from salesapp.gc_pause import gc_paused
from salesapp.store import job_sql, recovery
from salesapp.store.export_rows import ExportRow, export_rows
from salesapp.store.json_disk import PickleRefusedError, open_cache
from salesapp.store.result_codec import pack_many, unpack

QUEUED, LEASED, DONE, FAILED = "queued", "leased", "done", "failed"
STATES = (QUEUED, LEASED, DONE, FAILED)
SEQ_KEY = "m:seq"
_CHUNK = 500  # bound on SQL parameters per statement
T = TypeVar("T")
# The row `Cache.set` would write (no expiry, value inside SQLite), as one batched upsert.
_UPSERT = ("INSERT INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag,"
           " size, mode, filename, value) VALUES (?, 1, ?, NULL, ?, 0, ?, ?, ?, NULL, ?)"
           " ON CONFLICT (key, raw) DO UPDATE SET store_time = excluded.store_time,"
           " expire_time = NULL, access_time = excluded.access_time, tag = excluded.tag,"
           " size = excluded.size, mode = excluded.mode, filename = NULL, value = excluded.value")


class _Encoded(tuple):
    """A value already encoded by the store's disk: (size, mode, database value)."""

    __slots__ = ()


@dataclass
class Job:
    """One item id to forecast and where it stands."""

    item_id: int
    state: str
    model_version: str
    attempts: int = 0
    owner: str | None = None
    lease_until: float | None = None
    error: str | None = None
    seq: int = 0
    # The model version of the result the item already had when it was asked again under
    # another one: cancelling the new job gives that done job back instead of deleting it.
    earlier_version: str | None = None


@dataclass
class SubmitReport:
    """What `submit` did with each id: newly queued, already queued/leased, answered from the store."""

    queued: list[int] = field(default_factory=list)
    already_pending: list[int] = field(default_factory=list)
    cached: list[int] = field(default_factory=list)


class CancelledIds(list):
    """The ids `cancel` took off the queue; `restored`: (model_version, item_id) of those that
    went back to their earlier done job (a view shows that result again, not "cancelled")."""

    def __init__(self, *args):
        super().__init__(*args)
        self.restored: list[tuple[str, int]] = []


def job_key(item_id: int) -> str:
    """Key of the job of `item_id`."""
    return f"j:{item_id}"


def result_key(model_version: str, item_id: int) -> str:
    """Key of the result of `item_id` under `model_version`."""
    return f"r:{model_version}:{item_id}"


class JobStore:
    """Jobs queued -> leased -> done | failed, and their results, in one diskcache directory."""

    def __init__(self, cache, directory: Path, notice: str | None, retries: int, max_attempts: int):
        self._cache = cache
        self.directory = directory
        self.notice = notice  # one sentence for the user when the store was rebuilt, else None
        self.given_back_at_open: list[Job] = []   # jobs `open` gave back (see requeue_expired)
        self._retries = retries
        self.max_attempts = max_attempts
        # Rows a transaction will write, per thread: pool threads and the GUI thread share a store.
        self._local = threading.local()
        # One write transaction at a time in this process (SQLite allows one writer anyway); lets
        # `writes_held` promise that no thread of ours is inside one.
        self._write_lock = threading.RLock()

    @classmethod
    def open(cls, directory: str | Path, timeout: float = 2.0, retries: int = 2,
             max_attempts: int = 3) -> JobStore:
        """Open (or create) the store; a store failing SQLite's quick check is moved aside.

        Leases left by workers that are gone are requeued. Raises `StoreError` when another process
        keeps the store locked for `timeout` x (`retries` + 1) seconds.
        """
        directory = Path(directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:   # e.g. the path names a file
            raise StoreError(f"the store {directory} cannot be made: {exc.strerror or exc}"
                             ) from None
        notice = None
        reason = recovery.quick_check(directory / recovery.DB_NAME, timeout)
        if reason is not None:
            notice = recovery.move_aside(directory, reason)
        cache = _open_with_retries(directory, timeout, retries)
        store = cls(cache, directory, notice, retries, max_attempts)
        # Kept for the command that opened the store: a job whose last lease was a gone worker's
        # ends failed here, and someone must say so.
        store.given_back_at_open = store.requeue_expired()
        return store

    def close(self) -> None:
        """Close the database connection (jobs not yet run stay queued on disk)."""
        self._cache.close()

    def __enter__(self) -> Self:
        return self

    @contextmanager
    def writes_held(self) -> Iterator[None]:
        """While inside, no thread of this process is in (or enters) a write transaction.

        For test hooks: a process stopped (SIGSTOP) inside this block holds no SQLite write lock.
        """
        with self._write_lock:
            yield

    def __exit__(self, *exc) -> None:
        self.close()

    # --- transitions, one transaction each -------------------------------------------------

    def submit(self, item_ids: Iterable[int], model_version: str) -> SubmitReport:
        """Queue each id once; ids with a result for `model_version` are done at once (cached)."""
        ids = _unique_ints(item_ids)
        return self._atomic(lambda: self._submit(ids, model_version))

    def _submit(self, ids: list[int], version: str) -> SubmitReport:
        report = SubmitReport()
        jobs = self._jobs_by_id(ids)
        result_keys = [result_key(version, i) for i in ids]
        have_result = self._existing_keys(result_keys)
        seq = self._cache.get(SEQ_KEY, 0)
        writes = self._local.writes
        for item_id, key in zip(ids, result_keys):
            job = jobs.get(item_id)
            if job is not None and job.state in (QUEUED, LEASED):
                report.already_pending.append(item_id)
            elif key in have_result:
                if not (job is not None and job.state == DONE and job.model_version == version):
                    self._put(Job(item_id, DONE, version, seq=seq))  # else: already says so
                report.cached.append(item_id)
            else:
                # A new queued job's row, as `_put` would write it (5,100 at a time: no Job).
                row = {"item_id": item_id, "state": QUEUED, "model_version": version,
                       "attempts": 0, "owner": None, "lease_until": None, "error": None,
                       "seq": seq}
                earlier = _earlier_version(job)
                if earlier is not None:
                    row["earlier_version"] = earlier
                writes.append((job_key(item_id), row, f"q{seq:012d}"))
                report.queued.append(item_id)
            seq += 1
        self._cache.set(SEQ_KEY, seq)
        return report

    def lease(self, owner: str, limit: int, lease_seconds: float) -> list[Job]:
        """Take up to `limit` queued jobs in FIFO order for `owner` until now + `lease_seconds`."""
        return self._atomic(lambda: self._lease(owner, limit, lease_seconds))

    def _lease(self, owner: str, limit: int, lease_seconds: float) -> list[Job]:
        rows = self._sql(*job_sql.lease_candidates(limit)).fetchall()
        # A row that is not a plain JSON job must not stop every other job: set aside, unread.
        self._set_aside([key for _, key, ok in rows if not ok])
        rows = [r for r in rows if r[2]]
        now = time.time()
        leased = []
        # The rows are edited by SQLite (job_sql); Python decodes only the new JSON it returns.
        for start in range(0, len(rows), _CHUNK):
            rowids = [r[0] for r in rows[start:start + _CHUNK]]
            changed = self._sql(*job_sql.lease_rows(rowids, owner, now + lease_seconds, now))
            for key, value in changed:
                job, bad = self._job_of_row(key, MODE_RAW, None, value)
                if bad:   # JSON, but not a job
                    self._set_aside([key])
                else:
                    leased.append(job)
        return sorted(leased, key=lambda job: job.seq)   # FIFO, as the tags order them

    def renew(self, owner: str, item_ids: Iterable[int], lease_seconds: float) -> list[int]:
        """Extend `owner`'s leases on `item_ids`; returns the ids still leased by `owner`."""
        ids = _unique_ints(item_ids)

        def body() -> list[int]:
            until = time.time() + lease_seconds
            kept = []
            for job in self._jobs_by_id(ids).values():
                if job.state == LEASED and job.owner == owner:
                    job.lease_until = until
                    self._put(job)
                    kept.append(job.item_id)
            return kept

        return self._atomic(body)

    def complete(self, owner: str, results: Mapping[int, dict]) -> list[int]:
        """Write each result and its job's done state together; returns the ids accepted.

        A result is refused when the job is no longer `owner`'s (leased by another worker after
        this lease expired, or already done), so every job is completed exactly once. A result
        naming its `model_version` is filed under that version, and its job then names it too:
        a job queued for one bundle and run by another (the bundle changed since) must not leave
        the other model's forecast in the first one's cache.
        """
        by_id = {int(k): v for k, v in results.items()}
        groups: dict[str | None, list[int]] = {}
        for i, r in by_id.items():
            groups.setdefault(_model_version(r), []).append(i)
        # Packed and encoded before the transaction: the write lock (other runners, the GUI's
        # writer thread) is held only for the SQL. A refused result (rare) is encoded for nothing.
        with gc_paused():
            encoded = dict(zip(by_id, self._encoded(pack_many(list(by_id.values())))))

        def body() -> list[int]:
            now = time.time()
            version_of: dict[int, str] = {}
            for version, ids in groups.items():
                keys = [job_key(i) for i in ids]
                for start in range(0, len(keys), _CHUNK):
                    done = self._sql(*job_sql.complete_rows(keys[start:start + _CHUNK], owner,
                                                            now, version))
                    version_of.update((int(key[2:]), v) for key, v in done)
            accepted = [i for i in by_id if i in version_of]
            self._local.writes.extend((result_key(version_of[i], i), encoded[i], None)
                                      for i in accepted)
            return accepted

        return self._atomic(body)

    def fail(self, owner: str, item_id: int, reason: str) -> str | None:
        """Record a failed attempt: back to queued while attempts remain, else failed with `reason`.

        Returns the job's new state, or None when the job was not leased by `owner`.
        """
        def body() -> str | None:
            job = self._jobs_by_id([int(item_id)]).get(int(item_id))
            if job is None or job.state != LEASED or job.owner != owner:
                return None
            self._give_back(job, reason)
            return job.state

        return self._atomic(body)

    def requeue_expired(self, now: float | None = None) -> list[Job]:
        """Jobs whose worker is gone go back to queued, or end failed after their last attempt.

        A worker is gone when its lease has run out, or at once when the process named in its
        owner id (`{pid}-...`) no longer exists on this machine: after a crash, `salesapp work`
        or the window take the jobs up again without waiting out the lease. Returns the jobs
        given back, in their new state (a failed one carries the reason).
        """
        def body() -> list[Job]:
            moment = time.time() if now is None else now
            lost = []
            for job in self._jobs_in_state(LEASED):
                if (job.lease_until or 0) < moment:
                    lost.append((job, "the worker stopped before finishing (lease expired)"))
                elif not owner_alive(job.owner):
                    lost.append((job, "the worker's process ended before finishing"))
            for job, reason in lost:
                self._give_back(job, reason)
            return [job for job, _ in lost]

        return self._atomic(body)

    def retry(self, item_ids: Iterable[int]) -> list[int]:
        """Failed jobs back to queued with attempts reset; returns the ids requeued."""
        ids = _unique_ints(item_ids)

        def body() -> list[int]:
            seq = self._cache.get(SEQ_KEY, 0)
            done = []
            for job in self._jobs_by_id(ids).values():
                if job.state == FAILED:
                    job.attempts, job.error, job.seq = 0, None, seq
                    self._enqueue(job)
                    done.append(job.item_id)
                    seq += 1
            self._cache.set(SEQ_KEY, seq)
            return done

        return self._atomic(body)

    def cancel(self, item_ids: Iterable[int]) -> CancelledIds:
        """Take jobs that are still queued off the queue (leased ones finish); returns their ids.

        A job asked again under another model while the item had a result goes back to that
        done job (the earlier forecast stays listed and exported); any other is removed.
        """
        ids = _unique_ints(item_ids)

        def body() -> CancelledIds:
            gone = CancelledIds()
            jobs = [j for j in self._jobs_by_id(ids).values() if j.state == QUEUED]
            earlier = {j.item_id: result_key(j.earlier_version, j.item_id)
                       for j in jobs if j.earlier_version is not None}
            kept = self._existing_keys(list(earlier.values()))
            for job in jobs:
                if earlier.get(job.item_id) in kept:
                    self._put(Job(job.item_id, DONE, job.earlier_version, seq=job.seq))
                    gone.restored.append((job.earlier_version, job.item_id))
                else:
                    self._local.deletes.append(job_key(job.item_id))
                gone.append(job.item_id)
            return gone

        return self._atomic(body)

    # --- reads ------------------------------------------------------------------------------

    def jobs(self) -> list[Job]:
        """Every job, in submission order (a row set aside shows as a failed job saying why)."""
        rows = self._sql("SELECT key, mode, filename, value FROM Cache WHERE raw = 1"
                         " AND key >= 'j:' AND key < 'j;'").fetchall()
        with gc_paused():
            jobs = [self._job_of_row(*row)[0] for row in rows]
        return sorted(jobs, key=lambda j: j.seq)

    def counts(self) -> dict[str, int]:
        """Number of jobs in each state (read from the indexed tag column, no value decoding)."""
        rows = self._sql("SELECT CASE WHEN tag >= 'q' AND tag < 'r' THEN 'queued' ELSE tag END AS s,"
                         " COUNT(*) FROM Cache WHERE key >= 'j:' AND key < 'j;' AND raw = 1"
                         " GROUP BY s").fetchall()
        found = dict(rows)
        return {state: int(found.get(state, 0)) for state in STATES}

    def result(self, model_version: str, item_id: int) -> dict | None:
        """The stored result of `item_id` under `model_version`, or None."""
        stored = self._fetch([result_key(model_version, int(item_id))])
        return unpack(stored.popitem()[1]) if stored else None

    def results(self) -> list[dict]:
        """Every stored result (any model version), ordered by key."""
        with gc_paused():
            return [unpack(value) for _, value in self._rows_with_prefix("r:", None)]

    def results_of(self, wanted: Iterable[tuple[str, int]], packed: bool = False
                   ) -> Iterator[dict | None]:
        """The result of each (model_version, item_id) in `wanted`, in order; None if absent.

        Read in chunks, so a large export never holds every result at once. `packed=True` yields
        the compact stored form (`result_codec`), for readers that need no [key, value] pairs.
        """
        keys = [result_key(v, int(i)) for v, i in wanted]
        for chunk, _ in _chunks(keys):
            found = self._fetch(chunk)
            for key in chunk:
                value = found.get(key)
                yield value if value is None or packed else unpack(value)

    def export_rows(self) -> Iterator[ExportRow]:
        """Every done or failed job by item id, with the parts of its result an export needs.

        Read in one query by SQLite's JSON functions (`export_rows`); rows that are not plain
        JSON raise `PickleRefusedError`; a row SQLite cannot read as JSON raises `StoreError`.
        Results in another layout: read them with `results_of`.
        """
        try:
            yield from export_rows(self._sql, self._cache.disk)
        except PickleRefusedError as exc:
            raise PickleRefusedError(f"{exc} (store {self.directory})") from None
        except sqlite3.OperationalError as exc:   # e.g. "malformed JSON" from a damaged row
            raise StoreError(f"the store {self.directory} has a damaged row ({exc}); the rows "
                             "before it were read, nothing was changed") from None

    # --- helpers ----------------------------------------------------------------------------

    def _give_back(self, job: Job, reason: str) -> None:
        """A lost or failed attempt: queued again while attempts remain, else failed."""
        job.owner, job.lease_until, job.error = None, None, reason
        if job.attempts < self.max_attempts:
            job.seq = self._cache.get(SEQ_KEY, 0)
            self._cache.set(SEQ_KEY, job.seq + 1)
            self._enqueue(job)
        else:
            job.state = FAILED
            self._put(job)

    def _enqueue(self, job: Job) -> None:
        job.state, job.owner, job.lease_until = QUEUED, None, None
        self._put(job)

    def _put(self, job: Job) -> None:
        tag = f"q{job.seq:012d}" if job.state == QUEUED else job.state
        row = dict(vars(job))
        if row["earlier_version"] is None:   # written only when there is one (rows stay small)
            del row["earlier_version"]
        self._local.writes.append((job_key(job.item_id), row, tag))

    def _encoded(self, values: list) -> list[_Encoded]:
        """Values as the row fields our disk writes (JSON bytes kept in the database)."""
        store = self._cache.disk.store
        out = []
        for value in values:
            size, mode, _, db_value = store(value, False)
            out.append(_Encoded((size, mode, db_value)))
        return out

    def _flush(self) -> None:
        """Apply the transaction's pending deletes and writes in two batched statements.

        One `Cache.set` per row costs three statements and was 3x too slow for 5,100 jobs; the
        rows written are the same (values encoded by our disk, metadata kept by diskcache's
        triggers), so the cache's own API still reads them.
        """
        if self._local.deletes:
            for chunk, marks in _chunks(self._local.deletes):
                self._sql(f"DELETE FROM Cache WHERE raw = 1 AND key IN ({marks})", chunk)
        if self._local.writes:
            now = time.time()
            store = self._cache.disk.store
            rows = []
            for key, value, tag in {w[0]: w for w in self._local.writes}.values():
                if type(value) is _Encoded:
                    size, mode, db_value = value
                else:
                    size, mode, _, db_value = store(value, False, key=key)
                rows.append((key, now, now, tag, size, mode, db_value))
            self._cache._con.executemany(_UPSERT, rows)
        self._local.writes, self._local.deletes = [], []

    def _jobs_by_id(self, ids: list[int]) -> dict[int, Job]:
        """The existing jobs of `ids`, in the order of `ids` (inside a write transaction).

        A row that is not a plain JSON job comes back as a failed job saying why, and is set
        aside; a job written for its id later (asked again) replaces it.
        """
        keys = [job_key(i) for i in ids]
        jobs = self._fetch_jobs(keys)
        return {i: jobs[k] for i, k in zip(ids, keys) if k in jobs}

    def _jobs_in_state(self, state: str) -> list[Job]:
        """Jobs whose row is tagged `state` (inside a write transaction; bad rows set aside)."""
        keys = [k for (k,) in self._sql("SELECT key FROM Cache WHERE tag = ? AND raw = 1"
                                         " AND key >= 'j:' AND key < 'j;'", (state,))]
        return [job for job in self._fetch_jobs(keys).values() if job.state == state]

    def _fetch_jobs(self, keys: list[str]) -> dict[str, Job]:
        out: dict[str, Job] = {}
        bad = []
        for rows in self._rows_of(keys):
            with gc_paused():
                for row in rows:
                    out[row[0]], refused = self._job_of_row(*row)
                    if refused:
                        bad.append(row[0])
        self._set_aside(bad)
        return out

    def _rows_of(self, keys: list[str]) -> Iterator[list[tuple]]:
        """(key, mode, filename, value) of the `keys` that exist, a list per chunk of keys."""
        for chunk, marks in _chunks(keys):
            yield self._sql("SELECT key, mode, filename, value FROM Cache"
                            f" WHERE raw = 1 AND key IN ({marks})", chunk).fetchall()

    def _job_of_row(self, key: str, mode, filename, value) -> tuple[Job, bool]:
        """(the job of a row, False), or (a failed job saying why the row is set aside, True)."""
        try:
            return Job(**self._cache.disk.fetch(mode, filename, value, False)), False
        except PickleRefusedError:   # never loaded
            why = "its stored row is not plain JSON; it was refused, not loaded"
        except (ValueError, TypeError):   # damaged JSON, or JSON that is not a job
            why = "its stored row is damaged"
        item_id = int(key[2:]) if key[2:].isdigit() else -1
        return Job(item_id, FAILED, "", error=f"{why} (ask for the id again to queue it)"), True

    def _set_aside(self, keys: list[str]) -> None:
        """Tag job rows failed without reading them: out of the queue, kept for inspection."""
        for chunk, marks in _chunks(keys):
            self._sql(f"UPDATE Cache SET tag = 'failed' WHERE raw = 1 AND key IN ({marks})",
                      chunk)

    def _existing_keys(self, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk, marks in _chunks(keys):
            found.update(k for (k,) in self._sql(
                f"SELECT key FROM Cache WHERE raw = 1 AND key IN ({marks})", chunk))
        return found

    def _fetch(self, keys: list[str]) -> dict[str, Any]:
        """Values of `keys` that exist, decoded by our disk (which refuses pickle rows)."""
        fetch = self._cache.disk.fetch
        out: dict[str, Any] = {}
        for rows in self._rows_of(keys):
            with gc_paused():
                for key, mode, filename, value in rows:
                    out[key] = self._read_value(fetch, key, mode, filename, value)
        return out

    def _read_value(self, fetch, key: str, mode, filename, value):
        """A row's value through our disk; a refused or damaged row is an error naming it."""
        try:
            return fetch(mode, filename, value, False)
        except PickleRefusedError as exc:
            raise PickleRefusedError(f"{exc} (store {self.directory}, row {key})") from None
        except ValueError:
            raise StoreError(f"the store {self.directory} has a damaged row ({key}); it was "
                             "not read, nothing was changed") from None

    def _rows_with_prefix(self, prefix: str, limit: int | None) -> list[tuple[str, Any]]:
        """(key, value) of keys starting with `prefix`, in key order, read through our disk."""
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        query = ("SELECT key, mode, filename, value FROM Cache WHERE raw = 1"
                 " AND key >= ? AND key < ? ORDER BY key")
        params: tuple = (prefix, upper)
        if limit is not None:
            query += " LIMIT ?"
            params += (int(limit),)
        fetch = self._cache.disk.fetch
        rows = self._sql(query, params).fetchall()
        with gc_paused():
            return [(k, self._read_value(fetch, k, m, f, v)) for k, m, f, v in rows]

    def _sql(self, statement: str, params: Iterable = ()):
        # Batched reads by key range use the Cache table's (key, raw) index directly; diskcache
        # has no API for a prefix range. Values still go through our disk's fetch.
        return self._cache._sql(statement, tuple(params))

    def _atomic(self, body: Callable[[], T]) -> T:
        """Run `body` in one transaction, retrying a busy database, then a clear StoreError."""
        with self._write_lock:
            for _ in range(self._retries + 1):
                self._local.writes, self._local.deletes = [], []
                try:
                    # A batch's results are thousands of fresh lists to pack and encode.
                    with gc_paused(), self._cache.transact():
                        out = body()
                        self._flush()
                        return out
                except Timeout:
                    continue
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
        raise recovery.locked_error(self.directory)


def _open_with_retries(directory: Path, timeout: float, retries: int):
    for _ in range(retries + 1):
        try:
            return open_cache(str(directory), timeout)
        except (Timeout, sqlite3.OperationalError) as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" not in str(exc):
                raise StoreError(f"the store {directory} cannot be opened: {exc}") from None
    raise recovery.locked_error(directory)


def _earlier_version(job: Job | None) -> str | None:
    """The version of the result an item asked again already has (see `Job.earlier_version`)."""
    if job is None:
        return None
    return job.model_version if job.state == DONE else job.earlier_version


def _model_version(result) -> str | None:
    """The model version a result names, or None (then it is filed under its job's)."""
    version = result.get("model_version") if isinstance(result, dict) else None
    return version if type(version) is str and version else None


def owner_alive(owner: str | None) -> bool:
    """False only when `owner` names a process (`{pid}-...`) that no longer exists here.

    Owners of other forms, and every owner where processes cannot be probed safely (on Windows
    `os.kill(pid, 0)` would send a Ctrl-C), count as alive: their leases simply run out.
    """
    pid = (owner or "").split("-", 1)[0]
    if os.name != "posix" or not pid.isdigit() or int(pid) <= 0:
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:   # e.g. another user's process: it exists
        return True
    return True


def _chunks(keys: list[str]) -> Iterator[tuple[list[str], str]]:
    """(chunk of at most `_CHUNK` keys, its `?,?,...` placeholders): SQL's parameter bound."""
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        yield chunk, ",".join("?" * len(chunk))


def _unique_ints(item_ids: Iterable[int]) -> list[int]:
    """Ids as ints, first occurrence kept, order preserved."""
    return list(dict.fromkeys(int(i) for i in item_ids))
