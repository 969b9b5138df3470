"""`Progress`: the one tally of job progress (done, total) of a dispatcher or a `work` run."""

from __future__ import annotations


class Progress:
    """Jobs ended (done or failed) and jobs still to run, kept as they move.

    Starts from one count of the store's queued and leased jobs; `recount` sets the jobs still
    to run from a newer count. Not thread-safe: one owner thread, or the caller's lock.
    """

    def __init__(self, outstanding: int = 0):
        self.done = 0
        self._outstanding = outstanding

    def queued(self, n: int) -> None:
        """`n` more jobs to run."""
        self._outstanding += n

    def removed(self, n: int) -> None:
        """`n` jobs left the queue without running (cancelled)."""
        self._outstanding -= n

    def ended(self, n: int) -> None:
        """`n` jobs ended, done or failed."""
        self.done += n
        self._outstanding -= n

    def recount(self, outstanding: int) -> None:
        """The jobs still to run, as the store counted them."""
        self._outstanding = outstanding

    def totals(self) -> tuple[int, int]:
        """(done, total). A job can end before its queueing is counted: never done > total."""
        return self.done, self.done + max(self._outstanding, 0)


def still_to_run(counts: dict) -> int:
    """Jobs a store's `counts()` says are queued or leased."""
    return counts.get("queued", 0) + counts.get("leased", 0)
