"""The reconciled figures as stored rows: written from the rules' results, read back by pages.

``store`` writes what ``loaders.compute`` returned for some categories of a conflict: each
figure (``ReconciledFigure``, one history row per figure that changed, with the write's reason),
each published claim's role (``FigureClaimRole``), and removes the figures those categories no
longer have. ``stored_result`` and the readers below rebuild the rules' own result types
(``rules.Figure``, ``CategoryResult``, ``ConflictResult``) from the rows in a fixed number of
queries, so the pages read the same objects whether a figure is stored or computed for a day.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.db import transaction
from django.db.models import Case, F, JSONField, Q, When

from casualties.history import change_context
from claims.loaders import load_categories, load_parties
from claims.models import FigureClaimRole, ReconciledFigure
from claims.rules import (
    CategoryResult,
    ClaimantSeries,
    ClaimRef,
    ConflictResult,
    DerivedTotal,
    Figure,
    format_range,
    subtree_disputed,
    tree_order,
)

# The columns a figure is stored in, besides its key (conflict, subject, category, event).
NUMBERS = [
    "lower", "best", "upper", "basis", "derived", "rule", "claim_count", "record_count",
    "disputed", "held_out", "disputed_high", "own_counted", "claims_lower", "records_elsewhere",
    "independent_count",
]  # fmt: skip
TRACKED = [
    *NUMBERS, "deciding", "official", "adversary", "independent", "independent_first",
    "derived_totals",
]  # fmt: skip


def figure_key(subject_id, category_id, event_id) -> str:
    return f"{'all' if subject_id is None else subject_id}:{category_id}:{event_id or 0}"


REF_FIELDS = [f.name for f in dataclasses.fields(ClaimRef)]
SERIES_FIELDS = [f.name for f in dataclasses.fields(ClaimantSeries) if f.name != "points"]


def _ref(ref: ClaimRef | None):
    # By hand rather than dataclasses.asdict (which deep-copies): stored for every figure.
    return None if ref is None else {name: getattr(ref, name) for name in REF_FIELDS}


def _series(items: list[ClaimantSeries]) -> list[dict]:
    return [
        {
            **{name: getattr(item, name) for name in SERIES_FIELDS},
            "points": [[day.isoformat(), value, role] for day, value, role in item.points],
        }
        for item in items
    ]


def columns(fig: Figure, derived_totals: list[DerivedTotal], series) -> dict:
    """A figure of the rules as the values of its row (JSON-ready)."""
    values = {name: getattr(fig, name) for name in NUMBERS}
    values.update(
        deciding=list(fig.deciding),
        official=_ref(fig.official),
        adversary=_ref(fig.adversary),
        independent=[_ref(r) for r in fig.independent],
        independent_first=[_ref(r) for r in fig.independent_first()],
        derived_totals=[
            {
                "claimant_id": d.claimant_id,
                "claimant_name": d.claimant_name,
                "total": d.total,
                "claim_ids": list(d.claim_ids),
                "counted": d.counted,
            }  # fmt: skip
            for d in derived_totals
        ],
        series=_series(series),
    )
    return values


# What a figure names beside it (the claims' words): read only by pages that show them; the
# overview reads the first few independent claims only (``FIRST_REFS``: the busiest figures
# name hundreds).
REFS = ["official", "adversary", "independent", "derived_totals"]
FIRST_REFS = ["official", "adversary", "independent_first"]


def to_figure(row, *, refs: bool | str = True) -> Figure:
    """A stored figure (a model instance, or a mapping of its columns) as the rules' type;
    ``refs`` as ``stored_result``'s."""
    get = row.__getitem__ if isinstance(row, dict) else row.__getattribute__
    fig = Figure(get("subject_id"), get("category_id"), get("event_id"))
    for name in NUMBERS:
        setattr(fig, name, get(name))
    fig.deciding = tuple(get("deciding"))
    if refs:
        official, adversary = get("official"), get("adversary")
        fig.official = ClaimRef(**official) if official else None
        fig.adversary = ClaimRef(**adversary) if adversary else None
        independent = get("independent_first" if refs == "first" else "independent")
        fig.independent = tuple(ClaimRef(**r) for r in independent)
    return fig


def to_derived_totals(data: list[dict]) -> list[DerivedTotal]:
    return [DerivedTotal(**{**d, "claim_ids": tuple(d["claim_ids"])}) for d in data]


