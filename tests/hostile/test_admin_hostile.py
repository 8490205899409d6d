"""Every hostile input through every admin form.

Each form is posted as a browser would (the add form read back from the page, so hidden fields,
inline management forms and version tokens come along), with the hostile text in every free-text
field and in the reason. Either it is saved exactly (and shown escaped on its change and history
pages) or refused with the text kept in the form, and the database and its history unchanged."""

import re
from html import escape
from urllib.parse import quote_from_bytes, urlencode

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from claims.models import Claim
from tests.admin_forms import form_values
from tests.hostile.corpus import CORPUS, DATES, as_text, audit_html

pytestmark = pytest.mark.django_db


def read_form(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    return {k: v for k, v in form_values(response).items() if not k.startswith("_")}


def encode(data: dict) -> bytes:
    """A urlencoded body; bytes values go as they are (invalid UTF-8 included), a list's
    values each under the key."""
    parts = []
    for key, values in data.items():
        for value in values if isinstance(values, list) else [values]:
            raw = value if isinstance(value, bytes) else str(value).encode()
            parts.append(f"{quote_from_bytes(key.encode())}={quote_from_bytes(raw)}")
    return "&".join(parts).encode()


# The valid rest of each form; ``{i}`` makes slugs and ids unique per post.
def baselines(world):
    conflict, day = world.conflict.pk, "2020-10-01"
    return {
        "casualties.conflict": {"slug": "war-{i}", "start_date": "2020-09-27"},
        "casualties.side": {"conflict": conflict, "slug": "side-{i}"},
        "casualties.party": {"conflict": conflict, "slug": "party-{i}", "kind": "armed_force"},
        "casualties.place": {"slug": "place-{i}", "names-TOTAL_FORMS": "1",
                             "names-0-language": "hy"},
        "casualties.event": {"conflict": conflict, "slug": "event-{i}", "start_date": day},
        "casualties.category": {"slug": "category-{i}", "kind": "personnel", "unit": "persons"},
        "casualties.casualtyrecord": {
            "conflict": conflict, "external_id": "record-{i}", "party": world.alpha.pk,
            "role": "serviceman", "outcome": "killed",
        },
        "claims.claimant": {"slug": "claimant-{i}", "kind": "ngo"},
        "claims.source": {"slug": "source-{i}"},
        "claims.claim": {
            "conflict": conflict, "claimant": world.ngo.pk, "subject": world.alpha.pk,
            "category": world.killed.pk, "external_id": "claim-{i}", "as_of": day,
            "stated_on": day, "lower": "4", "upper": "4", "qualifier": "exact",
            "citations-TOTAL_FORMS": "1", "citations-0-source": world.source.pk,
        },
    }  # fmt: skip


# Free-text fields (in the form) and where inline rows keep theirs.
INLINE_TEXT = {"casualties.place": ["names-0-name", "names-0-used_by"],
               "claims.claim": ["citations-0-locator"]}  # fmt: skip
URL_FIELDS = {"url", "archive_url"}
ERRORS = re.compile(r'<ul class="errorlist[^>]*>.*?</ul>', re.S)  # for a failure's message


def text_fields(model, form):
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.get_internal_type() in ("CharField", "TextField")
        and not f.choices
        and f.name in form
        and f.name not in URL_FIELDS
    ]


def tracked_counts(model):
    return model._default_manager.count(), model.history.count()


@pytest.fixture
def staff(admin_user):
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE is answered 400, as a server would, not raised.
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


