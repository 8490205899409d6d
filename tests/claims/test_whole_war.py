"""Claims about the whole war (no subject) and best values: model, import, reconciliation."""

import pytest

from claims.loaders import compute
from claims.models import Claim, Relation, derive_relation
from tests.claims.test_importing import claim, csv_bytes, run


@pytest.mark.django_db
def test_a_sides_claimant_speaking_for_the_whole_war_is_partisan(world, make_claim):
    partisan = make_claim(subject=None, figure_text="12,000")
    independent = make_claim(subject=None, claimant=world.ngo, figure_text="6,500 (6,000–7,100)")
    assert derive_relation(world.alpha_mod.party, None) == Relation.PARTISAN
    assert derive_relation(None, None) == Relation.INDEPENDENT
    annotated = dict(Claim.objects.with_relation().values_list("pk", "relation_sql"))
    assert annotated == {partisan.pk: "partisan", independent.pk: "independent"}


@pytest.mark.django_db
def test_the_whole_war_figure_adds_the_parties_and_takes_the_estimates_range(world, make_claim):
    make_claim(figure_text="3,825")  # Alpha, self-report
    make_claim(subject=world.beta, claimant=world.beta_mod, figure_text="2,906")
    estimate = make_claim(subject=None, claimant=world.ngo, figure_text="7,000 (6,500–8,000)")
    make_claim(subject=None, figure_text="20,000")  # Alpha's MoD for all: shown, not counted
    fig = compute(world.conflict.pk).categories[world.killed.pk].figure(None)
    assert (fig.lower, fig.best, fig.upper) == (3825 + 2906, 7000, 8000)
    assert estimate.pk in fig.deciding  # the range's top and the best value are its
    assert fig.adversary.figure_text == "20,000" and fig.disputed == 1
    assert "The parties' floors added: Alpha 3,825 + Beta 2,906 = 6,731." in fig.rule


@pytest.mark.django_db
def test_an_accepted_partisan_claim_counts(world, make_claim):
    make_claim(subject=None, figure_text="9,000", accepted=True, acceptance_reason="Confirmed")
    fig = compute(world.conflict.pk).categories[world.killed.pk].figure(None)
    assert fig.lower == 9000


@pytest.mark.django_db
def test_an_empty_subject_imports_as_the_whole_war(world, admin_user):
    result = run(
        csv_bytes([claim(subject="", figure_text="6,500, low 5,900, high 7,100")]), admin_user
    )
    assert result.ok, result.errors
    imported = Claim.objects.get()
    assert imported.subject is None
    assert (imported.lower, imported.best, imported.upper) == (5900, 6500, 7100)


@pytest.mark.django_db
def test_a_best_outside_the_bounds_is_a_row_error(world, admin_user):
    row = claim(lower="10", best="50", upper="20", qualifier="range")
    result = run(csv_bytes([row]), admin_user)
    assert [(e.row, e.column) for e in result.errors] == [(2, "best")]
    assert "The best value 50 is not within the bounds." in result.errors[0].message
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_bounds_typed_without_a_best_drop_a_best_they_leave_out(world, make_claim):
    from claims.services import claim_update

    item = make_claim(figure_text="about 100")
    assert (item.lower, item.best, item.upper) == (90, 100, 110)
    claim_update(claim=item, user=None, reason="fix", lower=200, upper=300, qualifier="range")
    item.refresh_from_db()
    assert (item.lower, item.best, item.upper) == (200, None, 300)


@pytest.mark.django_db
def test_the_explanation_names_the_floor_and_best_value_the_figure_has(world, make_claim):
    """Found with outside data: the whole war's explanation went on with the claims' own floor
    (5,001) and a best value below the parties' floors the figure took, as if they were its."""
    from casualties.history import change_context
    from claims.models import Claimant

    with change_context(user=None, reason="test"):
        first = Claimant.objects.create(name="First", slug="first", kind="ngo")
        second = Claimant.objects.create(name="Second", slug="second", kind="academic")
    make_claim(figure_text="3,825")
    make_claim(subject=world.beta, claimant=world.beta_mod, figure_text="3,447")
    make_claim(subject=None, claimant=world.ngo, figure_text="more than 5,000")
    low = make_claim(subject=None, claimant=first, figure_text="about 6,500")
    make_claim(subject=None, claimant=second, figure_text="about 6,944")
    result = compute(world.conflict.pk).categories[world.killed.pk]
    fig = result.figure(None)
    # An estimate whose top is under the floor the parties raised is not "within the bounds".
    assert result.roles[low.pk] == ("estimate", "at most 7,150: below the floor of 7,272")
    assert (fig.lower, fig.best) == (7272, None)
    assert fig.rule.startswith(
        "The parties' floors added: Alpha 3,825 + Beta 3,447 = 7,272. That is the floor, above "
        "what the claims about the whole war give alone. The claims alone: The floor is 5,001"
    )
    assert fig.rule.endswith("is below the floor: no best value is given.")


@pytest.mark.django_db
@pytest.mark.parametrize("neutral_bounded", [True, False])
def test_the_parties_upper_bounds_added_bound_the_whole_war(world, make_claim, neutral_bounded):
    """Found with outside data: every party's figure had an upper bound, the whole war's none.
    Added, they bound it, but only if every party has one (a party without could be any)."""
    make_claim(figure_text="3,825")
    make_claim(subject=world.beta, claimant=world.beta_mod, figure_text="2,906")
    make_claim(claimant=world.ngo, figure_text="3,000 to 5,000")
    make_claim(subject=world.beta, claimant=world.ngo, figure_text="2,500 to 4,000")
    if neutral_bounded:
        make_claim(subject=world.neutral, claimant=world.ngo, figure_text="up to 10")
    fig = compute(world.conflict.pk).categories[world.killed.pk].figure(None)
    assert (fig.lower, fig.upper) == (6731, 9010 if neutral_bounded else None)
    said = "The upper bound is the parties' upper bounds added, 9,010: each has one."
    assert (said in fig.rule) is neutral_bounded
