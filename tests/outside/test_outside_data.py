"""Outside data of three real shapes (tests/outside/generate.py) imports into the default data
through the documented formats — reference tables through the admin import, claims and records
through the commands — and the public pages show it: the estimate beside the sides, rolled-up
parents, the named floor on the overview, and "as known on" counting only what was known."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.claims.test_admin_reference_import import confirm, upload
from tests.outside import generate

PEOPLE = 3000


@pytest.fixture(scope="module")
def imported(django_db_setup, django_db_blocker, tmp_path_factory):
    from claims.models import Claimant, Source

    folder = tmp_path_factory.mktemp("outside")
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_default_data", verbosity=0)
        admin = get_user_model().objects.create_superuser("boss", "boss@example.org", "pw-1!x")
        client = Client()
        client.force_login(admin)
        for model, name, data in [
            (Claimant, "claimants.csv", generate.CLAIMANTS_CSV),
            (Source, "sources.csv", generate.SOURCES_CSV),
        ]:
            url = reverse(f"admin:claims_{model._meta.model_name}_import")
            assert (
                confirm(client, model, upload(client, url, data.encode(), name)).status_code == 302
            )
        (folder / "claims.csv").write_bytes(generate.claims_csv())
        records, per_day = generate.records_csv(PEOPLE)
        (folder / "records.csv").write_bytes(records)
        call_command("import_claims", str(folder / "claims.csv"), "--user", "boss", "--no-progress")
        call_command(
            "import_records",
            str(folder / "records.csv"),
            "--user",
            "boss",
            "--no-progress",
            "--publish",  # imported records are drafts unless published on import
        )
        yield per_day
        transaction.set_rollback(True)


pytestmark = pytest.mark.usefixtures("imported", "db")


def overview(query=""):
    response = Client().get("/" + query)
    assert response.status_code == 200
    return response


def line(response, side, category, party):
    [group] = [g for g in response.context["sides"] if g["side"] and g["side"].name == side]
    for row in group["rows"]:
        for cell in row["cells"]:
            if (row["category"].slug, cell["party"].slug) == (category, party):
                return cell["figure"]
    raise AssertionError((side, category, party))


def whole_war(response, category):
    [row] = [r for r in response.context["whole_war"] if r["category"].slug == category]
    return row


@pytest.mark.template_context
def test_the_whole_war_estimate_stands_beside_the_sum_of_the_sides():
    row = whole_war(overview(), "military-killed")
    fig = row["figure"]
    [estimate] = fig.independent
    assert (estimate.best, estimate.lower, estimate.upper) == (7600, 7300, 8100)
    assert estimate.claimant_name == "A conflict data research programme"
    # The sides added (3,825 + 3,005 named Azerbaijani dead + 541 Syrian fighters) is the floor;
    # the estimate gives the range's top and the best value.
    assert row["total"] == 3825 + (PEOPLE + 5) + 541
    assert (fig.lower, fig.best, fig.upper) == (row["total"], 7600, 8100)
    page = overview().content.decode()
    assert "best 7,600, range 7,300–8,100" in page
    # It is about the whole war: not a line among the parties on no side.
    no_side = [g for g in overview().context["sides"] if g["side"] is None]
    parties = {c["party"].slug for g in no_side for r in g["rows"] for c in r["cells"]}
    assert parties <= {"russia", "france"}


def test_the_whole_war_figure_page_explains_the_estimate(client):
    url = reverse("casualties:war_figure", args=["second-nagorno-karabakh-war", "military-killed"])
    page = client.get(url).content.decode()
    assert "7,600 (7,300–8,100)" in page and "The best value is 7,600" in page


@pytest.mark.template_context
def test_equipment_counts_roll_up_by_kind_and_by_outcome(client):
    def floor(category):
        response = client.get(reverse("casualties:figure", args=["armenia-and-artsakh", category]))
        return response.context["figure"].lower

    assert floor("armoured-vehicles-destroyed") == 146 + 40
    assert floor("armoured-vehicles-lost") == 205 + 63
    assert floor("equipment-lost") == 205 + 63
    assert floor("equipment-destroyed") == 146 + 40
    response = client.get(
        reverse("casualties:figure", args=["armenia-and-artsakh", "armoured-vehicles-destroyed"])
    )
    assert "Derived: the kinds of loss within it added" in response.content.decode()


@pytest.mark.template_context
def test_outcome_groups_stay_together_on_the_overview():
    [group] = [
        g for g in overview().context["sides"] if g["side"] and g["side"].slug == "armenian-side"
    ]
    slugs = [row["category"].slug for row in group["rows"]]
    lost = [i for i, slug in enumerate(slugs) if slug.endswith("-lost")]
    destroyed = [i for i, slug in enumerate(slugs) if slug.endswith("-destroyed")]
    assert lost and destroyed
    assert max(destroyed) < min(lost) or max(lost) < min(destroyed)  # not interleaved


@pytest.mark.template_context
def test_the_named_floor_is_on_the_overview():
    azerbaijan = line(overview(), "Azerbaijani side", "military-killed", "azerbaijan")
    assert azerbaijan.record_count == PEOPLE + 5
    assert azerbaijan.lower == PEOPLE + 5  # the register is the largest documented count
    assert azerbaijan.official.figure_text == "2,906"


@pytest.mark.template_context
def test_as_known_on_counts_only_the_people_dated_by_then(imported):
    day = datetime.date(2020, 10, 15)
    known = sum(n for d, n in imported.items() if d <= day)
    known += 0  # of the default data's Azerbaijani dead, none is dated on or before 15 October
    fig = line(overview(f"?as_of={day}"), "Azerbaijani side", "military-killed", "azerbaijan")
    assert fig.record_count == known < PEOPLE


@pytest.mark.template_context
def test_the_named_count_links_to_those_people(client):
    response = overview("?as_of=2020-10-15")
    html = response.content.decode()
    fig = line(response, "Azerbaijani side", "military-killed", "azerbaijan")
    link = "/people/?party=azerbaijan&amp;category=military-killed&amp;to=2020-10-15"
    assert f'href="{link}">{fig.record_count:,}</a>' in html
    listed = client.get(link.replace("&amp;", "&"))
    assert listed.context["page"].paginator.count == fig.record_count
