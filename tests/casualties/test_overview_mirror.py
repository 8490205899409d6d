"""Every rule treats both sides alike: swap the sides' data and the overview is mirrored."""

import datetime
import re

import pytest

from casualties.history import change_context
from casualties.models import CasualtyRecord, Category, Conflict, Party, Side
from claims.models import Claimant
from claims.services import claim_create

D = datetime.date
WHY = "mirror test"


@pytest.fixture
def categories(db):
    with change_context(user=None, reason=WHY):
        killed = Category.objects.create(
            name="Military personnel killed", slug="military-killed", kind="personnel"
        )
        tanks = Category.objects.create(
            name="Tanks destroyed", slug="tanks-destroyed", kind="equipment", unit="items",
            outcome="destroyed",
        )  # fmt: skip
    return killed, tanks


def build(slug: str, first: str, second: str, categories):
    """A war of two sides, each a state with fighters recruited for it; the claims and records
    that ``first`` gets here, ``second`` gets when the call is mirrored."""
    killed, tanks = categories
    with change_context(user=None, reason=WHY):
        war = Conflict.objects.create(
            name=slug, slug=slug, start_date=D(2020, 9, 27), end_date=D(2020, 11, 10)
        )
        parties, claimants = {}, {}
        for name in ("North", "South"):
            key = f"{slug}-{name.lower()}"
            side = Side.objects.create(conflict=war, name=f"{name} side", slug=f"{key}-side")
            root = Party.objects.create(conflict=war, name=name, slug=key, side=side)
            parties[name] = root, Party.objects.create(
                conflict=war, name=f"{name} fighters", slug=f"{key}-fighters", side=side,
                parent=root, kind="armed_group",
            )  # fmt: skip
            claimants[name] = Claimant.objects.create(
                name=f"{name} MoD", slug=f"{key}-mod", kind="military", party=root
            )
        ngo = Claimant.objects.create(name="Observers", slug=f"{slug}-observers", kind="ngo")

    def claim(claimant, subject, category, text, dated=True):
        day = D(2020, 11, 10) if dated else None
        claim_create(
            user=None, reason=WHY, conflict=war, claimant=claimant, subject=subject,
            category=category, figure_text=text, as_of=day, stated_on=day, status="published",
        )  # fmt: skip

    (a, fighters_a), (b, _) = parties[first], parties[second]
    claim(claimants[first], a, killed, "3,825")
    claim(claimants[first], a, killed, "14.000", dated=False)
    claim(claimants[second], a, killed, "more than 7,000")
    claim(claimants[first], b, killed, "7,630")
    claim(claimants[second], b, killed, "2,906")
    claim(ngo, fighters_a, killed, "541")
    claim(claimants[second], a, tanks, "about 250")
    claim(claimants[first], b, tanks, "40")
    with change_context(user=None, reason=WHY):
        for i in range(3):
            CasualtyRecord.objects.create(
                conflict=war, external_id=f"{slug}-p{i}", name=f"Person {i}", role="serviceman",
                party=b, outcome="killed", date=D(2020, 10, 1 + i),
            )  # fmt: skip


def side_text(response, side_name) -> str:
    html = response.content.decode()
    start = html.index(f">{side_name}</h2>")
    end = html.index("</section>", start)
    return " ".join(re.sub(r"<[^>]+>", " ", html[start:end]).split())


def swap(text: str) -> str:
    return (
        text.replace("North", "\\0").replace("north", "\\1")
        .replace("South", "North").replace("south", "north")
        .replace("\\0", "South").replace("\\1", "south")
    )  # fmt: skip


def test_swapping_the_sides_data_mirrors_the_overview(client, categories):
    build("war-one", "North", "South", categories)
    build("war-two", "South", "North", categories)
    one, two = client.get("/wars/war-one/"), client.get("/wars/war-two/")
    north, south = side_text(one, "North side"), side_text(one, "South side")
    assert "3,825" in north and "541" in north and "2,906" in south and "about 250" in north
    assert side_text(two, "South side") == swap(north)
    assert side_text(two, "North side") == swap(south)
