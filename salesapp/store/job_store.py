"""The durable job queue and result store (ARCHITECTURE.md "Job store"): leases, never pops.

Every state change is one `cache.transact()`: a crash at any instant leaves the old or new state.
The pieces: `job_rows` (what a job is, keys and tags), `transitions` (the state changes),
`transaction` (reads and batched writes of one transaction), `reads` (jobs, counts, results,
exports), `cache_sql` (the only SQL on diskcache's table), `result_codec` (the stored form of a
result), `json_disk` (JSON only, never pickle), `recovery` (opening, and a broken store moved aside).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Self, TypeVar

from diskcache import Timeout

from salesapp.errors import StoreError
from salesapp.gc_pause import gc_paused
from salesapp.pacing import (
    STORE_BUSY_RETRIES,
    STORE_BUSY_TIMEOUT,
    STORE_SUBMIT_CHUNK,
    STORE_SUBMIT_GAP_MIN_SECONDS,
    STORE_SUBMIT_GAP_SHARE,
)
from salesapp.store import recovery, transitions
from salesapp.store.cache_sql import CacheSQL
from salesapp.store.job_rows import (  # also the names others import from here
    DONE,
    FAILED,
    LEASED,
    QUEUED,
    SEQ_KEY,
    STATES,
    CancelledIds,
    Job,
    SubmitReport,
    job_key,
    model_version_of,
    owner_alive,
    result_key,
    unique_ints,
)
from salesapp.store.presence import FilesInPlace
from salesapp.store.reads import ExportRow, Reads
from salesapp.store.result_codec import pack
from salesapp.store.transaction import Transaction, encoded

T = TypeVar("T")


NOT_FINITE = "its forecast is not a finite number (NaN or infinity), so it was not stored"


class CompletedIds(list):
    """The ids `complete` accepted; `refused`: (item_id, reason) of results it could not store."""

    def __init__(self, *args):
        super().__init__(*args)
        self.refused: list[tuple[int, str]] = []


class JobStore:
    """Jobs queued -> leased -> done | failed, and their results, in one diskcache directory."""

    def __init__(self, cache, directory: Path, notice: str | None, retries: int, max_attempts: int):
        self._cache = cache
        self._sql = CacheSQL(cache)
        self._reads = Reads(self._sql, cache.disk, directory)
        self.directory = directory
        self.notice = notice  # one sentence for the user when the store was rebuilt, else None
        self.given_back_at_open: list[Job] = []   # jobs `open` gave back (see requeue_expired)
        self._retries = retries
        self.max_attempts = max_attempts
        # One write transaction at a time in this process (SQLite allows one writer anyway); lets
        # `writes_held` promise that no thread of ours is inside one.
        self._write_lock = threading.RLock()
        # item ids whose job row this opening set aside (unreadable): failed, said by the caller
        self.set_aside_ids: list[int] = []
        self._files: FilesInPlace | None = None   # set once open: see `FilesInPlace`

    @classmethod
    def open(cls, directory: str | Path, timeout: float = STORE_BUSY_TIMEOUT,
             retries: int = STORE_BUSY_RETRIES,
             max_attempts: int = 3) -> JobStore:
        """Open (or create) the store; a store failing SQLite's quick check is moved aside.

        Leases left by workers that are gone are requeued. Raises `StoreError` when another process
        keeps the store locked for `timeout` x (`retries` + 1) seconds.
        """
        directory = Path(directory)
        cache, notice = recovery.open_checked(directory, timeout, retries)
        store = cls(cache, directory, notice, retries, max_attempts)
        # Kept for the command that opened the store: a job whose last lease was a gone worker's
        # ends failed here, and someone must say so.
        store.given_back_at_open = store.requeue_expired()
        store._files = FilesInPlace(directory)   # after a write: the WAL file exists
        return store

    def close(self) -> None:
        """Close the database connection (jobs not yet run stay queued on disk)."""
        self._cache.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def writes_held(self) -> Iterator[None]:
        """While inside, no thread of this process is in (or enters) a write transaction.

        For test hooks: a process stopped (SIGSTOP) inside this block holds no SQLite write lock.
        """
        with self._write_lock:
            yield

    # --- transitions, one transaction each (see `transitions`) -----------------------------

    def submit(self, item_ids: Iterable[int], model_version: str) -> SubmitReport:
        """Queue each id once; ids with a result for `model_version` are done at once (cached).

        Written `STORE_SUBMIT_CHUNK` ids per transaction, so other writers get turns during a
        large submit; if one transaction fails, the ids of those before it stay queued.
        """
        ids = unique_ints(item_ids)
        report = SubmitReport()
        took = 0.0
        for start in range(0, max(len(ids), 1), STORE_SUBMIT_CHUNK):
            if start:   # a gap for other writers (see STORE_SUBMIT_GAP_SHARE)
                time.sleep(max(STORE_SUBMIT_GAP_MIN_SECONDS, STORE_SUBMIT_GAP_SHARE * took))
            part = ids[start:start + STORE_SUBMIT_CHUNK]
            began = time.perf_counter()
            done = self._atomic(lambda tx, part=part: transitions.submit(tx, part, model_version))
            took = time.perf_counter() - began
            report.queued += done.queued
            report.already_pending += done.already_pending
            report.cached += done.cached
        return report

    def lease(self, owner: str, limit: int, lease_seconds: float) -> list[Job]:
        """Take up to `limit` queued jobs in FIFO order for `owner` until now + `lease_seconds`."""
        return self._atomic(lambda tx: transitions.lease(tx, owner, limit, lease_seconds))

    def renew(self, owner: str, item_ids: Iterable[int], lease_seconds: float) -> list[int]:
        """Extend `owner`'s leases on `item_ids`; returns the ids still leased by `owner`."""
        ids = unique_ints(item_ids)
        return self._atomic(lambda tx: transitions.renew(tx, owner, ids, lease_seconds))

    def complete(self, owner: str, results: Mapping[int, dict]) -> list[int]:
        """Write each result and its job's done state together; returns the ids accepted.

        A result that is not plain JSON (a NaN or infinite forecast) is not stored: its job stays
        `owner`'s, and the returned list's `refused` holds (item_id, reason) for the caller to
        `fail` like a prediction that raised.

        A result is refused when the job is no longer `owner`'s (leased by another worker after
        this lease expired, or already done), so every job is completed exactly once. A result
        naming its `model_version` is filed under that version, and its job then names it too:
        a job queued for one bundle and run by another (the bundle changed since) must not leave
        the other model's forecast in the first one's cache.
        """
        by_id = {int(k): v for k, v in results.items()}
        # Encoded before the transaction: the write lock (other runners, the GUI's writer
        # thread) is held only for the SQL. A refused result (rare) is encoded for nothing.
        ready, refused = self._encoded_results(by_id)
        groups: dict[str | None, list[int]] = {}
        for i in ready:
            groups.setdefault(model_version_of(by_id[i]), []).append(i)
        accepted = CompletedIds(self._atomic(
            lambda tx: transitions.complete(tx, owner, groups, ready)))
        accepted.refused = refused
        return accepted

    def _encoded_results(self, by_id: dict[int, dict]) -> tuple[dict, list[tuple[int, str]]]:
        """({item_id: encoded result}, [(item_id, why it cannot be stored)])."""
        disk = self._cache.disk
        with gc_paused():
            try:
                return dict(zip(by_id, encoded(disk, [pack(r) for r in by_id.values()]))), []
            except (ValueError, TypeError):   # one of them: find which, keep the others
                pass
            ready, refused = {}, []
            for i, r in by_id.items():
                try:
                    ready[i] = encoded(disk, [pack(r)])[0]
                except ValueError:
                    refused.append((i, NOT_FINITE))
                except TypeError as exc:
                    refused.append((i, f"its result cannot be stored ({exc})"))
            return ready, refused

    def fail(self, owner: str, item_id: int, reason: str) -> str | None:
        """Record a failed attempt: back to queued while attempts remain, else failed with `reason`.

        Returns the job's new state, or None when the job was not leased by `owner`.
        """
        return self._atomic(lambda tx: transitions.fail(tx, owner, int(item_id), reason))

    def requeue_expired(self, now: float | None = None) -> list[Job]:
        """Jobs whose worker is gone go back to queued, or end failed after their last attempt.

        A worker is gone when its lease has run out, or at once when the process named in its
        owner id (`{pid}-...`) no longer exists on this machine: after a crash, `salesapp work`
        or the window take the jobs up again without waiting out the lease. Returns the jobs
        given back, in their new state (a failed one carries the reason).
        """
        return self._atomic(lambda tx: transitions.requeue_expired(
            tx, time.time() if now is None else now))

    def retry(self, item_ids: Iterable[int]) -> list[int]:
        """Failed jobs back to queued with attempts reset; returns the ids requeued."""
        ids = unique_ints(item_ids)
        return self._atomic(lambda tx: transitions.retry(tx, ids))

    def recompute(self, pairs: Iterable[tuple[str, int]], model_version: str) -> SubmitReport:
        """Queue again under `model_version` items whose stored result (pairs of (version,
        item_id)) could not be read: those result rows are moved aside (kept, never read again),
        so the item is computed anew instead of answering "already done" with a bad row."""
        pairs = [(v, int(i)) for v, i in pairs]
        ids = unique_ints(i for _, i in pairs)

        def body(tx: Transaction) -> SubmitReport:
            tx.sql.move_aside([result_key(v, i) for v, i in pairs])
            return transitions.submit(tx, ids, model_version)
        return self._atomic(body)

    def forget(self, item_ids: Iterable[int]) -> list[int]:
        """Remove the done and failed jobs of `item_ids` (the window's Clear history); returns
        their ids. Pending jobs are left alone, and stored results stay: asking for an item
        again answers from its result at once."""
        ids = unique_ints(item_ids)
        return self._atomic(lambda tx: transitions.forget(tx, ids))

    def cancel(self, item_ids: Iterable[int]) -> CancelledIds:
        """Take jobs that are still queued off the queue (leased ones finish); returns their ids.

        A job asked again under another model while the item had a result goes back to that
        done job (the earlier forecast stays listed and exported); any other is removed.
        """
        ids = unique_ints(item_ids)
        return self._atomic(lambda tx: transitions.cancel(tx, ids))

    # --- reads (see `reads`) ---------------------------------------------------------------

    def jobs(self) -> list[Job]:
        """Every job, in submission order (a row set aside shows as a failed job saying why)."""
        return self._reads.jobs()

    def counts(self) -> dict[str, int]:
        """Number of jobs in each state (read from the indexed tag column, no value decoding)."""
        self._check_files()
        return self._reads.counts()

    def result(self, model_version: str, item_id: int) -> dict | None:
        """The stored result of `item_id` under `model_version`, or None."""
        return next(self._reads.results_of([(model_version, item_id)]))

    def results(self) -> list[dict]:
        """Every stored result (any model version), ordered by key."""
        return self._reads.results()

    def results_of(self, wanted: Iterable[tuple[str, int]], packed: bool = False
                   ) -> Iterator[dict | None]:
        """The result of each (model_version, item_id) in `wanted`, in order; None if absent.

        `packed=True` yields the stored form (`result_codec`), for readers that format it.
        """
        return self._reads.results_of(wanted, packed)

    def readable_results_of(self, wanted: Iterable[tuple[str, int]]
                            ) -> tuple[list[dict], list[tuple[str, int]]]:
        """(results of `wanted` that read back, the pairs whose stored result is unreadable)."""
        return self._reads.readable_results_of(wanted)

    def export_rows(self) -> Iterator[ExportRow]:
        """Every done or failed job by item id, with the parts of its result an export needs."""
        return self._reads.export_rows()

    def _check_files(self) -> None:
        """A `StoreError` if the store's files were removed or replaced while it is open."""
        if self._files is not None:
            self._files.check()

    def _atomic(self, body: Callable[[Transaction], T]) -> T:
        """Run `body` in one transaction, retrying a busy database, then a clear StoreError."""
        self._check_files()
        with self._write_lock:
            for _ in range(self._retries + 1):
                tx = Transaction(self._cache, self._sql, self.max_attempts)
                try:
                    with gc_paused(), self._cache.transact():
                        out = body(tx)
                        tx.flush()
                    self.set_aside_ids += [int(k[2:]) for k in tx.aside if k[2:].isdigit()]
                    return out
                except Timeout:
                    continue
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
        raise recovery.locked_error(self.directory)


__all__ = ["DONE", "FAILED", "LEASED", "QUEUED", "SEQ_KEY", "STATES", "CancelledIds", "ExportRow",
           "Job", "JobStore", "StoreError", "SubmitReport", "job_key", "owner_alive", "result_key"]
