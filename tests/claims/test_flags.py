"""Contradiction flags: refreshed from the reconciliation, resolved by a reviewer with a note."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from claims.models import ContradictionFlag
from claims.services import claim_update, flag_resolve, flags_refresh
from tests.admin_forms import version_of


@pytest.fixture
def contradiction(world, make_claim):
    world.official = make_claim(figure_text="3,825", as_of=None, stated_on=None)
    world.outlier = make_claim(figure_text="14.000", as_of=None, stated_on=None)
    return world


def refresh(world, user=None):
    return flags_refresh(conflict=world.conflict, user=user, reason="test refresh")


@pytest.mark.django_db
class TestFlagsRefresh:
    def test_it_opens_a_flag_linking_to_the_claims(self, contradiction):
        assert refresh(contradiction) == {"opened": 1, "closed": 0, "found": 1}
        flag = ContradictionFlag.objects.get()
        assert (flag.kind, flag.status, str(flag.ratio)) == ("same_claimant", "open", "3.66")
        assert set(flag.claims.all()) == {contradiction.official, contradiction.outlier}
        [row] = flag.history.all()
        assert (row.history_type, row.history_change_reason) == ("+", "test refresh")

    def test_refreshing_again_adds_nothing(self, contradiction):
        refresh(contradiction)
        assert refresh(contradiction) == {"opened": 0, "closed": 0, "found": 1}
        assert ContradictionFlag.objects.count() == 1

    def test_a_resolved_flag_stays_resolved_when_found_again(self, contradiction, admin_user):
        refresh(contradiction)
        flag_resolve(flag=ContradictionFlag.objects.get(), user=admin_user, note="Checked.")
        refresh(contradiction)
        assert ContradictionFlag.objects.get().status == "resolved"

    def test_it_closes_an_open_flag_that_no_longer_applies(self, contradiction):
        refresh(contradiction)
        claim_update(claim=contradiction.outlier, user=None, reason="typo", assessment="discounted")
        assert refresh(contradiction)["closed"] == 1
        flag = ContradictionFlag.objects.get()
        assert (flag.status, flag.resolution_note) == (
            "resolved",
            "No longer found: the claims behind it changed.",
        )
        assert [h.status for h in flag.history.order_by("history_id")] == ["open", "resolved"]

    def test_the_command_refreshes_every_conflict(self, contradiction, capsys):
        call_command("flags_refresh")
        out = capsys.readouterr().out
        assert "1 contradiction between claims found" in out
        assert "1 new flag opened" in out
        assert "1 flag open for reviewers" in out
        assert ContradictionFlag.objects.open().count() == 1

    def test_the_command_explains_a_refresh_that_found_nothing_new(self, contradiction, capsys):
        call_command("flags_refresh")
        capsys.readouterr()
        call_command("flags_refresh")
        out = capsys.readouterr().out
        assert "0 new flags opened" in out
        assert "0 closed because the claims behind them changed" in out
        assert "1 flag open for reviewers" in out

    def test_the_command_writes_history_as_a_named_system_user(self, contradiction):
        call_command("flags_refresh")
        row = ContradictionFlag.objects.get().history.get()
        assert row.history_user.username == "flags-refresh"
        assert not row.history_user.is_active


@pytest.mark.django_db
class TestFlagResolve:
    def test_it_records_the_note_the_reviewer_and_the_history(self, contradiction, admin_user):
        refresh(contradiction)
        flag = flag_resolve(
            flag=ContradictionFlag.objects.get(), user=admin_user, note="14.000 is a misprint."
        )
        flag.refresh_from_db()
        assert (flag.status, flag.resolved_by, flag.resolution_note) == (
            "resolved",
            admin_user,
            "14.000 is a misprint.",
        )
        last = flag.history.latest("history_id")
        assert (last.status, last.history_user, last.history_change_reason) == (
            "resolved",
            admin_user,
            "Flag resolved: 14.000 is a misprint.",
        )

    def test_it_needs_a_note(self, contradiction, admin_user):
        refresh(contradiction)
        with pytest.raises(ValidationError):
            flag_resolve(flag=ContradictionFlag.objects.get(), user=admin_user, note="  ")
        assert ContradictionFlag.objects.get().status == "open"


@pytest.mark.django_db
class TestReviewQueue:
    def test_the_queue_lists_open_flags_linking_to_their_claims(
        self, client, admin_user, contradiction
    ):
        refresh(contradiction)
        client.force_login(admin_user)
        page = client.get(reverse("admin:claims_contradictionflag_changelist")).content.decode()
        change_url = reverse("admin:claims_claim_change", args=[contradiction.outlier.pk])
        assert change_url in page and "“14.000”" in page

    def test_resolved_flags_leave_the_queue(self, client, admin_user, contradiction):
        refresh(contradiction)
        flag_resolve(flag=ContradictionFlag.objects.get(), user=admin_user, note="Checked.")
        client.force_login(admin_user)
        page = client.get(reverse("admin:claims_contradictionflag_changelist")).content.decode()
        assert "0 contradiction flags" in page

    def test_a_reviewer_resolves_a_flag_with_a_note(self, client, admin_user, contradiction):
        refresh(contradiction)
        flag = ContradictionFlag.objects.get()
        client.force_login(admin_user)
        response = client.post(
            reverse("admin:claims_contradictionflag_change", args=[flag.pk]),
            {"status": "resolved", "resolution_note": "Misprint of 4,000?",
             "change_reason": "review of 28 Nov", "version": version_of(flag)},
        )  # fmt: skip
        assert response.status_code == 302
        flag.refresh_from_db()
        assert (flag.status, flag.resolved_by) == ("resolved", admin_user)
        last = flag.history.latest("history_id")
        assert (last.resolution_note, last.history_change_reason) == (
            "Misprint of 4,000?",
            "review of 28 Nov",
        )

    def test_resolving_without_a_note_is_refused(self, client, admin_user, contradiction):
        refresh(contradiction)
        flag = ContradictionFlag.objects.get()
        client.force_login(admin_user)
        response = client.post(
            reverse("admin:claims_contradictionflag_change", args=[flag.pk]),
            {
                "status": "resolved",
                "resolution_note": "",
                "change_reason": "review",
                "version": version_of(flag),
            },
        )
        assert response.status_code == 200
        flag.refresh_from_db()
        assert flag.status == "open" and flag.history.count() == 1

    def test_the_refresh_button_opens_flags(self, client, admin_user, contradiction):
        client.force_login(admin_user)
        response = client.post(reverse("admin:claims_contradictionflag_refresh"))
        assert response.status_code == 302
        flag = ContradictionFlag.objects.get()
        assert flag.history.get().history_user == admin_user

    def test_the_refresh_button_refuses_get(self, client, admin_user, contradiction):
        client.force_login(admin_user)
        assert client.get(reverse("admin:claims_contradictionflag_refresh")).status_code == 403
        assert not ContradictionFlag.objects.exists()
