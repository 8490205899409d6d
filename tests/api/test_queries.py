"""A page of the API runs the same number of queries whatever the amount of data."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casualties.history import change_context
from casualties.models import CasualtyRecord


def grow(world, make_claim, n):
    """n published claims (half of them about the other side) and n named records."""
    for i in range(n):
        make_claim(
            figure_text=str(100 + i),
            subject=world.alpha if i % 2 else world.beta,
            as_of=datetime.date(2020, 10, 1) + datetime.timedelta(days=i % 30),
        )
    with change_context(user=None, reason="test setup"):
        for i in range(n):
            CasualtyRecord.objects.create(
                conflict=world.conflict, external_id=f"r-{n}-{i}", name=f"Person {i}",
                party=world.alpha, role="serviceman", outcome="killed", status="published",
            )  # fmt: skip


def queries(api, url):
    api.get(url)  # the first answer fills the figure and Last-Modified caches
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


URLS = [
    "/api/v1/claims/",
    "/api/v1/claims/?subject=alpha&relation=self",
    "/api/v1/people/",
    "/api/v1/figures/?party=alpha&category=military-killed",
    "/api/v1/figures/?party=alpha",
    "/api/v1/figures/?conflict=test-war",
    "/api/v1/places/",
]


@pytest.mark.parametrize("url", URLS)
def test_queries_do_not_grow_with_the_data(api, world, make_claim, url):
    grow(world, make_claim, 3)
    few = queries(api, url)
    grow(world, make_claim, 30)
    assert queries(api, url) == few


def test_a_page_of_claims_takes_three_queries(api, world, make_claim, django_assert_num_queries):
    grow(world, make_claim, 5)
    api.get("/api/v1/claims/")  # the count and the reference slugs, cached for the data state
    # The data state (ETag), the page (one table: no join), its citations with their sources.
    with django_assert_num_queries(3):
        api.get("/api/v1/claims/")


def test_the_next_page_of_claims_takes_three_queries(
    api, world, make_claim, django_assert_num_queries
):
    grow(world, make_claim, 5)
    url = api.get("/api/v1/claims/?page_size=2").json()["next"]
    # The data state, the page after the cursor, its citations.
    with django_assert_num_queries(3):
        assert len(api.get(url).json()["results"]) == 2


def test_a_page_by_number_takes_four_queries(api, world, make_claim, django_assert_num_queries):
    grow(world, make_claim, 5)
    api.get("/api/v1/claims/?page_size=2&page=2")
    # The data state, the key of the page's first claim (from the index), the page, its
    # citations.
    with django_assert_num_queries(4):
        assert len(api.get("/api/v1/claims/?page_size=2&page=2").json()["results"]) == 2


def test_a_new_data_state_counts_again(api, world, make_claim, django_assert_num_queries):
    grow(world, make_claim, 5)
    assert api.get("/api/v1/claims/").json()["count"] == 5
    make_claim(figure_text="300")  # its write moves the data state (tests/conftest.py)
    # The data state, the count, the slugs of conflicts, claimants (with their parties),
    # parties (with their sides), categories, events and places, the page, its citations.
    with django_assert_num_queries(10):
        assert api.get("/api/v1/claims/").json()["count"] == 6


@pytest.mark.parametrize("more", [0, 10])
def test_a_figure_takes_eight_queries(api, world, make_claim, django_assert_num_queries, more):
    grow(world, make_claim, 5 + more)
    url = "/api/v1/figures/?party=alpha&category=military-killed"
    api.get(url)  # the claims' writes followed (tests/conftest.py)
    # The data state (the ETag), the party with its conflict, the category, the stored
    # figures (parties, categories, figure rows), the external ids of the claims the figure
    # names, their roles.
    with django_assert_num_queries(8):
        api.get(url)
