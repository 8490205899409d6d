"""The overview on the default data tells the article's story: each side's own figure with who
says it, sub-parties on their own lines, totals that count each person once, the words kept."""

import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse


@pytest.fixture(scope="module")
def default_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_default_data", verbosity=0)
        yield
        transaction.set_rollback(True)


pytestmark = pytest.mark.usefixtures("default_data", "db")


def text(html: str) -> str:
    """The page's text, tags dropped and spaces collapsed, to read it as a reader does."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture(scope="module")
def overview(django_db_setup, django_db_blocker, default_data):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/")
    assert response.status_code == 200
    return response


def cells(response, side_name):
    """The overview's lines for one side, as (category, party, own, other, independent, named,
    reconciled) in words."""
    for group in response.context["sides"]:
        if group["side"] and group["side"].name == side_name:
            return {
                (row["category"].slug, cell["party"].slug): cell["figure"]
                for row in group["rows"]
                for cell in row["cells"]
            }
    raise AssertionError(side_name)


def test_each_side_shows_its_own_official_figure_with_its_claimant(overview):
    armenian = cells(overview, "Armenian side")[("military-killed", "armenia-and-artsakh")]
    assert (armenian.official.figure_text, armenian.official.claimant_name) == (
        "3,825", "Armenian authorities",
    )  # fmt: skip
    azerbaijani = cells(overview, "Azerbaijani side")[("military-killed", "azerbaijan")]
    assert (azerbaijani.official.figure_text, azerbaijani.official.claimant_name) == (
        "2,906", "Azerbaijani Ministry of Defence",
    )  # fmt: skip
    page = text(overview.content.decode())
    assert "3,825 Armenian authorities" in page
    assert "2,906 Azerbaijani Ministry of Defence" in page


def test_the_syrian_fighters_are_their_own_line(overview):
    lines = cells(overview, "Azerbaijani side")
    syrians = lines[("military-killed", "syrian-fighters")]
    assert syrians.lower == 541
    assert "Syrian Observatory for Human Rights" in [r.claimant_name for r in syrians.independent]
    # The side's line says it is the sum of its parts, not a figure of its own.
    side = lines[("military-killed", "azerbaijani-side-forces")]
    assert side.derived and side.lower == 2906 + 541


def test_civilians_killed_on_all_sides_count_the_ganja_boy_once(overview):
    [row] = [r for r in overview.context["whole_war"] if r["category"].slug == "civilians-killed"]
    assert row["figure"].lower == 185
    page = text(overview.content.decode())
    assert "at least 185" in page
    assert "Russia 0 (1 named, already counted by another party)" in page


@pytest.mark.template_context
def test_more_than_700_keeps_its_words(overview, client):
    page = text(overview.content.decode())
    assert "more than 700" in page and "701" not in page
    figure = client.get(
        reverse("casualties:figure", args=["armenia-and-artsakh", "military-killed-or-wounded"])
    )
    assert "the other side claims “more than 700”" in text(figure.content.decode())
    claimant = client.get(reverse("casualties:claimant", args=["azerbaijani-authorities"]))
    [highest] = [
        c["words"] for c in claimant.context["comparisons"]
        if c["category"].slug == "military-killed-or-wounded"
    ]  # fmt: skip
    assert highest == "more than 700"
    assert "Its highest claim" in text(claimant.content.decode())


def test_approximately_70000_is_not_read_as_a_floor_of_70000(overview):
    displaced = cells(overview, "Armenian side")[("civilians-displaced", "armenia-and-artsakh")]
    assert (displaced.lower, displaced.official.figure_text) == (63000, "approximately 70,000")
    assert "at least 70,000" not in text(overview.content.decode())


def test_both_sides_list_the_losses_only_the_other_side_claims(overview):
    kinds = {
        (g["side"].name if g["side"] else None): len(g["disputed_only"])
        for g in overview.context["sides"]
    }
    assert kinds["Armenian side"] > 0 and kinds["Azerbaijani side"] > 0


def test_no_editor_metrics_for_readers(overview):
    page = text(overview.content.decode())
    assert "flagged for editors" not in page and "contradiction" not in page.lower()


@pytest.mark.template_context
def test_the_overview_honours_as_of(client):
    """On 1 Nov 2020 Azerbaijan's 2,906 (stated in October 2021) was not known, and of its named
    dead only Colonel Shukur Hamidov (22 Oct 2020) was dated by then."""
    early = client.get("/?as_of=2020-11-01")
    page = text(early.content.decode())
    assert "on or before 1 November 2020" in page
    killed = cells(early, "Azerbaijani side")[("military-killed", "azerbaijan")]
    assert (killed.lower, killed.record_count, killed.official) == (1, 1, None)
    now = cells(client.get("/"), "Azerbaijani side")[("military-killed", "azerbaijan")]
    assert (now.lower, now.record_count) == (2906, 5)
