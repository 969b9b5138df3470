"""The history's own errors, each one sentence for the user."""

from __future__ import annotations

from salesapp.errors import InputError, SalesAppError
from salesapp.history import months as month_names


class HistoryError(SalesAppError):
    """The held history could not be read or written (it is left as it was)."""


class DamagedHistory(HistoryError):
    """A held history folder failed its checks; `reason` says which, in a few words."""

    def __init__(self, folder, reason: str):
        self.folder, self.reason = folder, reason.rstrip(".")
        super().__init__(f"the held sales history {folder} is damaged: {self.reason}")


class OverlapError(InputError):
    """The import holds months the history already holds; `months` lists them (blocks).

    Nothing was changed: import again with replace=True (`--replace`) to replace exactly
    those months, or leave them out of the files.
    """

    def __init__(self, source, months: list[int], held: list[int]):
        self.months = sorted(months)
        n = len(self.months)
        super().__init__(
            f"{month_names.listing(self.months)} {'is' if n == 1 else 'are'} already held (the "
            f"history holds {month_names.listing(held)}); nothing was imported: import again "
            f"with --replace to replace {'that month' if n == 1 else f'those {n} months'}, or "
            "leave {} out".format("it" if n == 1 else "them"), source)


class ConcurrentImport(HistoryError):
    """Another import finished while this one was being written; nothing of this one was kept."""
