"""Reconciliation: one honest figure for every subject party and category, and why.

The core (``reconcile_category``) is pure: it takes plain rows and returns plain results, with no
database access, so it is deterministic and tested on hand-made cases. ``reconcile`` loads the rows
(a fixed number of queries, whatever the number of claims) and caches the results.

The rules, in the order they apply (the methodology page prints the same, from ``RULES``):

1. Only published claims count; ``as_of`` keeps only claims stated on or before that day.
   Claims an editor assessed as *discounted* are shown but never counted.
2. Supersession: among one claimant's cumulative claims about the same subject, category and event,
   the latest (by "as of" date, else the date stated) supersedes the earlier ones. Where the order is
   unknown (undated, or the same date), figures within a ratio of 2 are read as one count that grew:
   the highest stands. Figures that differ by a ratio of 2 or more are a contradiction: the smallest
   stands (it is what every statement agrees on: "at least" the smallest), the larger are held out
   and flagged for editors. A later figure below an earlier one is flagged too (a count that fell).
3. Floors: self-reports (any lower bound), independent counts (exact, "at least", "more than"),
   accepted adversary claims, the figures of single events and periods (a part of the war is a floor
   for the whole war), derived running totals, and counts of named records. The reconciled lower
   bound is the highest of them.
4. Upper bound: the highest upper bound given by an independent claim covering the whole war; open
   when none gives one, or when it is below the floor (the floor is documented; the estimate is not).
5. Adversary claims are disputed figures: shown beside the figure, never counted unless accepted.
6. Cumulative figures are never added. Period claims of one claimant are added into a derived
   running total, using only periods that do not overlap (the largest such total).
7. A parent party's figure comes from its own counted claims; when it has none, it is the sum of its
   children's figures (a roll-up, labelled derived). A child whose floor is above the figure of the
   nearest ancestor with its own figure is a contradiction: its deciding claims are held out and
   flagged. Totals across parties add the floors of the top-level parties.
"""

from __future__ import annotations

import bisect
import datetime
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

logger = logging.getLogger(__name__)

# A ratio of 2 or more between two figures for the same thing is "very different": well beyond
# rounding or a late update, small enough to catch 3,825 against 14,000 (3.7x).
CONTRADICTION_RATIO = 2.0
# An adversary claim this many times the reconciled floor is flagged, with the ratio shown.
ADVERSARY_RATIO = 2.0
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

SELF, ADVERSARY, INDEPENDENT = "self", "adversary", "independent"
CUMULATIVE, PERIOD = "cumulative", "period"
COUNT_QUALIFIERS = frozenset({"exact", "at_least", "more_than"})

# Named records counted as a floor, by category slug: (roles, outcomes). Only categories listed here
# use records; the methodology page prints this table.
RECORD_COUNTS: dict[str, tuple[frozenset, frozenset]] = {
    "military-killed": (
        frozenset({"serviceman", "fighter"}),
        frozenset({"killed", "died_of_wounds"}),
    ),
    "military-missing": (frozenset({"serviceman", "fighter"}), frozenset({"missing"})),
    "civilians-killed": (
        frozenset({"civilian", "journalist"}),
        frozenset({"killed", "died_of_wounds"}),
    ),
    "civilians-missing": (frozenset({"civilian", "journalist"}), frozenset({"missing"})),
}


class Role:
    """What a claim did in the figure. Labels are shown to readers."""

    FLOOR = "floor"
    UPPER = "upper"
    COUNTED = "counted"
    ESTIMATE = "estimate"
    PART = "part"
    SUPERSEDED = "superseded"
    HELD_OUT = "held_out"
    DISPUTED = "disputed"
    DISCOUNTED = "discounted"
    NO_BOUND = "no_bound"

    LABELS = {
        FLOOR: "sets the floor",
        UPPER: "sets the upper bound",
        COUNTED: "counted, below the floor",
        ESTIMATE: "independent estimate, within the bounds",
        PART: "counted as part of the war",
        SUPERSEDED: "superseded by a later claim",
        HELD_OUT: "held out: contradicted, flagged for editors",
        DISPUTED: "disputed: adversary claim, not counted",
        DISCOUNTED: "discounted by an editor, not counted",
        NO_BOUND: "counted, gives no floor (upper bound only)",
    }


