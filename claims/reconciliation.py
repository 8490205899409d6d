"""Reconciled figures from the database: load the rows, apply ``claims.rules``, cache the result.

The rules themselves (and their documentation, printed on the methodology page) live in
``claims.rules``, which is pure; this module holds the loaders, the cache and its threads.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, transaction

from claims.rules import (  # noqa: F401 (re-exported: pages and tests read them from here)
    ADVERSARY,
    ADVERSARY_RATIO,
    CONTRADICTION_RATIO,
    COUNT_QUALIFIERS,
    CUMULATIVE,
    INDEPENDENT,
    PERIOD,
    RECORD_COUNTS,
    SELF,
    CategoryResult,
    CategoryRow,
    ClaimantSeries,
    ClaimRow,
    ConflictResult,
    Contradiction,
    DerivedTotal,
    Figure,
    PartyRow,
    Role,
    best_non_overlapping,
    format_range,
    reconcile_category,
    reconcile_conflict,
)

logger = logging.getLogger(__name__)

# A cached result is fresh this long even if no write is seen (bounds a race, see cache_version;
# the setting, 300 s by default). After that it is still served, for up to CACHE_KEEP_SECONDS,
# while one background thread computes it again (stale-while-revalidate): no reader waits.
CACHE_SECONDS = settings.RECONCILE_CACHE_SECONDS
# Each stored result is fresh CACHE_SECONDS plus up to this share of it more, drawn at random, so
# results computed by several workers at the same moment are not all refreshed together.
CACHE_JITTER = 0.5
CACHE_KEEP_SECONDS = max(3600, 4 * CACHE_SECONDS)
# A refresh that has not finished after this long (its process died) may be started again.
REFRESH_LOCK_SECONDS = 120
# A computation another process started is waited for this long at most, looking every so often.
COMPUTE_WAIT_SECONDS = 60
COMPUTE_POLL_SECONDS = 0.05
# The marker of a computation lives this long, renewed every MARKER_BEAT_SECONDS while it runs:
# if its process dies (a worker restarted, a command ending), the others stop waiting soon.
MARKER_SECONDS = 5
MARKER_BEAT_SECONDS = 1


# --- loading and caching --------------------------------------------------------------------


def _figure_models():
    from casualties.models import CasualtyRecord, Category, Conflict, Event, Party, Side
    from claims.models import Claim, Claimant, ClaimSource

    return [Claim, ClaimSource, Claimant, Party, Side, Category, CasualtyRecord, Conflict, Event]


def public_models():
    """Every tracked model whose rows a public page or download shows: the figure models first
    (in ``cache_version``'s order), then sources and places."""
    from casualties.models import Place, PlaceName
    from claims.models import Source

    return [*_figure_models(), Source, Place, PlaceName]


def history_ids(models) -> list[int]:
    """The largest history id of each model's history table (0 when empty), in one query.

    Every write of a tracked model appends a history row (the history guard refuses writes
    without one, and bulk imports write them with ``bulk_history_create``), and history ids only
    grow; so these are a version that every process sharing the database sees, with no signal
    to miss. Each MAX reads one end of a primary-key index. Not seen: writes that bypass history
    (``QuerySet.update``, raw SQL, a ``through`` model written with ``bulk_create``); and a
    transaction that commits after a later one has been read (PostgreSQL: its history ids are
    lower than the largest one read).
    """
    quote = connection.ops.quote_name
    # Table names come from the models, quoted; nothing from a request reaches this SQL.
    parts = ", ".join(
        f"(SELECT MAX(history_id) FROM {quote(m.history.model._meta.db_table)})"  # noqa: S608
        for m in models
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")
        return [v or 0 for v in cursor.fetchone()]


def version_token(ids) -> str:
    return "-".join(str(v) for v in ids)


def history_version(models) -> str:
    """A token that changes on every write of any of ``models`` (``history_ids``), one query."""
    return version_token(history_ids(models))


def cache_version() -> str:
    """The ``history_version`` of the tables that feed the figures (claims, cited sources,
    claimants, parties, sides, categories, named records, conflicts, events), in one query.
    ``CACHE_SECONDS`` bounds how long a write it does not see can show an old figure."""
    return history_version(_figure_models())


def versions() -> tuple[str, str]:
    """(``cache_version``, the version of everything public) in one query: a page shows
    figures and also source titles and place names, which do not change a figure."""
    ids = history_ids(public_models())
    return version_token(ids[: len(_figure_models())]), version_token(ids)


def load_parties(conflict_id) -> dict[int, PartyRow]:
    from casualties.models import Party

    return {
        p["id"]: PartyRow(p["id"], p["slug"], p["name"], p["parent_id"], p["side_id"])
        for p in Party.objects.filter(conflict_id=conflict_id).values(
            "id", "slug", "name", "parent_id", "side_id"
        )
    }


def load_rows(conflict_id, *, category_ids=None, as_of=None) -> list[ClaimRow]:
    """The published claims of a conflict with their derived relation, in one query."""
    from claims.models import Claim

    qs = Claim.objects.published().filter(conflict_id=conflict_id).with_relation()
    if category_ids is not None:
        qs = qs.filter(category_id__in=category_ids)
    if as_of is not None:
        qs = qs.known_on(as_of)
    fields = [
        "id", "external_id", "claimant_id", "claimant__name", "claimant__slug", "relation_sql",
        "subject_id", "category_id", "event_id", "figure_text", "lower", "upper", "qualifier",
        "scope", "as_of", "period_start", "period_end", "stated_on", "accepted", "assessment",
        "place_id", "best", "place__name",
    ]  # fmt: skip
    return [ClaimRow(*values) for values in qs.order_by().values_list(*fields)]


def load_record_counts(conflict_id, categories, *, as_of=None):
    """Named records per category and party, for the categories in ``RECORD_COUNTS``: one
    aggregate query grouped by party, the party whose figures already count them, role and
    outcome. Returns (counts by category and party, counts by category and (party, counted
    in)); "as known on" keeps the records dated by then (``CasualtyRecordQuerySet.known_on``)."""
    from django.db.models import Count

    from casualties.models import CasualtyRecord

    wanted = {c.id: RECORD_COUNTS[c.slug] for c in categories if c.slug in RECORD_COUNTS}
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    elsewhere: dict[int, dict[tuple[int, int], int]] = defaultdict(dict)
    if not wanted:
        return counts, elsewhere
    records = CasualtyRecord.objects.counted().filter(conflict_id=conflict_id)
    if as_of is not None:
        records = records.known_on(as_of)
    grouped = (
        records.order_by()
        .values_list("party_id", "counted_in_id", "role", "outcome")
        .annotate(n=Count("id"))
    )
    for party_id, counted_in_id, role, outcome, n in grouped:
        for category_id, (roles, outcomes) in wanted.items():
            if role in roles and outcome in outcomes:
                counts[category_id][party_id] = counts[category_id].get(party_id, 0) + n
                if counted_in_id is not None and counted_in_id != party_id:
                    key = (party_id, counted_in_id)
                    elsewhere[category_id][key] = elsewhere[category_id].get(key, 0) + n
    return counts, elsewhere


def load_categories(category_slugs=None) -> list[CategoryRow]:
    """Every category (one query), or those named and every category that adds into them
    (their children and outcome parts, all the way down): a roll-up needs its parts."""
    from casualties.models import Category

    fields = ["id", "slug", "name", "unit", "position", "kind", "parent_id", "adds_to_id"]
    cats = [CategoryRow(*values) for values in Category.objects.values_list(*fields)]
    if category_slugs is None:
        return cats
    parts = defaultdict(list)
    for c in cats:
        for whole in {c.parent_id, c.adds_to_id} - {None}:
            parts[whole].append(c.id)
    wanted = {c.id for c in cats if c.slug in category_slugs}
    stack = list(wanted)
    while stack:
        for part in parts[stack.pop()]:
            if part not in wanted:
                wanted.add(part)
                stack.append(part)
    return [c for c in cats if c.id in wanted]


def compute(conflict_id, *, as_of=None, category_slugs=None) -> ConflictResult:
    """Reconcile a conflict from the database, uncached (four queries)."""
    cats = load_categories(category_slugs)
    parties = load_parties(conflict_id)
    ids = None if category_slugs is None else [c.id for c in cats]
    rows = load_rows(conflict_id, category_ids=ids, as_of=as_of)
    counts, elsewhere = load_record_counts(conflict_id, cats, as_of=as_of)
    results = reconcile_conflict(cats, rows, parties, counts, elsewhere)
    return ConflictResult(conflict_id, as_of, parties, results)


@dataclass
class SubjectDetail:
    """What only a figure page needs: each claim's role, and the chart series."""

    roles: dict[int, tuple[str, str]]
    series: list[ClaimantSeries]
    contradictions: list[Contradiction] = field(default_factory=list)


def _base_key(conflict_id, as_of, category_slug, version) -> str:
    return f"recon:{conflict_id}:{as_of or '-'}:{category_slug or '*'}:{version}"


def _scope_key(conflict_id, as_of, category_slug) -> str:
    """Where the newest stored version of a scope and its keys are noted (to drop older ones)."""
    return f"recon-latest:{conflict_id}:{as_of or '-'}:{category_slug or '*'}"


def _fresh(base: str) -> str:
    return f"{base}:fresh"


def newer_version(version: str, than: str) -> bool:
    """Whether ``version`` comes after ``than``: every table's largest history id is at least
    as high (history ids only grow); not comparable means not newer."""
    try:
        mine, theirs = [int(v) for v in version.split("-")], [int(v) for v in than.split("-")]
    except ValueError:
        return version != than
    return mine != theirs and len(mine) == len(theirs) and all(map(int.__ge__, mine, theirs))


_computing: dict[str, threading.Lock] = {}
_computing_guard = threading.Lock()


def _compute_once(conflict_id, as_of, category_slug, version):
    """Compute and store a scope once: the threads of a worker that miss the same key together
    wait for the first one's result rather than all computing it (which, on a busy machine,
    makes every one of them slow); with a shared cache, so do the other workers (a marker
    set with ``cache.add``, see ``_wait_for_other_process``)."""
    base = _base_key(conflict_id, as_of, category_slug, version)
    with _computing_guard:
        lock = _computing.setdefault(base, threading.Lock())
    with lock:
        try:
            # Another thread may have stored it while this one waited.
            entries = cache.get_many([base])
            if base in entries:
                return entries[base], None
            marker = f"{base}:computing"
            if not cache.add(marker, True, MARKER_SECONDS):
                found = _wait_for_other_process(base, marker)
                if found is not None:
                    return found, None
                cache.set(marker, True, MARKER_SECONDS)
            with _kept_alive(marker):
                return _compute_and_store(conflict_id, as_of, category_slug, version)
        finally:
            with _computing_guard:
                _computing.pop(base, None)


@contextmanager
def _kept_alive(marker):
    """Renew ``marker`` while the block runs; delete it after."""
    done = threading.Event()

    def beat():
        while not done.wait(MARKER_BEAT_SECONDS):
            cache.touch(marker, MARKER_SECONDS)

    beater = threading.Thread(target=beat, name=f"marker {marker}", daemon=True)
    beater.start()
    try:
        yield
    finally:
        done.set()
        beater.join()
        cache.delete(marker)


def _wait_for_other_process(base, marker):
    """Another process is computing ``base``: poll for its result while its marker stands.
    None if the marker went without a result (that process failed or died): compute here."""
    deadline = time.monotonic() + COMPUTE_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(COMPUTE_POLL_SECONDS)
        found = cache.get_many([base, marker])
        if base in found:
            return found[base]
        if marker not in found:
            return None
    return None


def _compute_and_store(conflict_id, as_of, category_slug, version):
    """Compute, then cache in pieces: a small summary (whole-war figures, flags, totals) that
    every page reads, and per subject and per event the parts only their own pages read, so
    no page unpickles the roles of a hundred thousand claims to show a hundred."""
    result = compute(
        conflict_id,
        as_of=as_of,
        category_slugs=None if category_slug is None else {category_slug},
    )
    result.version = version
    base = _base_key(conflict_id, as_of, category_slug, version)
    entries = {}
    events = defaultdict(list)
    for category_id, cr in result.categories.items():
        flags = defaultdict(list)
        for contradiction in cr.contradictions:
            flags[contradiction.subject_id].append(contradiction)
        for subject_id, roles in cr.roles_by_subject.items():
            entries[f"{base}:s:{category_id}:{subject_id}"] = SubjectDetail(
                roles, cr.series.get(subject_id, []), flags.get(subject_id, [])
            )
        cr.contradiction_count, cr.contradictions = len(cr.contradictions), []
        for (_, event_id), fig in cr.figures.items():
            if event_id is not None:
                events[event_id].append(fig)
        cr.roles, cr.roles_by_subject, cr.series = {}, {}, {}
        cr.figures = {k: f for k, f in cr.figures.items() if k[1] is None}
        cr.derived_totals = {k: v for k, v in cr.derived_totals.items() if k[1] is None}
    for event_id, figures in events.items():
        entries[f"{base}:e:{event_id}"] = figures
    entries[base] = result
    cache.set_many(entries, CACHE_KEEP_SECONDS)
    spread = 1 + CACHE_JITTER * random.random()  # noqa: S311 (spreading expiry, not a secret)
    cache.set(_fresh(base), True, round(CACHE_SECONDS * spread))
    _drop_older(conflict_id, as_of, category_slug, version, list(entries))
    return result, entries


def _drop_older(conflict_id, as_of, category_slug, version, keys):
    """Delete the pieces of the scope's previous version once a newer one is stored: after an
    edit nothing reads them again, and a shared cache would otherwise hold every version for
    CACHE_KEEP_SECONDS. (Not atomic: two processes storing at once may leave one old set to
    expire on its own.)"""
    scope = _scope_key(conflict_id, as_of, category_slug)
    latest = cache.get(scope)
    if latest is not None and latest[0] != version and not newer_version(version, latest[0]):
        return  # an older version computed late: keep the newer one's note
    cache.set(scope, (version, keys), CACHE_KEEP_SECONDS)
    if latest is not None and latest[0] != version:
        old_base = _base_key(conflict_id, as_of, category_slug, latest[0])
        cache.delete_many([*latest[1], _fresh(old_base)])


_refreshes: set[threading.Thread] = set()  # running background refreshes (tests wait on them)


def _refresh_later(conflict_id, as_of, category_slug, version) -> None:
    """Compute a stale scope again in a background thread, unless another thread or process
    (with a shared cache) already is; readers meanwhile get the stale result."""
    base = _base_key(conflict_id, as_of, category_slug, version)
    if not cache.add(f"{base}:refreshing", True, REFRESH_LOCK_SECONDS):
        return
    thread = threading.Thread(
        target=_refresh,
        args=(conflict_id, as_of, category_slug, version),
        name=f"refresh {base}",
        daemon=True,
    )
    _refreshes.add(thread)
    thread.start()


def _refresh(conflict_id, as_of, category_slug, version) -> None:
    base = _base_key(conflict_id, as_of, category_slug, version)
    try:
        _compute_and_store(conflict_id, as_of, category_slug, version)
    except Exception:
        # The stale result stays served; the lock expires and a later reader tries again.
        logger.exception("Refreshing the reconciliation %s failed", base)
    else:
        cache.delete(f"{base}:refreshing")
    finally:
        connections.close_all()  # this thread's own connections
        _refreshes.discard(threading.current_thread())


def _lookup(conflict_id, as_of, category_slug, version, *keys) -> dict:
    """The cached entries among ``keys`` of a scope (its summary always asked for); a stale
    scope is served as it is and refreshed in the background."""
    base = _base_key(conflict_id, as_of, category_slug, version)
    found = cache.get_many([base, *keys, _fresh(base)])
    if found and _fresh(base) not in found:
        _refresh_later(conflict_id, as_of, category_slug, version)
    return found


# --- warming after writes ------------------------------------------------------------------
# A write changes the version, so the next reader would compute the figures cold (seconds at
# 100k claims). Instead, once the writing transaction commits, one background thread per
# process computes the new version of every conflict's whole-war and per-category figures;
# readers meanwhile wait for that computation (``_compute_once``) rather than repeat it. With a
# shared cache this warms every worker; with per-process memory, the writing one.

_warm_wanted = threading.Event()
_warm_idle = threading.Event()
_warm_idle.set()
_warmer: threading.Thread | None = None
_warmer_guard = threading.Lock()
# A burst of writes (a bulk action, an import's commit, a save with inlines) warms once.
WARM_DELAY_SECONDS = 0.5


def warm_after_commit(using=None) -> None:
    """Warm the figures once the current transaction commits (now, outside one); does nothing
    unless ``settings.RECONCILE_WARM_AFTER_WRITES``."""
    if settings.RECONCILE_WARM_AFTER_WRITES:
        transaction.on_commit(_warm_soon, using=using)


def warm_on_history(sender, history_instance, using=None, **kwargs) -> None:
    """post_create_historical_record: every tracked write (claims/apps.py connects it)."""
    warm_after_commit(using=using)


def _warm_soon() -> None:
    global _warmer
    _warm_idle.clear()
    _warm_wanted.set()
    with _warmer_guard:
        if _warmer is None or not _warmer.is_alive():
            _warmer = threading.Thread(target=_warm_loop, name="warm figures", daemon=True)
            _warmer.start()


def _warm_loop() -> None:
    while True:
        _warm_wanted.wait()
        time.sleep(WARM_DELAY_SECONDS)
        _warm_wanted.clear()
        try:
            warm()
        except Exception:
            logger.exception("Warming the reconciled figures failed")
        finally:
            connections.close_all()  # this thread's own connections
            if not _warm_wanted.is_set():
                _warm_idle.set()


def warm() -> int:
    """Compute whatever is not cached yet of the current version: each conflict's whole-war
    figures and those of each category it has claims in. Returns how many scopes that is."""
    from casualties.models import Category, Conflict
    from claims.models import Claim

    version = cache_version()
    scopes = [(conflict_id, None) for conflict_id in Conflict.objects.values_list("pk", flat=True)]
    slugs = dict(Category.objects.values_list("pk", "slug"))
    pairs = Claim.objects.published().values_list("conflict_id", "category_id").distinct()
    scopes += sorted((conflict_id, slugs[category_id]) for conflict_id, category_id in pairs)
    # _compute_once looks in the cache first; it returns entries only when it computed them.
    return sum(_compute_once(cid, None, slug, version)[1] is not None for cid, slug in scopes)


def wait_until_warm(timeout: float = 30) -> bool:
    """For tests and benches: whether the warm-up thread finished its work within ``timeout``."""
    return _warm_idle.wait(timeout)


def reconcile(conflict_id, *, as_of=None, category_slug=None, version=None) -> ConflictResult:
    """The reconciled whole-war figures of a conflict (or of one category), cached.

    The cache key holds the conflict, the day (for "as known on"), the category and the
    ``cache_version`` token; a write anywhere that feeds the figures changes the token, so the
    next read computes afresh (and the previous version's pieces are dropped). A result older
    than ``CACHE_SECONDS`` is served while a background thread computes it again. The result
    carries no per-claim roles, chart series, flags or event figures: ask ``subject_detail``
    and ``event_figures``.
    """
    version = version or cache_version()
    base = _base_key(conflict_id, as_of, category_slug, version)
    found = _lookup(conflict_id, as_of, category_slug, version)
    if base in found:
        return found[base]
    result, _ = _compute_once(conflict_id, as_of, category_slug, version)
    return result


def _piece(conflict_id, as_of, category_slug, version, suffix, default):
    base = _base_key(conflict_id, as_of, category_slug, version)
    key = f"{base}:{suffix}"
    found = _lookup(conflict_id, as_of, category_slug, version, key)
    if key in found:
        return found[key]
    if base in found:
        return default  # computed, and nothing to say for this subject or event
    # Not computed yet, or evicted: compute the whole scope again (it is deterministic).
    _, entries = _compute_once(conflict_id, as_of, category_slug, version)
    if entries is None:  # another thread computed it meanwhile
        found = cache.get_many([base, key])
        return found.get(key, default)
    return entries.get(key, default)


def subject_detail(
    conflict_id, category_id, subject_id, *, as_of=None, category_slug=None, version=None
) -> SubjectDetail:
    """Each claim's role and the chart series of one subject and category (cached with the
    ``reconcile`` result of the same arguments)."""
    version = version or cache_version()
    return _piece(
        conflict_id, as_of, category_slug, version, f"s:{category_id}:{subject_id}",
        SubjectDetail({}, []),
    )  # fmt: skip


def event_figures(conflict_id, event_id, *, version=None) -> list[Figure]:
    """The reconciled figures of one event, every subject and category."""
    version = version or cache_version()
    return _piece(conflict_id, None, None, version, f"e:{event_id}", [])
