"""Reconciliation: one honest figure for every subject party and category, and why.

This module is pure: it takes plain rows (claims, parties, categories, counts of named records) and
returns plain results, with no database, cache or thread, so it is deterministic and tested on
hand-made cases and random ones. ``claims.reconciliation`` loads the rows (a fixed number of
queries, whatever the number of claims) and caches the results.

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
import dataclasses
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

# A ratio of 2 or more between two figures for the same thing is "very different": well beyond
# rounding or a late update, small enough to catch 3,825 against 14,000 (3.7x).
CONTRADICTION_RATIO = 2.0
# An adversary claim this many times the reconciled floor is flagged, with the ratio shown.
ADVERSARY_RATIO = 2.0
SELF, ADVERSARY, INDEPENDENT, PARTISAN = "self", "adversary", "independent", "partisan"
# Relations shown beside the figure, never counted unless an editor accepts the claim: a side's
# claim about the other side, and a side's figure for the whole war (its own losses and the
# enemy's together).
DISPUTED_RELATIONS = frozenset({ADVERSARY, PARTISAN})
# Qualifiers of an estimate: a central value with a range, or "about N".
ESTIMATE_QUALIFIERS = frozenset({"range", "about"})
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
        DISPUTED: "disputed: the other side's claim, not counted",
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
    best: int | None = None
    place_name: str = ""

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
    parent_id: int | None = None
    adds_to_id: int | None = None  # the "lost, any outcome" category it also adds into
    order: tuple = ()  # its place in the tree (``tree_order``); empty: by kind and position

    # People before equipment before money, then the editors' order.
    KIND_ORDER = {"personnel": 0, "civilian": 1, "equipment": 2, "economic": 3}

    @property
    def sort_key(self):
        return self.order or ((self.KIND_ORDER.get(self.kind, 9), self.position, self.name),)


def tree_order(categories: list[CategoryRow]) -> list[CategoryRow]:
    """The categories with ``order`` set to their path from the root, so that a listing keeps
    each tree (each outcome group) together: people before equipment before money, then the
    editors' order among siblings."""
    by_id = {c.id: c for c in categories}

    def path(cat, seen=()):
        own = (CategoryRow.KIND_ORDER.get(cat.kind, 9), cat.position, cat.name)
        parent = by_id.get(cat.parent_id)
        if parent is None or parent.id in seen:
            return (own,)
        return (*path(parent, (*seen, cat.id)), own)

    return [dataclasses.replace(c, order=path(c)) for c in categories]


@dataclass(frozen=True)
class ClaimRef:
    """A claim as the overview names it: its words and who says it."""

    id: int
    external_id: str
    figure_text: str
    claimant_name: str
    claimant_slug: str
    lower: int | None
    best: int | None
    upper: int | None
    part: str = ""  # for a claim about a part of the war: which ("27 Sep 2020", a place)

    @classmethod
    def of(cls, row: ClaimRow, part: str = "") -> ClaimRef:
        return cls(
            row.id, row.external_id, row.figure_text, row.claimant_name, row.claimant_slug,
            row.lower, row.best, row.upper, part,
        )  # fmt: skip


@dataclass
class Figure:
    """The reconciled figure of one subject and category (and event, or the whole war)."""

    subject_id: int | None  # None: the whole war, all parties
    category_id: int
    event_id: int | None
    lower: int | None = None
    upper: int | None = None
    best: int | None = None  # a central value within the bounds, where the evidence gives one
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
    claims_lower: int | None = None  # the floor from claims alone (not named records)
    records_elsewhere: int = 0  # named records already counted in another party's figures
    # What the overview shows beside the figure: the side's own figure, the other side's
    # highest claim, and the independent claims (estimates and counts), standing ones only.
    official: ClaimRef | None = None
    adversary: ClaimRef | None = None
    independent: tuple[ClaimRef, ...] = ()

    @property
    def has_figure(self) -> bool:
        return self.lower is not None or self.upper is not None

    def as_text(self) -> str:
        return format_range(self.lower, self.upper)

    def best_text(self) -> str:
        """The range with the best value, where one is known: "about 70,000 (63,000–77,000)"."""
        if self.best is None or (self.lower == self.upper == self.best):
            return self.as_text()
        return f"best {self.best:,} ({self.as_text()})"

    @property
    def total_share(self) -> int | None:
        """What this party adds to a total across parties: its floor, less named records that
        another party's figures already count (unless its claims alone give more)."""
        if self.lower is None or not self.records_elsewhere:
            return self.lower
        return max(self.claims_lower or 0, self.lower - self.records_elsewhere)


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
    #          | floor_above_upper
    subject_id: int | None
    category_id: int
    event_id: int | None
    claim_ids: tuple[int, ...]
    ratio: float | None
    text: str

    @property
    def signature(self) -> str:
        ids = ",".join(str(i) for i in sorted(self.claim_ids))
        subject = "all" if self.subject_id is None else self.subject_id
        return f"{self.kind}:{subject}:{self.category_id}:{self.event_id or 0}:{ids}"


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

    def figure(self, subject_id: int | None, event_id: int | None = None) -> Figure | None:
        """The figure of a party (None: the whole war), for the war or one event."""
        return self.figures.get((subject_id, event_id))


@dataclass
class ConflictResult:
    conflict_id: int
    as_of: datetime.date | None
    parties: dict[int, PartyRow]
    categories: dict[int, CategoryResult]
    version: str = ""


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
            if row.relation in DISPUTED_RELATIONS and not row.accepted:
                self.roles[row.id] = (Role.DISPUTED, _disputed_note(row))
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
                self.roles[row.id] = (Role.DISPUTED, _disputed_note(row))
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
    _keep_consistent(result)
    result.contradictions.sort(key=lambda c: c.signature)
    _build_series(result, rows)
    return result


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
        whole_war(result, parties)
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


def whole_war(result: CategoryResult, parties: dict[int, PartyRow]) -> None:
    """The whole war's figure of one category: at least the parties' floors added (each named
    person once, ``Figure.total_share``), and whatever the claims about the whole war give
    (an independent estimate's range and best value)."""
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
    if fig.lower is not None and fig.lower >= total:
        fig.rule += f" The parties' floors add up to {total:,}, no more."
        return
    fig.lower, fig.basis, fig.derived = total, "rollup", True
    fig.deciding = tuple(sorted({*fig.deciding, *(i for f in parts for i in f.deciding)}))
    rule = f"The parties' floors added: {names} = {total:,}."
    fig.rule = f"{rule} {fig.rule}" if fig.rule else rule


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
        if fig.best is not None and (
            (fig.lower is not None and fig.best < fig.lower)
            or (fig.upper is not None and fig.best > fig.upper)
        ):
            fig.best = None


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