@dataclass(frozen=True)
class ClaimRow:
    id: int
    external_id: str
    claimant_id: int
    claimant_name: str
    claimant_slug: str
    relation: str
    subject_id: int
    category_id: int
    event_id: int | None
    figure_text: str
    lower: int | None
    upper: int | None
    qualifier: str
    scope: str
    as_of: datetime.date | None
    period_start: datetime.date | None
    period_end: datetime.date | None
    stated_on: datetime.date | None
    accepted: bool = False
    assessment: str = "not_assessed"
    place_id: int | None = None

    @property
    def value(self) -> int | None:
        """The figure compared with others: its lower bound, else its upper bound."""
        return self.lower if self.lower is not None else self.upper

    @property
    def date(self) -> datetime.date | None:
        return self.as_of or self.stated_on


@dataclass(frozen=True)
class PartyRow:
    id: int
    slug: str
    name: str
    parent_id: int | None
    side_id: int | None


@dataclass(frozen=True)
class CategoryRow:
    id: int
    slug: str
    name: str
    unit: str
    position: int = 0
    kind: str = ""

    # People before equipment before money, then the editors' order.
    KIND_ORDER = {"personnel": 0, "civilian": 1, "equipment": 2, "economic": 3}

    @property
    def sort_key(self):
        return (self.KIND_ORDER.get(self.kind, 9), self.position, self.name)


@dataclass
class Figure:
    """The reconciled figure of one subject and category (and event, or the whole war)."""

    subject_id: int
    category_id: int
    event_id: int | None
    lower: int | None = None
    upper: int | None = None
    rule: str = ""
    deciding: tuple[int, ...] = ()
    derived: bool = False
    basis: str = "none"  # claims | rollup | records | none
    record_count: int = 0
    claim_count: int = 0
    disputed: int = 0
    held_out: int = 0
    disputed_high: int | None = None  # the highest disputed figure, shown beside the range
    own_counted: bool = False  # some counted claim about this very subject gives a bound

    @property
    def best(self) -> int | None:
        """The documented floor: the figure the evidence supports, not a guess in the middle."""
        return self.lower

    @property
    def has_figure(self) -> bool:
        return self.lower is not None or self.upper is not None

    def as_text(self) -> str:
        return format_range(self.lower, self.upper)


def format_range(lower: int | None, upper: int | None) -> str:
    if lower is None and upper is None:
        return "no figure"
    if lower is None:
        return f"up to {upper:,}"
    if upper is None:
        return f"at least {lower:,}"
    if lower == upper:
        return f"{lower:,}"
    return f"{lower:,}–{upper:,}"


@dataclass(frozen=True)
class Contradiction:
    kind: str  # same_claimant | child_above_parent | cumulative_falls | adversary_far_above
    subject_id: int
    category_id: int
    event_id: int | None
    claim_ids: tuple[int, ...]
    ratio: float | None
    text: str

    @property
    def signature(self) -> str:
        ids = ",".join(str(i) for i in sorted(self.claim_ids))
        return f"{self.kind}:{self.subject_id}:{self.category_id}:{self.event_id or 0}:{ids}"


@dataclass(frozen=True)
class DerivedTotal:
    claimant_id: int
    claimant_name: str
    total: int
    claim_ids: tuple[int, ...]
    counted: bool


@dataclass
class ClaimantSeries:
    """One claimant's claims in one figure, for the range chart and the timeline."""

    claimant_id: int
    claimant_name: str
    claimant_slug: str
    relation: str
    count: int = 0
    low: int | None = None  # over its standing claims (not superseded, held out or discounted)
    high: int | None = None
    open_high: bool = False  # a standing claim has no upper bound ("more than 700")
    points: list[tuple[datetime.date, int, str]] = field(default_factory=list)


@dataclass
class CategoryResult:
    category: CategoryRow
    figures: dict[tuple[int, int | None], Figure] = field(default_factory=dict)
    roles: dict[int, tuple[str, str]] = field(default_factory=dict)
    roles_by_subject: dict[int, dict[int, tuple[str, str]]] = field(default_factory=dict)
    contradictions: list[Contradiction] = field(default_factory=list)
    derived_totals: dict[tuple[int, int | None], list[DerivedTotal]] = field(default_factory=dict)
    subtree_disputed: dict[int, int] = field(default_factory=dict)
    series: dict[int, list[ClaimantSeries]] = field(default_factory=dict)
    contradiction_count: int = 0

    def figure(self, subject_id: int, event_id: int | None = None) -> Figure | None:
        return self.figures.get((subject_id, event_id))


@dataclass
class ConflictResult:
    conflict_id: int
    as_of: datetime.date | None
    parties: dict[int, PartyRow]
    categories: dict[int, CategoryResult]
    version: str = ""

    def totals(self) -> list[tuple[CategoryRow, int, list[Figure]]]:
        """Totals across parties: the floors of the top-level parties added, per category."""
        out = []
        roots = [p for p in self.parties.values() if p.parent_id is None]
        for result in sorted(self.categories.values(), key=_category_order):
            parts = [
                f for p in roots if (f := result.figure(p.id)) is not None and f.lower is not None
            ]
            if parts:
                out.append((result.category, sum(f.lower for f in parts), parts))
        return out


