"""Rules 1-6: one figure from one group of claims (a subject, a category, an event)."""

from __future__ import annotations

import bisect
import datetime
import math
from collections import defaultdict

from claims.rules.types import (
    _NOT_STANDING,
    CONTRADICTION_RATIO,
    COUNT_QUALIFIERS,
    CUMULATIVE,
    DISPUTED_RELATIONS,
    ESTIMATE_QUALIFIERS,
    INDEPENDENT,
    PARTISAN,
    PERIOD,
    SELF,
    ClaimRef,
    ClaimRow,
    Contradiction,
    DerivedTotal,
    Figure,
    FigureRole,
    PartyRow,
    _plural,
)


def _counts_as_floor(row: ClaimRow) -> bool:
    if row.lower is None:
        return False
    if row.relation == SELF:
        return True
    if row.relation == INDEPENDENT:
        return row.qualifier in COUNT_QUALIFIERS
    return row.accepted  # an adversary claim only once an editor accepted it


def _is_counted(row: ClaimRow) -> bool:
    return row.relation not in DISPUTED_RELATIONS or row.accepted


def best_non_overlapping(rows: list[ClaimRow]) -> list[ClaimRow]:
    """The set of period claims with pairwise disjoint periods whose lower bounds add up to the
    most (weighted interval scheduling). Ties go to the earlier claims, so it is deterministic."""
    items = sorted(
        (r for r in rows if r.lower is not None), key=lambda r: (r.period_end, r.period_start, r.id)
    )
    if not items:
        return []
    ends = [r.period_end for r in items]
    best = [0] * (len(items) + 1)
    take = [False] * len(items)
    prev = [0] * len(items)
    for i, row in enumerate(items):
        # Periods include both end days, so a period must start after the previous one ended.
        prev[i] = bisect.bisect_left(ends, row.period_start, 0, i)
        with_it = best[prev[i]] + row.lower
        take[i] = with_it > best[i]
        best[i + 1] = with_it if take[i] else best[i]
    chosen, i = [], len(items)
    while i > 0:
        if take[i - 1]:
            chosen.append(items[i - 1])
            i = prev[i - 1]
        else:
            i -= 1
    return sorted(chosen, key=lambda r: (r.period_start, r.id))


def estimate_note(row: ClaimRow, figure: Figure) -> str:
    """Where an independent estimate that sets neither bound lies against the figure."""
    if figure.lower is not None and row.upper is not None and row.upper < figure.lower:
        return f"at most {row.upper:,}: below the floor of {figure.lower:,}"
    return "within the bounds"


def _ceiling(row: ClaimRow) -> float:
    """The highest the claim allows: its upper bound, or none (infinity) for an open floor."""
    return math.inf if row.upper is None else row.upper


