"""The default data: every figure of the seed article, loaded as `make run` loads it."""

import datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction

from casualties.models import CasualtyRecord, Category, DistinctPair, Party, Place
from claims.figures import parse_figure
from claims.management.commands.load_default_data import DEFAULT_FIXTURES, tracked_models
from claims.models import Claim, ClaimSource, ReconciledFigure, Relation, Source
from claims.release_models import Release
from fixtures import build_default

LOAD_REASON = f"Default data loaded from {', '.join(DEFAULT_FIXTURES)}"
# Counted by hand from the article; docs/default-data.md shows the count section by section.
CLAIMS_IN_THE_ARTICLE = 117


@pytest.fixture(scope="module")
def default_data(django_db_setup, django_db_blocker):
    """Load once for the module, inside a transaction rolled back at the end; each test runs in
    a savepoint within it, so nothing leaks into other test modules."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_default_data", verbosity=0)
        yield
        transaction.set_rollback(True)


pytestmark = pytest.mark.usefixtures("default_data", "db")

D = datetime.date


def own_models():
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label in {"casualties", "claims"} and not m.__name__.startswith("Historical")
    ]


def test_every_object_passes_model_validation():
    failures = []
    for model in own_models():
        for obj in model._default_manager.all():
            try:
                obj.full_clean()
            except ValidationError as error:
                failures.append(f"{model.__name__} {obj.pk}: {error}")
    assert failures == []
    assert Claim.objects.exists()


def test_every_claims_bounds_are_what_the_parser_reads():
    for claim in Claim.objects.all():
        figure = parse_figure(claim.figure_text)
        assert (claim.lower, claim.upper, claim.qualifier) == (
            figure.lower,
            figure.upper,
            figure.qualifier,
        ), claim.external_id


def test_every_claim_is_published_and_not_assessed():
    assert set(Claim.objects.values_list("status", "assessment").distinct()) == {
        ("published", "not_assessed")
    }


def test_every_claims_figure_stands_in_its_quote():
    for claim in Claim.objects.all():
        assert claim.figure_text in claim.quote, claim.external_id


def test_every_claim_cites_the_seed_article_and_only_it():
    article = Source.objects.get(slug="seed-article")
    assert ClaimSource.objects.count() == Claim.objects.count()
    assert not Claim.objects.exclude(citations__source=article).exists()


def test_the_seed_article_is_the_one_source():
    source = Source.objects.get()
    assert (source.slug, source.title, source.url, source.language) == (
        "seed-article",
        "Casualties of the Second Nagorno-Karabakh War",
        "",
        "en",
    )


def test_every_named_record_cites_the_seed_article():
    article = Source.objects.get(slug="seed-article")
    for record in CasualtyRecord.objects.prefetch_related("sources"):
        assert list(record.sources.all()) == [article], record.external_id


def test_every_object_has_one_history_row_with_the_load_reason():
    # Editors' decisions about duplicates are not data, nor are releases: the default has none.
    # The stored figures are computed from the data (their history: tests/claims/test_refresh.py).
    for model in [
        m for m in tracked_models() if m not in (DistinctPair, Release, ReconciledFigure)
    ]:
        pks = set(model._default_manager.values_list("pk", flat=True))
        assert pks, model.__name__
        rows = list(model.history.values_list("id", "history_type", "history_change_reason"))
        assert len(rows) == len(pks), model.__name__
        assert {(kind, reason) for _id, kind, reason in rows} == {("+", LOAD_REASON)}
        assert set(model.history.values_list("id", flat=True)) == pks, model.__name__


def test_every_history_row_names_the_default_data_system_user():
    for model in [*tracked_models(), apps.get_model("claims", "ContradictionFlag")]:
        users = set(model.history.values_list("history_user__username", flat=True))
        assert users <= {"default-data"}, model.__name__  # (some tables start empty)
    assert set(Claim.history.values_list("history_user__username", flat=True)) == {"default-data"}
    user = Claim.history.first().history_user
    assert (user.get_full_name(), user.is_active, user.has_usable_password()) == (
        "Default data",
        False,
        False,
    )


def test_a_records_history_row_keeps_its_sources():
    row = CasualtyRecord.history.get(external_id="artur-mayakov")
    assert [s.source.slug for s in row.sources.all()] == ["seed-article"]


def test_it_holds_every_figure_of_the_article():
    assert Claim.objects.count() == CLAIMS_IN_THE_ARTICLE


def test_the_lead_total_of_185_civilians_is_not_a_claim():
    # It is the sum 85 + 100, derived by reconciliation rule 6.
    assert not Claim.objects.filter(figure_text__contains="185").exists()


# figure as written, claimant, subject, category, as_of or (period_start, period_end)
FIGURES = [
    ("3,825", "armenian-authorities", "armenia-and-artsakh", "military-killed", None),
    ("187", "armenian-authorities", "armenia-and-artsakh", "military-missing", None),
    ("14.000", "armenian-authorities", "armenia-and-artsakh", "military-killed", None),
    ("7000", "armenian-authorities", "artsakh-defence-army", "military-killed", None),
    ("45", "armenian-authorities", "artsakh-defence-army", "military-missing", None),
    ("more than 700", "azerbaijani-authorities", "armenia-and-artsakh",
     "military-killed-or-wounded", D(2020, 9, 30)),
    ("2,906", "azerbaijani-mod", "azerbaijan", "military-killed", D(2021, 10, 21)),
    ("6", "azerbaijani-mod", "azerbaijan", "military-missing", D(2021, 10, 21)),
    ("7,630", "armenian-authorities", "azerbaijani-side-forces", "military-killed", None),
    ("541", "sohr", "syrian-fighters", "military-killed", None),
    ("293", "syrians-for-truth-and-justice", "syrian-fighters", "military-killed", None),
    ("85", "armenian-authorities", "armenia-and-artsakh", "civilians-killed", None),
    ("21", "armenian-authorities", "armenia-and-artsakh", "civilians-missing", None),
    ("approximately a dozen", "armenian-sources", "armenia-and-artsakh", "civilians-injured",
     (D(2020, 9, 27), D(2020, 9, 27))),
    ("up to 300 to 400", "stepanakert-doctor", "armenia-and-artsakh", "civilians-killed",
     D(2020, 10, 25)),
    ("approximately 70,000", "armenian-sources", "armenia-and-artsakh", "civilians-displaced",
     None),
    ("32", "human-rights-watch", "azerbaijan", "civilians-killed", None),
    ("around 26", "azerbaijani-sources", "azerbaijan", "civilians-killed",
     (D(2020, 10, 28), D(2020, 10, 28))),
    ("91", "azerbaijani-prosecutor-general", "azerbaijan", "civilians-killed", D(2020, 10, 28)),
    ("322", "azerbaijani-prosecutor-general", "azerbaijan", "civilians-injured", D(2020, 10, 28)),
    ("100", "azerbaijani-prosecutor-general", "azerbaijan", "civilians-killed", None),
    ("416", "azerbaijani-prosecutor-general", "azerbaijan", "civilians-injured", None),
    ("US$1.2 billion", "azerbaijani-cerac", "armenia-and-artsakh", "economic-losses",
     D(2020, 10, 2)),
    ("up to 100", "azerbaijani-mod", "armenia-and-artsakh", "armoured-vehicles-destroyed",
     (D(2020, 9, 27), D(2020, 10, 17))),
    ("13", "azerbaijani-authorities", "armenia-and-artsakh", "t-72-destroyed",
     (D(2020, 10, 8), D(2020, 10, 9))),
    ("six", "azerbaijani-media", "armenia-and-artsakh", "d-20-and-d-30-destroyed",
     (D(2020, 10, 11), D(2020, 10, 11))),
    ("several", "azerbaijani-media", "armenia-and-artsakh", "vehicles-destroyed",
     (D(2020, 10, 14), D(2020, 10, 14))),
    ("about forty", "azerbaijani-president", "armenia-and-artsakh", "9k33-osa-destroyed",
     D(2020, 10, 20)),
    ("39", "azerbaijani-president", "armenia-and-artsakh", "tanks-captured", D(2020, 10, 20)),
    ("27", "armenian-and-karabakh-authorities", "azerbaijan", "drones-destroyed",
     (D(2020, 9, 27), D(2020, 9, 27))),
    ("100", "armenian-sources", "azerbaijan", "tanks-destroyed-or-captured", D(2020, 10, 19)),
    ("264", "armenian-unified-infocenter", "azerbaijan", "drones-destroyed", D(2020, 11, 8)),
]  # fmt: skip


@pytest.mark.parametrize(("figure", "claimant", "subject", "category", "when"), FIGURES)
def test_it_holds_the_figure(figure, claimant, subject, category, when):
    claim = Claim.objects.get(
        figure_text=figure, claimant__slug=claimant, subject__slug=subject, category__slug=category
    )
    if isinstance(when, tuple):
        assert (claim.scope, claim.as_of) == ("period", None)
        assert (claim.period_start, claim.period_end) == when
    else:
        assert (claim.scope, claim.as_of) == ("cumulative", when)


def test_the_first_day_figures_belong_to_the_first_day_event():
    claim = Claim.objects.get(figure_text="approximately a dozen")
    assert (claim.event.slug, claim.place.slug) == (
        "first-day-of-hostilities",
        "stepanakert-khankendi",
    )


@pytest.mark.parametrize(
    ("claimant", "subject", "relation"),
    [
        ("armenian-authorities", "armenia-and-artsakh", Relation.SELF),
        ("armenian-authorities", "azerbaijani-side-forces", Relation.ADVERSARY),
        ("azerbaijani-president", "armenia-and-artsakh", Relation.ADVERSARY),
        ("sohr", "syrian-fighters", Relation.INDEPENDENT),
        ("unattributed", "france", Relation.INDEPENDENT),
    ],
)
def test_relations_come_out_as_the_article_reads(claimant, subject, relation):
    claims = Claim.objects.with_relation().filter(claimant__slug=claimant, subject__slug=subject)
    assert claims
    assert {c.relation_sql for c in claims} == {relation}


def test_the_defence_army_is_inside_the_party_whose_total_it_exceeds():
    # 7000 of the Artsakh Defence Army against 3,825 for Armenia and Artsakh: rule 7 flags it.
    army = Party.objects.get(slug="artsakh-defence-army")
    assert army.parent.parent.slug == "armenia-and-artsakh"


@pytest.mark.parametrize(
    ("slug", "names"),
    [
        ("stepanakert-khankendi", {"Stepanakert", "Khankendi"}),
        ("martuni-khojavend", {"Martuni", "Khojavend"}),
        ("martakert-aghdere", {"Martakert", "Aghdere"}),
        ("shushi-shusha", {"Shushi", "Shusha"}),
    ],
)
def test_contested_places_carry_both_names(slug, names):
    place = Place.objects.get(slug=slug)
    assert place.is_contested
    assert set(place.names.values_list("name", flat=True)) == names
    assert all(name in place.name for name in names)


def test_every_place_has_a_name_of_its_own():
    assert not Place.objects.filter(names__isnull=True).exists()


def test_equipment_categories_count_items_with_an_outcome():
    equipment = Category.objects.filter(kind="equipment")
    assert equipment.count() > 50
    assert not equipment.exclude(unit="items").exists()
    assert not equipment.filter(outcome="").exists()


def test_the_t_72_sits_under_tanks_under_armoured_vehicles():
    t72 = Category.objects.get(slug="t-72-destroyed")
    assert [t72.parent.slug, t72.parent.parent.slug] == [
        "tanks-destroyed",
        "armoured-vehicles-destroyed",
    ]


def test_it_holds_every_named_person():
    assert set(CasualtyRecord.objects.values_list("name", flat=True)) == {
        "Sergey Shakaryan", "Vahagn Asatryan", "Artur Sargsyan", "Gor Sargsyan",
        "Albert Dadoyan", "Tatul Harutyunyan", "Erik Saryan", "Liparit Dashtoyan",
        "Arif Qeybiyev", "Mukhtar Qasimli", "Shukur Hamidov", "Babak Samidli",
        "Dmitry Solntsev", "Artur Mayakov",
    }  # fmt: skip


def test_the_file_is_what_the_table_builds():
    assert Path(build_default.OUT).read_text(encoding="utf-8") == build_default.render()
