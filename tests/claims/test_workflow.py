"""Draft → in review → published → retracted, and back to draft with a note: each step is a
service that checks the version and leaves one history row with who and why."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from casualties.concurrency import EditConflict
from claims.models import Claim
from claims.services import (
    IllegalTransition,
    claim_publish,
    claim_retract,
    claim_send_back,
    claim_submit_for_review,
)

pytestmark = pytest.mark.django_db


def last_row(claim):
    return claim.history.latest("history_id")


def test_a_claim_goes_from_draft_to_published_to_retracted(make_claim, admin_user):
    claim = make_claim(status="draft")
    claim_submit_for_review(claim=claim, user=admin_user, expected_version=claim.version)
    assert (claim.status, last_row(claim).history_change_reason) == (
        "in_review",
        "Submitted for review",
    )
    claim_publish(claim=claim, user=admin_user, expected_version=claim.version)
    assert Claim.objects.get(pk=claim.pk).status == "published"
    claim_retract(claim=claim, user=admin_user, expected_version=claim.version,
                  reason="The MoD withdrew the figure")  # fmt: skip
    row = last_row(claim)
    assert (row.status, row.history_user, row.history_change_reason) == (
        "retracted", admin_user, "The MoD withdrew the figure",
    )  # fmt: skip
    assert claim.history.count() == 4  # created, submitted, published, retracted


def test_send_back_keeps_the_note(make_claim, admin_user):
    claim = make_claim(status="in_review")
    claim_send_back(claim=claim, user=admin_user, expected_version=claim.version,
                    note="Cite the MoD page, not a tweet")  # fmt: skip
    claim.refresh_from_db()
    assert (claim.status, claim.review_note) == ("draft", "Cite the MoD page, not a tweet")
    assert last_row(claim).history_change_reason == "Sent back: Cite the MoD page, not a tweet"
    with pytest.raises(ValidationError):
        claim_send_back(claim=claim, user=admin_user, expected_version=claim.version, note=" ")


@pytest.mark.parametrize(
    ("status", "service"),
    [
        ("draft", claim_publish),
        ("published", claim_publish),
        ("retracted", claim_publish),
        ("draft", claim_retract),
        ("in_review", claim_retract),
        ("published", claim_submit_for_review),
        ("in_review", claim_submit_for_review),
        ("draft", claim_send_back),
        ("published", claim_send_back),
    ],
)
def test_a_transition_not_allowed_is_refused_and_writes_nothing(
    make_claim, admin_user, status, service
):
    claim = make_claim(status=status)
    kwargs = {"note": "n"} if service is claim_send_back else {}
    if service is claim_retract:
        kwargs["reason"] = "r"
    with pytest.raises(IllegalTransition):
        service(claim=claim, user=admin_user, expected_version=claim.version, **kwargs)
    assert Claim.objects.get(pk=claim.pk).status == status
    assert claim.history.count() == 1


def test_a_transition_from_an_old_version_is_refused(make_claim, admin_user):
    claim = make_claim(status="in_review")
    seen = claim.version
    claim_send_back(claim=Claim.objects.get(pk=claim.pk), user=admin_user,
                    expected_version=seen, note="fix the date")  # fmt: skip
    with pytest.raises(EditConflict), transaction.atomic():
        claim_publish(claim=claim, user=admin_user, expected_version=seen)
    claim.refresh_from_db()
    assert claim.status == "draft" and claim.history.count() == 2


def test_the_review_queue_is_oldest_first(make_claim):
    first, second = make_claim(status="in_review"), make_claim(status="in_review")
    make_claim(status="draft")
    assert list(Claim.objects.in_review()) == [first, second]


def test_a_stale_workflow_page_is_refused_with_409(client, make_claim, reviewer, admin_user):
    from django.urls import reverse

    from claims.services import claim_update
    from tests.admin_forms import form_values

    claim = make_claim(status="in_review")
    client.force_login(reviewer)
    url = reverse("admin:claims_claim_transition", args=[claim.pk, "publish"])
    page = form_values(client.get(url))
    claim_update(claim=claim, user=admin_user, reason="meanwhile", note="fixed a date")
    refused = client.post(url, {**page, "reason": "checked the sources"})
    assert refused.status_code == 409
    assert "checked the sources" in refused.content.decode()  # their reason is kept
    assert Claim.objects.get(pk=claim.pk).status == "in_review"
    # From the page shown again (now at the current version) it goes through.
    assert client.post(url, form_values(refused)).status_code == 302
    assert Claim.objects.get(pk=claim.pk).status == "published"


def test_the_review_queue_page_has_a_constant_query_count(
    client, make_claim, reviewer, django_assert_num_queries
):
    from django.urls import reverse

    client.force_login(reviewer)
    url = reverse("admin:claims_claim_review")
    make_claim(status="in_review")
    client.get(url)
    for _ in range(5):
        make_claim(status="in_review")
    # 1 session, 2 user, 3 the user's own permissions, 4 its groups' permissions, 5 the
    # claims in review with claimant, subject and category joined in.
    with django_assert_num_queries(5):
        page = client.get(url)
    queue = page.content.decode().split('id="review-queue"')[1].split("</table>")[0]
    assert queue.count("<tr>") == 1 + 6  # the header and six claims


def test_the_change_page_shows_the_note_only_while_the_claim_is_a_draft(
    client, make_claim, admin_user
):
    from django.urls import reverse

    claim = make_claim(status="in_review")
    claim_send_back(claim=claim, user=admin_user, expected_version=claim.version,
                    note="Cite the MoD page")  # fmt: skip
    client.force_login(admin_user)
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    assert "Sent back by a reviewer: Cite the MoD page" in client.get(url).content.decode()
    claim_submit_for_review(claim=claim, user=admin_user, expected_version=claim.version)
    assert "Sent back by a reviewer" not in client.get(url).content.decode()
