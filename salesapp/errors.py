"""Errors the user can act on: each renders as one sentence naming what and where."""

from __future__ import annotations

from pathlib import Path


def as_sentence(text: object) -> str:
    """`text` ending as a sentence does (a full stop added when it ends without one)."""
    text = str(text).rstrip()
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def listed_ids(ids, shown: int) -> str:
    """The first `shown` of `ids` for a sentence: '5, 7, 9' or '5, 7, … (first 2)'."""
    ids = list(ids)
    more = f", … (first {shown})" if len(ids) > shown else ""
    return ", ".join(str(i) for i in ids[:shown]) + more


class SalesAppError(Exception):
    """Base of every error that is shown to a user as one clear sentence (never a traceback)."""


class InputError(SalesAppError):
    """Bad input: names the file, line (1-based, as an editor shows it) and column where it applies."""

    def __init__(self, message: str, path: str | Path | None = None,
                 line: int | None = None, column: str | int | None = None):
        self.message = message.rstrip(".")
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(f"{self.path}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}" if isinstance(self.column, str)
                         else f"column {self.column}")
        return (", ".join(where) + ": " if where else "") + self.message + "."


class BundleError(SalesAppError):
    """A model bundle that is missing, incomplete or does not match its SHA-256 manifest."""


class StoreError(SalesAppError):
    """The job store could not be opened or used (e.g. locked by another process past the timeout)."""


class BusyStoreError(StoreError):
    """Another writer held the store past the retries: the store works, it was only busy."""
