"""The API over the default data: counts, and the figure of the seed article."""

import pytest

from casualties.models import CasualtyRecord, Party
from claims.models import Claim

pytestmark = pytest.mark.usefixtures("default_data", "db")


def walk(api, url):
    """Every result of a list, page after page by its next links."""
    results = []
    while url:
        body = api.get(url).json()
        results += body["results"]
        url = body["next"]
    return results


def test_the_claims_count_is_the_published_claims(api):
    body = api.get("/api/v1/claims/").json()
    assert body["count"] == Claim.objects.published().count() > 100
    everything = walk(api, "/api/v1/claims/?page_size=50")
    ids = [c["external_id"] for c in everything]
    assert len(ids) == len(set(ids)) == body["count"]


def test_the_people_count_is_the_register(api):
    body = api.get("/api/v1/people/").json()
    assert body["count"] == CasualtyRecord.objects.counted().count() > 0


def test_the_armenian_military_killed_floor_is_3825_with_its_reasons(api):
    response = api.get("/api/v1/figures/?party=armenia-and-artsakh&category=military-killed")
    assert response.status_code == 200
    [figure] = response.json()["results"]
    assert (figure["lower"], figure["upper"], figure["text"]) == (3825, None, "at least 3,825")
    assert figure["basis"] == "claims" and "The floor is 3,825" in figure["rule"]
    assert figure["deciding"] == ["seed-001"]
    assert figure["official"]["claim"] == "seed-001"
    roles = {c["claim"]: c["role"] for c in figure["claims"]}
    party = Party.objects.get(slug="armenia-and-artsakh")
    about = Claim.objects.published().filter(subject=party, category__slug="military-killed")
    assert set(roles) == set(about.values_list("external_id", flat=True))
    assert roles["seed-001"] == "floor"
    assert roles["seed-003"] == "held_out"  # "14.000", the same claimant's contradiction
    assert all(c["label"] for c in figure["claims"])
    assert figure["named_floor"] == 8  # named records, below the floor
    assert figure["page"].endswith("/parties/armenia-and-artsakh/military-killed/")


def test_every_category_of_a_party_and_the_whole_war(api):
    party = api.get("/api/v1/figures/?party=armenia-and-artsakh").json()
    assert "military-killed" in {f["category"] for f in party["results"]}
    war = api.get("/api/v1/figures/?party=").json()
    assert war["count"] > 0 and {f["party"] for f in war["results"]} == {None}


def test_as_known_on_a_day_before_any_claim_has_no_figure(api):
    body = api.get(
        "/api/v1/figures/?party=armenia-and-artsakh&category=military-killed&as_of=2020-09-01"
    ).json()
    [figure] = body["results"]
    assert figure["as_of"] == "2020-09-01"
    assert figure["claims"] == [] and figure["deciding"] == []


@pytest.mark.parametrize(
    "query",
    ["party=nobody", "category=nothing", "as_of=yesterday", "as_of=2999-01-01", "conflict=none"],
)
def test_a_bad_figure_filter_is_a_400(api, query):
    assert api.get(f"/api/v1/figures/?{query}").status_code == 400


def test_claims_filters(api):
    def count(query):
        return api.get(f"/api/v1/claims/?{query}").json()["count"]

    published = Claim.objects.published()
    assert count("subject=armenia-and-artsakh&category=military-killed") == 2
    assert count("subject=all") == published.filter(subject__isnull=True).count()
    assert count("subject=") == count("subject=all")
    assert count("relation=adversary") == published.with_relation_filter("adversary").count()
    assert count("scope=period") == published.filter(scope="period").count()
    assert (
        count("claimant=armenian-authorities")
        == published.filter(claimant__slug="armenian-authorities").count()
    )
    assert count("updated_since=2999-01-01") == 0
    assert count("updated_since=2000-01-01T00:00:00Z") == published.count()
    assert api.get("/api/v1/claims/?relation=friendly").status_code == 400
    assert api.get("/api/v1/claims/?from=soon").status_code == 400
