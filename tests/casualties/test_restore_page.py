"""The restore page (issue 16, item 5): the diff against the object as it is now, and staying on
the object after restoring."""

import pytest
from django.urls import reverse

from claims.models import Claim
from tests.admin_forms import version_of
from tests.claims.test_admin import change_url, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def vandalised(as_admin, make_claim):
    claim = make_claim(figure_text="100", quote="One hundred.")
    first = claim.history.earliest()
    as_admin.post(
        change_url(claim),
        form_data(claim, figure_text="9999", lower="", best="", upper="", qualifier="",
                  change_reason="vandal"),
    )  # fmt: skip
    claim.refresh_from_db()
    assert claim.figure_text == "9999"
    return claim, first


def restore_url(claim, row):
    return reverse("admin:claims_claim_simple_history", args=[claim.pk, row.history_id])


@pytest.mark.template_context
def test_the_restore_page_shows_what_restoring_changes(as_admin, vandalised):
    claim, first = vandalised
    page = as_admin.get(restore_url(claim, first))
    assert page.status_code == 200
    rows = {r["field"]: (r["old"], r["new"]) for r in page.context["restore_changes"]["rows"]}
    assert rows["Figure as written"] == ("9999", "100")
    assert rows["Lower"] == ("9999", "100")
    assert "Version" not in rows and "Updated at" not in rows  # bookkeeping is not shown
    assert "Quote" not in rows  # unchanged
    html = page.content.decode()
    assert "What restoring this revision changes" in html
    assert "<del>9999</del></td><td><ins>100</ins>" in html


def test_the_latest_revision_restores_nothing(as_admin, vandalised):
    claim, _ = vandalised
    page = as_admin.get(restore_url(claim, claim.history.latest()))
    assert "restoring it changes nothing" in page.content.decode()


def test_after_restoring_the_editor_stays_on_the_object(as_admin, vandalised):
    claim, first = vandalised
    response = as_admin.post(
        restore_url(claim, first),
        form_data(first.instance, change_reason="Revert vandalism", version=version_of(claim)),
    )
    assert response.status_code == 302
    assert response["Location"] == change_url(claim)
    claim.refresh_from_db()
    assert claim.figure_text == "100"
    assert claim.history.latest().history_change_reason == "Revert vandalism"


def test_a_deleted_objects_restore_page_says_so_and_lands_on_it(as_admin, make_claim):
    claim = make_claim(figure_text="55")
    as_admin.post(
        reverse("admin:claims_claim_delete", args=[claim.pk]),
        {"post": "yes", "change_reason": "duplicate"},
    )
    deleted = Claim.history.get(id=claim.pk, history_type="-")
    page = as_admin.get(restore_url(claim, deleted))
    assert "is <strong>deleted</strong> now" in page.content.decode()
    response = as_admin.post(
        restore_url(claim, deleted), form_data(deleted.instance, change_reason="not a duplicate")
    )
    assert response["Location"] == change_url(claim)


@pytest.mark.template_context
def test_the_diff_leaves_out_the_status_a_restore_keeps(as_admin, make_claim, admin_user):
    from claims.services import claim_retract

    claim = make_claim(figure_text="100")
    published = claim.history.latest()
    claim = claim_retract(
        claim=claim, user=admin_user, expected_version=claim.version, reason="Withdrawn"
    )
    page = as_admin.get(restore_url(claim, published))
    fields = [r["field"] for r in page.context["restore_changes"]["rows"]]
    assert "Status" not in fields
    assert "Restoring keeps its status as it is now" in page.content.decode()
