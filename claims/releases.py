"""Releases: cut, read and compare the published data as it stood, from the history tables.

A cut (``release_cut``) reads each public table's history up to ``cut_at``: for every object,
its latest history row dated at or before the cut, unless that row is a deletion ('-'). Of
those, it keeps what the live public querysets show (``claims.public.downloads.public_queryset``):

- claims: published ones; their cited sources (``ClaimSource`` rows of those claims);
- named records: published ones (the register and the people API leave out the ones merged
  into another: ``counted``); a published record's sources come from simple-history's m2m
  table, the rows saved with the pinned history row;
- sources: those a published claim or a published record cites;
- conflicts, sides, parties, categories, claimants, events, places and place names: all.

It pins those history rows (``ReleaseEntry``: table, object id, history id) and never copies a
live row. Everything served for a release reads the pinned history rows, with the slugs of
related objects taken from the pinned rows of their tables too (a party renamed after the cut
keeps its old slug in the release). The files (each download in each format, the data package,
the figures and the changelog) are built once, at the cut, into the ``releases`` storage
(``settings.STORAGES``), so their bytes never change.

Figures of a release: ``claims.rules.reconcile_conflict`` fed from the pinned rows, as the live
figures are fed from the live tables. The changelog compares a release with the one before it:
claims by external id (added, retracted, changed with the public columns that changed),
figures (lower, best and upper before and after), people added and removed.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from casualties.history import save_with_history
from claims import exporting
from claims.release_models import Release, ReleaseEntry
from claims.rules import RECORD_COUNTS, CategoryRow, ClaimRow, PartyRow, reconcile_conflict

T = ReleaseEntry.Table

# The downloads a release keeps, in the downloads page's order, and their formats.
FORMATS = tuple(exporting.FORMATS)
BATCH = 5000


def storage():
    """Where release files live: ``STORAGES["releases"]`` (shared by every web machine)."""
    return storages["releases"]


def _models() -> dict[str, type]:
    from casualties.models import (
        CasualtyRecord,
        Category,
        Conflict,
        Event,
        Party,
        Place,
        PlaceName,
        Side,
    )
    from claims.models import Claim, Claimant, ClaimSource, Source

    return {
        T.CONFLICT: Conflict, T.SIDE: Side, T.PARTY: Party, T.CATEGORY: Category,
        T.CLAIMANT: Claimant, T.EVENT: Event, T.PLACE: Place, T.PLACENAME: PlaceName,
        T.SOURCE: Source, T.CLAIM: Claim, T.CLAIMSOURCE: ClaimSource, T.RECORD: CasualtyRecord,
    }  # fmt: skip


def model_of(table: str):
    return _models()[table]


def table_of(model) -> str:
    return {m: t for t, m in _models().items()}[model]


# The export table (``claims.exporting``) of each download and the release table it reads.
DOWNLOAD_TABLES = {
    "claims": T.CLAIM, "records": T.RECORD, "sources": T.SOURCE, "parties": T.PARTY,
    "categories": T.CATEGORY, "claimants": T.CLAIMANT, "events": T.EVENT, "places": T.PLACE,
}  # fmt: skip


def file_names() -> list[str]:
    from claims.public.downloads import DOWNLOADS

    names = [f"{name}.{fmt}" for name, _title, _text in DOWNLOADS for fmt in FORMATS]
    return [*names, "datapackage.json", "figures.json", "changelog.json"]


# --- pinning: the latest history row of each object at the cut -------------------------------


def _latest(table: str, cut_at, extra=()) -> dict[int, tuple]:
    """{object id: (history id, *extra)} of the objects alive at ``cut_at`` (one query, streamed
    in id order; only the latest row of each object is kept)."""
    history = model_of(table).history.model
    qs = (
        history.objects.filter(history_date__lte=cut_at)
        .order_by("id", "history_date", "history_id")
        .values_list("id", "history_id", "history_type", *extra)
        .iterator(chunk_size=BATCH)
    )
    latest = {}
    for object_id, history_id, kind, *rest in qs:
        latest[object_id] = None if kind == "-" else (history_id, *rest)
    return {k: v for k, v in latest.items() if v is not None}


def pinned_rows(cut_at) -> tuple[dict[str, dict[int, int]], int, dict[int, int]]:
    """({table: {object id: history id}}, people in the register, {claim id: its position in
    the listing order}): what a release cut at ``cut_at`` pins. One query a table, and one pass
    over the records' m2m history."""
    from casualties.models import CasualtyRecord
    from claims.models import LISTING_DATES, Claim, listing_order

    pins = {t: {k: v[0] for k, v in _latest(t, cut_at).items()} for t in _reference_tables()}
    published = {
        k: v for k, v in _latest(T.CLAIM, cut_at, ["status", *LISTING_DATES]).items()
        if v[1] == Claim.Status.PUBLISHED
    }  # fmt: skip
    claims = {k: v[0] for k, v in published.items()}
    ordered = sorted(published, key=lambda k: listing_order(published[k][2:], k))
    positions = {k: i for i, k in enumerate(ordered)}
    citations = _latest(T.CLAIMSOURCE, cut_at, ["claim_id", "source_id"])
    pins[T.CLAIM] = claims
    pins[T.CLAIMSOURCE] = {k: v[0] for k, v in citations.items() if v[1] in claims}
    records = {
        k: v
        for k, v in _latest(T.RECORD, cut_at, ["status", "merged_into_id"]).items()
        if v[1] == CasualtyRecord.Status.PUBLISHED
    }
    pins[T.RECORD] = {k: v[0] for k, v in records.items()}
    people = sum(1 for v in records.values() if v[2] is None)
    cited = {v[2] for v in citations.values() if v[1] in claims}
    cited |= _record_source_ids(set(pins[T.RECORD].values()))
    sources = _latest(T.SOURCE, cut_at)
    pins[T.SOURCE] = {k: v[0] for k, v in sources.items() if k in cited}
    return pins, people, positions


