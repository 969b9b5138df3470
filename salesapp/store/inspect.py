"""Read-only checks of a store directory, for the reliability tests and for support."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from salesapp.store.cache_sql import PICKLE_ROWS
from salesapp.store.recovery import DB_NAME


def _connect(directory: str | Path) -> sqlite3.Connection:
    # Read-only URI: inspecting a store must never create or change one. The path is quoted
    # (`as_uri`): a '?' or '#' in a folder name would otherwise end the path in the URI.
    uri = (Path(directory) / DB_NAME).absolute().as_uri()
    return sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=5)


def integrity_check(directory: str | Path) -> str:
    """SQLite's `PRAGMA integrity_check` of the store's database: "ok" or its findings."""
    con = _connect(directory)
    try:
        return "; ".join(str(r[0]) for r in con.execute("PRAGMA integrity_check"))
    finally:
        con.close()


def pickle_rows(directory: str | Path) -> int:
    """Rows of the Cache table holding a pickle (pickle-mode value or pickled key): should be 0."""
    con = _connect(directory)
    try:
        (count,) = con.execute(PICKLE_ROWS).fetchone()
        return int(count)
    finally:
        con.close()
