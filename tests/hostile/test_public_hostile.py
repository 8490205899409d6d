"""Hostile input on the public side: in every URL's parameters and path, and stored in the data
the pages show. No server error, nothing rendered unescaped, no link but http(s)."""

import datetime
from urllib.parse import quote, quote_from_bytes

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from casualties.history import change_context
from casualties.models import Event, Place, PlaceName
from claims.models import Claim, Claimant, Source
from tests.conftest import SETUP
from tests.hostile.corpus import CORPUS, CORPUS_SMALL, HUGE, as_text, audit_html

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/methodology/",
    "/browse/",
    "/wars/test-war/",
    "/wars/test-war.csv",
    "/parties/alpha/",
    "/parties/alpha/military-killed/",
    "/parties/alpha/military-killed.csv",
    "/categories/military-killed/",
    "/events/shelling/",
    "/claimants/alpha-mod/",
    "/places/town/",
    "/claims/c-1/",
    "/people/",
    "/people.csv",
]
# Path patterns with a slot for a slug; the slug converter refuses most hostile slugs (404).
PATHS = [
    "/wars/{}/",
    "/parties/{}/",
    "/parties/alpha/{}/",
    "/parties/{}/military-killed.csv",
    "/categories/{}/",
    "/events/{}/",
    "/claimants/{}/",
    "/places/{}/",
    "/claims/{}/",
    "/people/{}/",
]


@pytest.fixture
def pages(world, make_claim):
    with change_context(user=None, reason=SETUP):
        place = Place.objects.create(slug="town", name="Town / Ville")
        PlaceName.objects.create(place=place, name="Town", language="en")
        event = Event.objects.create(
            conflict=world.conflict, name="Shelling", slug="shelling",
            start_date=datetime.date(2020, 10, 4), place=place,
        )  # fmt: skip
    make_claim(external_id="c-1", figure_text="120", event=event, place=place)
    make_claim(external_id="c-2", claimant=world.beta_mod, figure_text="more than 900")
    return world


def encoded(value: str | bytes) -> str:
    return quote_from_bytes(value) if isinstance(value, bytes) else quote(value, safe="")


def check(response, payload):
    assert response.status_code in (200, 301, 302, 400, 404), response.status_code
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        assert audit_html(response.content.decode(), as_text(payload)) == []
    if "csv" in response.get("Content-Type", ""):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for line in body.decode().splitlines()[1:]:
            for cell in line.split(","):
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell


@pytest.mark.parametrize("page", PAGES)
def test_hostile_query_parameters_on_every_page(client, pages, page):
    for _, value in CORPUS_SMALL:
        q = encoded(value)
        response = client.get(f"{page}?as_of={q}&page={q}&q={q}&sort={q}&{q}={q}")
        check(response, value)


def test_a_megabyte_of_query_string_is_answered(client, pages):
    for value in HUGE:
        check(client.get(f"/parties/alpha/military-killed/?as_of={quote(value)}"), value)


@pytest.mark.parametrize("pattern", PATHS)
def test_hostile_slugs_in_every_path(client, pages, pattern):
    for _, value in CORPUS:
        check(client.get(pattern.format(encoded(value))), value)


def _store(world, i, text):
    """Put the hostile text in every free-text field a public page shows; refused input must
    change nothing."""
    with change_context(user=None, reason="hostile input"):
        claimant = Claimant(name=text, slug=f"hostile-{i}", kind="ngo", description=text)
        claimant.full_clean()
        claimant.save()
        source = Source(slug=f"hostile-{i}", title=text, publisher=text, note=text)
        source.full_clean()
        source.save()
        claim = Claim(
            conflict=world.conflict, claimant=claimant, subject=world.alpha,
            category=world.killed, external_id=f"hostile-{i}", figure_text=text[:200],
            quote=text, note=text, assessment_note=text, status="published",
            as_of=datetime.date(2020, 10, 2), stated_on=datetime.date(2020, 10, 2),
            lower=5, upper=5, qualifier="exact",
        )  # fmt: skip
        claim.full_clean()
        claim.save()
        claim.sources.add(source)


def test_hostile_text_stored_in_the_data_is_shown_escaped(client, pages):
    shown, refused = [], 0
    for i, (_, value) in enumerate(CORPUS):
        text = as_text(value)
        counts = (Claim.objects.count(), Claim.history.count(), Claimant.history.count())
        try:
            with transaction.atomic():
                _store(pages, i, text)
        except (ValidationError, ValueError):
            refused += 1
            after = (Claim.objects.count(), Claim.history.count(), Claimant.history.count())
            assert after == counts  # refused input leaves no trace, history included
        else:
            shown.append((i, text))
    assert len(shown) > 150 and refused >= 19  # both paths were exercised
    for start in range(0, len(shown), 40):
        batch = shown[start : start + 40]
        urls = ["/parties/alpha/military-killed/", "/parties/alpha/", "/wars/test-war/"]
        urls += [f"/claimants/hostile-{i}/" for i, _ in batch[:5]]
        urls += [f"/claims/hostile-{i}/" for i, _ in batch[:5]]
        for url in urls:
            for page in ("1", "2", "3", "4", "5", "6", "7", "8"):
                response = client.get(f"{url}?page={page}")
                assert response.status_code in (200, 404)
                if response.status_code == 404:
                    break
                html = response.content.decode()
                assert audit_html(html, *(text for _, text in batch)) == [], url
