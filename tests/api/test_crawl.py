"""Nothing unpublished or sensitive is served: plant some, then walk every list and detail."""

import datetime

import pytest

from casualties.history import change_context
from casualties.models import CasualtyRecord, Place
from claims.models import Claim, Source

D = datetime.date
SECRETS = ("1990-04-05", "PRIVATE-NOTE-7f3a", "CONTACT-+374-55-000000", "REVIEW-NOTE-9b1c",
           "EDITOR-NOTE-2d4e", "draft-claim-x1", "draft-record-x2", "unpublished-source")  # fmt: skip


@pytest.fixture
def planted(world, make_claim):
    """A published claim and record with secrets beside them, a draft claim, a draft record, a
    merged record and a source only the draft cites."""
    make_claim(figure_text="100", note="EDITOR-NOTE-2d4e")
    draft = make_claim(figure_text="999", status="draft", external_id="draft-claim-x1")
    with change_context(user=None, reason="test setup"):
        hidden = Source.objects.create(slug="unpublished-source", title="Only a draft cites it")
        draft.sources.add(hidden)
        place = Place.objects.create(slug="town", name="Town")
        common = {"conflict": world.conflict, "party": world.alpha, "role": "serviceman",
                  "outcome": "killed", "place": place}  # fmt: skip
        shown = CasualtyRecord.objects.create(
            external_id="shown", name="Shown Person", status="published",
            date_of_birth=D(1990, 4, 5), private_notes="PRIVATE-NOTE-7f3a",
            contact_details="CONTACT-+374-55-000000", review_note="REVIEW-NOTE-9b1c", **common,
        )  # fmt: skip
        CasualtyRecord.objects.create(external_id="draft-record-x2", name="Draft", **common)
        CasualtyRecord.objects.create(
            external_id="merged-away", name="Merged", status="published", merged_into=shown,
            **common,
        )  # fmt: skip
    return shown


def crawl(api):
    """Every page of every list from the API root, and every detail they name."""
    bodies = {}
    roots = api.get("/api/v1/").json()
    for name, url in roots.items():
        while url:
            response = api.get(url)
            assert response.status_code == 200, url
            bodies[url] = response.content.decode()
            body = response.json()
            for item in body["results"]:
                key = item.get("external_id") or item.get("slug")
                if key and name not in ("figures", "changes"):  # lists only
                    detail = api.get(f"/api/v1/{name}/{key}/")
                    assert detail.status_code == 200, (name, key)
                    bodies[f"/api/v1/{name}/{key}/"] = detail.content.decode()
            url = body["next"]
    return bodies


def test_the_crawl_finds_no_secret_and_nothing_unpublished(api, planted):
    bodies = crawl(api)
    assert any("Shown Person" in b for b in bodies.values())
    for url, text in bodies.items():
        for secret in SECRETS:
            assert secret not in text, (url, secret)
    assert not any("merged-away" in b for b in bodies.values())


def test_the_claims_list_counts_only_published_claims(api, planted):
    assert api.get("/api/v1/claims/").json()["count"] == Claim.objects.published().count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/claims/draft-claim-x1/",
        "/api/v1/people/draft-record-x2/",
        "/api/v1/people/merged-away/",
        "/api/v1/sources/unpublished-source/",
    ],
)
def test_unpublished_details_are_404(api, planted, url):
    assert api.get(url).status_code == 404


def test_no_sensitive_field_name_is_in_the_schema(api):
    schema = api.get("/api/v1/openapi.json").content.decode()
    for field in (*CasualtyRecord.SENSITIVE_FIELDS, "review_note", "search_text"):
        assert f'"{field}"' not in schema
    assert '"note"' in schema  # a source's public note: the check does look at field names