def _record_source_ids(history_ids: set[int]) -> set[int]:
    """The sources saved with these record history rows (simple-history's m2m table), read in
    one streamed pass (no list of ids in the SQL: there may be 100,000)."""
    rows = (
        record_sources_model()
        .objects.values_list("history_id", "source_id")
        .iterator(chunk_size=BATCH)
    )
    return {source for history_id, source in rows if history_id in history_ids}


def record_sources_model():
    """simple-history's m2m table of a record's sources: the sources saved with each of the
    record's history rows (``history_id``)."""
    from django.apps import apps

    return apps.get_model("casualties", "HistoricalCasualtyRecord_sources")


def _reference_tables():
    return (T.CONFLICT, T.SIDE, T.PARTY, T.CATEGORY, T.CLAIMANT, T.EVENT, T.PLACE, T.PLACENAME)


# --- reading a release -----------------------------------------------------------------------


def pinned(release, table: str):
    """The history rows ``release`` pins of ``table``, as a queryset of the history model."""
    history = model_of(table).history.model
    ids = ReleaseEntry.objects.filter(release=release, table=table).values("history_id")
    return history.objects.filter(history_id__in=ids)


def slug_maps(release, tables) -> dict[str, dict[int, str]]:
    """{table: {object id: slug}} of small reference tables, as pinned (one query each)."""
    return {t: dict(pinned(release, t).values_list("id", "slug")) for t in tables}


@dataclass
class State:
    """The pinned rows of a release: {table: {object id: field values}} in id order, and each
    record's source ids."""

    rows: dict[str, dict[int, dict]] = field(default_factory=dict)
    record_sources: dict[int, list[int]] = field(default_factory=dict)

    def slug(self, table: str, object_id) -> str | None:
        row = self.rows[table].get(object_id)
        return row["slug"] if row else None


def _fields(table: str) -> list[str]:
    return [f.attname for f in model_of(table)._meta.concrete_fields]