def to_series(data: list[dict]) -> list[ClaimantSeries]:
    out = []
    for item in data:
        points = [(datetime.date.fromisoformat(d), v, r) for d, v, r in item["points"]]
        out.append(ClaimantSeries(**{**item, "points": points}))
    return out


# --- writing ---------------------------------------------------------------------------------


@transaction.atomic
def store(result: ConflictResult, category_ids, *, reason: str, public_note: str, user=None):
    """Store the figures and roles of ``category_ids`` (every one of them was computed in
    ``result``; one missing from it has no figure any more). Writes only what changed; each
    figure that changed gets a history row with ``reason``. Returns how many figures changed."""
    conflict_id = result.conflict_id
    wanted = {}
    roles = {}
    for cid in category_ids:
        cr = result.categories.get(cid)
        if cr is None:
            continue
        for (subject_id, event_id), fig in cr.figures.items():
            series = cr.series.get(subject_id, []) if event_id is None else []
            totals = cr.derived_totals.get((subject_id, event_id), [])
            wanted[figure_key(subject_id, cid, event_id)] = (fig, columns(fig, totals, series))
        for subject_id, subject_roles in cr.roles_by_subject.items():
            for claim_id, (role, note) in subject_roles.items():
                roles[claim_id] = (cid, subject_id, role, note)
    existing = {
        row.key: row
        for row in ReconciledFigure.objects.filter(
            conflict_id=conflict_id, category_id__in=list(category_ids)
        )
    }
    added, changed, quiet = [], [], []
    for key, (fig, values) in wanted.items():
        row = existing.get(key)
        if row is None:
            added.append(
                ReconciledFigure(
                    conflict_id=conflict_id,
                    subject_id=fig.subject_id,
                    category_id=fig.category_id,
                    event_id=fig.event_id,
                    key=key,
                    public_note=public_note,
                    **values,
                )  # fmt: skip
            )
            continue
        moved = any(getattr(row, name) != values[name] for name in TRACKED)
        if not moved and row.series == values["series"]:
            continue
        for name, value in values.items():
            setattr(row, name, value)
        if moved:
            row.public_note = public_note
            changed.append(row)
        else:
            quiet.append(row)  # only the charts moved: no history row
    gone = [row.pk for key, row in existing.items() if key not in wanted]
    history = ReconciledFigure.history
    if added:
        ReconciledFigure.objects.bulk_create(added, batch_size=1000)
        history.bulk_history_create(
            added, batch_size=1000, default_user=user, default_change_reason=reason
        )
    fields = [*TRACKED, "series", "public_note"]
    if changed:
        ReconciledFigure.objects.bulk_update(changed, fields, batch_size=1000)
        history.bulk_history_create(
            changed, batch_size=1000, update=True, default_user=user, default_change_reason=reason
        )
    if quiet:
        ReconciledFigure.objects.bulk_update(quiet, ["series"], batch_size=1000)
    if gone:
        doomed = ReconciledFigure.objects.filter(pk__in=gone)
        doomed.update(public_note=public_note)
        with change_context(user=user, reason=reason):
            doomed.delete()  # each leaves a '-' history row
    _store_roles(conflict_id, category_ids, roles)
    return len(added) + len(changed) + len(gone)


def _store_roles(conflict_id, category_ids, roles) -> None:
    """Each claim's role in its figure: its row created, changed or removed as needed (a
    claim that left these categories, or the public, loses its row). Compared as tuples, not
    model instances: the busiest category holds tens of thousands."""
    names = ["conflict_id", "category_id", "subject_id", "role", "note"]
    rows = FigureClaimRole.objects.filter(
        conflict_id=conflict_id, category_id__in=list(category_ids)
    ).values_list("claim_id", *names)
    existing = {claim_id: tuple(values) for claim_id, *values in rows}
    moved_in = FigureClaimRole.objects.filter(
        claim_id__in=list(set(roles) - set(existing))
    ).values_list("claim_id", *names)
    existing.update({claim_id: tuple(values) for claim_id, *values in moved_in})
    added, changed = [], []
    for claim_id, (cid, subject_id, role, note) in roles.items():
        values = (conflict_id, cid, subject_id, role, note)
        before = existing.get(claim_id)
        if before != values:
            row = FigureClaimRole(claim_id=claim_id, **dict(zip(names, values, strict=True)))
            (added if before is None else changed).append(row)
    FigureClaimRole.objects.bulk_create(added, batch_size=2000)
    FigureClaimRole.objects.bulk_update(changed, names, batch_size=2000)
    gone = [
        claim_id
        for claim_id, (conflict, category, *_rest) in existing.items()
        if claim_id not in roles and conflict == conflict_id and category in category_ids
    ]
    FigureClaimRole.objects.filter(claim_id__in=gone).delete()


