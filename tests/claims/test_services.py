import pytest

from casualties.history import MissingChangeReason, change_context
from claims.models import Claim
from claims.services import claim_create, claim_update


def test_it_reads_bounds_from_the_words(world, make_claim):
    made = make_claim(figure_text="more than 700")
    assert (made.lower, made.upper, made.qualifier) == (701, None, "more_than")


def test_it_records_who_and_why(world, make_claim, admin_user):
    made = make_claim()
    claim_update(claim=made, user=admin_user, reason="MoD update", figure_text="up to 120")
    latest = made.history.latest()
    assert (latest.history_user, latest.history_change_reason, latest.history_type) == (
        admin_user,
        "MoD update",
        "~",
    )
    assert (latest.lower, latest.upper, latest.qualifier) == (None, 120, "at_most")
    assert made.history.count() == 2


def test_typed_bounds_win_over_the_words(world, make_claim):
    made = make_claim()
    claim_update(claim=made, user=None, reason="fix", figure_text="about 90", lower=85, upper=95,
                 qualifier="range")  # fmt: skip
    made.refresh_from_db()
    assert (made.lower, made.upper, made.qualifier) == (85, 95, "range")


def test_a_write_without_reason_is_refused_and_changes_nothing(world, make_claim):
    made = make_claim()
    made.figure_text = "silently changed"
    with pytest.raises(MissingChangeReason):
        made.save()
    made.refresh_from_db()
    assert made.figure_text == "100"
    assert made.history.count() == 1


def test_an_empty_reason_is_refused(world):
    with pytest.raises(MissingChangeReason), change_context(user=None, reason="  "):
        pass


def test_a_create_with_sources_writes_history_for_the_citation(world):
    made = claim_create(
        user=None, reason="entered from report", sources=[world.source],
        conflict=world.conflict, claimant=world.ngo, subject=world.alpha,
        category=world.killed, figure_text="at least 12", as_of=None,
    )  # fmt: skip
    citation = made.citations.get()
    assert citation.history.get().history_change_reason == "entered from report"
    assert Claim.history.filter(id=made.pk).count() == 1