def load_state(release) -> State:
    """Every pinned row of ``release`` (one query a table, and one for the records' sources)."""
    state = State()
    record_history = {}
    for table in T.values:
        names = _fields(table)
        extra = ["history_id"] if table == T.RECORD else []
        values = pinned(release, table).order_by("id").values(*names, *extra)
        state.rows[table] = {}
        for row in values.iterator(chunk_size=BATCH):
            if extra:
                record_history[row.pop("history_id")] = row["id"]
            state.rows[table][row["id"]] = row
    m2m = (
        record_sources_model()
        .objects.filter(
            history_id__in=ReleaseEntry.objects.filter(release=release, table=T.RECORD).values(
                "history_id"
            )
        )
        .order_by("id")
    )
    for history_id, source_id in m2m.values_list("history_id", "source_id").iterator(
        chunk_size=BATCH
    ):
        state.record_sources.setdefault(record_history[history_id], []).append(source_id)
    return state


def in_register(row: dict) -> bool:
    """A record the register and the people API show: not merged into another."""
    return row["merged_into_id"] is None


# --- the files -------------------------------------------------------------------------------


def _fk_table(table: str, attr: str) -> str:
    return table_of(model_of(table)._meta.get_field(attr).related_model)


def export_rows(state: State, name: str):
    """The rows of download ``name`` from the release state, in the columns and order of the
    live download (``claims.exporting.rows``: by id; many-valued cells in the related id order)."""
    table = DOWNLOAD_TABLES[name]
    export = exporting.table(name)
    columns = export.visible(public=True)
    getters = []
    for col in columns:
        if isinstance(col, exporting.ManyColumn):
            getters.append(_many_getter(state, name, col))
        elif "__" in col.path:
            attr, key = col.path.split("__")
            target = state.rows[_fk_table(table, attr)]
            getters.append(
                lambda row, a=f"{attr}_id", t=target, k=key: t[row[a]][k] if row[a] in t else None
            )
        else:
            getters.append(lambda row, a=col.path: row[a])
    rows = state.rows[table].values()
    if table == T.RECORD:
        rows = [r for r in rows if in_register(r)]
    for row in rows:
        yield tuple(get(row) for get in getters)


def _many_getter(state: State, name: str, col):
    sources = state.rows[T.SOURCE]
    groups: dict[int, list[tuple]] = defaultdict(list)
    if name == "claims":
        for cite in state.rows[T.CLAIMSOURCE].values():
            groups[cite["claim_id"]].append((sources[cite["source_id"]]["slug"], cite["locator"]))
    elif name == "records":
        for record_id, ids in state.record_sources.items():
            groups[record_id] = [(sources[s]["slug"],) for s in ids if s in sources]
    elif name == "places":
        for pn in state.rows[T.PLACENAME].values():
            groups[pn["place_id"]].append((pn["language"], pn["name"], pn["used_by"]))
    return lambda row: col.render(groups.get(row["id"], []))


def build_file(state: State, name: str, fmt: str) -> bytes:
    import io

    out = io.BytesIO()
    export = exporting.table(name)
    exporting.write_rows(
        export.visible(public=True), export_rows(state, name), fmt, out, title=name
    )
    return out.getvalue()


def datapackage(release) -> dict:
    """The live data package (``claims.public.datapackage``), named for the release."""
    import copy

    from claims.public.datapackage import descriptor

    package = copy.deepcopy(descriptor())
    package["name"] = f"casualty-ledger-{release.name}"
    package["title"] = f"{package['title']} (release {release.name})"
    package["version"] = release.name
    package["created"] = release.cut_at.isoformat()
    return package


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False).encode() + b"\n"


# --- figures ---------------------------------------------------------------------------------


