"""A named record not yet published is previewed, like a claim (casualties/admin_preview.py)."""

import pytest
from django.urls import reverse

from casualties.services import record_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(world):
    return record_create(
        user=None, reason="test", conflict=world.conflict, name="Artur Mayakov",
        role="serviceman", party=world.alpha, outcome="killed", external_id="artur-mayakov",
        sources=[world.source], status="draft",
    )  # fmt: skip


def test_a_draft_records_view_on_site_is_its_preview(client, editor, draft):
    client.force_login(editor)
    preview = reverse("admin:casualties_casualtyrecord_preview", args=[draft.pk])
    change = client.get(reverse("admin:casualties_casualtyrecord_change", args=[draft.pk]))
    assert preview in change.content.decode()
    page = client.get(preview)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Preview for editors" in html and "Artur Mayakov" in html and "A report" in html
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_anonymous_readers_never_see_a_records_preview(client, draft):
    preview = reverse("admin:casualties_casualtyrecord_preview", args=[draft.pk])
    assert client.get(preview).status_code == 302
