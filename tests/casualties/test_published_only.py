"""A claim that is not published (draft, in review, retracted) shows on no public page and in
no download."""

import datetime

import pytest
from django.urls import reverse

from casualties.history import change_context
from casualties.models import Event, Place
from claims import exporting

pytestmark = pytest.mark.django_db

SECRET = "987654"  # a figure no published claim has


@pytest.mark.parametrize("status", ["draft", "in_review", "retracted"])
def test_an_unpublished_claim_is_on_no_public_page_or_download(client, world, make_claim, status):
    with change_context(user=None, reason="setup"):
        place = Place.objects.create(slug="ganja", name="Ganja", kind="city")
        event = Event.objects.create(
            conflict=world.conflict, slug="ganja-attack", name="Ganja attack",
            start_date=datetime.date(2020, 10, 17),
        )  # fmt: skip
    make_claim(figure_text="100", event=event, place=place)
    hidden = make_claim(
        figure_text=SECRET, status=status, event=event, place=place, quote="Hidden quote",
        claimant=world.beta_mod,
    )  # fmt: skip
    w = world
    urls = [
        reverse("casualties:home"), reverse("casualties:methodology"),
        reverse("casualties:browse"), reverse("casualties:downloads"),
    ]  # fmt: skip
    for name in ("conflict", "conflict_csv"):
        urls.append(reverse(f"casualties:{name}", args=[w.conflict.slug]))
    for name in ("party", "party_csv"):
        urls += [reverse(f"casualties:{name}", args=[p.slug]) for p in (w.alpha, w.beta)]
    for name in ("figure", "figure_csv"):
        urls.append(reverse(f"casualties:{name}", args=[w.alpha.slug, w.killed.slug]))
    for name, obj in (("category", w.killed), ("event", event), ("claimant", w.beta_mod),
                      ("place", place)):  # fmt: skip
        urls += [reverse(f"casualties:{name}", args=[obj.slug]),
                 reverse(f"casualties:{name}_csv", args=[obj.slug])]  # fmt: skip
    for table in exporting.TABLE_NAMES:
        urls += [reverse("casualties:download", args=[table, fmt]) for fmt in ("csv", "json")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode()
        for text in (SECRET, "98,7654", "987,654", hidden.external_id, "Hidden quote"):
            assert text not in body, (url, text)
    assert client.get(reverse("casualties:claim", args=[hidden.external_id])).status_code == 404
