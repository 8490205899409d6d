"""An import deletes only what its user may delete (claims/roles.py): a place's names missing
from the ``names`` cell, a claim's cited sources missing from its ``sources`` cell.

Editors and reviewers have no delete permission: such a row is a row error naming the row and
the column, and the file imports nothing (no rows, no history). Administrators keep the import
as it was: the names or citations missing from the file are deleted, with history.
"""

import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from casualties.history import change_context
from casualties.models import Place, PlaceName
from claims.importing import import_file
from claims.models import Claim, ClaimSource, Source
from tests.claims.test_admin_reference_import import confirm, upload
from tests.claims.test_importing import claim, counts, csv_bytes

pytestmark = pytest.mark.django_db

PLACES = "slug,name,kind,parent,is_contested,names\n"
BOTH = "en=Stepanakert (Armenian usage); en=Khankendi (Azerbaijani usage)"
REFUSED = "removing the name “Khankendi” needs permission to delete place names"


@pytest.fixture
def stepanakert(world):
    with change_context(user=None, reason="setup"):
        place = Place.objects.create(
            slug="stepanakert", name="Stepanakert / Khankendi", is_contested=True
        )
        PlaceName.objects.create(
            place=place, language="en", name="Stepanakert", used_by="Armenian usage"
        )
        PlaceName.objects.create(
            place=place, language="en", name="Khankendi", used_by="Azerbaijani usage"
        )
    return place


def places_file(*rows) -> bytes:
    return (PLACES + "".join(f"{row}\n" for row in rows)).encode()


def stepanakert_row(names, name="Stepanakert / Khankendi"):
    return f"stepanakert,{name},city,,true,{names}"


def snapshot():
    """Every place and name, and every history row of both."""
    return (
        sorted(Place.objects.values_list("slug", "name")),
        sorted(PlaceName.objects.values_list("place__slug", "language", "name", "used_by")),
        Place.history.count(),
        PlaceName.history.count(),
    )


def logged_in(client, user):
    client.force_login(user)
    return client


def names_of(place):
    return sorted(place.names.values_list("name", flat=True))


# --- places: the admin's django-import-export path ------------------------------------------


@pytest.fixture
def import_url():
    return reverse("admin:casualties_place_import")


@pytest.mark.template_context
@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_dropping_a_name_without_the_delete_permission_is_a_row_error(
    import_url, stepanakert, client, member_of, role
):
    before = snapshot()
    client = logged_in(client, member_of(role))
    data = places_file(
        "shusha,Shusha / Shushi,city,,true,en=Shusha",  # a valid row: not written either
        stepanakert_row("en=Stepanakert (Armenian usage)"),
    )
    page = upload(client, import_url, data, "places.csv")
    assert page.status_code == 200
    assert "confirm_form" not in page.context  # nothing to confirm
    result = page.context["result"]
    [invalid] = result.invalid_rows
    assert invalid.number == 2
    assert invalid.field_specific_errors == {"names": [REFUSED]}
    html = page.content.decode()
    assert REFUSED in html and "Some rows failed to validate" in html
    assert snapshot() == before


@pytest.mark.template_context
def test_the_confirm_checks_again_and_writes_nothing(import_url, stepanakert, client, editor):
    """A name added between the preview and the confirm would be deleted by the file: the
    confirm refuses it, writes none of the file's rows and says why."""
    client = logged_in(client, editor)
    data = places_file(
        "shusha,Shusha / Shushi,city,,true,en=Shusha",
        stepanakert_row(f"{BOTH}; az=Xankəndi (Azerbaijani usage)"),
    )
    page = upload(client, import_url, data, "places.csv")
    assert "confirm_form" in page.context
    with change_context(user=None, reason="meanwhile"):
        PlaceName.objects.create(place=stepanakert, language="ru", name="Степанакерт")
    before = snapshot()
    done = confirm(client, Place, page)
    assert done.status_code == 302 and done.url == import_url  # back to the upload, no success
    [message] = [str(m) for m in get_messages(done.wsgi_request)]
    assert message.startswith("Nothing was imported")
    assert (
        "Row 2, names: removing the name “Степанакерт” needs permission to delete place names"
        in message
    )
    assert snapshot() == before
    assert not Place.objects.filter(slug="shusha").exists()


@pytest.mark.template_context
def test_an_editor_may_add_a_name(import_url, stepanakert, client, editor):
    client = logged_in(client, editor)
    data = places_file(stepanakert_row(f"{BOTH}; az=Xankəndi (Azerbaijani usage)"))
    page = upload(client, import_url, data, "places.csv")
    assert "confirm_form" in page.context
    # Only the names change, and that is a change (not an unchanged, skipped row).
    assert [row.import_type for row in page.context["result"].rows] == ["update"]
    assert names_of(stepanakert) == ["Khankendi", "Stepanakert"]  # the preview wrote nothing
    done = confirm(client, Place, page)
    assert done.status_code == 302 and done.url == reverse("admin:casualties_place_changelist")
    assert names_of(stepanakert) == ["Khankendi", "Stepanakert", "Xankəndi"]
    added = PlaceName.objects.get(name="Xankəndi").history.get()
    assert (added.history_type, added.history_user) == ("+", editor)
    assert added.history_change_reason == "Imported by editor from “places.csv” (admin)"


