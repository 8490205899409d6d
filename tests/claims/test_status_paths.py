"""A claim's status changes only through the workflow steps (claims.services transitions).

Every other way a claim can be written is walked here, each trying to move a claim's status:
restoring an old revision, undeleting, importing, the admin's change and add forms, the admin
actions, and the update service. Each leaves the status as it was; the history shows status
changes only in rows written by a workflow step."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from claims.importing import import_file
from claims.models import Claim
from claims.services import (
    IllegalTransition,
    claim_publish,
    claim_retract,
    claim_submit_for_review,
    claim_update,
)
from tests.admin_forms import selected, version_of
from tests.claims.test_admin import form_data
from tests.claims.test_importing import HEADERS, csv_bytes
from tests.claims.test_importing import claim as claim_row

pytestmark = pytest.mark.django_db

WORKFLOW_REASONS = {"Submitted for review", "Published", "The MoD withdrew it"}


def retracted_after_publishing(make_claim, user):
    """A claim that was published (a revision says so) and is now retracted."""
    claim = make_claim(status="draft")
    claim_submit_for_review(claim=claim, user=user, expected_version=claim.version)
    claim_publish(claim=claim, user=user, expected_version=claim.version)
    claim_retract(claim=claim, user=user, expected_version=claim.version,
                  reason="The MoD withdrew it")  # fmt: skip
    return claim


def assert_status_moved_only_by_workflow(claim_pk):
    rows = list(Claim.history.filter(id=claim_pk).order_by("history_id"))
    for before, after in zip(rows, rows[1:], strict=False):
        if after.history_type == "~" and before.status != after.status:
            assert after.history_change_reason in WORKFLOW_REASONS, (
                f"{before.status} → {after.status} by “{after.history_change_reason}”"
            )


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_restoring_a_published_revision_of_a_retracted_claim_keeps_it_retracted(
    admin_client, make_claim, admin_user
):
    claim = retracted_after_publishing(make_claim, admin_user)
    published = claim.history.filter(status="published").earliest("history_id")
    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, published.history_id])
    response = admin_client.post(
        url,
        form_data(published.instance, change_reason="restore", version=version_of(claim)),
        follow=True,
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.status == "retracted"
    assert "It changes only through the workflow steps" in response.content.decode()
    assert claim.history.latest("history_id").history_change_reason == "restore"
    assert admin_client.get(claim.get_absolute_url()).status_code == 404
    assert_status_moved_only_by_workflow(claim.pk)


def test_undeleting_a_published_claim_brings_it_back_as_a_draft(admin_client, make_claim):
    claim = make_claim(status="published")
    pk = claim.pk
    admin_client.post(
        reverse("admin:claims_claim_delete", args=[pk]), {"post": "yes", "change_reason": "dup"}
    )
    deleted = Claim.history.get(id=pk, history_type="-")
    url = reverse("admin:claims_claim_simple_history", args=[pk, deleted.history_id])
    response = admin_client.post(url, form_data(deleted.instance, change_reason="not a dup"))
    assert response.status_code == 302
    assert Claim.objects.get(pk=pk).status == "draft"


def test_an_import_does_not_change_an_existing_claims_status(world, make_claim, admin_user):
    claim = retracted_after_publishing(make_claim, admin_user)
    before = claim.history.count()
    row = claim_row(external_id=claim.external_id, status="published")
    result = import_file(io.BytesIO(csv_bytes([row])), "c.csv", kind="claims", user=admin_user)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(2, "status")]
    assert "does not change a claim's status" in result.errors[0].message
    claim.refresh_from_db()
    assert claim.status == "retracted" and claim.history.count() == before


def test_an_import_may_leave_the_status_as_it_is_or_give_a_new_claim_one(
    world, make_claim, admin_user
):
    claim = make_claim(status="published")
    rows = [
        claim_row(external_id=claim.external_id, status="published", quote="edited"),
        claim_row(external_id="new-one", status="published"),
    ]
    result = import_file(io.BytesIO(csv_bytes(rows)), "c.csv", kind="claims", user=admin_user)
    assert result.ok, result.errors
    assert Claim.objects.get(pk=claim.pk).quote == "edited"
    assert Claim.objects.get(external_id="new-one").status == "published"
    assert "status" in HEADERS


def test_the_change_form_ignores_a_posted_status(admin_client, make_claim):
    claim = make_claim(status="draft")
    response = admin_client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]),
        form_data(claim, status="published", quote="edited", change_reason="typo"),
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.quote, claim.status) == ("edited", "draft")


def test_the_add_form_makes_a_draft_whatever_status_is_posted(admin_client, make_claim):
    template = make_claim(status="published")
    data = form_data(template, external_id="added", status="published", change_reason="new")
    data = {k: v for k, v in data.items() if not k.startswith("citations-") and k != "version"}
    data.update({"citations-TOTAL_FORMS": "0", "citations-INITIAL_FORMS": "0"})
    response = admin_client.post(reverse("admin:claims_claim_add"), data)
    assert response.status_code == 302, response.content.decode()[:500]
    assert Claim.objects.get(external_id="added").status == "draft"


@pytest.mark.template_context
def test_no_admin_action_sets_a_status(admin_client, make_claim):
    claim = make_claim(status="draft")
    changelist = reverse("admin:claims_claim_changelist")
    actions = admin_client.get(changelist).context["action_form"].fields["action"].choices
    assert [name for name, _ in actions if name] == ["delete_selected_with_reason"]
    response = admin_client.post(
        changelist, {"action": "publish", "_selected_action": selected(claim), "status": "x"}
    )
    assert response.status_code in (200, 302)
    assert Claim.objects.get(pk=claim.pk).status == "draft"


def test_the_update_service_refuses_a_status(make_claim, admin_user):
    claim = make_claim(status="retracted")
    with pytest.raises(IllegalTransition):
        claim_update(claim=claim, user=admin_user, reason="sneaky", status="published")
    assert Claim.objects.get(pk=claim.pk).status == "retracted"


def test_a_workflow_step_still_needs_its_reason(make_claim, admin_user):
    claim = make_claim(status="published")
    with pytest.raises(ValidationError):
        claim_retract(claim=claim, user=admin_user, expected_version=claim.version, reason=" ")


def test_restoring_a_published_revision_of_a_retracted_record_keeps_it_retracted(
    admin_client, world, admin_user
):
    from casualties.models import CasualtyRecord
    from casualties.services import record_create, record_retract
    from tests.admin_forms import form_values

    record = record_create(
        user=None, reason="test", conflict=world.conflict, external_id="r-1", name="A name",
        role="serviceman", party=world.alpha, outcome="killed", status="published",
    )  # fmt: skip
    record_retract(record=record, user=admin_user, expected_version=record.version,
                   reason="not a casualty")  # fmt: skip
    published = record.history.filter(status="published").earliest("history_id")
    url = reverse(
        "admin:casualties_casualtyrecord_simple_history", args=[record.pk, published.history_id]
    )
    data = {k: v for k, v in form_values(admin_client.get(url)).items() if not k.startswith("_")}
    response = admin_client.post(url, {**data, "change_reason": "restore"})
    assert response.status_code == 302, response.content.decode()[:300]
    record = CasualtyRecord.objects.get(pk=record.pk)
    assert record.status == "retracted"
    assert record.history.latest("history_id").history_change_reason == "restore"
