"""The reconciliation cache under concurrent misses: one computation per process and key."""

import threading
import time

from claims import reconciliation as recon


def test_threads_missing_the_same_key_compute_it_once(monkeypatch):
    calls = []
    result = recon.ConflictResult.__new__(recon.ConflictResult)
    result.categories = {}

    def slow_compute(conflict_id, *, as_of=None, category_slugs=None):
        calls.append(conflict_id)
        time.sleep(0.2)  # long enough for every thread to miss the cache meanwhile
        return result

    monkeypatch.setattr(recon, "compute", slow_compute)
    answers = []
    start = threading.Barrier(8)

    def read():
        start.wait()
        answers.append(recon.reconcile(7, version="v1"))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len(answers) == 8
    assert recon._computing == {}  # no lock left behind
    # Another version (an edit happened) is computed again.
    recon.reconcile(7, version="v2")
    assert len(calls) == 2


def test_pieces_expire_spread_out(monkeypatch):
    timeouts = []
    monkeypatch.setattr(recon.cache, "set_many", lambda entries, timeout: timeouts.append(timeout))
    result = recon.ConflictResult.__new__(recon.ConflictResult)
    result.categories = {}
    monkeypatch.setattr(recon, "compute", lambda *a, **k: result)
    for version in range(40):
        recon._compute_and_store(1, None, None, f"v{version}")
    low, high = recon.CACHE_SECONDS, recon.CACHE_SECONDS * (1 + recon.CACHE_JITTER)
    assert all(low <= t <= high for t in timeouts)
    assert len(set(timeouts)) > 10
