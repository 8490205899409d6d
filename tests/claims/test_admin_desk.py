"""The editor's desk (issue 16): fewer clicks for several claims from one source."""

import datetime

import pytest
from django.urls import reverse

from casualties.history import change_context
from casualties.models import Conflict
from claims.models import Claim, Source
from tests.admin_forms import form_values

pytestmark = pytest.mark.django_db

ADD = reverse("admin:claims_claim_add")


@pytest.fixture
def as_editor(client, editor):
    client.force_login(editor)
    return client


def first(values, name):
    value = values.get(name, [""])
    return value[0] if isinstance(value, list) and value else value


def test_the_only_conflict_is_chosen_for_the_editor(as_editor, world):
    values = form_values(as_editor.get(ADD))
    assert first(values, "conflict") == str(world.conflict.pk)


def test_with_two_conflicts_the_editor_chooses(as_editor, world):
    with change_context(user=None, reason="test"):
        Conflict.objects.create(
            name="Other war", slug="other-war", start_date=datetime.date(2021, 1, 1)
        )
    values = form_values(as_editor.get(ADD))
    assert first(values, "conflict") == ""


def test_an_add_form_opened_from_a_source_cites_it(as_editor, world):
    values = form_values(as_editor.get(f"{ADD}?source={world.source.pk}"))
    assert first(values, "citations-0-source") == str(world.source.pk)


def new_claim_post(as_editor, world, url=ADD, **overrides):
    values = form_values(as_editor.get(url))
    data = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in values.items()}
    data.update(
        {
            "claimant": world.alpha_mod.pk,
            "subject": world.alpha.pk,
            "category": world.killed.pk,
            "figure_text": "120",
            "as_of": "2020-10-02",
            "stated_on": "2020-10-03",
            "citations-0-source": world.source.pk,
            "citations-0-locator": "p. 2",
            "change_reason": "From the report",
            **overrides,
        }
    )
    return as_editor.post(url, data)


def test_save_and_add_another_from_this_source_keeps_source_claimant_and_dates(
    as_editor, world, editor
):
    response = new_claim_post(as_editor, world, _addanother_from_source="1")
    assert response.status_code == 302, response.content.decode()[:3000]
    claim = Claim.objects.get()
    assert claim.history.get().history_user == editor
    next_form = as_editor.get(response["Location"])
    values = form_values(next_form)
    assert first(values, "conflict") == str(world.conflict.pk)
    assert first(values, "claimant") == str(world.alpha_mod.pk)
    assert first(values, "as_of") == "2020-10-02"
    assert first(values, "stated_on") == "2020-10-03"
    assert first(values, "citations-0-source") == str(world.source.pk)
    # The rest is the next claim's own.
    assert first(values, "figure_text") == ""
    assert first(values, "subject") == ""
    # The second claim from the same form.
    response = new_claim_post(
        as_editor, world, url=response["Location"], figure_text="130", category=world.tanks.pk
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    second = Claim.objects.get(figure_text="130")
    assert second.as_of == datetime.date(2020, 10, 2)
    assert [s.slug for s in second.sources.all()] == ["report"]


def test_the_claim_form_offers_the_button(as_editor, world):
    assert 'name="_addanother_from_source"' in as_editor.get(ADD).text


def test_a_new_source_goes_straight_to_its_first_claim(as_editor, world):
    add = reverse("admin:claims_source_add")
    values = form_values(as_editor.get(add))
    data = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in values.items()}
    data.update(
        {"slug": "bulletin", "title": "Bulletin", "language": "en", "change_reason": "new",
         "_addclaim": "1"}
    )  # fmt: skip
    response = as_editor.post(add, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    source = Source.objects.get(slug="bulletin")
    assert response["Location"] == f"{ADD}?source={source.pk}"
    assert source.history.get().history_change_reason == "new"


def test_a_sources_page_links_to_adding_a_claim_from_it(as_editor, world):
    page = as_editor.get(reverse("admin:claims_source_change", args=[world.source.pk])).text
    assert f"{ADD}?source={world.source.pk}" in page


@pytest.mark.template_context
def test_the_import_preview_shows_old_and_new_values(client, admin_user, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.claims.test_importing import claim, csv_bytes, run

    assert run(csv_bytes([claim()]), admin_user).ok
    client.force_login(admin_user)
    changed = claim(figure_text="more than 800", claimant="beta-mod", sources="report (p. 4)")
    page = client.post(
        reverse("admin:claims_claim_import"),
        {"file": SimpleUploadedFile("c.csv", csv_bytes([changed]), "text/csv")},
    )
    rows = page.context["samples"]["changed"]
    assert [(c["column"], c["old"], c["new"]) for c in rows[0]["changes"]] == [
        ("claimant", "alpha-mod", "beta-mod"),
        ("figure_text", "more than 700", "more than 800"),
        ("lower", "701", "801"),
        ("sources", "report (p. 3)", "report (p. 4)"),
    ]
    html = page.content.decode()
    assert "<del>more than 700</del></td><td><ins>more than 800</ins>" in html
    assert Claim.objects.get().figure_text == "more than 700"  # the preview wrote nothing


def preview_url(claim):
    return reverse("admin:claims_claim_preview", args=[claim.pk])


def test_view_on_site_of_a_draft_is_its_preview(as_editor, make_claim):
    draft = make_claim(status="draft", figure_text="up to 90")
    page = as_editor.get(reverse("admin:claims_claim_change", args=[draft.pk])).text
    assert preview_url(draft) in page
    published = make_claim(figure_text="95")
    assert reverse("admin:claims_claim_change", args=[published.pk]) != preview_url(published)
    page = as_editor.get(reverse("admin:claims_claim_change", args=[published.pk])).text
    assert preview_url(published) not in page


def test_the_preview_shows_the_public_page_of_a_draft_under_a_banner(as_editor, make_claim):
    draft = make_claim(status="draft", figure_text="up to 90", quote="Up to 90 were lost.")
    response = as_editor.get(preview_url(draft))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview for editors" in html
    assert "this claim is draft" in html
    assert "Alpha MoD: “up to 90”" in html
    assert "A report" in html  # its sources
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    # The public page itself still does not show it.
    assert as_editor.get(draft.get_absolute_url()).status_code == 404


def test_anonymous_readers_never_see_a_preview(client, make_claim):
    draft = make_claim(status="draft")
    response = client.get(preview_url(draft))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert "Preview for editors" not in response.content.decode()
