"""What pages and the API read: the stored figures, or the figures as known on a past day.

Today's figures are rows (``claims.figure_store``), kept in step with every write by
``claims.refresh``. "As known on" a day is computed on demand (``loaders.compute``) and kept in
the cache under the data state's token, the conflict, the day and the category: days are only
those from the conflict's start to today (``claims.public.views.parse_as_of``), the entries hold
no per-claim roles but one subject's, and the cache culls its oldest entries past its size
(settings ``CACHES``), so no reader can grow it without limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache

from claims import figure_store
from claims.figure_store import EVERY_SUBJECT
from claims.loaders import compute
from claims.refresh import state_token
from claims.rules import ClaimantSeries, ConflictResult, Figure

# How long a day's computed figures are kept (a write moves the token, so they are never stale).
AS_OF_SECONDS = 3600


@dataclass
class SubjectDetail:
    """What only a figure page needs: each claim's role, and the chart series."""

    roles: dict[int, tuple[str, str]]
    series: list[ClaimantSeries] = field(default_factory=list)


def reconcile(
    conflict_id, *, as_of=None, category_id=None, series=False, series_of=EVERY_SUBJECT, refs=True
) -> ConflictResult:
    """The whole-war figures of a conflict (or of one category): stored, or as known on
    ``as_of``; with the chart series if asked (of one subject if ``series_of`` names it;
    stored figures only: ``subject_detail`` has a past day's), without the claims named
    beside each figure if ``refs`` is false, or only the first if "first" (stored figures
    only; ``figure_store.stored_result``). No per-claim roles
    (``subject_detail``) or event figures."""
    if as_of is None:
        ids = None if category_id is None else [category_id]
        return figure_store.stored_result(
            conflict_id, category_ids=ids, series=series, series_of=series_of, refs=refs
        )
    return _as_of(conflict_id, as_of, category_id)[0]


def subject_detail(result: ConflictResult, category_id, subject_id, *, claim_ids):
    """The roles of ``claim_ids`` (a page of claims) and the chart series of one subject and
    category of ``result`` (stored figures read with their series, or a past day's)."""
    if result.as_of is None:
        cr = result.categories.get(category_id)
        series = cr.series.get(subject_id, []) if cr else []
        return SubjectDetail(figure_store.roles_of(claim_ids), series)
    detail = _as_of(result.conflict_id, result.as_of, category_id, subject_id, result.version)[1]
    roles = {i: detail.roles[i] for i in claim_ids if i in detail.roles}
    return SubjectDetail(roles, detail.series)


def event_figures(event_id) -> list[Figure]:
    return figure_store.event_figures(event_id)


def _as_of(conflict_id, as_of, category_id, subject_id=0, token=None):
    """(result without roles, series or events; one subject's detail), computed once per data
    state (``token``, read here if not given), day, category and subject."""
    token = token or state_token()
    key = f"asof:{token}:{conflict_id}:{as_of}:{category_id or '*'}:{subject_id}"
    found = cache.get(key)
    if found is not None:
        return found
    ids = None if category_id is None else [category_id]
    result = compute(conflict_id, as_of=as_of, category_ids=ids)
    result.version = token
    detail = SubjectDetail({}, [])
    if category_id in result.categories:
        cr = result.categories[category_id]
        detail = SubjectDetail(
            cr.roles_by_subject.get(subject_id, {}), cr.series.get(subject_id, [])
        )
    for cr in result.categories.values():
        cr.roles, cr.roles_by_subject, cr.series = {}, {}, {}
        cr.figures = {k: f for k, f in cr.figures.items() if k[1] is None}
        cr.derived_totals = {k: v for k, v in cr.derived_totals.items() if k[1] is None}
    cache.set(key, (result, detail), AS_OF_SECONDS)
    return result, detail
