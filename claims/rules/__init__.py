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

The rules are split by what they work on, each module pure: ``types`` (rows in, results out,
the constants), ``group`` (one figure from one group's claims: rules 1-6), ``category`` (every
subject of one category, the party tree: rule 7), ``conflict`` (the categories added up and the
whole war: rule 8).
"""

from claims.rules.category import reconcile_category, subtree_disputed
from claims.rules.conflict import (
    parts_of,
    reconcile_conflict,
    roll_up_categories,
    whole_war,
    wholes_of,
)
from claims.rules.group import best_non_overlapping
from claims.rules.types import *  # noqa: F403 (the rows, results and constants)
from claims.rules.types import __all__ as _types

__all__ = [
    *_types,
    "best_non_overlapping",
    "parts_of",
    "reconcile_category",
    "reconcile_conflict",
    "roll_up_categories",
    "subtree_disputed",
    "whole_war",
    "wholes_of",
]
