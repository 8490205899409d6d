"""Rule 7: every subject of one category, and the party tree."""

from __future__ import annotations

import datetime
from collections import defaultdict

from claims.rules.group import (
    _counts_as_floor,
    _depth,
    _Group,
)
from claims.rules.types import (
    _NOT_STANDING,
    ADVERSARY_RATIO,
    CUMULATIVE,
    CategoryResult,
    CategoryRow,
    ClaimantSeries,
    ClaimRow,
    Contradiction,
    Figure,
    FigureRole,
    PartyRow,
    _plural,
)


def reconcile_category(
    category: CategoryRow,
    rows: list[ClaimRow],
    parties: dict[int, PartyRow],
    record_counts: dict[int, int] | None = None,
    records_elsewhere: dict[tuple[int, int], int] | None = None,
) -> CategoryResult:
    """Reconcile every subject (and every event) of one category. Pure and deterministic.

    ``record_counts`` maps a party id to its named records for this category (the party itself
    only; descendants are added here). ``records_elsewhere`` maps (party id, id of the party
    whose figures already count them) to how many of those records that is.
    """
    record_counts = record_counts or {}
    records_elsewhere = records_elsewhere or {}
    result = CategoryResult(category)
    children = defaultdict(list)
    for party in parties.values():
        if party.parent_id is not None:
            children[party.parent_id].append(party.id)

    def subtree(pid):
        out, stack = [], [pid]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(children.get(current, ()))
        return out

    by_subject = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.id):
        by_subject[row.subject_id].append(row)
    # Parties top-down, then the whole war (subject None).
    subjects = sorted(
        set(by_subject) | {p for p, n in record_counts.items() if n},
        key=lambda pid: (1, 0, 0) if pid is None else (0, _depth(parties[pid], parties), pid),
    )

    def own(subject_id, held):
        """The figure of one subject from its own claims (and its events first)."""
        by_event = defaultdict(list)
        for row in by_subject.get(subject_id, []):
            by_event[row.event_id].append(row)
        contradictions, roles = [], {}
        part_floors = []
        event_figures = {}
        for event_id in sorted(e for e in by_event if e is not None):
            group = _Group(
                subject_id, category.id, event_id, by_event[event_id], roles, contradictions
            )
            fig, derived = group.compute(part_floors=[], record_count=0, held=held)
            event_figures[event_id] = (fig, derived)
            if fig.lower is not None:
                part_floors.append(
                    (fig.lower, fig.deciding, lambda fig=fig: f"one event's {fig.as_text()}")
                )
        war_rows = by_event.get(None, [])
        within = subtree(subject_id)
        records = sum(record_counts.get(p, 0) for p in within)
        group = _Group(subject_id, category.id, None, war_rows, roles, contradictions)
        fig, derived = group.compute(part_floors=part_floors, record_count=records, held=held)
        inside = set(within)
        fig.records_elsewhere = sum(
            n for (p, c), n in records_elsewhere.items() if p in inside and c not in inside
        )
        # An event's deciding claims set that event's figure, not the war's (unless they do).
        for event_fig, _ in event_figures.values():
            for claim_id in event_fig.deciding:
                if claim_id not in fig.deciding and roles[claim_id][0] in (
                    FigureRole.FLOOR,
                    FigureRole.UPPER,
                ):
                    roles[claim_id] = (
                        FigureRole.PART,
                        f"sets the figure of its event ({event_fig.as_text()}), a floor for the war",
                    )
        # Event claims count in the subject's totals of claims and disputes too.
        event_disputed = sum(f.disputed for f, _ in event_figures.values())
        for event_fig, _ in event_figures.values():
            fig.claim_count += event_fig.claim_count
            fig.disputed += event_fig.disputed
            fig.held_out += event_fig.held_out
        if event_disputed:
            fig.rule += (
                f" {_plural(event_disputed, 'adversary claim')} about single events shown as "
                "disputed, not counted."
            )
        return fig, derived, event_figures, roles, contradictions

    computed = {}
    held_by_subject: dict[int, set[int]] = defaultdict(set)
    child_flags: list[Contradiction] = []
    # Top-down, so a parent's figure is settled before its children are compared with it.
    for subject_id in subjects:
        while True:
            fig, derived, events, roles, contradictions = own(
                subject_id, frozenset(held_by_subject[subject_id])
            )
            ancestor = _nearest_counted_ancestor(subject_id, parties, computed)
            if (
                ancestor is None
                or fig.lower is None
                or fig.basis != "claims"
                or fig.lower <= ancestor.lower
            ):
                break
            # Hold out every counted claim above the whole at once (not one at a time), so
            # the subject is recomputed once, not once per claim.
            over = [
                row.id
                for row in by_subject[subject_id]
                if row.id not in held_by_subject[subject_id]
                and _counts_as_floor(row)
                and row.lower > ancestor.lower
            ]
            # No single claim above the whole: a running total of period claims (or an
            # event's figure) is. It is kept, and flagged as a part above the whole.
            alone = "" if over else ", from claims none of which is above it alone,"
            child_flags.append(
                Contradiction(
                    "child_above_parent",
                    subject_id,
                    category.id,
                    None,
                    tuple(sorted({*(over or fig.deciding), *ancestor.deciding})),
                    round(fig.lower / max(ancestor.lower, 1), 2),
                    f"{_name(parties, subject_id)}: {fig.lower:,}{alone} is above the "
                    f"{ancestor.lower:,} given for {_name(parties, ancestor.subject_id)}, "
                    "which contains it.",
                )
            )
            if not over:
                fig.rule += (
                    f" It is above the {ancestor.lower:,} of "
                    f"{_name(parties, ancestor.subject_id)}, which contains it, though no single "
                    "claim is: kept, and flagged for editors."
                )
                break
            held_by_subject[subject_id].update(over)
        computed[subject_id] = fig
        result.roles.update(roles)
        result.roles_by_subject[subject_id] = roles
        result.contradictions.extend(contradictions)
        result.figures[(subject_id, None)] = fig
        result.derived_totals[(subject_id, None)] = derived
        for event_id, (event_fig, event_derived) in events.items():
            result.figures[(subject_id, event_id)] = event_fig
            result.derived_totals[(subject_id, event_id)] = event_derived
    result.contradictions.extend(child_flags)

    _roll_up(result, parties, children, category, record_counts, subtree)
    _flag_adversaries(result, rows, parties)
    result.subtree_disputed = subtree_disputed(result.figures, parties)
    _keep_consistent(result)
    result.contradictions.sort(key=lambda c: c.signature)
    _build_series(result, rows)
    return result


