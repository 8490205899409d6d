"""Requests an outsider or an editor can craft: a poisoned citation, dates that would fill
the cache, regular expressions from the URL. None of them is a server error."""

import pytest
from django.urls import reverse

from tests.casualties.test_views import ledger  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def test_cite_as_is_the_path_without_the_requests_host_port_or_query(client, ledger):  # noqa: F811
    url = ledger.official.get_absolute_url()
    page = client.get(url + "?utm=evil&x=%3Cb%3E", HTTP_HOST="localhost:6666").content.decode()
    assert f"<code>{url}</code>" in page
    assert "6666" not in page and "utm=evil" not in page
    # The page is cached per path: the next reader sees the same canonical citation.
    assert f"<code>{url}</code>" in client.get(url).content.decode()


def test_cite_as_uses_site_url(client, ledger, settings):  # noqa: F811
    settings.SITE_URL = "https://ledger.example.org"
    url = ledger.official.get_absolute_url()
    page = client.get(url, HTTP_HOST="localhost:6666").content.decode()
    assert f"<code>https://ledger.example.org{url}</code>" in page


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0001-01-01", "is before the Test war began (27 September 2020)"),
        ("2020-09-26", "is before the Test war began"),
        ("2020-W43-6", "is not a date like 2020-10-17"),
        ("20201024", "is not a date like 2020-10-17"),
    ],
)
def test_as_of_outside_the_conflicts_span_is_refused_with_a_message(
    client,
    ledger,  # noqa: F811
    raw,
    message,
):
    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    response = client.get(url, {"as_of": raw})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Showing only the claims stated on or before" not in response.content.decode()


def test_as_of_on_the_first_day_is_taken(client, ledger):  # noqa: F811
    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    page = client.get(url, {"as_of": "2020-09-27"}).content.decode()
    assert "Showing only the claims stated on or before 27 September 2020" in page


def test_only_days_in_the_span_reach_the_cache(client, ledger):  # noqa: F811
    from django.core.cache import cache

    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    client.get(url)
    keys = set(cache._cache) if hasattr(cache, "_cache") else None
    for day in range(1, 200):
        client.get(url, {"as_of": f"{1000 + day:04d}-01-01"})
    if keys is not None:
        assert set(cache._cache) == keys


@pytest.mark.parametrize("lookup", ["quote__regex", "quote__iregex", "claimant__name__regex"])
def test_regex_lookups_from_the_url_are_refused(client, admin_user, lookup):
    client.force_login(admin_user)
    response = client.get(reverse("admin:claims_claim_changelist"), {lookup: "["})
    assert response.status_code == 400