# --- reading ---------------------------------------------------------------------------------


# ``stored_result(series_of=...)``: the chart series of every subject.
EVERY_SUBJECT = object()


def stored_result(
    conflict_id, *, category_ids=None, series=False, series_of=EVERY_SUBJECT, refs=True
) -> ConflictResult:
    """The stored whole-war figures of a conflict (or of some categories) as the rules'
    result: three queries (parties, categories, figures). Roles are read per page of claims
    (``roles_of``), event figures per event (``event_figures``); chart series only when asked
    (and then of one subject only if ``series_of`` names it: a figure page draws one); the
    claims named beside each figure (``REFS``) unless ``refs`` is false (pages that show the
    numbers only), or only the first independent ones if it is "first" (the overview:
    ``Figure.independent_first``). Read as values, not model instances: the overview reads
    hundreds."""
    parties = load_parties(conflict_id)
    cats = {c.id: c for c in tree_order(load_categories())}
    rows = ReconciledFigure.objects.filter(conflict_id=conflict_id, event__isnull=True)
    if category_ids is not None:
        rows = rows.filter(category_id__in=list(category_ids))
    names = ["subject_id", "category_id", "event_id", *NUMBERS, "deciding"]
    if refs:
        names += FIRST_REFS if refs == "first" else REFS
    if series and series_of is not EVERY_SUBJECT:
        only = Q(subject__isnull=True) if series_of is None else Q(subject_id=series_of)
        rows = rows.annotate(
            chart=Case(When(only, then=F("series")), default=None, output_field=JSONField())
        )
        names.append("chart")
    elif series:
        rows = rows.annotate(chart=F("series"))
        names.append("chart")
    results: dict[int, CategoryResult] = {}
    for row in rows.order_by("category_id", "id").values(*names):
        cr = results.get(row["category_id"])
        if cr is None:
            cr = results[row["category_id"]] = CategoryResult(cats[row["category_id"]])
        cr.figures[(row["subject_id"], None)] = to_figure(row, refs=refs)
        if refs is True:
            cr.derived_totals[(row["subject_id"], None)] = to_derived_totals(row["derived_totals"])
        if series and row["chart"] is not None:
            cr.series[row["subject_id"]] = to_series(row["chart"])
    for cr in results.values():
        cr.subtree_disputed = subtree_disputed(cr.figures, parties)
    return ConflictResult(conflict_id, None, parties, results)


def event_figures(event_id) -> list[Figure]:
    """The stored figures of one event (every subject and category), one query."""
    rows = ReconciledFigure.objects.filter(event_id=event_id).defer("series", "public_note")
    return [to_figure(row) for row in rows.order_by("id")]


def roles_of(claim_ids) -> dict[int, tuple[str, str]]:
    """What each of these claims did in its figure, one query."""
    return {
        claim_id: (role, note)
        for claim_id, role, note in FigureClaimRole.objects.filter(
            claim_id__in=list(claim_ids)
        ).values_list("claim_id", "role", "note")
    }


def roles_in(claim_ids) -> dict[tuple[int, int | None], dict[int, tuple[str, str]]]:
    """The roles of these claims by the figure they are in ((category id, subject id)), one
    query."""
    out: dict = {}
    rows = FigureClaimRole.objects.filter(claim_id__in=list(claim_ids)).values_list(
        "category_id", "subject_id", "claim_id", "role", "note"
    )
    for category_id, subject_id, claim_id, role, note in rows:
        out.setdefault((category_id, subject_id), {})[claim_id] = (role, note)
    return out


def figure_history(conflict_id, subject_id, category_id, *, limit=20) -> list[dict]:
    """How a stored figure changed and why, newest first (one query): when, the figure then
    ("no figure" once it was removed), its best value, and what moved it (``public_note``)."""
    key = figure_key(subject_id, category_id, None)
    rows = (
        ReconciledFigure.history.filter(conflict_id=conflict_id, key=key)
        .order_by("-history_date", "-history_id")
        .only("history_date", "history_type", "lower", "best", "upper", "public_note")[:limit]
    )
    return [
        {
            "when": row.history_date,
            "text": "no figure" if row.history_type == "-" else format_range(row.lower, row.upper),
            "best": None if row.history_type == "-" else row.best,
            "note": row.public_note,
        }
        for row in rows
    ]
