"""Rows for the rules, from the database: a fixed number of queries whatever the number of
claims. ``compute`` reconciles a conflict (or some categories of it) as it stands, or as it was
known on a day; ``claims.figure_store`` keeps what it returns."""

from __future__ import annotations

from collections import defaultdict

from claims.rules import (
    RECORD_COUNTS,
    CategoryRow,
    ClaimRow,
    ConflictResult,
    PartyRow,
    parts_of,
    reconcile_conflict,
)


def load_parties(conflict_id) -> dict[int, PartyRow]:
    from casualties.models import Party

    return {
        p["id"]: PartyRow(p["id"], p["slug"], p["name"], p["parent_id"], p["side_id"])
        for p in Party.objects.filter(conflict_id=conflict_id).values(
            "id", "slug", "name", "parent_id", "side_id"
        )
    }


def load_rows(conflict_id, *, category_ids=None, as_of=None) -> list[ClaimRow]:
    """The published claims of a conflict with their derived relation: the claims' own columns
    in one query, their claimants, parties and places in three small ones (joined here, and
    the relation derived by ``relation_of``: joined and derived in SQL, the one query cost
    twice as much for the busiest category)."""
    from casualties.models import Party, Place
    from claims.models import Claim, Claimant, relation_of

    qs = Claim.objects.published().filter(conflict_id=conflict_id)
    if category_ids is not None:
        qs = qs.filter(category_id__in=category_ids)
    if as_of is not None:
        qs = qs.known_on(as_of)
    fields = [
        "id", "external_id", "claimant_id", "subject_id", "category_id", "event_id",
        "figure_text", "lower", "upper", "qualifier", "scope", "as_of", "period_start",
        "period_end", "stated_on", "accepted", "assessment", "place_id", "best",
    ]  # fmt: skip
    values = list(qs.order_by().values_list(*fields))
    claimants = {
        pk: (name, slug, party_id, side_id)
        for pk, name, slug, party_id, side_id in Claimant.objects.filter(
            pk__in={v[2] for v in values}
        ).values_list("id", "name", "slug", "party_id", "party__side_id")
    }
    sides = dict(Party.objects.filter(conflict_id=conflict_id).values_list("id", "side_id"))
    place_ids = {v[17] for v in values if v[17] is not None}
    places = dict(Place.objects.filter(pk__in=place_ids).values_list("id", "name"))
    rows = []
    for (
        pk, external_id, claimant_id, subject_id, category_id, event_id, figure_text, lower,
        upper, qualifier, scope, as_of_day, period_start, period_end, stated_on, accepted,
        assessment, place_id, best,
    ) in values:  # fmt: skip
        name, slug, party_id, side_id = claimants[claimant_id]
        relation = relation_of(party_id, side_id, subject_id, sides.get(subject_id)).value
        rows.append(
            ClaimRow(
                pk,
                external_id,
                claimant_id,
                name,
                slug,
                relation,
                subject_id,
                category_id,
                event_id,
                figure_text,
                lower,
                upper,
                qualifier,
                scope,
                as_of_day,
                period_start,
                period_end,
                stated_on,
                accepted,
                assessment,
                place_id,
                best,
                places.get(place_id),
            )  # fmt: skip
        )
    return rows


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


def load_categories() -> list[CategoryRow]:
    """Every category, in one query."""
    from casualties.models import Category

    fields = ["id", "slug", "name", "unit", "position", "kind", "parent_id", "adds_to_id"]
    return [CategoryRow(*values) for values in Category.objects.values_list(*fields)]


def compute(conflict_id, *, as_of=None, category_ids=None) -> ConflictResult:
    """Reconcile a conflict from the database (four queries): every category, or those named
    and their parts (``rules.parts_of``: a roll-up needs them). ``as_of``: as known that day."""
    cats = load_categories()
    if category_ids is not None:
        wanted = parts_of(cats, category_ids)
        cats = [c for c in cats if c.id in wanted]
    parties = load_parties(conflict_id)
    ids = None if category_ids is None else [c.id for c in cats]
    rows = load_rows(conflict_id, category_ids=ids, as_of=as_of)
    counts, elsewhere = load_record_counts(conflict_id, cats, as_of=as_of)
    results = reconcile_conflict(cats, rows, parties, counts, elsewhere)
    return ConflictResult(conflict_id, as_of, parties, results)
