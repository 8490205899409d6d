"""Rule 8: the categories of a conflict added up, and the whole war."""

from __future__ import annotations

from collections import defaultdict

from claims.rules.category import _keep_consistent, _name, reconcile_category
from claims.rules.group import estimate_note
from claims.rules.types import (
    CategoryResult,
    CategoryRow,
    ClaimRow,
    Figure,
    FigureRole,
    PartyRow,
    _plural,
    tree_order,
)


def reconcile_conflict(
    categories: list[CategoryRow],
    rows: list[ClaimRow],
    parties: dict[int, PartyRow],
    record_counts: dict[int, dict[int, int]] | None = None,
    records_elsewhere: dict[int, dict[tuple[int, int], int]] | None = None,
) -> dict[int, CategoryResult]:
    """Every category of a conflict: each reconciled on its own (``reconcile_category``), then
    rolled up the category tree (``roll_up_categories``), then the whole war (``whole_war``).
    The arguments are keyed by category id. Pure and deterministic."""
    record_counts = record_counts or {}
    records_elsewhere = records_elsewhere or {}
    cats = {c.id: c for c in tree_order(categories)}
    by_category = defaultdict(list)
    for row in rows:
        by_category[row.category_id].append(row)
    results = {}
    for cat in cats.values():
        if by_category.get(cat.id) or record_counts.get(cat.id):
            results[cat.id] = reconcile_category(
                cat,
                by_category.get(cat.id, []),
                parties,
                record_counts.get(cat.id),
                records_elsewhere.get(cat.id),
            )
    roll_up_categories(results, cats)
    for result in results.values():
        whole_war(result, parties, by_category.get(result.category.id, []))
        _keep_consistent(result)
        result.contradictions.sort(key=lambda c: c.signature)
    return results


def roll_up_categories(results: dict[int, CategoryResult], cats: dict[int, CategoryRow]) -> None:
    """Rule 8: a kind of loss adds up its parts, for each party and the whole war.

    A category has up to two ways of being split: into its children (tanks, other armoured
    vehicles) and into the outcomes that add to it (tanks destroyed, damaged, abandoned,
    captured add to "tanks lost"). Each split covers the whole once, so the floor of the whole is
    the larger of the two sums, never both added; and where the category's own claims give
    more than its parts, its own figure stands. Whole-war figures only (not single events)."""
    children, outcomes = defaultdict(list), defaultdict(list)
    for cat in cats.values():
        if cat.parent_id in cats:
            children[cat.parent_id].append(cat.id)
        if cat.adds_to_id in cats and cat.adds_to_id != cat.parent_id:
            outcomes[cat.adds_to_id].append(cat.id)
    height: dict[int, int] = {}

    def measure(cid, path=()):
        if cid not in height:
            parts = [p for p in children[cid] + outcomes[cid] if p not in path]
            height[cid] = 1 + max((measure(p, (*path, cid)) for p in parts), default=-1)
        return height[cid]

    for cid in cats:
        measure(cid)
    for cid in sorted(cats, key=lambda c: (height[c], c)):
        splits = [
            ("kinds of loss", sorted(children[cid])),
            ("outcomes", sorted(outcomes[cid])),
        ]
        keys = {
            key
            for _, parts in splits
            for p in parts
            if p in results
            for key in results[p].figures
            if key[1] is None
        }
        for key in sorted(keys, key=lambda k: (k[0] is None, k[0] or 0)):
            _roll_up_one(results, cats, cid, key, splits)


def _roll_up_one(results, cats, cid, key, splits) -> None:
    sums = []
    for label, parts in splits:
        figs = [f for p in parts if p in results and (f := results[p].figures.get(key)) is not None]
        counted = [f for f in figs if f.lower is not None]
        if counted:
            uppers = [f.upper for f in figs]
            upper = (
                sum(uppers) if len(figs) == len(parts) and None not in uppers else None
            )  # every part has a figure and an upper bound: the sum of those bounds them all
            sums.append((sum(f.lower for f in counted), label, counted, upper))
    if not sums:
        return
    total, label, figs, upper = max(sums, key=lambda s: (s[0], s[1]))
    result = results.get(cid)
    if result is None:
        result = results[cid] = CategoryResult(cats[cid])
    own = result.figures.get(key)
    if own is not None and own.lower is not None and own.lower >= total:
        if own.basis == "claims":
            own.rule += f" Its parts add up to {total:,}, no more than its own figure."
        return
    fig = own or Figure(key[0], cid, None)
    names = " + ".join(f"{cats[f.category_id].name} {f.lower:,}" for f in figs)
    rule = f"Derived: the {label} within it added, {names} = {total:,}."
    if own is not None and own.lower is not None:
        rule += f" Its own claims give {own.lower:,}, less than its parts."
    fig.lower = total
    if fig.upper is None:
        fig.upper = upper  # an own upper bound below the parts is flagged by _keep_consistent
    fig.basis, fig.derived = "rollup", True
    fig.deciding = tuple(sorted({*fig.deciding, *(i for f in figs for i in f.deciding)}))
    fig.claims_lower = sum(f.claims_lower or 0 for f in figs)
    fig.records_elsewhere = sum(f.records_elsewhere for f in figs)
    fig.record_count = max(fig.record_count, sum(f.record_count for f in figs))
    fig.rule = f"{rule} {own.rule}" if own is not None and own.rule else rule
    result.figures[key] = fig


