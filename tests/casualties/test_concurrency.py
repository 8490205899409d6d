"""The version every tracked row carries, and the helpers around django-concurrency's check."""

import pytest
from django.apps import apps
from django.core import signing
from django.db import transaction

from casualties.concurrency import (
    EditConflict,
    VersionField,
    changes_since,
    sign_version,
    stale_versions,
    unsign_version,
)
from casualties.history import delete_with_history, save_with_history
from claims.models import Claim

pytestmark = pytest.mark.django_db

TRACKED = {
    "casualties.conflict", "casualties.side", "casualties.party", "casualties.place",
    "casualties.placename", "casualties.event", "casualties.category",
    "casualties.casualtyrecord", "casualties.distinctpair", "claims.claimant", "claims.source",
    "claims.claim",
    "claims.claimsource", "claims.contradictionflag",
}  # fmt: skip


# Tracked, but never edited by people, so no version to check: the stored figures (written
# only by claims.figure_store, one process at a time) and releases (cut once, never changed).
NOT_EDITED = {"claims.reconciledfigure", "claims.release"}


def test_every_tracked_model_has_a_version():
    tracked = {
        m._meta.label_lower
        for m in apps.get_models()
        if hasattr(m, "history") and hasattr(m.history, "model")
    }
    assert tracked == TRACKED | NOT_EDITED
    for label in TRACKED:
        field = apps.get_model(label)._meta.get_field("version")
        assert isinstance(field, VersionField), label
        assert not field.editable


def test_each_save_moves_the_version_and_its_history_row_keeps_it(make_claim):
    claim = make_claim()
    first = claim.version
    assert first > 0
    claim.note = "checked"
    save_with_history(claim, user=None, reason="check")
    assert claim.version > first
    versions = list(claim.history.order_by("history_date").values_list("version", flat=True))
    assert versions == [first, claim.version]


def test_a_save_from_an_old_version_is_refused_and_writes_nothing(make_claim):
    claim = make_claim()
    mine = Claim.objects.get(pk=claim.pk)
    theirs = Claim.objects.get(pk=claim.pk)
    theirs.note = "theirs"
    save_with_history(theirs, user=None, reason="first")
    mine.note = "mine"
    with pytest.raises(EditConflict) as refused, transaction.atomic():
        save_with_history(mine, user=None, reason="second")
    assert refused.value.target is mine
    claim.refresh_from_db()
    assert claim.note == "theirs"
    assert claim.history.count() == 2  # creation and the first save only


def test_stale_versions_names_the_rows_that_moved_or_went(make_claim):
    a, b, c = make_claim(), make_claim(), make_claim()
    gone = c.pk
    expected = {a.pk: a.version, b.pk: b.version, c.pk: c.version}
    b.note = "moved"
    save_with_history(b, user=None, reason="move")
    delete_with_history(c, user=None, reason="gone")
    assert sorted(stale_versions(Claim, expected)) == sorted([b.pk, gone])
    assert stale_versions(Claim, {a.pk: a.version}, lock=True) == []


def test_signed_versions_cannot_be_forged():
    signed = sign_version(1234)
    assert unsign_version(signed) == 1234
    with pytest.raises(signing.BadSignature):
        unsign_version(signed.replace("1234", "1235"))
    with pytest.raises(signing.BadSignature):
        unsign_version("1235")


def test_changes_since_lists_field_values_who_when_and_why(make_claim, admin_user):
    claim = make_claim(figure_text="100")
    opened = claim.version
    claim.figure_text, claim.lower, claim.best, claim.upper = "120", 120, 120, 120
    save_with_history(claim, user=admin_user, reason="MoD update")
    claim.status = "draft"
    save_with_history(claim, user=None, reason="unpublished")

    changes = changes_since(claim, opened)
    assert [(c.field, c.old, c.new, c.reason) for c in changes] == [
        ("best", 100, 120, "MoD update"),
        ("figure_text", "100", "120", "MoD update"),
        ("lower", 100, 120, "MoD update"),
        ("upper", 100, 120, "MoD update"),
        ("status", "published", "draft", "unpublished"),
    ]
    assert changes[1].user == admin_user
    assert changes[1].label == "figure as written"
    assert changes_since(claim, claim.version) == []


def test_changes_since_reports_a_deletion(make_claim):
    claim = make_claim()
    opened, pk = claim.version, claim.pk
    delete_with_history(claim, user=None, reason="duplicate")
    claim.pk = pk
    [change] = changes_since(claim, opened)
    assert (change.label, change.reason, change.history_type) == ("(deleted)", "duplicate", "-")