def claim_rows(state: State, conflict_id: int) -> list[ClaimRow]:
    """The release's published claims of a conflict as the rules read them (the loader of
    ``claims.reconciliation.load_rows``, from the pinned rows)."""
    from claims.models import derive_relation

    parties = state.rows[T.PARTY]
    claimants = state.rows[T.CLAIMANT]
    places = state.rows[T.PLACE]

    def party(pk):
        row = parties.get(pk)
        return None if row is None else SimpleNamespace(pk=pk, side_id=row["side_id"])

    out = []
    for c in state.rows[T.CLAIM].values():
        if c["conflict_id"] != conflict_id:
            continue
        claimant = claimants[c["claimant_id"]]
        relation = derive_relation(party(claimant["party_id"]), party(c["subject_id"]))
        place = places.get(c["place_id"])
        out.append(
            ClaimRow(
                c["id"], c["external_id"], c["claimant_id"], claimant["name"], claimant["slug"],
                str(relation), c["subject_id"], c["category_id"], c["event_id"], c["figure_text"],
                c["lower"], c["upper"], c["qualifier"], c["scope"], c["as_of"], c["period_start"],
                c["period_end"], c["stated_on"], c["accepted"], c["assessment"], c["place_id"],
                c["best"], place["name"] if place else "",
            )
        )  # fmt: skip
    return out


def record_counts(state: State, conflict_id: int, categories: list[CategoryRow]):
    """Named records per category and party (``claims.reconciliation.load_record_counts``)."""
    wanted = {c.id: RECORD_COUNTS[c.slug] for c in categories if c.slug in RECORD_COUNTS}
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    elsewhere: dict[int, dict[tuple[int, int], int]] = defaultdict(dict)
    for r in state.rows[T.RECORD].values():
        if r["conflict_id"] != conflict_id or not in_register(r):
            continue
        for category_id, (roles, outcomes) in wanted.items():
            if r["role"] in roles and r["outcome"] in outcomes:
                by_party = counts[category_id]
                by_party[r["party_id"]] = by_party.get(r["party_id"], 0) + 1
                if r["counted_in_id"] is not None and r["counted_in_id"] != r["party_id"]:
                    key = (r["party_id"], r["counted_in_id"])
                    elsewhere[category_id][key] = elsewhere[category_id].get(key, 0) + 1
    return counts, elsewhere


def figures(state: State) -> list[dict]:
    """Every figure of the release (each party's and the whole war's, per category), as data,
    in a fixed order (conflict, party, category)."""
    cats = [
        CategoryRow(
            c["id"], c["slug"], c["name"], c["unit"], c["position"], c["kind"], c["parent_id"],
            c["adds_to_id"],
        )
        for c in state.rows[T.CATEGORY].values()
    ]  # fmt: skip
    by_id = {c.id: c for c in cats}
    external = {c["id"]: c["external_id"] for c in state.rows[T.CLAIM].values()}
    out = []
    for conflict in state.rows[T.CONFLICT].values():
        parties = {
            p["id"]: PartyRow(p["id"], p["slug"], p["name"], p["parent_id"], p["side_id"])
            for p in state.rows[T.PARTY].values()
            if p["conflict_id"] == conflict["id"]
        }
        counts, elsewhere = record_counts(state, conflict["id"], cats)
        results = reconcile_conflict(
            cats, claim_rows(state, conflict["id"]), parties, counts, elsewhere
        )
        for category_id, result in results.items():
            for (subject_id, event_id), fig in result.figures.items():
                if event_id is not None:
                    continue
                out.append(
                    {
                        "conflict": conflict["slug"],
                        "party": parties[subject_id].slug if subject_id else None,
                        "category": by_id[category_id].slug,
                        "unit": by_id[category_id].unit,
                        **fig.as_data(external),
                    }
                )
    out.sort(key=lambda f: (f["conflict"], f["party"] or "", f["category"]))
    return out


def figure_key(fig: dict) -> str:
    return f"{fig['conflict']}/{fig['party'] or '*'}/{fig['category']}"


# --- the changelog ---------------------------------------------------------------------------


def _by_external_id(state: State, name: str) -> dict[str, dict]:
    export = exporting.table(name)
    names = export.headers(public=True)
    key = names.index("external_id")
    return {row[key]: dict(zip(names, row, strict=True)) for row in export_rows(state, name)}


def _delta(before, after):
    return None if before is None or after is None else after - before


