"""The reconciliation cache: one computation per process and key under concurrent misses; stale
results served while one background refresh runs; older versions dropped. Every test runs on
the default per-process memory cache and on Redis (the shared cache production uses), built by
casualties/settings.py from the same environment variables as in production."""

import logging
import os
import runpy
import threading
import time
from pathlib import Path
from unittest import mock

import pytest
from django.core.cache import cache, caches
from django.test import override_settings

from claims import reconciliation as recon


def _redis_database() -> int:
    """Each run its own Redis database (1-15), so two suites on one machine (another
    worktree, CI next to a developer) do not clear each other's keys: from the run's process
    id, and under pytest-xdist from the controller's with the worker's number added."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        return 1 + (os.getppid() * 2 + int(worker[2:])) % 15
    return 1 + os.getpid() % 15


REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{_redis_database()}")
SETTINGS = Path(__file__).resolve().parents[2] / "casualties" / "settings.py"


def caches_from_settings(**env):
    with mock.patch.dict(os.environ, env):
        return runpy.run_path(str(SETTINGS))["CACHES"]


def redis_reachable() -> bool:
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture(autouse=True, params=["memory", "redis"])
def backend(request):
    """The cache under test. Redis is on loopback on this machine kind; CI sets REQUIRE_REDIS=1
    so that a missing Redis fails rather than skips."""
    if request.param == "memory":
        yield request.param
        return
    if not redis_reachable():
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    caches = caches_from_settings(
        CACHE_BACKEND="django.core.cache.backends.redis.RedisCache", CACHE_LOCATION=REDIS_URL
    )
    with override_settings(CACHES=caches):
        cache.clear()
        yield request.param
        cache.clear()


def empty_result():
    result = recon.ConflictResult.__new__(recon.ConflictResult)
    result.categories = {}
    return result


class CountingCompute:
    """Stands in for ``recon.compute``: counts calls, returns a new result each time, and
    blocks while ``gate`` is closed (so a test can look at readers during a refresh)."""

    def __init__(self, monkeypatch, *, fail=False):
        self.calls = 0
        self.fail = fail
        self.gate = threading.Event()
        self.gate.set()
        monkeypatch.setattr(recon, "compute", self)

    def __call__(self, conflict_id, *, as_of=None, category_slugs=None):
        self.calls += 1
        self.gate.wait(timeout=10)
        if self.fail:
            raise RuntimeError("database went away")
        result = empty_result()
        result.serial = self.calls  # which computation a reader got (the cache hands out copies)
        return result


def wait_for_refreshes():
    for thread in list(recon._refreshes):
        thread.join(timeout=10)
    assert not recon._refreshes


def go_stale(conflict_id, version):
    """What CACHE_SECONDS passing does: the scope's freshness mark expires."""
    cache.delete(recon._fresh(recon._base_key(conflict_id, None, None, version)))


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


def test_freshness_is_spread_out_and_results_are_kept_longer(monkeypatch):
    fresh, kept = [], []

    class Recorder:
        def __getattr__(self, name):
            return getattr(cache, name)

        def set(self, key, value, timeout):
            if key.endswith(":fresh"):
                fresh.append(timeout)

        def set_many(self, entries, timeout):
            kept.append(timeout)

    monkeypatch.setattr(recon, "cache", Recorder())
    CountingCompute(monkeypatch)
    for version in range(40):
        recon._compute_and_store(1, None, None, f"v{version}")
    low, high = recon.CACHE_SECONDS, recon.CACHE_SECONDS * (1 + recon.CACHE_JITTER)
    assert len(fresh) == 40
    assert all(low <= t <= high for t in fresh)
    assert len(set(fresh)) > 10
    assert set(kept) == {recon.CACHE_KEEP_SECONDS}
    assert high < recon.CACHE_KEEP_SECONDS


