"""Rules that always hold: database constraints (with clear messages) and the derived relation."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from casualties.history import change_context
from casualties.models import Category, Conflict, Event, Party, Place, PlaceName
from claims.models import Claim, ClaimSource, Relation, Source, derive_relation

REASON = "test"


def refused_by_database(obj):
    """Save without validation: the database itself must refuse the row."""
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        change_context(user=None, reason=REASON),
    ):
        obj.save()


def claim(world, **fields):
    defaults = {
        "conflict": world.conflict, "claimant": world.alpha_mod, "subject": world.alpha,
        "category": world.killed, "figure_text": "10", "lower": 10, "upper": 10, "qualifier": "exact",
        "as_of": datetime.date(2020, 10, 1),
    }  # fmt: skip
    return Claim(**{**defaults, **fields})


def messages_of(obj):
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    return caught.value.messages


def test_lower_above_upper_is_refused(world):
    bad = claim(world, lower=20, upper=10, qualifier="range")
    assert "The lower bound cannot be above the upper bound." in messages_of(bad)
    refused_by_database(bad)


def test_period_start_after_end_is_refused(world):
    bad = claim(
        world, scope="period", as_of=None,
        period_start=datetime.date(2020, 10, 5), period_end=datetime.date(2020, 10, 1),
    )  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert caught.value.message_dict["period_end"] == ["The period ends before it starts."]
    refused_by_database(bad)


def test_period_claim_without_dates_is_refused_with_field_messages(world):
    bad = claim(world, scope="period", as_of=None)
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert caught.value.message_dict["period_start"] == ["A period claim needs a start date."]
    assert caught.value.message_dict["period_end"] == ["A period claim needs an end date."]
    refused_by_database(bad)


def test_cumulative_claim_with_a_period_is_refused(world):
    bad = claim(
        world, period_start=datetime.date(2020, 10, 1), period_end=datetime.date(2020, 10, 2)
    )
    assert "A cumulative claim has no period; use the “as of” date." in messages_of(bad)
    refused_by_database(bad)


def test_figure_without_bounds_must_be_marked_unreadable(world):
    bad = claim(world, lower=None, upper=None, qualifier="exact")
    assert any("needs at least one bound" in m for m in messages_of(bad))
    refused_by_database(bad)


def test_unreadable_figure_keeps_its_words_without_bounds(world):
    ok = claim(world, figure_text="several", lower=None, upper=None, qualifier="unreadable")
    ok.full_clean()
    with change_context(user=None, reason=REASON):
        ok.save()
    assert Claim.objects.get(pk=ok.pk).figure_text == "several"


def test_accepting_without_reason_is_refused(world):
    bad = claim(world, claimant=world.beta_mod, accepted=True)
    assert "Accepting an adversary claim needs a written reason." in messages_of(bad)
    refused_by_database(bad)


def test_accepting_a_self_report_is_refused(world):
    bad = claim(world, accepted=True, acceptance_reason="because")
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert "accepted" in caught.value.message_dict


def test_external_id_is_unique(world):
    first = claim(world, external_id="c-same")
    with change_context(user=None, reason=REASON):
        first.save()
    second = claim(world, external_id="c-same")
    assert "Claim with this External id already exists." in messages_of(second)
    refused_by_database(second)


def test_external_id_is_generated_and_stable(world):
    first = claim(world)
    with change_context(user=None, reason=REASON):
        first.save()
    assert first.external_id.startswith("c-")
    assert Claim.objects.get(pk=first.pk).external_id == first.external_id


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.org/file",
        "//example.org/no-scheme",
        "HTTPS://example.org/upper-case-scheme",
    ],
)
def test_source_url_must_be_http(world, url):
    bad = Source(slug="s2", title="t", url=url)
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert "url" in caught.value.message_dict
    refused_by_database(bad)


@pytest.mark.parametrize(
    "url", ["java\tscript:alert(1)", "https://exa mple.org", "\x01https://x.org"]
)
def test_source_url_with_control_characters_is_refused(world, url):
    with pytest.raises(ValidationError) as caught:
        Source(slug="s3", title="t", url=url).full_clean()
    assert "url" in caught.value.message_dict


def test_archive_url_must_be_http(world):
    bad = Source(slug="s4", title="t", archive_url="javascript:alert(1)")
    with pytest.raises(ValidationError):
        bad.full_clean()
    refused_by_database(bad)


def test_source_accessed_before_published_is_refused(world):
    bad = Source(
        slug="s5", title="t", published_on=datetime.date(2020, 10, 2),
        accessed_on=datetime.date(2020, 10, 1),
    )  # fmt: skip
    assert "A source cannot be accessed before it was published." in messages_of(bad)
    refused_by_database(bad)


def test_event_ending_before_it_starts_is_refused(world):
    bad = Event(
        conflict=world.conflict, name="e", slug="e", start_date=datetime.date(2020, 10, 2),
        end_date=datetime.date(2020, 10, 1),
    )  # fmt: skip
    assert "An event cannot end before it starts." in messages_of(bad)
    refused_by_database(bad)


def test_conflict_ending_before_it_starts_is_refused(db):
    bad = Conflict(
        name="w",
        slug="w",
        start_date=datetime.date(2020, 10, 2),
        end_date=datetime.date(2020, 1, 1),
    )
    assert "The war cannot end before it starts." in messages_of(bad)
    refused_by_database(bad)


def test_party_slug_is_unique(world):
    bad = Party(conflict=world.conflict, name="Alpha again", slug="alpha")
    assert "Party with this Slug already exists." in messages_of(bad)
    refused_by_database(bad)


def test_outcome_only_for_equipment(world):
    bad = Category(name="x", slug="x", kind="personnel", outcome="destroyed")
    assert "Only equipment categories have an outcome." in messages_of(bad)
    refused_by_database(bad)


@pytest.mark.parametrize(
    ("claimant", "subject", "relation"),
    [
        ("alpha_mod", "alpha", Relation.SELF),
        ("alpha_mod", "alpha_army", Relation.SELF),  # same side, child party
        ("beta_mod", "alpha", Relation.ADVERSARY),
        ("alpha_mod", "beta", Relation.ADVERSARY),
        ("ngo", "alpha", Relation.INDEPENDENT),
        ("alpha_mod", "neutral", Relation.INDEPENDENT),  # a party on no side
    ],
)
def test_relation_is_derived_from_the_parties(world, make_claim, claimant, subject, relation):
    made = make_claim(claimant=getattr(world, claimant), subject=getattr(world, subject))
    assert made.relation == relation
    assert derive_relation(getattr(world, claimant).party, getattr(world, subject)) == relation
    # The SQL annotation used by filters agrees with the Python rule.
    assert Claim.objects.with_relation().get(pk=made.pk).relation_sql == relation


def test_third_country_reporting_its_own_losses_is_a_self_report(world, make_claim):
    with change_context(user=None, reason=REASON):
        world.ngo.party = world.neutral
        world.ngo.save()
    made = make_claim(claimant=world.ngo, subject=world.neutral)
    assert made.relation == Relation.SELF
    assert Claim.objects.with_relation().get(pk=made.pk).relation_sql == Relation.SELF


def test_a_source_is_cited_once_per_claim(world, make_claim):
    made = make_claim()  # cites world.source already
    bad = ClaimSource(claim=made, source=world.source)
    assert "Cited source with this Claim and Source already exists." in messages_of(bad)
    refused_by_database(bad)


def test_a_place_name_is_unique_per_language(world):
    with change_context(user=None, reason=REASON):
        place = Place.objects.create(slug="shusha", name="Shushi / Shusha", is_contested=True)
        PlaceName.objects.create(place=place, name="Shusha", language="en")
    bad = PlaceName(place=place, name="Shusha", language="en")
    assert any("already exists" in m for m in messages_of(bad))
    refused_by_database(bad)


def test_a_party_cannot_be_its_own_parent(world):
    world.alpha.parent_id = world.alpha.pk
    refused_by_database(world.alpha)


def test_a_party_cannot_be_inside_its_own_child(world):
    world.alpha.parent = world.alpha_army
    assert "A party cannot be inside itself." in messages_of(world.alpha)
