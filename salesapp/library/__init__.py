"""Qt-free: the library of model bundles kept under the per-user data directory.

Every model trained or added is kept in a folder of its own named by its version; a pointer file
names the active one; the bundled default model is the first entry of a fresh machine. The
module-level functions act on the user's library (`default_library()`); `ModelLibrary` on any
folder (tests, benchmarks).

    from salesapp import library
    version = library.add(bundle_dir)     # checked (manifest, trial run) before it is listed
    library.activate(version)
    library.active_dir()                  # the folder the window and the commands load
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from salesapp.library.entry import LibraryEntry
from salesapp.library.model_library import ModelLibrary, UnknownModelError

__all__ = ["LibraryEntry", "ModelLibrary", "UnknownModelError", "activate", "active_dir",
           "add", "checked_active_dir", "default_library", "entries", "model_dir_for"]


def default_library() -> ModelLibrary:
    """The user's library: `user_data_dir()/"models"`, the bundled model as its first entry."""
    return ModelLibrary()


def add(bundle_dir: str | Path, *, move: bool = False) -> str:
    """`ModelLibrary.add` on the user's library."""
    return default_library().add(bundle_dir, move=move)


def entries() -> list[LibraryEntry]:
    """`ModelLibrary.entries` of the user's library."""
    return default_library().entries()


def activate(version: str) -> LibraryEntry:
    """`ModelLibrary.activate` on the user's library."""
    return default_library().activate(version)


def active_dir() -> Path:
    """`ModelLibrary.active_dir` of the user's library."""
    return default_library().active_dir()


def checked_active_dir() -> Path:
    """`ModelLibrary.checked_active_dir` of the user's library."""
    return default_library().checked_active_dir()


def model_dir_for(given: str | Path | None, *, checked: bool = True,
                  say: Callable[[str], None] | None = None) -> Path:
    """The bundle a command or the window uses: `--model DIR` when given, else the active model
    (`checked`: its files checked against its manifest first, `checked_active_dir`). Each
    sentence about a damaged pointer or entry set aside goes to `say`."""
    if given:
        return Path(given)
    lib = default_library()
    found = lib.checked_active_dir() if checked else lib.active_dir()
    for sentence in lib.notices:
        if say is not None:
            say(sentence)
    return found
