"""What a job is and how its row reads: the `Job`, its states, keys and tags, the reports.

Layout of the keys in one diskcache `Cache` (JSON values, see `json_disk`):
- `j:{item_id}`   the job (a dict of `Job`'s fields). The row's tag column, which diskcache indexes
                  (tag_index), holds the state, or `q{seq:012d}` while queued: tag order is FIFO
                  order, so leasing reads the first rows of an index instead of scanning every job,
                  and counts read no values.
- `r:{model_version}:{item_id}` the result, in the stored form of `result_codec`; written in the
                  same transaction as the done state.
- `m:seq`         the next sequence number.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from salesapp.store.json_disk import PickleRefusedError

QUEUED, LEASED, DONE, FAILED = "queued", "leased", "done", "failed"
STATES = (QUEUED, LEASED, DONE, FAILED)
SEQ_KEY = "m:seq"


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
    # The size of the last lease the job was lost with while too large to blame it (its attempt
    # then not counted); a later lease holding it takes at most half as many (`transitions.lease`).
    lost_in: int | None = None


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


def queued_tag(seq: int) -> str:
    """The tag of a queued job: tags sort in submission order."""
    return f"q{seq:012d}"


def row_of(job: Job) -> tuple[dict, str]:
    """(the stored dict, the tag) of `job`."""
    tag = queued_tag(job.seq) if job.state == QUEUED else job.state
    row = dict(vars(job))
    for name in ("earlier_version", "lost_in"):   # written only when set (rows stay small)
        if row[name] is None:
            del row[name]
    return row, tag


def queued_row(item_id: int, version: str, seq: int, earlier: str | None) -> dict:
    """The stored dict of a new queued job, as `row_of` writes it (without making a `Job`)."""
    row = {"item_id": item_id, "state": QUEUED, "model_version": version, "attempts": 0,
           "owner": None, "lease_until": None, "error": None, "seq": seq}
    if earlier is not None:
        row["earlier_version"] = earlier
    return row


# A job row is one flat dict of short fields; anything far larger is not one of ours, and is
# not decoded (a row nested 100,000 deep costs the decoder its stack, not just time).
MAX_JOB_ROW_BYTES = 1 << 20
_INT_BOUND = 2**53   # seq and attempts: exact in JSON readers everywhere
_TEXT_FIELDS = ("model_version", "owner", "error", "earlier_version")


def _is_int(value) -> bool:
    return type(value) is int and 0 <= value < _INT_BOUND


def row_problem(key: str, row) -> str | None:
    """None when `row` is a job row fit for the job of `key`, else what is wrong (a phrase).

    Read back from our own file, so every field is checked: a row of valid JSON in the wrong
    shape (an owner that is a number, `lease_until` as text, another item's id) must not stop
    every command at open, nor make `work` lease the same job for ever.
    """
    if type(row) is not dict:
        return "it is not a job"
    unknown = set(row) - set(Job.__dataclass_fields__)
    if unknown:
        return f"it has a field {min(unknown)[:40]!r} no job has"
    for name in ("item_id", "state", "model_version", "seq"):
        if name not in row:
            return f"its {name} is missing"
    if not (type(row["item_id"]) is int and key[2:] == str(row["item_id"])):
        return "its item_id is not the id of its key"
    if row["state"] not in STATES:
        return "its state is not one of " + ", ".join(STATES)
    if not _is_int(row["seq"]):
        return "its seq is not a whole number in range"
    if row.get("lost_in") is not None and not _is_int(row["lost_in"]):
        return "its lost_in is not a whole number in range"
    if not _is_int(row.get("attempts", 0)):
        return "its attempts is not a whole number in range"
    lease = row.get("lease_until")
    if lease is not None and not (type(lease) in (int, float) and math.isfinite(lease)):
        return "its lease_until is not a number"
    for name in _TEXT_FIELDS:
        if row.get(name) is not None and type(row[name]) is not str:
            return f"its {name} is not text"
    if type(row["model_version"]) is not str:
        return "its model_version is not text"
    return None


def job_of_row(disk, key: str, mode, filename, value) -> tuple[Job, bool]:
    """(the job of a row, False), or (a failed job saying why the row is set aside, True)."""
    try:
        if value is not None and len(value) > MAX_JOB_ROW_BYTES:
            raise ValueError("too large")
        row = disk.fetch(mode, filename, value, False)
        problem = row_problem(key, row)
        if problem is None:
            return Job(**row), False
        why = f"its stored row is not a valid job ({problem})"
    except PickleRefusedError:   # never loaded
        why = "its stored row is not plain JSON; it was refused, not loaded"
    except (ValueError, TypeError, RecursionError):   # damaged JSON, too large or too deep
        why = "its stored row is damaged"
    item_id = int(key[2:]) if key[2:].isdigit() else -1
    return Job(item_id, FAILED, "", error=f"{why}; ask for the id again to queue it"), True


def earlier_version(job: Job | None) -> str | None:
    """The version of the result an item asked again already has (see `Job.earlier_version`)."""
    if job is None:
        return None
    return job.model_version if job.state == DONE else job.earlier_version


def model_version_of(result) -> str | None:
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


def unique_ints(item_ids: Iterable[int]) -> list[int]:
    """Ids as ints, first occurrence kept, order preserved."""
    return list(dict.fromkeys(int(i) for i in item_ids))