def whole_war(result: CategoryResult, parties: dict[int, PartyRow], rows=()) -> None:
    """The whole war's figure of one category: at least the parties' floors added (each named
    person once, ``Figure.total_share``), and whatever the claims about the whole war give
    (an independent estimate's range and best value). ``rows``: the category's claims, whose
    estimates about the whole war are placed again against a floor the parties raised."""
    roots = sorted(p.id for p in parties.values() if p.parent_id is None)
    parts = [
        f for r in roots if (f := result.figures.get((r, None))) is not None and f.lower is not None
    ]
    if not parts:
        return
    total = sum(f.total_share for f in parts)
    names = " + ".join(
        f"{_name(parties, f.subject_id)} {f.total_share:,}"
        + (
            f" ({_plural(f.lower - f.total_share, 'named record')} already in another party's "
            "figure)"
            if f.total_share != f.lower
            else ""
        )
        for f in parts
    )
    fig = result.figures.get((None, None))
    if fig is None:
        fig = result.figures[(None, None)] = Figure(None, result.category.id, None)
    bound = _bound_by_the_parties(fig, [result.figures.get((r, None)) for r in roots])
    if fig.lower is not None and fig.lower >= total:
        fig.rule += f" The parties' floors add up to {total:,}, no more.{bound}"
        return
    own_rule = fig.rule
    fig.lower, fig.basis, fig.derived = total, "rollup", True
    fig.deciding = tuple(sorted({*fig.deciding, *(i for f in parts for i in f.deciding)}))
    rule = f"The parties' floors added: {names} = {total:,}."
    for row in rows:
        role = result.roles.get(row.id, ("",))[0]
        if row.subject_id is None and row.event_id is None and role == FigureRole.ESTIMATE:
            result.roles[row.id] = (role, estimate_note(row, fig))
            result.roles_by_subject.get(None, {})[row.id] = result.roles[row.id]
    # The claims about the whole war were read first; said as theirs, not as the figure's.
    fig.rule = (
        f"{rule} That is the floor, above what the claims about the whole war give alone. "
        f"The claims alone: {own_rule}{bound}"
        if own_rule
        else rule + bound
    )


def _bound_by_the_parties(fig: Figure, roots: list[Figure | None]) -> str:
    """With no upper bound from the claims about the whole war, the parties' upper bounds
    added bound it, when every party has a figure with one (a party with none could have lost
    any number). Returns the sentence saying so, or ""."""
    if fig.upper is not None or not roots or any(f is None or f.upper is None for f in roots):
        return ""
    fig.upper = sum(f.upper for f in roots)
    return f" The upper bound is the parties' upper bounds added, {fig.upper:,}: each has one."


def _closure(links: dict[int, set[int]], ids) -> set[int]:
    found, stack = set(ids), list(ids)
    while stack:
        for other in links.get(stack.pop(), ()):
            if other not in found:
                found.add(other)
                stack.append(other)
    return found


def parts_of(categories: list[CategoryRow], ids) -> set[int]:
    """The categories ``ids`` and every category that adds into them (children and outcome
    parts, all the way down): what rolling them up needs."""
    parts = defaultdict(set)
    for c in categories:
        for whole in {c.parent_id, c.adds_to_id} - {None}:
            parts[whole].add(c.id)
    return _closure(parts, ids)


def wholes_of(categories: list[CategoryRow], ids) -> set[int]:
    """The categories ``ids`` and every category they add into, all the way up: the figures a
    change to them can move."""
    wholes = {c.id: {c.parent_id, c.adds_to_id} - {None} for c in categories}
    return _closure(wholes, ids)