def test_a_stale_result_is_served_while_one_background_thread_refreshes_it(monkeypatch):
    compute = CountingCompute(monkeypatch)
    assert recon.reconcile(7, version="v1").serial == 1
    assert recon.reconcile(7, version="v1").serial == 1 and compute.calls == 1  # fresh: no work

    go_stale(7, "v1")
    compute.gate.clear()  # the refresh blocks until the readers below are done
    started = time.monotonic()
    answers = [recon.reconcile(7, version="v1") for _ in range(20)]
    assert time.monotonic() - started < 5  # nobody waited for the refresh (it blocks 10 s)
    assert {a.serial for a in answers} == {1}  # the stale result
    assert len(recon._refreshes) == 1  # one refresh, not one per reader
    compute.gate.set()
    wait_for_refreshes()
    assert compute.calls == 2
    base = recon._base_key(7, None, None, "v1")
    assert cache.get(recon._fresh(base)) is True  # fresh again
    assert cache.get(f"{base}:refreshing") is None  # and the next staleness can refresh
    assert recon.reconcile(7, version="v1").serial == 2  # the refreshed result is served


def test_a_stale_subject_or_event_piece_also_starts_a_refresh(monkeypatch):
    compute = CountingCompute(monkeypatch)
    recon.reconcile(7, version="v1")
    go_stale(7, "v1")
    assert recon.subject_detail(7, 1, 2, version="v1").roles == {}
    wait_for_refreshes()
    go_stale(7, "v1")
    assert recon.event_figures(7, 3, version="v1") == []
    wait_for_refreshes()
    assert compute.calls == 3


def test_a_failed_refresh_keeps_serving_the_stale_result_and_waits_before_retrying(
    monkeypatch, caplog
):
    compute = CountingCompute(monkeypatch)
    first = recon.reconcile(7, version="v1")
    go_stale(7, "v1")
    compute.fail = True
    with caplog.at_level(logging.ERROR, logger="claims.reconciliation"):
        assert recon.reconcile(7, version="v1").serial == first.serial
        wait_for_refreshes()
    assert "Refreshing the reconciliation recon:7:-:*:v1 failed" in caplog.text
    # The lock stays for REFRESH_LOCK_SECONDS: readers do not start a refresh each.
    for _ in range(5):
        assert recon.reconcile(7, version="v1").serial == first.serial
    wait_for_refreshes()
    assert compute.calls == 2


@pytest.mark.parametrize(
    ("version", "than", "newer"),
    [
        ("2-1-0", "1-1-0", True),
        ("1-1-0", "1-1-0", False),
        ("1-1-0", "2-1-0", False),
        ("2-0-5", "1-1-0", False),  # not comparable: one table went back (a restore)
        ("v2", "v1", True),
    ],
)
def test_versions_compare_table_by_table(version, than, newer):
    assert recon.newer_version(version, than) is newer


def test_storing_a_newer_version_drops_the_older_one(monkeypatch):
    compute = CountingCompute(monkeypatch)
    old = recon._base_key(7, None, None, "1-1")
    recon.reconcile(7, version="1-1")
    assert cache.get(old) is not None
    recon.reconcile(7, version="2-1")
    assert cache.get(old) is None and cache.get(recon._fresh(old)) is None
    assert cache.get(recon._base_key(7, None, None, "2-1")) is not None
    # A request that read the old version before the edit computes it late: the newer stays.
    recon.reconcile(7, version="1-1")
    assert compute.calls == 3
    assert cache.get(recon._base_key(7, None, None, "2-1")) is not None
    assert cache.get(recon._scope_key(7, None, None))[0] == "2-1"


@pytest.mark.django_db(transaction=True)
def test_a_background_refresh_reads_the_database_and_closes_its_connection(world, make_claim):
    """End to end, with real data: a write the version token cannot see (one that bypasses
    history, like a transaction committing out of order) shows once the scope is stale and
    the background thread has computed it again."""
    from claims.models import Claim

    claim = make_claim(figure_text="100")
    version = recon.cache_version()
    figure = recon.reconcile(world.conflict.pk).categories[world.killed.pk].figure
    assert figure(world.alpha.pk).lower == 100
    Claim.objects.filter(pk=claim.pk).update(lower=120, best=120, upper=120)
    assert recon.cache_version() == version  # unseen by the token
    go_stale(world.conflict.pk, version)
    stale = recon.reconcile(world.conflict.pk).categories[world.killed.pk].figure
    assert stale(world.alpha.pk).lower == 100  # served at once, stale
    wait_for_refreshes()
    fresh = recon.reconcile(world.conflict.pk).categories[world.killed.pk].figure
    assert fresh(world.alpha.pk).lower == 120


