"""`IdleWatch`: when a dispatcher asks the store for its counts, and what the counts mean."""

from __future__ import annotations

from enum import Enum


class Next(Enum):
    """What a dispatcher does with the store's counts."""

    ASK_AGAIN = "ask again"   # work started, or a write is due, since the counts were asked for
    RUN = "run"               # jobs are queued: start runners
    WAIT = "wait"             # jobs are leased elsewhere: look again later, their lease may end
    IDLE = "idle"             # nothing to run (or running is not allowed): say idle


class IdleWatch:
    """Idle is decided from the store's counts, asked for once no runner runs.

    A write still on its way (a submit, a cancel, a read an idle check waits for) can change
    them, so while one is pending the question waits: `due` is then set, and the write's
    outcome asks again.
    """

    def __init__(self):
        self.due = False

    def ask_now(self, runners: int, writes_pending: bool) -> bool:
        """True: ask the store for its counts now."""
        if runners:
            return False
        if writes_pending:
            self.due = True
            return False
        self.due = False
        return True

    @staticmethod
    def after_counts(counts: dict, runners: int, writes_pending: bool, may_run: bool) -> Next:
        """The step the counts call for. `may_run`: not cancelled, no runner error.

        Leases held elsewhere are waited out: a runner that hit a store error leaves its batch
        leased, and it must go back to the queue when the lease runs out.
        """
        if runners or writes_pending:
            return Next.ASK_AGAIN
        if counts.get("queued", 0) and may_run:
            return Next.RUN
        if counts.get("leased", 0) and may_run:
            return Next.WAIT
        return Next.IDLE