@pytest.mark.template_context
def test_an_editor_may_change_who_uses_a_name(import_url, stepanakert, client, editor):
    client = logged_in(client, editor)
    names = "en=Stepanakert (Armenian usage); en=Khankendi (Azerbaijani and Russian usage)"
    page = upload(client, import_url, places_file(stepanakert_row(names)), "places.csv")
    confirm(client, Place, page)
    assert PlaceName.objects.get(name="Khankendi").used_by == "Azerbaijani and Russian usage"


@pytest.mark.template_context
def test_a_file_without_names_leaves_them(import_url, stepanakert, client, editor):
    client = logged_in(client, editor)
    data = b"slug,name\nstepanakert,Stepanakert\n"
    page = upload(client, import_url, data, "places.csv")
    assert "confirm_form" in page.context
    confirm(client, Place, page)
    stepanakert.refresh_from_db()
    assert stepanakert.name == "Stepanakert"
    assert names_of(stepanakert) == ["Khankendi", "Stepanakert"]


@pytest.mark.template_context
def test_an_administrator_may_drop_a_name(import_url, stepanakert, client, administrator):
    client = logged_in(client, administrator)
    data = places_file(stepanakert_row("en=Stepanakert (Armenian usage)"))
    page = upload(client, import_url, data, "places.csv")
    assert "confirm_form" in page.context
    assert names_of(stepanakert) == ["Khankendi", "Stepanakert"]  # the preview wrote nothing
    done = confirm(client, Place, page)
    assert done.status_code == 302
    assert names_of(stepanakert) == ["Stepanakert"]
    gone = PlaceName.history.get(name="Khankendi", history_type="-")
    assert gone.history_user == administrator
    assert gone.history_change_reason == "Imported by administrator from “places.csv” (admin)"


@pytest.mark.template_context
def test_a_bad_names_cell_is_an_error_of_the_names_column(import_url, stepanakert, client, editor):
    client = logged_in(client, editor)
    page = upload(client, import_url, places_file(stepanakert_row("garbage")), "places.csv")
    [invalid] = page.context["result"].invalid_rows
    assert list(invalid.field_specific_errors) == ["names"]


# --- claims: the fast import (admin and commands) -------------------------------------------


@pytest.fixture
def cited_twice(world):
    """A claim citing two sources, imported by a script (no user)."""
    with change_context(user=None, reason="setup"):
        Source.objects.create(slug="second", title="Second", url="https://example.org/2")
    data = csv_bytes([claim(sources="report (p. 3); second")])
    assert import_file(io.BytesIO(data), "setup.csv", kind="claims", user=None).ok
    return Claim.objects.get(external_id="c-one")


def dropping_a_citation(**over) -> bytes:
    return csv_bytes([claim(sources="report (p. 3)", **over)])


def test_a_reviewer_may_not_drop_a_citation(cited_twice, reviewer):
    before = counts()
    data = dropping_a_citation(figure_text="more than 800")
    for dry_run in (True, False):
        result = import_file(
            io.BytesIO(data), "claims.csv", kind="claims", user=reviewer, dry_run=dry_run
        )
        assert [str(e) for e in result.errors] == [
            "row 2, sources: removing the cited source “second” needs permission to delete "
            "cited sources"
        ]
        assert not result.written
    assert counts() == before
    cited_twice.refresh_from_db()
    assert cited_twice.figure_text == "more than 700"


def test_a_reviewer_may_add_a_citation_and_move_a_locator(cited_twice, reviewer):
    data = csv_bytes([claim(sources="report (p. 4); second; other")])
    with change_context(user=None, reason="setup"):
        Source.objects.create(slug="other", title="Other", url="https://example.org/3")
    result = import_file(io.BytesIO(data), "claims.csv", kind="claims", user=reviewer)
    assert result.ok, result.errors
    assert sorted(cited_twice.citations.values_list("source__slug", "locator")) == [
        ("other", ""), ("report", "p. 4"), ("second", ""),
    ]  # fmt: skip


def test_an_administrator_may_drop_a_citation(cited_twice, administrator):
    result = import_file(
        io.BytesIO(dropping_a_citation()), "claims.csv", kind="claims", user=administrator
    )
    assert result.ok, result.errors
    assert list(cited_twice.citations.values_list("source__slug", flat=True)) == ["report"]
    gone = ClaimSource.history.get(history_type="-")
    assert (gone.source.slug, gone.history_user) == ("second", administrator)


def test_the_claims_admin_preview_shows_the_refusal(cited_twice, client, reviewer):
    client = logged_in(client, reviewer)
    url = reverse("admin:claims_claim_import")
    page = client.post(url, {"file": SimpleUploadedFile("claims.csv", dropping_a_citation())})
    assert page.status_code == 200
    html = page.content.decode()
    assert "The file has errors, so nothing will be imported" in html
    assert "removing the cited source “second” needs permission to delete cited sources" in html


def test_the_import_command_checks_the_given_user(cited_twice, member_of, tmp_path, capsys):
    member_of("reviewer", "rev")
    path = tmp_path / "claims.csv"
    path.write_bytes(dropping_a_citation())
    before = counts()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_claims", str(path), "--user", "rev", "--no-progress")
    assert "needs permission to delete cited sources" in capsys.readouterr().err
    assert counts() == before
    # Without --user (whoever runs manage.py) the import is not checked.
    call_command("import_claims", str(path), "--no-progress")
    assert list(cited_twice.citations.values_list("source__slug", flat=True)) == ["report"]
