"""Category roll-ups (claims.rules.roll_up_categories): a kind of loss adds up its parts, by
kind and by outcome, and never counts a part twice."""

from hypothesis import given, settings
from hypothesis import strategies as st

from claims.rules import CategoryRow, ClaimRow, PartyRow, reconcile_conflict

PARTIES = {1: PartyRow(1, "a", "A", None, 1), 2: PartyRow(2, "b", "B", None, 2)}
# An equipment counter's tree: armoured vehicles by kind (tanks, others) within each outcome,
# and every outcome adding into "lost, any outcome".
TANKS_DESTROYED, OTHERS_DESTROYED, ARMOURED_DESTROYED = 11, 12, 10
TANKS_CAPTURED, TANKS_DAMAGED = 21, 22
TANKS_LOST, OTHERS_LOST, ARMOURED_LOST = 31, 32, 30


def cat(cid, slug, parent=None, adds_to=None):
    return CategoryRow(cid, slug, slug, "items", 0, "equipment", parent, adds_to)


CATEGORIES = [
    cat(ARMOURED_DESTROYED, "armoured-vehicles-destroyed", adds_to=ARMOURED_LOST),
    cat(TANKS_DESTROYED, "tanks-destroyed", ARMOURED_DESTROYED, adds_to=TANKS_LOST),
    cat(OTHERS_DESTROYED, "other-destroyed", ARMOURED_DESTROYED, adds_to=OTHERS_LOST),
    cat(TANKS_CAPTURED, "tanks-captured", adds_to=TANKS_LOST),
    cat(TANKS_DAMAGED, "tanks-damaged", adds_to=TANKS_LOST),
    cat(ARMOURED_LOST, "armoured-vehicles-lost"),
    cat(TANKS_LOST, "tanks-lost", ARMOURED_LOST),
    cat(OTHERS_LOST, "other-lost", ARMOURED_LOST),
]
LEAVES = [TANKS_DESTROYED, OTHERS_DESTROYED, TANKS_CAPTURED, TANKS_DAMAGED]


def count(cid, value, *, claim_id=None, subject=1, text=None):
    """An independent count (e.g. visually confirmed losses) of one kind of loss."""
    claim_id = claim_id or cid * 100 + subject
    return ClaimRow(
        id=claim_id, external_id=f"c{claim_id}", claimant_id=7, claimant_name="Counter",
        claimant_slug="counter", relation="independent", subject_id=subject, category_id=cid,
        event_id=None, figure_text=text or str(value), lower=value, upper=value,
        qualifier="exact", scope="cumulative", as_of=None, period_start=None, period_end=None,
        stated_on=None, best=value,
    )  # fmt: skip


def floors(rows, subject=1):
    results = reconcile_conflict(CATEGORIES, rows, PARTIES)
    return {
        cid: f.lower
        for cid, r in results.items()
        if (f := r.figure(subject)) is not None and f.lower is not None
    }


def test_parents_add_their_kinds_and_outcomes():
    got = floors([count(TANKS_DESTROYED, 10), count(OTHERS_DESTROYED, 5),
                  count(TANKS_CAPTURED, 3), count(TANKS_DAMAGED, 2)])  # fmt: skip
    assert got[ARMOURED_DESTROYED] == 15
    assert got[TANKS_LOST] == 15  # 10 destroyed + 3 captured + 2 damaged
    assert got[OTHERS_LOST] == 5
    # By kind (tanks lost 15 + others lost 5 = 20) or by outcome (armoured destroyed 15): the
    # larger, 20, never the two added (35).
    assert got[ARMOURED_LOST] == 20


def test_a_roll_up_is_explained_and_labelled_derived():
    results = reconcile_conflict(
        CATEGORIES, [count(TANKS_DESTROYED, 10), count(OTHERS_DESTROYED, 5)], PARTIES
    )
    fig = results[ARMOURED_DESTROYED].figure(1)
    assert fig.derived and fig.basis == "rollup"
    assert "tanks-destroyed 10 + other-destroyed 5 = 15" in fig.rule
    assert set(fig.deciding) == {TANKS_DESTROYED * 100 + 1, OTHERS_DESTROYED * 100 + 1}


def test_a_total_claimed_for_the_parent_stands_when_above_its_parts():
    got = floors([count(TANKS_DESTROYED, 10), count(TANKS_CAPTURED, 3), count(TANKS_LOST, 20)])
    assert got[TANKS_LOST] == 20


def test_parts_above_a_total_claimed_for_the_parent_raise_its_floor():
    got = floors([count(TANKS_DESTROYED, 10), count(TANKS_CAPTURED, 3), count(TANKS_LOST, 12)])
    assert got[TANKS_LOST] == 13  # the exact 12 is now an upper bound below the floor
    results = reconcile_conflict(
        CATEGORIES,
        [count(TANKS_DESTROYED, 10), count(TANKS_CAPTURED, 3), count(TANKS_LOST, 12)],
        PARTIES,
    )
    fig = results[TANKS_LOST].figure(1)
    assert fig.upper is None  # consistent: never lower > upper
    assert "floor_above_upper" in [c.kind for c in results[TANKS_LOST].contradictions]


def test_the_whole_war_adds_the_parties():
    results = reconcile_conflict(
        CATEGORIES, [count(TANKS_DESTROYED, 10), count(TANKS_DESTROYED, 4, subject=2)], PARTIES
    )
    assert results[TANKS_DESTROYED].figure(None).lower == 14
    assert results[ARMOURED_LOST].figure(None).lower == 14


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.sampled_from(LEAVES), st.integers(0, 1000), min_size=1),
    st.dictionaries(
        st.sampled_from([ARMOURED_DESTROYED, TANKS_LOST, OTHERS_LOST, ARMOURED_LOST]),
        st.integers(0, 3000),
    ),
)
def test_roll_ups_never_double_count(leaves, totals):
    """Every parent's floor is the larger of its own claims and the sum of the distinct leaves
    beneath it: each leaf counts once, whichever way (by kind, by outcome) it is reached."""
    rows = [count(cid, v) for cid, v in leaves.items()]
    rows += [count(cid, v) for cid, v in totals.items()]
    got = floors(rows)

    def leaves_under(*cids):
        return sum(leaves.get(c, 0) for c in cids)

    def expected(cid, parts):
        return max(totals.get(cid, 0), parts)

    tanks_lost = expected(TANKS_LOST, leaves_under(TANKS_DESTROYED, TANKS_CAPTURED, TANKS_DAMAGED))
    others_lost = expected(OTHERS_LOST, leaves_under(OTHERS_DESTROYED))
    destroyed = expected(ARMOURED_DESTROYED, leaves_under(TANKS_DESTROYED, OTHERS_DESTROYED))
    by_kind = tanks_lost + others_lost
    by_outcome = destroyed  # the only outcome adding into it (captured tanks reach it by kind)
    assert got.get(TANKS_LOST) == tanks_lost if TANKS_LOST in got else tanks_lost == 0
    assert got.get(ARMOURED_LOST, 0) == expected(ARMOURED_LOST, max(by_kind, by_outcome))
    # Never more than every claim and leaf added together (no part counted twice).
    assert got.get(ARMOURED_LOST, 0) <= sum(leaves.values()) + sum(totals.values())
