"""Pages of claims: the walk by next links, the count, cursors, and the claims as values."""

import datetime

import pytest

from claims import services
from claims.models import Claim

DAY = datetime.date(2020, 10, 1)


def walk(api, url, link="next"):
    """[(count, [external id, …]) of each page], following ``link``."""
    pages = []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append((body["count"], [c["external_id"] for c in body["results"]]))
        url = body[link]
    return pages


def listing():
    return list(Claim.objects.published().in_listing_order().values_list("external_id", flat=True))


@pytest.fixture
def claims(world, make_claim):
    """Eleven published claims: cumulative ones sharing days, period ones (no "as of" day, so
    they come last), one without a statement day; and a draft."""
    made = []
    for i in range(7):
        made.append(make_claim(figure_text=str(100 + i), as_of=DAY + datetime.timedelta(i % 3)))
    for i in range(3):
        made.append(
            make_claim(
                figure_text=str(200 + i),
                scope="period",
                as_of=None,
                period_start=DAY,
                period_end=DAY + datetime.timedelta(days=9 - i),
            )  # fmt: skip
        )
    made.append(make_claim(figure_text="300", stated_on=None))
    make_claim(figure_text="400", status="draft")
    return made


def test_the_walk_lists_every_published_claim_once_in_order(api, claims):
    pages = walk(api, "/api/v1/claims/?page_size=3")
    assert [len(ids) for _count, ids in pages] == [3, 3, 3, 2]
    assert {count for count, _ids in pages} == {11}
    assert [i for _count, ids in pages for i in ids] == listing()


def test_a_missing_day_comes_last(api, claims):
    ids = [i for _count, page in walk(api, "/api/v1/claims/?page_size=4") for i in page]
    period = {c.external_id for c in claims if c.scope == "period"}
    assert set(ids[-3:]) == period


def test_previous_links_walk_back_through_the_same_pages(api, claims):
    forward = walk(api, "/api/v1/claims/?page_size=3")
    last = api.get("/api/v1/claims/?page_size=3&page=4").json()
    assert [c["external_id"] for c in last["results"]] == forward[-1][1]
    backward = walk(api, last["previous"], link="previous")
    assert [ids for _count, ids in backward] == [ids for _count, ids in forward[:-1]][::-1]


def test_pages_by_number_are_the_pages_of_the_walk(api, claims):
    forward = walk(api, "/api/v1/claims/?page_size=3")
    for number, (_count, ids) in enumerate(forward, start=1):
        body = api.get(f"/api/v1/claims/?page_size=3&page={number}").json()
        assert [c["external_id"] for c in body["results"]] == ids
    assert api.get("/api/v1/claims/?page_size=3&page=last").json()["results"][-1]["external_id"]
    assert api.get("/api/v1/claims/?page_size=3&page=5").status_code == 404


def test_edits_between_pages_neither_repeat_nor_drop_a_claim(api, world, claims, make_claim):
    """Edits during a walk: a claim on a later page changed, one on a page already read
    retracted, a new one published before the cursor. Every claim published throughout is
    listed once; the changed one as it is now."""
    before = listing()
    first = api.get("/api/v1/claims/?page_size=3").json()
    seen = [c["external_id"] for c in first["results"]]
    later = Claim.objects.get(external_id=before[7])
    services.claim_update(
        claim=later, user=None, expected_version=later.version, reason="typo",
        figure_text="1,000",
    )  # fmt: skip
    read = Claim.objects.get(external_id=seen[0])
    services.claim_retract(claim=read, user=None, expected_version=read.version, reason="wrong")
    new = make_claim(figure_text="50", as_of=DAY - datetime.timedelta(days=1))
    rest = walk(api, first["next"])
    listed = seen + [i for _count, ids in rest for i in ids]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(before)  # the new claim is before the cursor: not in this walk
    assert new.external_id in listing()
    assert {count for count, _ids in rest} == {11}  # one retracted, one published
    changed = next(c for c in api.get("/api/v1/claims/?page_size=100").json()["results"]
                   if c["external_id"] == later.external_id)  # fmt: skip
    assert changed["figure_text"] == "1,000"


def test_the_count_follows_the_filters(api, claims, world, make_claim):
    make_claim(figure_text="77", subject=world.beta)
    assert api.get("/api/v1/claims/").json()["count"] == 12
    body = api.get("/api/v1/claims/?subject=beta&page_size=1").json()
    assert body["count"] == 1 and body["next"] is None
    assert api.get("/api/v1/claims/?scope=period").json()["count"] == 3


@pytest.mark.parametrize("cursor", ["x", "bm90IGEgY3Vyc29y", "MjAyMC0xMC0wMQ", "%00", "===="])
def test_a_cursor_not_from_a_link_is_a_400(api, claims, cursor):
    for name in ("after", "before"):
        response = api.get(f"/api/v1/claims/?{name}={cursor}")
        assert response.status_code == 400
        assert name in response.json()


def test_a_page_lists_claims_as_their_detail_shows_them(api, world, claims, make_claim):
    """The list builds claims from values (claims.api.serializers.claim_items); the detail
    through ClaimSerializer: the same claims, field for field."""
    make_claim(figure_text="about 70", subject=None, claimant=world.ngo)
    make_claim(figure_text="12", subject=world.beta, claimant=world.alpha_mod)
    make_claim(figure_text="13", subject=world.neutral, claimant=world.beta_mod)
    results = api.get("/api/v1/claims/?page_size=100").json()["results"]
    assert {c["relation"] for c in results} == {"self", "independent", "adversary"}
    for claim in results:
        assert claim == api.get(f"/api/v1/claims/{claim['external_id']}/").json()


def test_an_offset_postgresql_refuses_is_read_in_utc(api, claims):
    """Python reads "+19:35"; PostgreSQL refuses offsets beyond ±15:59 (schemathesis)."""
    body = api.get("/api/v1/claims/?updated_since=1127-08-01T04:03:41%2B19:35").json()
    assert body["count"] == 11


def test_a_release_lists_its_claims_in_the_same_order(api, claims, admin_user, tmp_path, settings):
    from claims.releases import release_cut

    settings.STORAGES = {**settings.STORAGES, "releases": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)},
    }}  # fmt: skip
    release_cut(name="r1", user=admin_user, reason="order")
    pages = walk(api, "/api/v1/releases/r1/claims/?page_size=4")
    assert [i for _count, ids in pages for i in ids] == listing()


def test_a_page_of_a_release_takes_five_queries(
    api, claims, admin_user, tmp_path, settings, django_assert_num_queries
):
    from claims.releases import release_cut

    settings.STORAGES = {**settings.STORAGES, "releases": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)},
    }}  # fmt: skip
    release_cut(name="r1", user=admin_user, reason="order")
    url = "/api/v1/releases/r1/claims/?page_size=4&page=2"
    api.get(url)  # the release's reference tables, cached for good
    # The data state (ETag), the release, the page's positions, its history rows, their
    # citations; the count is the release's.
    with django_assert_num_queries(5):
        body = api.get(url).json()
    assert body["count"] == 11 and len(body["results"]) == 4
