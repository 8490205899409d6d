"""Properties of the pure reconciliation on random claim sets (no database)."""

import datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from claims.rules import CategoryRow, ClaimRow, PartyRow, reconcile_category

PARTIES = {
    1: PartyRow(1, "a", "A", None, 1),
    2: PartyRow(2, "a-army", "A army", 1, 1),
    3: PartyRow(3, "b", "B", None, 2),
}
CATEGORY = CategoryRow(1, "military-killed", "Killed", "persons")
START = datetime.date(2020, 9, 27)


@st.composite
def claim_rows(draw):
    rows = []
    for i in range(draw(st.integers(0, 12))):
        lower = draw(st.none() | st.integers(0, 20_000))
        upper = draw(st.none() | st.integers(lower or 0, 40_000))
        if lower is None and upper is None:
            lower = upper = draw(st.integers(0, 100))
        period = draw(st.booleans())
        day = START + datetime.timedelta(days=draw(st.integers(0, 60)))
        length = datetime.timedelta(days=draw(st.integers(0, 5)))
        rows.append(
            ClaimRow(
                id=i + 1,
                external_id=f"c{i}",
                claimant_id=draw(st.integers(1, 3)),
                claimant_name="X",
                claimant_slug="x",
                relation=draw(st.sampled_from(["self", "adversary", "independent"])),
                subject_id=draw(st.sampled_from([1, 2, 3])),
                category_id=1,
                event_id=draw(st.none() | st.just(7)),
                figure_text=str(lower or upper),
                lower=lower,
                upper=upper,
                qualifier=draw(st.sampled_from(["exact", "at_least", "about", "range", "at_most"])),
                scope="period" if period else "cumulative",
                as_of=None if period else draw(st.none() | st.just(day)),
                period_start=day if period else None,
                period_end=day + length if period else None,
                stated_on=draw(st.none() | st.just(day)),
                accepted=draw(st.booleans()),
                assessment="not_assessed",
                place_id=draw(st.none() | st.just(5)),
            )  # fmt: skip
        )
    return rows


def _row(**fields):
    """A published claim row with plain defaults (an independent exact count about party 1)."""
    return ClaimRow(
        **{
            "id": 1, "external_id": "c1", "claimant_id": 1, "claimant_name": "X",
            "claimant_slug": "x", "relation": "independent", "subject_id": 1, "category_id": 1,
            "event_id": None, "figure_text": "0", "lower": 0, "upper": 0, "qualifier": "exact",
            "scope": "cumulative", "as_of": None, "period_start": None, "period_end": None,
            "stated_on": None, "accepted": False, "assessment": "not_assessed", "place_id": None,
            **fields,
        }
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(claim_rows(), st.dictionaries(st.sampled_from([1, 2, 3]), st.integers(0, 50)))
# Found by Hypothesis: a named record of the parent above an exact 0 of its only child gave
# the parent's roll-up a floor of 1 and an upper bound of 0.
@example(rows=[_row(subject_id=2)], records={1: 1})
def test_reconciliation_is_total_deterministic_and_consistent(rows, records):
    result = reconcile_category(CATEGORY, rows, PARTIES, records)
    assert result == reconcile_category(CATEGORY, list(reversed(rows)), PARTIES, records)
    ids = {r.id for r in rows}
    assert set(result.roles) == ids  # every claim says what it did
    for figure in result.figures.values():
        assert figure.lower is None or figure.upper is None or figure.lower <= figure.upper
        if figure.best is not None:
            assert (figure.lower or 0) <= figure.best <= (figure.upper or figure.best)
        assert set(figure.deciding) <= ids
    for contradiction in result.contradictions:
        assert set(contradiction.claim_ids) <= ids


@settings(max_examples=300, deadline=None)
@given(
    claim_rows(),
    st.dictionaries(st.sampled_from([1, 2, 3]), st.integers(0, 50)),
    st.sampled_from([1, 2, 3]),
    st.integers(0, 10**9),
    st.booleans(),
)
def test_a_disputed_adversary_claim_never_moves_the_floor(rows, records, subject, figure, cumul):
    """Adding an adversary claim no editor accepted may add a flag, never move a floor."""
    before = reconcile_category(CATEGORY, rows, PARTIES, records)
    day = START + datetime.timedelta(days=10)
    disputed = ClaimRow(
        id=len(rows) + 100, external_id="hostile", claimant_id=9, claimant_name="Enemy",
        claimant_slug="enemy", relation="adversary", subject_id=subject, category_id=1,
        event_id=None, figure_text=str(figure), lower=figure, upper=figure, qualifier="exact",
        scope="cumulative" if cumul else "period", as_of=day if cumul else None,
        period_start=None if cumul else day, period_end=None if cumul else day, stated_on=day,
        accepted=False, assessment="not_assessed", place_id=None,
    )  # fmt: skip
    after = reconcile_category(CATEGORY, [*rows, disputed], PARTIES, records)
    assert after.roles[disputed.id][0] == "disputed"
    for party_id, figure_before in before.figures.items():
        figure_after = after.figures.get(party_id)
        assert figure_after is not None
        assert figure_after.lower == figure_before.lower
        assert figure_after.deciding == figure_before.deciding
