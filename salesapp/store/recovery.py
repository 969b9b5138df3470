"""Opening the store's database safely: SQLite's quick check, a broken store moved aside, and
bounded retries while another process holds the lock."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from diskcache import Timeout

from salesapp.errors import BusyStoreError, StoreError
from salesapp.store.json_disk import open_cache

log = logging.getLogger(__name__)

DB_NAME = "cache.db"  # diskcache's file name
SIDE_SUFFIXES = ("", "-wal", "-shm")


def quick_check(db_path: Path, timeout: float) -> str | None:
    """None when the database passes `PRAGMA quick_check` (or does not exist), else the reason.

    Only a verdict on the file's content counts as damage. A database locked by another process,
    or one that cannot be opened right now (too many open files, permissions, an I/O error), is
    not broken: moving it aside would hide every job in it. Those raise `StoreError` instead.
    """
    if not db_path.exists():
        return None
    try:
        con = sqlite3.connect(db_path, timeout=timeout)
        try:
            rows = con.execute("PRAGMA quick_check").fetchall()
        finally:
            con.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise locked_error(db_path.parent) from None
        raise StoreError(f"the store {db_path.parent} cannot be opened ({exc}); it was left "
                         "as it is") from None
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed", ...
        return str(exc)
    verdict = "; ".join(str(r[0]) for r in rows)
    return None if verdict == "ok" else verdict


def move_aside(directory: Path, reason: str) -> str:
    """Rename the database files with a timestamp; returns the notice sentence for the user."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = directory / f"{DB_NAME}.broken-{stamp}"
    n = 1
    while kept.exists():  # two recoveries in the same second keep both
        kept = directory / f"{DB_NAME}.broken-{stamp}-{n}"
        n += 1
    for suffix in SIDE_SUFFIXES:
        src = directory / (DB_NAME + suffix)
        if src.exists():
            src.rename(Path(str(kept) + suffix))
    # SQLite's check can report a page per line (a hundred lines for one clobbered file): the
    # log keeps all of it, the user gets one sentence.
    log.warning("store %s failed SQLite's check, moved aside to %s: %s", directory, kept.name,
                reason)
    return (f"The job store in {directory} was damaged ({short_reason(reason)}); it was moved "
            f"aside to {kept.name} and a fresh, empty store was started (details in the log).")


def short_reason(reason: str, limit: int = 120) -> str:
    """The first finding of SQLite's check, on one line and at most about `limit` characters."""
    first = reason.replace("\r", "\n").split("\n")[0].split("; ")[0].strip()
    if len(first) > limit:
        first = first[:limit].rstrip() + "…"
    more = first != reason.strip()
    return first.rstrip(".") + (" and more" if more else "")


def locked_error(directory: Path) -> BusyStoreError:
    """The one sentence for a store another process keeps locked past our retries."""
    return BusyStoreError(f"the store {directory} is locked by another process; close the other "
                      "Sales Forecast Desk window or command and try again")


def open_checked(directory: Path, timeout: float, retries: int):
    """(the store's cache, the notice sentence or None): a damaged database is moved aside first.

    Raises `StoreError` when the directory cannot be made, or another process keeps the database
    locked for `timeout` x (`retries` + 1) seconds.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:   # e.g. the path names a file
        raise StoreError(f"the store {directory} cannot be made: {exc.strerror or exc}") from None
    notice = None
    reason = quick_check(directory / DB_NAME, timeout)
    if reason is not None:
        notice = move_aside(directory, reason)
    return _open_with_retries(directory, timeout, retries), notice


def _open_with_retries(directory: Path, timeout: float, retries: int):
    for _ in range(retries + 1):
        try:
            return open_cache(str(directory), timeout)
        except (Timeout, sqlite3.OperationalError) as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" not in str(exc):
                raise StoreError(f"the store {directory} cannot be opened: {exc}") from None
    raise locked_error(directory)