@pytest.mark.long
@pytest.mark.parametrize("label", [
    "casualties.conflict", "casualties.side", "casualties.party", "casualties.place",
    "casualties.event", "casualties.category", "casualties.casualtyrecord", "claims.claimant",
    "claims.source", "claims.claim",
])  # fmt: skip
def test_every_hostile_input_through_the_add_form(staff, world, label):
    model = apps.get_model(label)
    add_url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    blank = read_form(staff, add_url)
    baseline = baselines(world)[label]
    fields = text_fields(model, blank) + INLINE_TEXT.get(label, [])
    saved = refused = 0
    for i, (kind, value) in enumerate([("plain", "Plain words"), *CORPUS]):
        data = {**blank, **{k: str(v).format(i=i) for k, v in baseline.items()}}
        data.update(dict.fromkeys(fields, value))
        data["change_reason"] = value
        if label == "claims.source":
            data["url"] = value if kind == "url" else "https://example.org/report"
        if label == "casualties.event" and kind == "date":
            data["start_date"] = value
        before = tracked_counts(model)
        response = staff.post(
            add_url, encode(data), content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code in (200, 302, 400), (kind, value, response.status_code)
        if kind == "plain":  # the baseline itself must save, or the test proves nothing
            assert response.status_code == 302, re.findall(ERRORS, response.content.decode())
        text = as_text(value)
        if response.status_code == 400:
            assert kind == "huge" and tracked_counts(model) == before
        elif response.status_code == 302:
            saved += 1
            obj = model._default_manager.order_by("-pk").first()
            assert tracked_counts(model)[0] == before[0] + 1
            for name in fields[:1]:
                if "-" not in name:
                    assert getattr(obj, name) == text.strip(), (kind, name)
            record = obj.history.latest("history_id")
            assert record.history_change_reason == text.strip()
            assert record.history_user is not None
            for page in (f"{add_url[:-4]}{obj.pk}/change/", f"{add_url[:-4]}{obj.pk}/history/"):
                page_response = staff.get(page)
                assert page_response.status_code == 200
                assert audit_html(page_response.content.decode(), text) == [], (kind, page)
        else:
            refused += 1
            assert tracked_counts(model) == before, (kind, value)  # nothing written, no history
            html = response.content.decode()
            assert audit_html(html, text) == [], kind
            shown = text.strip()
            if shown and "\x00" not in shown and "\r" not in shown and len(shown) < 5000:
                assert escape(shown) in html, (kind, "the typed text is kept in the form")
    assert saved > 50 and refused > 10


def test_hostile_dates_and_links_in_source_forms_are_refused(staff, world):
    add_url = reverse("admin:claims_source_add")
    blank = read_form(staff, add_url)
    for i, value in enumerate(DATES):
        data = {**blank, "slug": f"s-{i}", "title": "T", "change_reason": "r",
                "url": "https://example.org/", "published_on": value}  # fmt: skip
        response = staff.post(add_url, data)
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            assert world.source.__class__.objects.get(slug=f"s-{i}").published_on is not None


def test_hostile_text_through_the_claim_change_form(staff, make_claim):
    claim = make_claim(external_id="target")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    for kind, value in CORPUS[::3]:
        data = read_form(staff, url)  # a fresh read each time: the form carries the version
        data.update({"quote": value, "note": value, "change_reason": value})
        before = tracked_counts(Claim)
        response = staff.post(url, encode(data), content_type="application/x-www-form-urlencoded")
        assert response.status_code in (200, 302, 400), kind
        claim.refresh_from_db()
        if response.status_code == 400:
            assert kind == "huge" and tracked_counts(Claim) == before
        elif response.status_code == 302:
            assert claim.quote == as_text(value).strip()
            assert Claim.history.count() == before[1] + 1
        else:
            assert tracked_counts(Claim) == before


def test_admin_search_and_filters_take_hostile_text(staff, make_claim):
    make_claim()
    url = reverse("admin:claims_claim_changelist")
    for kind, value in CORPUS:
        text = as_text(value)[:2000]
        response = staff.get(url + "?" + urlencode({"q": text, "status__exact": text}))
        assert response.status_code in (200, 302), kind
        if response.status_code == 200:
            assert audit_html(response.content.decode(), text) == [], kind


def test_nul_characters_are_taken_out_of_an_admin_search(staff, make_claim):
    make_claim()
    url = reverse("admin:claims_claim_changelist")
    response = staff.get(url, {"q": "Alpha\x00", "status__exact": "published\x00"})
    assert response.status_code == 302
    assert response["Location"] == f"{url}?q=Alpha&status__exact=published"
    assert staff.get(response["Location"]).status_code == 200
