"""One write transaction of the store: the rows it reads, and the rows it writes at its end.

A transition (`transitions`) reads jobs through a `Transaction` and queues its writes and deletes
there; `flush` applies them in two batched statements inside the same `cache.transact()`. The
rows written are the rows `Cache.set` writes (values encoded by our disk, metadata kept by
diskcache's triggers), so the cache's own API still reads them.
"""

from __future__ import annotations

import time

from salesapp.gc_pause import gc_paused
from salesapp.store.cache_sql import CacheSQL
from salesapp.store.job_rows import (
    FAILED,
    QUEUED,
    SEQ_KEY,
    Job,
    job_key,
    job_of_row,
    row_of,
)


class Encoded(tuple):
    """A value already encoded by the store's disk: (size, mode, database value)."""

    __slots__ = ()


def encoded(disk, values: list) -> list[Encoded]:
    """Values as the row fields our disk writes (JSON bytes kept in the database)."""
    out = []
    for value in values:
        size, mode, _, db_value = disk.store(value, False)
        out.append(Encoded((size, mode, db_value)))
    return out


class Transaction:
    """Reads and pending writes of one `cache.transact()` block."""

    def __init__(self, cache, sql: CacheSQL, max_attempts: int):
        self.cache = cache
        self.sql = sql
        self.disk = cache.disk
        self.max_attempts = max_attempts
        self.writes: list[tuple[str, object, str | None]] = []   # (key, value, tag)
        self.deletes: list[str] = []
        self.aside: list[str] = []   # keys of job rows set aside (unreadable) by this transaction

    # --- reads -----------------------------------------------------------------------------

    def jobs_by_id(self, ids: list[int]) -> dict[int, Job]:
        """The existing jobs of `ids`, in the order of `ids`.

        A row that is not a plain JSON job comes back as a failed job saying why, and is set
        aside; a job written for its id later (asked again) replaces it.
        """
        keys = [job_key(i) for i in ids]
        jobs = self._fetch_jobs(keys)
        return {i: jobs[k] for i, k in zip(ids, keys) if k in jobs}

    def jobs_in_state(self, state: str) -> list[Job]:
        """Jobs whose row is tagged `state` (bad rows set aside)."""
        keys = self.sql.job_keys_tagged(state)
        jobs = self._fetch_jobs(keys)
        # A row whose tag and state disagree would be counted in one state and treated in
        # another for ever (a leased count no requeue ever clears): set aside like a bad row.
        for job in jobs.values():
            if job.state not in (state, FAILED):
                job.error = (f"its stored row is not a valid job (its state {job.state} differs "
                             f"from its tag {state}); ask for the id again to queue it")
                job.state, job.owner, job.lease_until = FAILED, None, None
                self.put(job)
        return [job for job in jobs.values() if job.state == state]

    def _fetch_jobs(self, keys: list[str]) -> dict[str, Job]:
        out: dict[str, Job] = {}
        bad = []
        for rows in self.sql.rows_of(keys):
            with gc_paused():
                for row in rows:
                    out[row[0]], refused = job_of_row(self.disk, *row)
                    if refused:
                        bad.append(row[0])
        self.set_aside(bad)
        return out

    def set_aside(self, keys: list[str]) -> None:
        """Set rows aside (`CacheSQL.set_aside`), remembered for the store's tally."""
        self.sql.set_aside(keys)
        self.aside += keys

    def next_seq(self) -> int:
        """The next sequence number; `set_next_seq` records a new one."""
        return self.cache.get(SEQ_KEY, 0)

    def set_next_seq(self, seq: int) -> None:
        """Record `seq` as the next sequence number."""
        self.cache.set(SEQ_KEY, seq)

    # --- writes ----------------------------------------------------------------------------

    def put(self, job: Job) -> None:
        """Write `job`'s row at the end of the transaction."""
        row, tag = row_of(job)
        self.writes.append((job_key(job.item_id), row, tag))

    def enqueue(self, job: Job) -> None:
        """`job` back to queued, unleased."""
        job.state, job.owner, job.lease_until = QUEUED, None, None
        self.put(job)

    def give_back(self, job: Job, reason: str) -> None:
        """A lost or failed attempt: queued again while attempts remain, else failed."""
        job.owner, job.lease_until, job.error = None, None, reason
        if job.attempts < self.max_attempts:
            job.seq = self.next_seq()
            self.set_next_seq(job.seq + 1)
            self.enqueue(job)
        else:
            job.state = FAILED
            self.put(job)

    def flush(self) -> None:
        """Apply the pending deletes and writes in two batched statements (last write wins)."""
        if self.deletes:
            self.sql.delete(self.deletes)
        if self.writes:
            now = time.time()
            store = self.disk.store
            rows = []
            for key, value, tag in {w[0]: w for w in self.writes}.values():
                if type(value) is Encoded:
                    size, mode, db_value = value
                else:
                    size, mode, _, db_value = store(value, False, key=key)
                rows.append((key, now, now, tag, size, mode, db_value))
            self.sql.upsert(rows)
        self.writes, self.deletes = [], []