class _Group:
    """Works out one figure from one group's claims. Used by ``reconcile_category``."""

    def __init__(self, subject_id, category_id, event_id, rows, roles, contradictions):
        self.subject_id, self.category_id, self.event_id = subject_id, category_id, event_id
        self.rows = rows
        self.roles = roles
        self.contradictions = contradictions

    def supersede(self, cumulative: list[ClaimRow]) -> list[ClaimRow]:
        """Apply rule 2 to each claimant's cumulative claims; return the ones that stand."""
        by_claimant = defaultdict(list)
        for row in cumulative:
            by_claimant[row.claimant_id].append(row)
        standing = []
        for claimant_rows in by_claimant.values():
            dated = sorted(
                (r for r in claimant_rows if r.date is not None),
                key=lambda r: (r.date, r.stated_on or r.date, r.id),
            )
            undated = [r for r in claimant_rows if r.date is None]
            latest_date = dated[-1].date if dated else None
            latest = [r for r in dated if r.date == latest_date]
            earlier = [r for r in dated if r.date != latest_date]
            self._flag_falls(dated)
            # Unknown order: the latest dated claims and the undated ones.
            current = [r for r in latest + undated if r.value is not None]
            # By floor: of figures that agree, the highest floor stands (a count only grows).
            current.sort(
                key=lambda r: (-math.inf if r.lower is None else r.lower, _ceiling(r), r.id)
            )
            unordered_noval = [r for r in latest + undated if r.value is None]
            kept = []
            if current:
                # Ranges are compared by their closest values: a figure is very different from
                # the lowest ceiling ("at most", a range's top, an exact figure) only if its
                # floor is the ratio above it. "Several hundred" (200-999) and 416 agree; an
                # open "more than 700" and 14,000 agree; 3,825 and 14,000 do not.
                smallest = min(current, key=_ceiling)
                limit = max(_ceiling(smallest), 1) * CONTRADICTION_RATIO
                outliers = [r for r in current if r.lower is not None and r.lower >= limit]
                agree = [r for r in current if r not in outliers]
                stands = agree[-1]
                for row in outliers:
                    self.roles[row.id] = (
                        FigureRole.HELD_OUT,
                        f"{row.figure_text} is {row.lower / max(_ceiling(smallest), 1):.1f} times "
                        f"{smallest.figure_text}, given by the same claimant for the same thing",
                    )
                if outliers:
                    self.contradictions.append(
                        Contradiction(
                            "same_claimant",
                            self.subject_id,
                            self.category_id,
                            self.event_id,
                            tuple(sorted(r.id for r in [smallest, *outliers])),
                            round(outliers[-1].lower / max(_ceiling(smallest), 1), 2),
                            f"{smallest.claimant_name} gave {smallest.figure_text} and "
                            + ", ".join(r.figure_text for r in outliers)
                            + " for the same thing, in no known order.",
                        )
                    )
                for row in agree[:-1]:
                    self.roles[row.id] = (
                        FigureRole.SUPERSEDED,
                        f"superseded by {stands.external_id}: same claimant, order unknown, "
                        "the higher figure of a count that only grows stands",
                    )
                kept.append(stands)
            kept.extend(unordered_noval)
            for row in earlier:
                target = kept[0] if kept else latest[0]
                self.roles[row.id] = (
                    FigureRole.SUPERSEDED,
                    f"superseded by {target.external_id} ({target.date or 'undated'})",
                )
            standing.extend(kept)
        return sorted(standing, key=lambda r: r.id)

    def _flag_falls(self, dated: list[ClaimRow]) -> None:
        previous = None
        for row in dated:
            if row.value is None:
                continue
            # Fallen only if the later figure cannot be as high as the earlier floor: a
            # vaguer later figure that still reaches it ("several hundred" after 322) agrees.
            if (
                previous is not None
                and row.date > previous.date
                and previous.lower is not None
                and row.upper is not None
                and row.upper < previous.lower
            ):
                self.contradictions.append(
                    Contradiction(
                        "cumulative_falls",
                        self.subject_id,
                        self.category_id,
                        self.event_id,
                        (previous.id, row.id),
                        round(previous.value / max(row.value, 1), 2),
                        f"{row.claimant_name}'s cumulative figure fell from "
                        f"{previous.figure_text} ({previous.date}) to {row.figure_text} "
                        f"({row.date}).",
                    )
                )
            previous = row

    def compute(
        self,
        *,
        part_floors: list[tuple[int, tuple[int, ...], str]],
        record_count: int,
        held: frozenset[int],
    ) -> tuple[Figure, list[DerivedTotal]]:
        figure = Figure(self.subject_id, self.category_id, self.event_id)
        figure.claim_count = len(self.rows)
        figure.record_count = record_count
        live = []
        for row in self.rows:
            if row.assessment == "discounted":
                self.roles[row.id] = (FigureRole.DISCOUNTED, "assessed as shown to be wrong")
            elif row.id in held:
                self.roles[row.id] = (
                    FigureRole.HELD_OUT,
                    "above the figure of the wider party it belongs to; flagged for editors",
                )
            else:
                live.append(row)
        # For the whole war, a cumulative claim about one place ("32 killed in Ganja") is a
        # part of the war, like a period: a floor only, never superseding the whole-war count.
        in_place = self.event_id is None
        cumulative = [
            r
            for r in live
            if r.scope == CUMULATIVE
            and r.event_id == self.event_id
            and not (in_place and r.place_id is not None)
        ]
        parts = [
            r
            for r in live
            if r.event_id == self.event_id
            and (r.scope == PERIOD or (in_place and r.place_id is not None))
        ]
        periods = [r for r in parts if r.scope == PERIOD]
        standing = self.supersede(cumulative)

        candidates: list[tuple[int, tuple[int, ...], str]] = []  # (value, claim ids, why)
        uppers: list[tuple[int, int]] = []
        for row in standing:
            if row.relation in DISPUTED_RELATIONS and not row.accepted:
                self.roles[row.id] = (FigureRole.DISPUTED, _disputed_note(row))
                figure.disputed += 1
                if row.value is not None:
                    figure.disputed_high = max(figure.disputed_high or 0, row.value)
                continue
            if _counts_as_floor(row):
                kind = {SELF: "self-report", INDEPENDENT: "independent count"}.get(
                    row.relation, "accepted adversary claim"
                )
                candidates.append((row.lower, (row.id,), f"{kind} {row.figure_text}"))
            if row.relation == INDEPENDENT and row.upper is not None:
                uppers.append((row.upper, row.id))
            if _counts_as_floor(row):
                self.roles.setdefault(row.id, (FigureRole.COUNTED, ""))
            elif row.relation == INDEPENDENT and row.upper is not None:
                self.roles.setdefault(row.id, (FigureRole.ESTIMATE, ""))
            else:
                self.roles.setdefault(row.id, (FigureRole.NO_BOUND, ""))
        for row in parts:
            if not _is_counted(row):
                self.roles[row.id] = (FigureRole.DISPUTED, _disputed_note(row))
                figure.disputed += 1
            elif _counts_as_floor(row):
                candidates.append(
                    (row.lower, (row.id,), lambda row=row: f"{row.figure_text} for {_part(row)}")
                )
                self.roles[row.id] = (FigureRole.PART, "a part of the war is a floor for all of it")
            else:
                self.roles[row.id] = (FigureRole.NO_BOUND, "")

        derived = []
        by_claimant = defaultdict(list)
        for row in periods:
            by_claimant[row.claimant_id].append(row)
        for claimant_rows in by_claimant.values():
            chosen = best_non_overlapping(claimant_rows)
            if len(chosen) < 2:
                continue
            total = DerivedTotal(
                chosen[0].claimant_id,
                chosen[0].claimant_name,
                sum(r.lower for r in chosen),
                tuple(r.id for r in chosen),
                counted=all(_counts_as_floor(r) for r in chosen),
            )
            derived.append(total)
            if total.counted:
                candidates.append(
                    (
                        total.total,
                        total.claim_ids,
                        f"derived running total of {_plural(len(chosen), 'period claim')} "
                        f"by {total.claimant_name} (periods do not overlap)",
                    )
                )
        candidates.extend(part_floors)
        figure.own_counted = bool(candidates or uppers)
        if record_count:
            candidates.append((record_count, (), f"{_plural(record_count, 'named record')}"))

        reasons = []
        if candidates:
            top = max(c[0] for c in candidates)
            winners = [c for c in candidates if c[0] == top]
            figure.lower = top
            figure.deciding = tuple(sorted({i for c in winners for i in c[1]}))
            texts = [c[2]() if callable(c[2]) else c[2] for c in winners]
            figure.derived = all(t.startswith("derived") for t in texts)
            figure.basis = "claims" if any(c[1] for c in winners) else "records"
            reason = f"The floor is {top:,} ({'; '.join(texts)})"
            others = [c for c in candidates if c[0] != top]
            if others:
                others.sort(key=lambda c: -c[0])
                shown = [c[2]() if callable(c[2]) else c[2] for c in others[:3]]
                more = f" and {len(others) - 3} more" if len(others) > 3 else ""
                reason += f", the highest floor; below it: {'; '.join(shown)}{more}"
            reasons.append(reason + ".")
            for value, ids, _ in candidates:
                for claim_id in ids:
                    role = FigureRole.FLOOR if value == top else None
                    if role and self.roles.get(claim_id, (None,))[0] in (
                        FigureRole.COUNTED,
                        FigureRole.PART,
                        FigureRole.ESTIMATE,
                    ):
                        self.roles[claim_id] = (FigureRole.FLOOR, "")
        if uppers:
            top_upper, upper_id = max(uppers)
            if figure.lower is not None and top_upper < figure.lower:
                reasons.append(
                    f"An independent estimate gives at most {top_upper:,}, below the documented "
                    "floor; the upper bound is left open."
                )
            else:
                figure.upper = top_upper
                figure.deciding = tuple(sorted({*figure.deciding, upper_id}))
                if figure.basis == "none":
                    figure.basis = "claims"
                if self.roles.get(upper_id, (None,))[0] != FigureRole.FLOOR:
                    self.roles[upper_id] = (FigureRole.UPPER, "")
                reasons.append(
                    f"The upper bound is {top_upper:,}, the highest an independent claim allows."
                )
        elif figure.lower is not None:
            reasons.append("No independent claim gives an upper bound, so it stays open.")
        for row in standing:
            if self.roles.get(row.id, ("",))[0] == FigureRole.ESTIMATE:
                self.roles[row.id] = (FigureRole.ESTIMATE, estimate_note(row, figure))
        if figure.disputed:
            reasons.append(
                f"{_plural(figure.disputed, 'adversary claim')} shown as disputed, not counted."
            )
        figure.held_out = sum(1 for r in self.rows if self.roles.get(r.id, ("",))[0] == "held_out")
        if figure.held_out:
            reasons.append(
                f"{_plural(figure.held_out, 'contradicted claim')} held out until an editor "
                "resolves the flag."
            )
        if not candidates and not uppers:
            reasons.insert(0, "No counted claim gives a figure.")
        counted = [c[0] for c in candidates if c[1]]
        figure.claims_lower = max(counted) if counted else None
        self._beside(figure, standing, parts, reasons)
        figure.rule = " ".join(reasons)
        return figure, derived

    def _beside(self, figure, standing, parts, reasons) -> None:
        """The best value, and the claims the overview shows beside the figure. With no own
        figure for the whole war, the side's own figure is the part of the war (a period, a
        place) that sets the floor, named as such."""
        here = [
            r
            for r in standing
            if r.subject_id == self.subject_id
            and self.roles.get(r.id, ("",))[0] not in _NOT_STANDING
            and r.value is not None
        ]
        own = [r for r in here if r.relation == SELF]
        if own:
            deciding = [r for r in own if r.id in figure.deciding]
            figure.official = ClaimRef.of(
                max(deciding or own, key=lambda r: (r.value, r.date or datetime.date.min, r.id))
            )
        else:
            own_parts = [
                r
                for r in parts
                if r.relation == SELF and r.id in figure.deciding and r.lower == figure.lower
            ]
            if own_parts:
                row = min(own_parts, key=lambda r: r.id)
                figure.official = ClaimRef.of(row, _part(row))
        others = [r for r in here if r.relation in DISPUTED_RELATIONS]
        if others:
            figure.adversary = ClaimRef.of(max(others, key=lambda r: (r.value, r.id)))
        independent = sorted((r for r in here if r.relation == INDEPENDENT), key=lambda r: r.id)
        figure.independent = tuple(ClaimRef.of(r) for r in independent)
        figure.independent_count = len(independent)

        def within(best):
            return (
                best is not None
                and (figure.lower is None or best >= figure.lower)
                and (figure.upper is None or best <= figure.upper)
            )

        estimates = sorted(
            (r.best, r.id)
            for r in independent
            if r.qualifier in ESTIMATE_QUALIFIERS and within(r.best)
        )
        if estimates:
            # Several independent estimates: the middle one (the lower of the two middles).
            figure.best, claim_id = estimates[(len(estimates) - 1) // 2]
            # Every number shown is traceable: the estimate giving the best value decides it.
            figure.deciding = tuple(sorted({*figure.deciding, claim_id}))
            kind = "the independent estimate" if len(estimates) == 1 else (
                f"the middle of {len(estimates)} independent estimates"
            )  # fmt: skip
            reasons.append(f"The best value is {figure.best:,}, {kind}.")
            return
        top = figure.lower
        bests = [
            row.best
            for row in standing
            if row.id in figure.deciding and within(row.best) and _counts_as_floor(row)
            and row.lower == top
        ]  # fmt: skip
        if bests:
            figure.best = max(bests)
            if figure.best != figure.lower or figure.best != figure.upper:
                reasons.append(
                    f"The best value is {figure.best:,}, the central figure of the claim that "
                    "sets the floor."
                )


def _disputed_note(row: ClaimRow) -> str:
    if row.relation == PARTISAN:
        return "a side's figure for the whole war (its own losses and the enemy's)"
    return "adversary claim"


def _part(row: ClaimRow) -> str:
    if row.scope == PERIOD:
        return _period(row)
    return row.place_name or f"one place, by {row.claimant_name}"


def _period(row: ClaimRow) -> str:
    if row.period_start == row.period_end:
        return f"{row.period_start:%d %b %Y}"
    return f"{row.period_start:%d %b %Y} – {row.period_end:%d %b %Y}"


def _depth(party: PartyRow, parties: dict[int, PartyRow]) -> int:
    depth, seen = 0, set()
    while party.parent_id is not None and party.parent_id in parties and party.id not in seen:
        seen.add(party.id)
        party = parties[party.parent_id]
        depth += 1
    return depth
