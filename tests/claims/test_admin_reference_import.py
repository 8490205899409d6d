"""The small reference tables import through django-import-export's admin, with history."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casualties.models import Place
from claims.models import Source

SOURCES = "slug,title,publisher,url,published_on,accessed_on,archive_url,language,note\n"


@pytest.fixture
def editor(client, admin_user):
    client.force_login(admin_user)
    return client


def csv_format_index(page):
    choices = page.context["form"].fields["format"].choices
    return next(value for value, label in choices if str(label).lower() == "csv")


def upload(client, url, data, name):
    page = client.get(url)
    return client.post(
        url,
        {"import_file": SimpleUploadedFile(name, data), "format": csv_format_index(page)},
    )


def confirm(client, model, page):
    initial = page.context["confirm_form"].initial
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_process_import")
    return client.post(url, initial)


@pytest.mark.template_context
def test_sources_import_with_reason_and_user(world, editor, admin_user):
    url = reverse("admin:claims_source_import")
    data = SOURCES + "hrw-2020,HRW report,Human Rights Watch,https://hrw.org/x,2020-12-11,,,en,\n"
    page = upload(editor, url, data.encode(), "sources.csv")
    assert page.status_code == 200 and "confirm_form" in page.context
    assert not Source.objects.filter(slug="hrw-2020").exists()  # the preview wrote nothing
    done = confirm(editor, Source, page)
    assert done.status_code == 302
    entry = Source.objects.get(slug="hrw-2020").history.get()
    assert entry.history_change_reason == "Imported by boss from “sources.csv” (admin)"
    assert entry.history_user == admin_user
    assert not LogEntry.objects.exists()


@pytest.mark.template_context
def test_a_javascript_url_is_a_row_error(world, editor):
    url = reverse("admin:claims_source_import")
    data = SOURCES + "evil,Evil,,javascript:alert(1),,,,en,\n"
    page = upload(editor, url, data.encode(), "sources.csv")
    assert "confirm_form" not in page.context
    assert "Only http:// and https:// links are allowed" in page.content.decode()
    assert not Source.objects.filter(slug="evil").exists()
    assert not Source.history.filter(slug="evil").exists()


@pytest.mark.template_context
def test_places_import_with_names_in_every_script(world, editor):
    url = reverse("admin:casualties_place_import")
    data = (
        "slug,name,kind,parent,is_contested,names\n"
        "stepanakert,Stepanakert / Khankendi,city,,true,"
        "hy=Ստեփանակերտ (Armenian usage); az=Xankəndi (Azerbaijani usage); ru=Степанакерт\n"
    )
    page = upload(editor, url, data.encode(), "places.csv")
    confirm(editor, Place, page)
    place = Place.objects.get(slug="stepanakert")
    assert sorted(place.names.values_list("language", "name", "used_by")) == [
        ("az", "Xankəndi", "Azerbaijani usage"),
        ("hy", "Ստեփանակերտ", "Armenian usage"),
        ("ru", "Степанакерт", ""),
    ]
    assert place.history.get().history_change_reason.startswith("Imported by boss")
    assert place.names.first().history.get().history_change_reason.startswith("Imported by boss")


@pytest.mark.template_context
def test_unknown_parent_party_is_a_row_error(world, editor):
    url = reverse("admin:casualties_party_import")
    data = "slug,name,conflict,kind,parent,side,description\nx,X,test-war,state,ghost,,\n"
    page = upload(editor, url, data.encode(), "parties.csv")
    assert "confirm_form" not in page.context
    assert "ghost" in page.content.decode()
