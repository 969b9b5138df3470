"""Checks a command makes on its arguments before any work starts: each failure is one sentence.

Done first so that a typo in a path costs nothing: `train` would otherwise find its --out
unusable only after the whole training, `predict` after loading the model.
"""

from __future__ import annotations

import os
from pathlib import Path

from salesapp.errors import InputError

STORE_DB = "cache.db"   # store.recovery.DB_NAME, here so that `results` checks without diskcache


def writable_folder_for(out: str | Path, option: str) -> Path:
    """`out` as a folder to write into (made later by the command): not a file, and the nearest
    folder that exists on its way is one this user can write in."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} must be a folder, and this is an existing file; "
                         "give a new or an existing folder's name", path)
    _check_writable_ancestor(path, option)
    return path


def file_in_existing_folder(out: str | Path, option: str) -> Path:
    """`out` as a file to write: its folder exists and is writable, and it is not a folder."""
    path = Path(out)
    if path.is_dir():
        raise InputError(f"{option} names a folder; give a file name inside it", path)
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"the folder {folder} does not exist; make it first or choose another "
                         f"{option}", path)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write into the folder {folder} (permission denied)", path)
    return path


def _check_writable_ancestor(path: Path, option: str) -> None:
    ancestor = path if path.exists() else path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"{option} cannot be made: {ancestor} is a file, not a folder", path)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"{option} cannot be written: the folder {ancestor} is not writable "
                         "(permission denied)", path)


def existing_store(directory: str | Path) -> Path:
    """A folder that holds a job store (for reading it: opening one would make an empty store)."""
    path = Path(directory)
    if not path.is_dir():
        raise InputError("there is no job store here: the folder does not exist", path)
    if not (path / STORE_DB).is_file():
        raise InputError("this folder holds no job store (nothing was ever submitted to it)", path)
    return path
