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
