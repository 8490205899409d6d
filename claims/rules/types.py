"""What the rules read and return: plain rows, results, and the constants they apply."""

from __future__ import annotations

import dataclasses
import datetime
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


class FigureRole:
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
        ESTIMATE: "independent estimate",
        PART: "counted as part of the war",
        SUPERSEDED: "superseded by a later claim",
        HELD_OUT: "held out: contradicted, flagged for editors",
        DISPUTED: "disputed: the other side's claim, not counted",
        DISCOUNTED: "discounted by an editor, not counted",
        NO_BOUND: "counted, gives no floor (upper bound only)",
    }


# Slots, not frozen: a recompute builds one per claim (12,000 for the busiest category at
# 100,000 claims), and a frozen dataclass's __init__ cost four times as much. Rows are never
# changed after the loaders build them; hashed by value as before.
@dataclass(slots=True, unsafe_hash=True)
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


# Independent claims named beside a figure on the overview; the rest are counted, with a link
# to the figure's page, which lists every claim.
INDEPENDENT_SHOWN = 3


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
    # How many independent claims stand (read back for the overview, ``independent`` may hold
    # only the first ``INDEPENDENT_SHOWN`` of them: ``independent_first``).
    independent_count: int = 0

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

    def independent_first(self) -> tuple[ClaimRef, ...]:
        """The independent claims named first beside the figure (an overview cell names these
        and counts the rest): those that decide it, then in the order they were entered."""
        refs = sorted(self.independent, key=lambda r: (r.id not in self.deciding, r.id))
        return tuple(refs[:INDEPENDENT_SHOWN])

    def as_data(self, external_ids: dict[int, str]) -> dict:
        """Its numbers and why, as data (the API and the releases): deciding claims by their
        external ids (``external_ids``; claims not in it are left out)."""
        return {
            "lower": self.lower,
            "best": self.best,
            "upper": self.upper,
            "text": self.as_text(),
            "named_floor": self.record_count,
            "claims_lower": self.claims_lower,
            "basis": self.basis,
            "derived": self.derived,
            "rule": self.rule,
            "deciding": [external_ids[d] for d in self.deciding if d in external_ids],
            "claim_count": self.claim_count,
            "disputed": self.disputed,
            "held_out": self.held_out,
        }

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


# Roles of claims that do not stand (the range chart leaves them out).
_NOT_STANDING = {FigureRole.SUPERSEDED, FigureRole.HELD_OUT, FigureRole.DISCOUNTED}


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


__all__ = [
    "CONTRADICTION_RATIO",
    "ADVERSARY_RATIO",
    "DISPUTED_RELATIONS",
    "ESTIMATE_QUALIFIERS",
    "COUNT_QUALIFIERS",
    "RECORD_COUNTS",
    "SELF",
    "ADVERSARY",
    "INDEPENDENT",
    "PARTISAN",
    "CUMULATIVE",
    "PERIOD",
    "FigureRole",
    "ClaimRow",
    "PartyRow",
    "CategoryRow",
    "tree_order",
    "ClaimRef",
    "Figure",
    "format_range",
    "Contradiction",
    "DerivedTotal",
    "ClaimantSeries",
    "CategoryResult",
    "ConflictResult",
]
