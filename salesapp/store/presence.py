"""`FilesInPlace`: whether the database files a store opened are still the ones at its path.

SQLite keeps working on files that were deleted or renamed under it (they stay open), so a
store whose folder was removed, whose `-wal` was deleted or whose database was replaced would go
on "recording" results nobody can ever read back. Each transaction looks first (two `stat`s).
"""

from __future__ import annotations

import os
from pathlib import Path

from salesapp.errors import StoreError
from salesapp.store.recovery import DB_NAME

WAL_SUFFIX = "-wal"


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class FilesInPlace:
    """The identity (device, inode) of a store's database and WAL file, taken once it is open.

    While any connection is open SQLite keeps the WAL file (it removes it only when the last
    connection closes), so a WAL seen at open that is missing or another file later was taken
    away by someone else.
    """

    def __init__(self, directory: Path):
        self._directory = directory
        self._db = directory / DB_NAME
        self._wal = directory / (DB_NAME + WAL_SUFFIX)
        self._db_id = _identity(self._db)
        self._wal_id = _identity(self._wal)

    def check(self) -> None:
        """Raise `StoreError` (one sentence) if the files opened are no longer at their path."""
        if self._db_id is not None and _identity(self._db) != self._db_id:
            what = "its folder was removed" if not self._directory.exists() \
                else "its database file was removed or replaced"
        elif self._wal_id is not None and _identity(self._wal) != self._wal_id:
            what = "its write-ahead log (cache.db-wal) was removed or replaced"
        else:
            return
        raise StoreError(f"the job store {self._directory} can no longer be used: {what} while "
                         "it was open")
