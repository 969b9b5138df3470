"""Stopping `salesapp work`: Ctrl-C, SIGTERM, a second signal."""

import signal
import subprocess
import sys
import time

import pytest
from engine_cli import FakePredictor, cli_env, run_cli

from salesapp.store.job_store import JobStore


def _interrupt_work(store, bundle, after_lines, signum, items=200):
    """Start `work` on `items` slow jobs; send `signum` after `after_lines` progress lines.

    Returns (exit status, seconds from the signal to the exit, stderr after the signal).
    """
    assert run_cli("submit", "--store", store, "--model", bundle, "--items", f"1-{items}"
                ).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "salesapp", "work", "--store", str(store),
                             "--model", str(bundle)],
                            env=cli_env(SALESAPP_TEST_SLOW_MS=300, SALESAPP_BATCH_SIZE=10,
                                     PYTHONFAULTHANDLER=1),
                            stderr=subprocess.PIPE, text=True)
    seen = 0
    for line in proc.stderr:
        seen += "jobs" in line
        if seen == after_lines:
            break
    start = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, time.monotonic() - start, err


def _counts_after_interrupt(store, err):
    """The store's counts; checks that the last line's done count is what the store holds."""
    with JobStore.open(store) as s:
        counts = s.counts()
    last = err.strip().splitlines()[-1]
    assert last == (f"salesapp: interrupted: {counts['done']} done, 0 failed; "
                    "the rest stays queued in the store."), err
    return counts


@pytest.mark.parametrize("after_lines", [4, 1])   # mid-run / right after the first batch
def test_ctrl_c_stops_work_and_leaves_the_rest_queued(tmp_path, small_bundle, after_lines):
    store = tmp_path / "store"
    code, took, err = _interrupt_work(store, small_bundle, after_lines, signal.SIGINT)
    assert code == 130 and took < 5, (code, took, err[-600:])
    assert "Traceback" not in err and "Fatal Python error" not in err
    counts = _counts_after_interrupt(store, err)
    assert counts["failed"] == 0 and counts["leased"] == 0
    assert counts["queued"] > 0 and counts["done"] + counts["queued"] == 200, counts


def test_sigterm_stops_work_like_ctrl_c_with_its_own_status(tmp_path, small_bundle):
    store = tmp_path / "store"
    code, took, err = _interrupt_work(store, small_bundle, 3, signal.SIGTERM, items=100)
    assert code == 128 + signal.SIGTERM and took < 5, (code, took, err[-600:])
    counts = _counts_after_interrupt(store, err)
    assert counts["queued"] > 0 and counts["done"] + counts["queued"] == 100, counts


def test_a_stop_request_is_a_flag_while_inside_and_the_handlers_come_back():
    from salesapp.workers.headless import stop_requested

    before = signal.getsignal(signal.SIGINT)
    with stop_requested() as stop:
        signal.raise_signal(signal.SIGINT)   # no KeyboardInterrupt: only the flag
        assert stop.signum == signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is before


def test_run_work_stopped_before_it_starts_leases_nothing(tmp_path, small_bundle):
    from salesapp.model.predictor import Predictor
    from salesapp.workers import headless

    predictor = Predictor.load(small_bundle)
    with JobStore.open(tmp_path / "s") as store:
        store.submit(range(40), predictor.version)
        with headless.stop_requested() as stop:
            stop.handle(signal.SIGINT, None)
            summary = headless.run_until_idle(store, predictor, stop=stop)
        assert store.counts()["queued"] == 40
    assert summary.interrupted == signal.SIGINT and summary.finished == 0


