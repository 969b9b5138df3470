"""The state changes of jobs, each the body of one transaction (`Transaction`).

queued -> leased -> done | failed; a lost or failed attempt goes back to queued while attempts
remain. Lease and complete edit the job rows inside SQLite (`CacheSQL.lease_rows`,
`complete_rows`); Python decodes only the new JSON it returns.
"""

from __future__ import annotations

import time
from collections import Counter

from salesapp.pacing import BLAMED_LEASE
from salesapp.store.cache_sql import PLAIN_JSON_ROW
from salesapp.store.job_rows import (
    DONE,
    FAILED,
    LEASED,
    QUEUED,
    CancelledIds,
    Job,
    SubmitReport,
    earlier_version,
    job_key,
    job_of_row,
    owner_alive,
    queued_row,
    queued_tag,
    result_key,
)
from salesapp.store.transaction import Encoded, Transaction


def submit(tx: Transaction, ids: list[int], version: str) -> SubmitReport:
    """Queue each id once; ids with a result for `version` are done at once (cached)."""
    report = SubmitReport()
    jobs = tx.jobs_by_id(ids)
    result_keys = [result_key(version, i) for i in ids]
    # Only a result that can be read answers "already done": a damaged one is computed again.
    have_result = tx.sql.readable_keys(result_keys)
    seq = tx.next_seq()
    for item_id, key in zip(ids, result_keys):
        job = jobs.get(item_id)
        if job is not None and job.state in (QUEUED, LEASED):
            report.already_pending.append(item_id)
        elif key in have_result:
            if not (job is not None and job.state == DONE and job.model_version == version):
                tx.put(Job(item_id, DONE, version, seq=seq))  # else: already says so
            report.cached.append(item_id)
        else:
            row = queued_row(item_id, version, seq, earlier_version(job))
            tx.writes.append((job_key(item_id), row, queued_tag(seq)))
            report.queued.append(item_id)
        seq += 1
    tx.set_next_seq(seq)
    return report


def lease(tx: Transaction, owner: str, limit: int, lease_seconds: float) -> list[Job]:
    """Up to `limit` queued jobs in FIFO order, now leased by `owner`."""
    rows = tx.sql.lease_candidates(limit)
    # A row that is not a plain JSON job must not stop every other job: set aside, unread.
    tx.set_aside([key for _, key, ok in rows if not ok])
    now = time.time()
    leased, bad = [], []
    changed = tx.sql.lease_rows([r[0] for r in rows if r[2]], owner, now + lease_seconds, now)
    for key, value in changed:
        job, refused = job_of_row(tx.disk, key, *PLAIN_JSON_ROW, value)
        if refused:   # JSON, but not a job
            bad.append(key)
        else:
            leased.append(job)
    tx.set_aside(bad)
    leased.sort(key=lambda job: job.seq)   # FIFO, as the tags order them
    return _split_after_a_lost_lease(tx, leased)


def _split_after_a_lost_lease(tx: Transaction, leased: list[Job]) -> list[Job]:
    """Keep at most half the smallest lost lease of the jobs leased (`Job.lost_in`); the rest
    go back to the queue as they were, so that a job killing its process is soon alone."""
    sizes = [j.lost_in for j in leased if type(j.lost_in) is int and j.lost_in > 0]
    keep = max(1, min(sizes) // 2) if sizes else len(leased)
    for job in leased[keep:]:
        job.attempts -= 1   # `lease_rows` counted one: this lease never was
        tx.enqueue(job)
    return leased[:keep]


def renew(tx: Transaction, owner: str, ids: list[int], lease_seconds: float) -> list[int]:
    """Extend `owner`'s leases on `ids`; the ids still leased by `owner`."""
    until = time.time() + lease_seconds
    kept = []
    for job in tx.jobs_by_id(ids).values():
        if job.state == LEASED and job.owner == owner:
            job.lease_until = until
            tx.put(job)
            kept.append(job.item_id)
    return kept


def complete(tx: Transaction, owner: str, groups: dict[str | None, list[int]],
             encoded: dict[int, Encoded]) -> list[int]:
    """Mark done the jobs `owner` holds and file their (already encoded) results.

    `groups`: model version named by the results (None: their job's) -> item ids.
    """
    now = time.time()
    version_of: dict[int, str] = {}
    for version, ids in groups.items():
        done = tx.sql.complete_rows([job_key(i) for i in ids], owner, now, version)
        version_of.update((int(key[2:]), v) for key, v in done)
    accepted = [i for i in encoded if i in version_of]
    tx.writes.extend((result_key(version_of[i], i), encoded[i], None) for i in accepted)
    return accepted


def fail(tx: Transaction, owner: str, item_id: int, reason: str) -> str | None:
    """A failed attempt of `owner`'s job; its new state, or None when `owner` did not hold it."""
    job = tx.jobs_by_id([item_id]).get(item_id)
    if job is None or job.state != LEASED or job.owner != owner:
        return None
    tx.give_back(job, reason)
    return job.state


def requeue_expired(tx: Transaction, moment: float) -> list[Job]:
    """Leased jobs whose worker is gone (lease run out, or its process ended), given back."""
    lost = []
    # in their old order: a lost batch stays in FIFO order at the queue's end
    for job in sorted(tx.jobs_in_state(LEASED), key=lambda j: j.seq):
        if (job.lease_until or 0) < moment:
            lost.append((job, "the worker stopped before finishing (lease expired)"))
        elif not owner_alive(job.owner):
            lost.append((job, "the worker's process ended before finishing"))
    # A lease is its owner's jobs with the same expiry (taken, and renewed, together).
    sizes = Counter((job.owner, job.lease_until) for job, _ in lost)
    for job, reason in lost:
        size = sizes[(job.owner, job.lease_until)]
        if size > BLAMED_LEASE:
            job.attempts = max(0, job.attempts - 1)   # not this job's failure: see BLAMED_LEASE
        job.lost_in = size
        tx.give_back(job, reason)
    return [job for job, _ in lost]


def retry(tx: Transaction, ids: list[int]) -> list[int]:
    """Failed jobs of `ids` back to queued with attempts reset; the ids requeued."""
    seq = tx.next_seq()
    done = []
    for job in tx.jobs_by_id(ids).values():
        if job.state == FAILED:
            job.attempts, job.error, job.seq, job.lost_in = 0, None, seq, None
            tx.enqueue(job)
            done.append(job.item_id)
            seq += 1
    tx.set_next_seq(seq)
    return done


def forget(tx: Transaction, ids: list[int]) -> list[int]:
    """Done and failed jobs of `ids` removed (their results stay); returns their ids."""
    gone = [j.item_id for j in tx.jobs_by_id(ids).values() if j.state in (DONE, FAILED)]
    tx.deletes.extend(job_key(i) for i in gone)
    return gone


def cancel(tx: Transaction, ids: list[int]) -> CancelledIds:
    """Queued jobs of `ids` off the queue: back to their earlier done job, or removed."""
    gone = CancelledIds()
    jobs = [j for j in tx.jobs_by_id(ids).values() if j.state == QUEUED]
    earlier = {j.item_id: result_key(j.earlier_version, j.item_id)
               for j in jobs if j.earlier_version is not None}
    kept = tx.sql.readable_keys(list(earlier.values()))
    for job in jobs:
        if earlier.get(job.item_id) in kept:
            tx.put(Job(job.item_id, DONE, job.earlier_version, seq=job.seq))
            gone.restored.append((job.earlier_version, job.item_id))
        else:
            tx.deletes.append(job_key(job.item_id))
        gone.append(job.item_id)
    return gone