def changelog(previous: State | None, current: State, old_figs, new_figs) -> dict:
    """What changed from ``previous`` (None: the first release, everything is added)."""
    new_claims = _by_external_id(current, "claims")
    old_claims = _by_external_id(previous, "claims") if previous else {}
    changed = []
    for external_id in sorted(new_claims.keys() & old_claims.keys()):
        old, new = old_claims[external_id], new_claims[external_id]
        fields_ = [k for k in new if new[k] != old[k]]
        if fields_:
            changed.append(
                {
                    "claim": external_id,
                    "fields": fields_,
                    "changes": {k: [_plain(old[k]), _plain(new[k])] for k in fields_},
                }
            )
    new_people = {r["external_id"] for r in current.rows[T.RECORD].values() if in_register(r)}
    old_people = (
        {r["external_id"] for r in previous.rows[T.RECORD].values() if in_register(r)}
        if previous
        else set()
    )
    old_by_key = {figure_key(f): f for f in old_figs or []}
    moved = []
    for fig in new_figs:
        old = old_by_key.pop(figure_key(fig), None)
        bounds = ("lower", "best", "upper")
        if old is not None and all(old[b] == fig[b] for b in bounds):
            continue
        moved.append(
            {
                "figure": figure_key(fig),
                **{k: fig[k] for k in ("conflict", "party", "category")},
                "before": None if old is None else {b: old[b] for b in bounds},
                "after": {b: fig[b] for b in bounds},
                "change": {b: _delta(old and old[b], fig[b]) for b in bounds},
            }
        )
    for key, old in sorted(old_by_key.items()):
        moved.append(
            {
                "figure": key,
                **{k: old[k] for k in ("conflict", "party", "category")},
                "before": {b: old[b] for b in ("lower", "best", "upper")},
                "after": None,
                "change": dict.fromkeys(("lower", "best", "upper")),
            }
        )
    return {
        "claims_added": sorted(new_claims.keys() - old_claims.keys()),
        "claims_retracted": sorted(old_claims.keys() - new_claims.keys()),
        "claims_changed": changed,
        "figures_moved": moved,
        "people_added": sorted(new_people - old_people),
        "people_removed": sorted(old_people - new_people),
    }


