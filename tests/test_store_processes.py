"""Several processes on one store (spawn, as on Windows and macOS): no duplicate, no double lease."""

import multiprocessing

from salesapp.store.inspect import integrity_check, pickle_rows
from salesapp.store.job_store import JobStore

V1 = "aaaaaaaaaaaa"


def _produce(directory, ids, barrier, out):
    store = JobStore.open(directory)
    barrier.wait(30)
    report = store.submit(ids, V1)
    out.put(report.queued)
    store.close()


def _consume(directory, owner, barrier, out):
    store = JobStore.open(directory)
    barrier.wait(30)
    seen = []
    while True:
        jobs = store.lease(owner, 7, 60)
        if not jobs:
            break
        seen += [j.item_id for j in jobs]
        accepted = store.complete(owner, {j.item_id: {"item_id": j.item_id, "by": owner}
                                          for j in jobs})
        assert accepted == [j.item_id for j in jobs]
    store.close()
    out.put((owner, seen))


def _run(target, arg_sets):
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(len(arg_sets)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, barrier, out)) for args in arg_sets]
    for p in procs:
        p.start()
    answers = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    return answers


def test_concurrent_producers_make_one_job_per_id(tmp_path):
    JobStore.open(tmp_path).close()  # create once before the processes start (diskcache #266)
    ranges = [range(200), range(100, 300), range(150, 350)]
    queued = _run(_produce, [(str(tmp_path), list(r)) for r in ranges])
    flat = [i for ids in queued for i in ids]
    assert sorted(flat) == list(range(350))  # each id queued by exactly one producer
    with JobStore.open(tmp_path) as store:
        assert sorted(j.item_id for j in store.jobs()) == list(range(350))
        assert store.counts()["queued"] == 350


def test_concurrent_consumers_never_share_a_job(tmp_path):
    with JobStore.open(tmp_path) as store:
        store.submit(range(400), V1)
    answers = dict(_run(_consume, [(str(tmp_path), "w1"), (str(tmp_path), "w2")]))
    first, second = set(answers["w1"]), set(answers["w2"])
    assert not first & second
    assert first | second == set(range(400))
    assert len(answers["w1"]) + len(answers["w2"]) == 400
    with JobStore.open(tmp_path) as store:
        assert store.counts() == {"queued": 0, "leased": 0, "done": 400, "failed": 0}
        for owner, ids in answers.items():
            assert all(store.result(V1, i)["by"] == owner for i in ids)
    assert pickle_rows(tmp_path) == 0
    assert integrity_check(tmp_path) == "ok"
