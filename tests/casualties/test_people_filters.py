"""The people a kind of loss's named floor counts: the register's and the API's ``category``
filter give the same people as the figure's named floor, for a kind that adds up others too."""

import re

import pytest

from casualties.history import change_context
from casualties.models import CasualtyRecord, Category
from claims.loaders import compute

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(world):
    with change_context(user=None, reason="test setup"):
        either = Category.objects.create(
            name="Military personnel killed or missing", slug="military-killed-or-missing",
            kind="personnel",
        )  # fmt: skip
        Category.objects.filter(pk=world.killed.pk).update(parent=either)
        Category.objects.create(
            name="Military personnel missing", slug="military-missing", kind="personnel",
            parent=either,
        )  # fmt: skip
        for external_id, role, outcome in [("k", "serviceman", "killed"),
                                           ("m", "serviceman", "missing"),
                                           ("c", "civilian", "killed")]:  # fmt: skip
            CasualtyRecord.objects.create(
                conflict=world.conflict, external_id=external_id, name=f"Person {external_id}",
                role=role, party=world.alpha, outcome=outcome, status="published",
            )  # fmt: skip
    world.either = either
    return world


@pytest.mark.parametrize(("category", "people"), [
    ("military-killed-or-missing", {"k", "m"}), ("military-killed", {"k"}),
    ("civilians-killed", {"c"}), ("tanks-destroyed", set()), ("no-such-kind", set()),
    ("", {"k", "m", "c"}),
])  # fmt: skip
def test_the_category_filter_gives_the_people_its_named_floor_counts(
    client, register, category, people
):
    api = client.get("/api/v1/people/", {"category": category}, HTTP_ACCEPT="application/json")
    assert {p["external_id"] for p in api.json()["results"]} == people
    page = client.get("/people/", {"category": category}).content.decode()
    assert re.search(r'<p id="people-count">(\d+) ', page).group(1) == str(len(people))


def test_a_kind_that_adds_up_others_names_as_many_as_its_figure_counts(register):
    figure = compute(register.conflict.pk).categories[register.either.pk].figure(register.alpha.pk)
    assert figure.record_count == 2  # the people /people/?category=… lists (above)