def _keep_consistent(result: CategoryResult) -> None:
    """A floor above an upper bound (named records above an estimate, parts above a whole):
    the upper bound is left open and the contradiction flagged; a best value outside the
    bounds is dropped."""
    for fig in result.figures.values():
        if fig.lower is not None and fig.upper is not None and fig.lower > fig.upper:
            result.contradictions.append(
                Contradiction(
                    "floor_above_upper",
                    fig.subject_id,
                    fig.category_id,
                    fig.event_id,
                    fig.deciding,
                    round(fig.lower / max(fig.upper, 1), 2),
                    f"The documented floor of {fig.lower:,} is above the upper bound of "
                    f"{fig.upper:,}.",
                )
            )
            fig.rule += (
                f" An upper bound of {fig.upper:,} is below the documented floor of "
                f"{fig.lower:,}: it is left open, and the contradiction flagged for editors."
            )
            fig.upper = None
        below = fig.best is not None and fig.lower is not None and fig.best < fig.lower
        if below or (fig.best is not None and fig.upper is not None and fig.best > fig.upper):
            where = "below the floor" if below else "above the upper bound"
            fig.rule += f" That best value, {fig.best:,}, is {where}: no best value is given."
            fig.best = None


def _build_series(result: CategoryResult, rows: list[ClaimRow]) -> None:
    """Per subject (whole war only), each claimant's standing range and its cumulative claims
    over time; one point per claimant and day (the highest), so the timeline stays small."""
    by_key: dict[tuple[int, int], ClaimantSeries] = {}
    days: dict[tuple[int, int, datetime.date], tuple[int, str]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        if row.event_id is not None:
            continue
        key = (row.subject_id, row.claimant_id)
        item = by_key.get(key)
        if item is None:
            item = by_key[key] = ClaimantSeries(
                row.claimant_id, row.claimant_name, row.claimant_slug, row.relation
            )
        item.count += 1
        role = result.roles.get(row.id, ("",))[0]
        if role not in _NOT_STANDING and row.value is not None:
            low = row.lower if row.lower is not None else 0
            high = row.upper if row.upper is not None else row.lower
            item.low = low if item.low is None else min(item.low, low)
            item.high = high if item.high is None else max(item.high, high)
            item.open_high = item.open_high or row.upper is None
        if row.scope == CUMULATIVE and row.date is not None and row.value is not None:
            day_key = (row.subject_id, row.claimant_id, row.date)
            if day_key not in days or days[day_key][0] < row.value:
                days[day_key] = (row.value, role)

    def whole_war_last(key):  # subject None (the whole war) cannot be compared with ids
        return (key[0] is None, key[0] or 0, *key[1:])

    for (subject_id, claimant_id, day), (value, role) in sorted(
        days.items(), key=lambda kv: whole_war_last(kv[0])
    ):
        by_key[(subject_id, claimant_id)].points.append((day, value, role))
    for (subject_id, _), item in sorted(
        by_key.items(), key=lambda kv: (whole_war_last(kv[0]), kv[1].claimant_name)
    ):
        result.series.setdefault(subject_id, []).append(item)


def _name(parties, pid):
    if pid is None:
        return "the whole war"
    party = parties.get(pid)
    return party.name if party else f"party {pid}"


def _nearest_counted_ancestor(subject_id, parties, computed):
    party = parties.get(subject_id)
    seen = set()
    while party is not None and party.parent_id is not None and party.id not in seen:
        seen.add(party.id)
        fig = computed.get(party.parent_id)
        if fig is not None and fig.basis == "claims" and fig.lower is not None:
            return fig
        party = parties.get(party.parent_id)
    return None


def _roll_up(result, parties, children, category, record_counts, subtree):
    """Rule 7: parties with no counted figure of their own add up their children's."""
    order = sorted(parties.values(), key=lambda p: (-_depth(p, parties), p.id))
    for party in order:
        kids = sorted(children.get(party.id, ()))
        if not kids:
            continue
        own = result.figures.get((party.id, None))
        if own is not None and own.own_counted:
            continue
        kid_figs = [
            f for k in kids if (f := result.figures.get((k, None))) is not None and f.has_figure
        ]
        if not kid_figs:
            continue
        lowers = [f for f in kid_figs if f.lower is not None]
        total = sum(f.lower for f in lowers)
        # The named records of the party and every party within it, as a subject's own
        # figure counts them (a parent with no claims and no records of its own has its
        # children's).
        records = (
            own.record_count
            if own is not None
            else sum(record_counts.get(p, 0) for p in subtree(party.id))
        )
        fig = own or Figure(party.id, category.id, None)
        fig.record_count = records
        fig.basis = "rollup"
        fig.derived = True
        fig.deciding = tuple(sorted({i for f in kid_figs for i in f.deciding}))
        upper_known = all(f.upper is not None for f in kid_figs) and len(kid_figs) == len(
            [k for k in kids if result.figures.get((k, None)) is not None]
        )
        fig.upper = sum(f.upper for f in kid_figs) if upper_known else None
        names = ", ".join(f"{_name(parties, f.subject_id)} {f.as_text()}" for f in kid_figs)
        reasons = []
        if own is not None and own.disputed:
            reasons.append(
                f"No counted claim is about {party.name} itself "
                f"({_plural(own.disputed, 'adversary claim')} shown as disputed)."
            )
        else:
            reasons.append(f"No counted claim is about {party.name} itself.")
        reasons.append(f"Derived: the sum of the parts, {names}.")
        if records > total:
            fig.lower = records
            fig.basis = "records"
            reasons.append(f"The {_plural(records, 'named record')} are more: they set the floor.")
        else:
            fig.lower = total if lowers else None
        if fig.upper is None and fig.lower is not None:
            reasons.append("The upper bound is open: not every part has one.")
        fig.rule = " ".join(reasons)
        if own is None:
            result.figures[(party.id, None)] = fig


def _flag_adversaries(result, rows, parties):
    """An adversary claim at least ADVERSARY_RATIO times the reconciled floor is flagged."""
    for row in rows:
        role = result.roles.get(row.id, ("",))[0]
        if role != FigureRole.DISPUTED or row.value is None or row.scope != CUMULATIVE:
            continue
        fig = result.figures.get((row.subject_id, row.event_id))
        if fig is None or not fig.lower:
            continue
        ratio = row.value / fig.lower
        if ratio >= ADVERSARY_RATIO:
            result.contradictions.append(
                Contradiction(
                    "adversary_far_above",
                    row.subject_id,
                    row.category_id,
                    row.event_id,
                    (row.id, *fig.deciding),
                    round(ratio, 2),
                    f"{row.claimant_name} claims {row.figure_text} for "
                    f"{_name(parties, row.subject_id)}, {ratio:.1f} times the reconciled "
                    f"floor of {fig.lower:,}.",
                )
            )


def subtree_disputed(figures: dict, parties: dict[int, PartyRow]) -> dict[int, int]:
    """Per party, the claims shown but not counted (disputed or held out) about it and the
    parties within it, from one category's figures."""
    children = defaultdict(list)
    for party in parties.values():
        if party.parent_id is not None:
            children[party.parent_id].append(party.id)
    out = {}
    for pid in parties:
        total, stack = 0, [pid]
        while stack:
            current = stack.pop()
            if (f := figures.get((current, None))) is not None:
                total += f.disputed + f.held_out
            stack.extend(children.get(current, ()))
        out[pid] = total
    return out