def _plain(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


# --- the cut ---------------------------------------------------------------------------------


class ReleaseError(ValueError):
    """A release that cannot be cut (its name is taken or malformed)."""


def previous_release(release) -> Release | None:
    return (
        Release.objects.filter(cut_at__lt=release.cut_at)
        .exclude(pk=release.pk)
        .order_by("-cut_at", "-id")
        .first()
    )


def read_file(release, name: str) -> bytes:
    with storage().open(release.files[name], "rb") as handle:
        return handle.read()


@transaction.atomic
def release_cut(*, name: str, note: str = "", user, reason: str) -> Release:
    """Cut a release named ``name``: pin the published data as of now from the history tables,
    build its files into storage once, compute its figures and its changelog against the
    previous release. One history row (the release's) with ``user`` and ``reason``."""
    from django.core.exceptions import ValidationError

    if Release.objects.filter(name=name).exists():
        raise ReleaseError(f"A release named {name!r} exists already; a release never changes.")
    cut_at = timezone.now()
    token = secrets.token_hex(6)
    release = Release(name=name, note=note, cut_at=cut_at, cut_by=user)
    release.files = {f: f"releases/{name}-{token}/{f}" for f in file_names()}
    try:
        release.full_clean()
    except ValidationError as error:
        raise ReleaseError("; ".join(error.messages)) from error
    pins, people, positions = pinned_rows(cut_at)
    release.counts = {"claims": len(pins[T.CLAIM]), "people": people}
    save_with_history(release, user=user, reason=reason, validate=False)
    entries = (
        ReleaseEntry(
            release=release,
            table=t,
            object_id=o,
            history_id=h,
            position=positions[o] if t == T.CLAIM else None,
        )  # fmt: skip
        for t, objects in pins.items()
        for o, h in objects.items()
    )
    ReleaseEntry.objects.bulk_create(entries, batch_size=BATCH)
    if connection.vendor == "postgresql":
        # Statistics that count the new entries now, not when autovacuum gets to them: with
        # the old ones, a release page's citations were planned as a walk of all its entries.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ReleaseEntry._meta.db_table}")
    state = load_state(release)
    _store_files(release, state)
    return release


def _store_files(release, state: State) -> None:
    files = {}
    for name in DOWNLOAD_TABLES:
        for fmt in FORMATS:
            files[f"{name}.{fmt}"] = build_file(state, name, fmt)
    new_figs = figures(state)
    previous = previous_release(release)
    old_figs = json.loads(read_file(previous, "figures.json")) if previous else None
    old_state = load_state(previous) if previous else None
    log = changelog(old_state, state, old_figs, new_figs)
    log["previous"] = previous.name if previous else None
    files["datapackage.json"] = _json(datapackage(release))
    files["figures.json"] = _json(new_figs)
    files["changelog.json"] = _json(log)
    for name, content in files.items():
        stored = storage().save(release.files[name], ContentFile(content))
        if stored != release.files[name]:  # a storage that renamed it: the address would lie
            raise RuntimeError(f"Release file {release.files[name]} exists already.")


# --- serving a release (pages of the API) ----------------------------------------------------

MAP_FIELDS = {
    T.CONFLICT: ("slug",),
    T.PARTY: ("slug", "side_id"),
    T.CATEGORY: ("slug",),
    T.CLAIMANT: ("slug", "party_id"),
    T.EVENT: ("slug",),
    T.PLACE: ("slug",),
    T.SOURCE: ("slug",),
}


def maps(release, tables) -> dict[str, dict[int, tuple]]:
    """{table: {object id: (slug, …)}} of the small tables a page of a release refers to, as
    pinned. A release never changes, so they are kept in the cache for good once read: no
    query when cached, else one per table."""
    from django.core.cache import cache

    keys = {t: f"release-map:{release.pk}:{release.cut_at.timestamp()}:{t}" for t in tables}
    found = cache.get_many(keys.values())
    out = {}
    for table, key in keys.items():
        if key in found:
            out[table] = found[key]
            continue
        rows = pinned(release, table).values_list("id", *MAP_FIELDS[table])
        out[table] = {row[0]: row[1:] for row in rows}
        cache.set(key, out[table], None)
    return out


class ReleaseClaims:
    """The claims of a release in the listing order, as a sequence a paginator counts and
    slices: the count is the release's, and a slice reads a range of pinned positions
    (``ReleaseEntry.position``, indexed) and then those history rows: two queries at any
    depth, where sorting the release's history rows for every page took seconds."""

    def __init__(self, release):
        self.release = release

    def count(self) -> int:
        return self.release.counts["claims"]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list:
        assert isinstance(page, slice) and page.step is None
        entries = ReleaseEntry.objects.filter(
            release=self.release, table=T.CLAIM, position__gte=page.start or 0
        )
        if page.stop is not None:
            entries = entries.filter(position__lt=page.stop)
        history_ids = list(entries.order_by("position").values_list("history_id", flat=True))
        history = model_of(T.CLAIM).history.model
        rows = history.objects.in_bulk(history_ids, field_name="history_id")
        return [rows[h] for h in history_ids]


def release_claims(release):
    """The claims of a release, in the live API's order (``claims.models.listing_keys``)."""
    from claims.models import listing_keys

    return pinned(release, T.CLAIM).order_by(*listing_keys())


def release_people(release):
    """The people of a release's register, in the people API's order."""
    return (
        pinned(release, T.RECORD)
        .filter(merged_into__isnull=True)
        .order_by("name_latin", "name", "id")
    )


def claim_items(release, page) -> list[dict]:
    """A page of release claims (history rows) as the API shows them: slugs for related rows,
    the derived relation and the cited sources, all as pinned. Queries: the citations, and the
    reference maps when not cached."""
    from claims.models import derive_relation

    m = maps(release, [T.CONFLICT, T.PARTY, T.CATEGORY, T.CLAIMANT, T.EVENT, T.PLACE, T.SOURCE])
    ids = [c.id for c in page]
    cites = defaultdict(list)
    # The page's citations first (by claim), then whether the release pinned each (one probe
    # of the entries' unique index): not every citation the release pinned, then the page's.
    pinned_here = ReleaseEntry.objects.filter(
        release=release,
        table=T.CLAIMSOURCE,
        object_id=OuterRef("id"),
        history_id=OuterRef("history_id"),
    )
    citations = model_of(T.CLAIMSOURCE).history.model.objects.filter(
        Exists(pinned_here), claim_id__in=ids
    )
    for claim_id, source_id, locator in citations.order_by("id").values_list(
        "claim_id", "source_id", "locator"
    ):
        slug = m[T.SOURCE].get(source_id, ("",))[0]
        cites[claim_id].append({"source": slug, "locator": locator})

    def slug(table, pk):
        return m[table][pk][0] if pk in m[table] else None

    def party(pk):
        row = m[T.PARTY].get(pk)
        return None if row is None else SimpleNamespace(pk=pk, side_id=row[1])

    items = []
    for c in page:
        claimant = m[T.CLAIMANT].get(c.claimant_id, (None, None))
        items.append(
            {
                "external_id": c.external_id,
                "conflict": slug(T.CONFLICT, c.conflict_id),
                "claimant": claimant[0],
                "subject": slug(T.PARTY, c.subject_id),
                "category": slug(T.CATEGORY, c.category_id),
                "relation": str(derive_relation(party(claimant[1]), party(c.subject_id))),
                **{
                    f: getattr(c, f)
                    for f in (
                        "figure_text",
                        "lower",
                        "best",
                        "upper",
                        "qualifier",
                        "scope",
                        "as_of",
                        "period_start",
                        "period_end",
                        "stated_on",
                    )  # fmt: skip
                },
                "event": slug(T.EVENT, c.event_id),
                "place": slug(T.PLACE, c.place_id),
                **{
                    f: getattr(c, f)
                    for f in (
                        "quote",
                        "assessment",
                        "assessment_note",
                        "accepted",
                        "acceptance_reason",
                        "created_at",
                        "updated_at",
                    )  # fmt: skip
                },
                "sources": sorted(cites[c.id], key=lambda s: s["source"] or ""),
            }
        )
    return items


PERSON_SCALARS = (
    "external_id", "name", "name_transliterated", "name_latin", "role", "rank", "description",
    "outcome", "date", "date_precision", "died_after_war", "place_precision", "sex", "age",
    "age_band", "cause", "corroboration",
)  # fmt: skip


def person_items(release, page) -> list[dict]:
    """A page of a release's people as the API shows them (never a sensitive field). Queries:
    their sources, and the reference maps when not cached."""
    m = maps(release, [T.CONFLICT, T.PARTY, T.EVENT, T.PLACE, T.SOURCE])
    sources = defaultdict(list)
    for history_id, source_id in (
        record_sources_model()
        .objects.filter(history_id__in=[p.history_id for p in page])
        .order_by("id")
        .values_list("history_id", "source_id")
    ):
        if source_id in m[T.SOURCE]:
            sources[history_id].append(m[T.SOURCE][source_id][0])

    def slug(table, pk):
        return m[table][pk][0] if pk in m[table] else None

    return [
        {
            **{f: getattr(p, f) for f in PERSON_SCALARS},
            "conflict": slug(T.CONFLICT, p.conflict_id),
            "party": slug(T.PARTY, p.party_id),
            "counted_in": slug(T.PARTY, p.counted_in_id),
            "place": slug(T.PLACE, p.place_id),
            "event": slug(T.EVENT, p.event_id),
            "aliases": [a.strip() for a in p.aliases.splitlines() if a.strip()],
            "status": p.ihl_status,
            "sources": sorted(sources[p.history_id]),
        }
        for p in page
    ]


def release_figures(release) -> list[dict]:
    """The figures computed at the cut (figures.json), cached for good once read."""
    from django.core.cache import cache

    key = f"release-figures:{release.pk}:{release.cut_at.timestamp()}"
    found = cache.get(key)
    if found is None:
        found = json.loads(read_file(release, "figures.json"))
        cache.set(key, found, None)
    return found
