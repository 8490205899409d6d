"""Admin import: upload → preview (writes nothing) → confirm (writes rows with history)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims.models import Claim, ClaimSource
from tests.claims.test_importing import claim, counts, csv_bytes

URL = reverse("admin:claims_claim_import")


@pytest.fixture
def editor(client, admin_user):
    client.force_login(admin_user)
    return client


def upload(client, data, name="claims.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data, "text/csv")})


def test_change_list_has_an_import_button(world, editor):
    page = editor.get(reverse("admin:claims_claim_changelist"))
    assert URL in page.content.decode()
    records = editor.get(reverse("admin:casualties_casualtyrecord_changelist"))
    assert reverse("admin:casualties_casualtyrecord_import") in records.content.decode()


def test_preview_counts_and_writes_nothing(world, editor):
    page = upload(editor, csv_bytes([claim(), claim(external_id="c-2")]))
    assert page.status_code == 200
    assert "<strong>2</strong> new, <strong>0</strong> changed" in page.content.decode()
    assert counts() == (0, 0, 0, 0)
    assert not LogEntry.objects.exists()


@pytest.mark.template_context
def test_confirm_imports_with_history_and_one_redirect(world, editor, admin_user):
    page = upload(editor, csv_bytes([claim(), claim(external_id="c-2")]))
    token = page.context["token"]
    done = editor.post(URL, {"token": token, "confirm": "1"})
    assert done.status_code == 302
    assert Claim.objects.count() == 2
    entry = Claim.history.filter(external_id="c-2").get()
    assert entry.history_change_reason == "Imported by boss from “claims.csv” (admin)"
    assert entry.history_user == admin_user
    assert ClaimSource.history.count() == 2
    assert not LogEntry.objects.exists()
    # The token is spent: posting it again imports nothing twice.
    editor.post(URL, {"token": token, "confirm": "1"})
    assert Claim.history.count() == 2


def test_errors_are_shown_with_row_column_and_message_and_no_confirm(world, editor):
    page = upload(editor, csv_bytes([claim(), claim(external_id="c-2", subject="gamma")]))
    html = page.content.decode()
    assert "nothing will be imported" in html
    assert "<td>3</td><td>subject</td><td>unknown party “gamma”" in html
    assert 'name="confirm"' not in html
    assert counts() == (0, 0, 0, 0)


def test_a_bad_file_is_explained(world, editor):
    data = "external_id,conflict,claimant,subject,category,figure_text\nc,test-war,a,b,c,Сто\n"
    page = upload(editor, data.encode("cp1251"))
    assert "Windows-1251 (Cyrillic)" in page.content.decode()
    assert counts() == (0, 0, 0, 0)


def test_size_limit_is_checked_before_reading(world, editor, settings):
    settings.IMPORT_MAX_BYTES = 10
    page = upload(editor, csv_bytes([claim()]))
    assert "the most one import takes is" in page.content.decode()


@pytest.mark.template_context
def test_reimport_shows_unchanged_and_writes_no_history(world, editor):
    data = csv_bytes([claim()])
    editor.post(URL, {"token": upload(editor, data).context["token"], "confirm": "1"})
    before = counts()
    page = upload(editor, data)
    result = page.context["result"]
    assert (result.new, result.changed, result.unchanged) == (0, 0, 1)
    editor.post(URL, {"token": page.context["token"], "confirm": "1"})
    assert counts() == before


def test_editors_without_add_permission_cannot_import(world, client, django_user_model):
    user = django_user_model.objects.create_user("reader", password="pw-reader-1!", is_staff=True)
    client.force_login(user)
    assert client.get(URL).status_code == 403


@pytest.mark.template_context
def test_public_overview_changes_after_an_import(world, editor, client):
    """An import notes its changes; its request follows them (the middleware), so the stored
    figures and the data state move before the next reader comes."""
    from casualties.models import DataChange
    from claims.models import ReconciledFigure
    from claims.refresh import state_token

    before = state_token()
    editor.post(
        URL, {"token": upload(editor, csv_bytes([claim()])).context["token"], "confirm": "1"}
    )
    assert state_token() != before
    assert not DataChange.objects.exists()
    assert ReconciledFigure.objects.filter(conflict=world.conflict).exists()