def test_a_second_ctrl_c_leaves_at_once_and_the_batch_is_taken_up_again(tmp_path, small_bundle):
    store, marker = tmp_path / "store", tmp_path / "in_model_call"
    assert run_cli("submit", "--store", store, "--model", small_bundle, "--items", "1-100"
                ).returncode == 0
    # A batch that takes 4 s: the first Ctrl-C would wait for it, the second does not.
    proc = subprocess.Popen([sys.executable, "-m", "salesapp", "work", "--store", str(store),
                             "--model", str(small_bundle)],
                            env=cli_env(SALESAPP_TEST_SLOW_MS=4000, SALESAPP_BATCH_SIZE=100,
                                     SALESAPP_TEST_MODEL_MARKER=marker),
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:   # the first, small batch is done
        if "jobs" in line:
            break
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:   # the pool's batch is running
        time.sleep(0.02)   # a file another process makes: nothing to wait on but its presence
    assert marker.exists()
    start = time.monotonic()
    while proc.poll() is None and time.monotonic() - start < 10:
        proc.send_signal(signal.SIGINT)   # the first asks for a stop, the next ones insist
        try:
            proc.wait(timeout=0.3)
        except subprocess.TimeoutExpired:
            pass
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and time.monotonic() - start < 3, (proc.returncode, err)
    assert err.strip().splitlines()[-1].startswith("salesapp: stopped at once")
    with JobStore.open(store) as s:   # the dead worker's leases come back at the open
        counts = s.counts()
    assert counts == {"queued": 84, "leased": 0, "done": 16, "failed": 0}


def test_a_signal_after_the_last_job_interrupts_nothing(tmp_path):
    """Ctrl-C landing once the queue has run dry must not make `work` say "interrupted"."""
    from salesapp.workers.headless import StopRequest, run_until_idle

    store = JobStore.open(tmp_path / "s")
    p = FakePredictor()
    store.submit([1, 2], p.version)
    stop = StopRequest()
    real_counts = store.counts

    def counts():   # the run's last look at the store finds it dry: the signal comes now
        seen = real_counts()
        if not seen["queued"] and not seen["leased"]:
            stop.ask(signal.SIGINT)
        return seen

    store.counts = counts
    try:
        summary = run_until_idle(store, p, pool_size=1, stop=stop)
    finally:
        store.close()
    assert stop.signum == signal.SIGINT   # it did come
    assert summary.finished == 2 and summary.interrupted == 0


def test_work_with_several_threads_runs_every_job_once_and_stops_on_a_signal(tmp_path):
    """--workers 3: plain threads under one lease owner; a stop ends them all, leaving no lease."""
    from salesapp.workers.headless import StopRequest, run_until_idle

    p = FakePredictor()
    with JobStore.open(tmp_path / "s") as store:
        store.submit(range(500), p.version)
        progress = []
        summary = run_until_idle(store, p, pool_size=3, batch_size=20,
                                 on_progress=lambda d, t: progress.append((d, t)))
        assert summary.finished == 500 and summary.interrupted == 0 and not summary.errors
        assert store.counts() == {"queued": 0, "leased": 0, "done": 500, "failed": 0}
        assert progress[-1] == (500, 500) and [d for d, _ in progress] == sorted(d for d, _ in progress)
        store.submit(range(500, 1000), p.version)
        stop = StopRequest()

        def stop_after_some(done, _total):
            if done >= 100:
                stop.ask(signal.SIGTERM)

        summary = run_until_idle(store, p, pool_size=3, batch_size=20, stop=stop,
                                 on_progress=stop_after_some)
        counts = store.counts()
    assert summary.interrupted == signal.SIGTERM and 100 <= summary.finished < 500
    assert counts["leased"] == 0 and counts["done"] == 500 + summary.finished


def test_work_runs_the_model_off_the_main_thread_so_signals_are_handled_at_once(tmp_path):
    """A model call is C code that runs signal handlers only when it returns: on the main
    thread it would hold off a second Ctrl-C for a whole batch. The main thread only joins."""
    import threading

    from salesapp.workers.headless import run_work

    threads = set()

    class Recording(FakePredictor):
        def predict(self, item_ids):
            threads.add(threading.current_thread() is threading.main_thread())
            return super().predict(item_ids)

    p = Recording()
    with JobStore.open(tmp_path / "s") as store:
        store.submit(range(300), p.version)
        summary = run_work(store, p, pool_size=2, batch_size=50)
    assert summary.finished == 300 and threads == {False}


def test_an_idle_worker_waits_while_another_runs_and_takes_up_what_comes_back(tmp_path):
    """--workers 3 with one batch failing back to the queue while the others found the queue
    empty: the idle workers have not ended (the run keeps its three threads) and the retried
    jobs are done."""
    import threading

    from salesapp.workers.headless import run_until_idle

    failed_once, alive_at_retry = [], []

    class FailsOnce(FakePredictor):
        def predict(self, item_ids):
            if not failed_once and 45 in item_ids:
                failed_once.append(1)
                time.sleep(0.5)   # the others drain the queue and find it empty meanwhile
                raise RuntimeError("a passing failure")
            if failed_once and 45 in item_ids and not alive_at_retry:
                alive_at_retry.append(sum(t.name.startswith("work-") and t.is_alive()
                                          for t in threading.enumerate()))
            return super().predict(item_ids)

    p = FailsOnce()
    with JobStore.open(tmp_path / "s") as store:
        store.submit(range(60), p.version)
        summary = run_until_idle(store, p, pool_size=3, batch_size=10)
        counts = store.counts()
    assert failed_once and summary.finished == 60 and not summary.failed, summary
    assert counts == {"queued": 0, "leased": 0, "done": 60, "failed": 0}
    assert alive_at_retry == [3]


def test_a_stop_asked_by_code_wakes_a_waiting_run():
    from salesapp.workers.headless import StopRequest

    stop = StopRequest()
    threading_timer = __import__("threading").Timer(0.05, stop.ask, args=(signal.SIGTERM,))
    threading_timer.start()
    start = time.monotonic()
    stop.wait(10)
    assert time.monotonic() - start < 5 and stop.signum == signal.SIGTERM
