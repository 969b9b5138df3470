"""Progress and the idle watch: the dispatcher's bookkeeping, Qt-free and tested without Qt."""

import pytest

from salesapp.workers.idle_watch import IdleWatch, Next
from salesapp.workers.progress import Progress, still_to_run


def test_progress_counts_jobs_as_they_queue_end_and_leave():
    p = Progress(3)
    assert p.totals() == (0, 3)
    p.queued(2)
    p.ended(4)   # done or failed alike
    assert p.totals() == (4, 5)
    p.removed(1)   # cancelled: neither done nor to do
    assert p.totals() == (4, 4)


def test_progress_never_shows_more_done_than_its_total():
    p = Progress(0)
    p.ended(2)   # a runner reported before the writer reported the queueing
    assert p.totals() == (2, 2)
    p.queued(2)
    assert p.totals() == (2, 2)


def test_progress_recount_takes_the_store_s_word_for_what_is_left():
    p = Progress(10)
    p.ended(4)
    p.recount(still_to_run({"queued": 1, "leased": 2, "done": 99}))
    assert p.totals() == (4, 7)


def test_the_idle_question_waits_for_runners_and_for_pending_writes():
    w = IdleWatch()
    assert not w.ask_now(runners=1, writes_pending=False) and not w.due
    assert not w.ask_now(runners=0, writes_pending=True) and w.due   # the write's outcome asks
    assert w.ask_now(runners=0, writes_pending=False) and not w.due


@pytest.mark.parametrize(("counts", "runners", "pending", "may_run", "step"), [
    ({"queued": 3, "leased": 0}, 1, False, True, Next.ASK_AGAIN),   # a runner started meanwhile
    ({"queued": 0, "leased": 0}, 0, True, True, Next.ASK_AGAIN),    # a write came meanwhile
    ({"queued": 3, "leased": 1}, 0, False, True, Next.RUN),
    ({"queued": 0, "leased": 2}, 0, False, True, Next.WAIT),        # leased elsewhere
    ({"queued": 0, "leased": 0}, 0, False, True, Next.IDLE),
    ({"queued": 3, "leased": 2}, 0, False, False, Next.IDLE),       # cancelled or store failing
])
def test_the_counts_say_what_comes_next(counts, runners, pending, may_run, step):
    assert IdleWatch.after_counts(counts, runners, pending, may_run) is step