def test_the_cache_is_the_one_asked_for(backend):
    """The settings build a working cache of the kind asked for, options and all."""
    assert type(cache._connections[cache._alias]).__name__ == {
        "memory": "LocMemCache", "redis": "RedisCache",
    }[backend]  # fmt: skip
    cache.set("k", {"v": 1})
    assert cache.get("k") == {"v": 1}


def another_process_computing(version, *, stores: bool, after=0.3):
    """What another worker computing the scope looks like from here: its marker in the cache,
    then (after a while) its result stored, or its marker gone without one (it failed)."""
    base = recon._base_key(7, None, None, version)
    assert cache.add(f"{base}:computing", True, 60)

    def finish():
        time.sleep(after)
        if stores:
            theirs = empty_result()
            theirs.serial = "theirs"
            cache.set(base, theirs, 60)
        cache.delete(f"{base}:computing")

    worker = threading.Thread(target=finish)
    worker.start()
    return worker


def test_a_computation_in_another_process_is_waited_for_not_repeated(monkeypatch):
    compute = CountingCompute(monkeypatch)
    worker = another_process_computing("v1", stores=True)
    assert recon.reconcile(7, version="v1").serial == "theirs"
    worker.join()
    assert compute.calls == 0


def test_when_the_other_process_fails_this_one_computes(monkeypatch):
    compute = CountingCompute(monkeypatch)
    worker = another_process_computing("v1", stores=False)
    assert recon.reconcile(7, version="v1").serial == 1
    worker.join()
    assert compute.calls == 1
    assert cache.get(f"{recon._base_key(7, None, None, 'v1')}:computing") is None


def test_a_marker_left_by_a_dead_process_is_waited_for_seconds_only(monkeypatch):
    """A worker killed mid-computation leaves its marker, unrenewed: it lapses within
    MARKER_SECONDS and this process computes."""
    compute = CountingCompute(monkeypatch)
    monkeypatch.setattr(recon, "COMPUTE_WAIT_SECONDS", 120)
    base = recon._base_key(7, None, None, "v1")
    cache.add(f"{base}:computing", True, 1)  # nobody renews it
    started = time.monotonic()
    assert recon.reconcile(7, version="v1").serial == 1
    assert compute.calls == 1
    # It computed when the marker lapsed, not at the end of its wait (a margin of minutes).
    assert time.monotonic() - started < 100


def test_the_marker_is_renewed_while_the_computation_runs(monkeypatch):
    """Counted, not timed: the computation is held until the marker has been renewed three
    times (each renewal for the marker's whole life), however slow the machine is."""
    monkeypatch.setattr(recon, "MARKER_BEAT_SECONDS", 0.01)
    compute = CountingCompute(monkeypatch)
    compute.gate.clear()
    marker = f"{recon._base_key(7, None, None, 'v1')}:computing"
    renewals, renewed = [], threading.Event()
    # On the backend's class: each thread has its own cache object.
    backend_class = type(caches["default"])
    touch = backend_class.touch

    def counting_touch(self, key, timeout=None, version=None):
        if key == marker:
            renewals.append(timeout)
            if len(renewals) >= 3:
                renewed.set()
        return touch(self, key, timeout, version)

    monkeypatch.setattr(backend_class, "touch", counting_touch)
    reader = threading.Thread(target=recon.reconcile, args=(7,), kwargs={"version": "v1"})
    reader.start()
    try:
        assert renewed.wait(timeout=60), "the marker was not renewed while computing"
        assert cache.get(marker) is True  # another process would still be waiting, not computing
        assert set(renewals) == {recon.MARKER_SECONDS}
    finally:
        compute.gate.set()
        reader.join()
    assert cache.get(marker) is None