def _category_order(result: CategoryResult):
    return result.category.sort_key


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


# --- the pure core --------------------------------------------------------------------------


def _counts_as_floor(row: ClaimRow) -> bool:
    if row.lower is None:
        return False
    if row.relation == SELF:
        return True
    if row.relation == INDEPENDENT:
        return row.qualifier in COUNT_QUALIFIERS
    return row.accepted  # an adversary claim only once an editor accepted it


def _is_counted(row: ClaimRow) -> bool:
    return row.relation != ADVERSARY or row.accepted


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
            current.sort(key=lambda r: (r.value, r.id))
            unordered_noval = [r for r in latest + undated if r.value is None]
            kept = []
            if current:
                smallest = current[0]
                limit = max(smallest.value, 1) * CONTRADICTION_RATIO
                outliers = [r for r in current[1:] if r.value >= limit]
                agree = [r for r in current if r.value < limit or r is smallest]
                stands = agree[-1]
                for row in outliers:
                    self.roles[row.id] = (
                        Role.HELD_OUT,
                        f"{row.figure_text} is {row.value / max(smallest.value, 1):.1f} times "
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
                            round(outliers[-1].value / max(smallest.value, 1), 2),
                            f"{smallest.claimant_name} gave {smallest.figure_text} and "
                            + ", ".join(r.figure_text for r in outliers)
                            + " for the same thing, in no known order.",
                        )
                    )
                for row in agree[:-1]:
                    self.roles[row.id] = (
                        Role.SUPERSEDED,
                        f"superseded by {stands.external_id}: same claimant, order unknown, "
                        "the higher figure of a count that only grows stands",
                    )
                kept.append(stands)
            kept.extend(unordered_noval)
            for row in earlier:
                target = kept[0] if kept else latest[0]
                self.roles[row.id] = (
                    Role.SUPERSEDED,
                    f"superseded by {target.external_id} ({target.date or 'undated'})",
                )
            standing.extend(kept)
        return sorted(standing, key=lambda r: r.id)

    def _flag_falls(self, dated: list[ClaimRow]) -> None:
        previous = None
        for row in dated:
            if row.value is None:
                continue
            if previous is not None and row.date > previous.date and row.value < previous.value:
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
                self.roles[row.id] = (Role.DISCOUNTED, "assessed as shown to be wrong")
            elif row.id in held:
                self.roles[row.id] = (
                    Role.HELD_OUT,
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
            if row.relation == ADVERSARY and not row.accepted:
                self.roles[row.id] = (Role.DISPUTED, "adversary claim")
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
                self.roles.setdefault(row.id, (Role.COUNTED, ""))
            elif row.relation == INDEPENDENT and row.upper is not None:
                self.roles.setdefault(row.id, (Role.ESTIMATE, ""))
            else:
                self.roles.setdefault(row.id, (Role.NO_BOUND, ""))
        for row in parts:
            if not _is_counted(row):
                self.roles[row.id] = (Role.DISPUTED, "adversary claim")
                figure.disputed += 1
            elif _counts_as_floor(row):
                candidates.append(
                    (row.lower, (row.id,), lambda row=row: f"{row.figure_text} for {_part(row)}")
                )
                self.roles[row.id] = (Role.PART, "a part of the war is a floor for all of it")
            else:
                self.roles[row.id] = (Role.NO_BOUND, "")

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
                    role = Role.FLOOR if value == top else None
                    if role and self.roles.get(claim_id, (None,))[0] in (
                        Role.COUNTED,
                        Role.PART,
                        Role.ESTIMATE,
                    ):
                        self.roles[claim_id] = (Role.FLOOR, "")
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
                if self.roles.get(upper_id, (None,))[0] != Role.FLOOR:
                    self.roles[upper_id] = (Role.UPPER, "")
                reasons.append(
                    f"The upper bound is {top_upper:,}, the highest an independent claim allows."
                )
        elif figure.lower is not None:
            reasons.append("No independent claim gives an upper bound, so it stays open.")
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
        figure.rule = " ".join(reasons)
        return figure, derived


def _part(row: ClaimRow) -> str:
    if row.scope == PERIOD:
        return _period(row)
    return f"one place, by {row.claimant_name}"


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


def reconcile_category(
    category: CategoryRow,
    rows: list[ClaimRow],
    parties: dict[int, PartyRow],
    record_counts: dict[int, int] | None = None,
) -> CategoryResult:
    """Reconcile every subject (and every event) of one category. Pure and deterministic.

    ``record_counts`` maps a party id to its named records for this category (the party itself
    only; descendants are added here).
    """
    record_counts = record_counts or {}
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
    subjects = sorted(
        set(by_subject) | {p for p, n in record_counts.items() if n},
        key=lambda pid: (_depth(parties[pid], parties), pid) if pid in parties else (0, pid),
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
        records = sum(record_counts.get(p, 0) for p in subtree(subject_id))
        group = _Group(subject_id, category.id, None, war_rows, roles, contradictions)
        fig, derived = group.compute(part_floors=part_floors, record_count=records, held=held)
        # An event's deciding claims set that event's figure, not the war's (unless they do).
        for event_fig, _ in event_figures.values():
            for claim_id in event_fig.deciding:
                if claim_id not in fig.deciding and roles[claim_id][0] in (Role.FLOOR, Role.UPPER):
                    roles[claim_id] = (
                        Role.PART,
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
            if not over:
                break
            child_flags.append(
                Contradiction(
                    "child_above_parent",
                    subject_id,
                    category.id,
                    None,
                    tuple(sorted({*over, *ancestor.deciding})),
                    round(fig.lower / max(ancestor.lower, 1), 2),
                    f"{_name(parties, subject_id)}: {fig.lower:,} is above the "
                    f"{ancestor.lower:,} given for {_name(parties, ancestor.subject_id)}, "
                    "which contains it.",
                )
            )
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
    for pid in parties:
        result.subtree_disputed[pid] = sum(
            f.disputed + f.held_out
            for p in subtree(pid)
            if (f := result.figures.get((p, None))) is not None
        )
    result.contradictions.sort(key=lambda c: c.signature)
    _build_series(result, rows)
    return result


_NOT_STANDING = {Role.SUPERSEDED, Role.HELD_OUT, Role.DISCOUNTED}


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
    for (subject_id, claimant_id, day), (value, role) in sorted(days.items()):
        by_key[(subject_id, claimant_id)].points.append((day, value, role))
    for (subject_id, _), item in sorted(
        by_key.items(), key=lambda kv: (kv[0], kv[1].claimant_name)
    ):
        result.series.setdefault(subject_id, []).append(item)


def _name(parties, pid):
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
        records = own.record_count if own is not None else 0
        fig = own or Figure(party.id, category.id, None)
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
        if role != Role.DISPUTED or row.value is None or row.scope != CUMULATIVE:
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
        "place_id",
    ]  # fmt: skip
    return [ClaimRow(*values) for values in qs.order_by().values_list(*fields)]


def load_record_counts(conflict_id, categories) -> dict[int, dict[int, int]]:
    """Named records per category and party, for the categories in ``RECORD_COUNTS``: one
    aggregate query grouped by party, role and outcome."""
    from django.db.models import Count

    from casualties.models import CasualtyRecord

    wanted = {c.id: RECORD_COUNTS[c.slug] for c in categories if c.slug in RECORD_COUNTS}
    out: dict[int, dict[int, int]] = defaultdict(dict)
    if not wanted:
        return out
    grouped = (
        CasualtyRecord.objects.counted()
        .filter(conflict_id=conflict_id)
        .order_by()
        .values_list("party_id", "role", "outcome")
        .annotate(n=Count("id"))
    )
    for party_id, role, outcome, n in grouped:
        for category_id, (roles, outcomes) in wanted.items():
            if role in roles and outcome in outcomes:
                out[category_id][party_id] = out[category_id].get(party_id, 0) + n
    return out


def compute(conflict_id, *, as_of=None, category_slugs=None) -> ConflictResult:
    """Reconcile a conflict from the database, uncached (four queries)."""
    from casualties.models import Category

    cats = [
        CategoryRow(c["id"], c["slug"], c["name"], c["unit"], c["position"], c["kind"])
        for c in Category.objects.values("id", "slug", "name", "unit", "position", "kind")
        if category_slugs is None or c["slug"] in category_slugs
    ]
    parties = load_parties(conflict_id)
    ids = None if category_slugs is None else [c.id for c in cats]
    rows = load_rows(conflict_id, category_ids=ids, as_of=as_of)
    records = load_record_counts(conflict_id, cats)
    by_category = defaultdict(list)
    for row in rows:
        by_category[row.category_id].append(row)
    results = {}
    for cat in cats:
        if by_category.get(cat.id) or records.get(cat.id):
            results[cat.id] = reconcile_category(
                cat, by_category.get(cat.id, []), parties, records.get(cat.id)
            )
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
