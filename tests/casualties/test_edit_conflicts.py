"""Two people (or two tabs) edit the same object: the second save is refused with HTTP 409, what
changed meanwhile is shown, and the text they typed is kept. The same for inline rows, admin
actions and restoring a revision."""

import threading

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core import checks
from django.db import connection
from django.test import Client
from django.urls import reverse

from casualties.admin_history import HistoryAdmin
from casualties.concurrency import EditConflict
from casualties.history import change_context
from casualties.models import Place, PlaceName
from claims.models import Claim
from claims.services import claim_update
from tests.admin_forms import form_values, selected, version_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def first(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def second(db):
    other = get_user_model().objects.create_superuser("ani", "ani@example.org", "pw-ani-123!")
    c = Client()
    c.force_login(other)
    return c


def change_url(obj):
    info = obj._meta.app_label, obj._meta.model_name
    return reverse("admin:%s_%s_change" % info, args=[obj.pk])


@pytest.mark.template_context
def test_the_second_save_is_refused_with_their_text_kept_and_the_change_shown(
    first, second, make_claim
):
    claim = make_claim(quote="")
    url = change_url(claim)
    mine = form_values(first.get(url), "claim_form")
    theirs = form_values(second.get(url), "claim_form")

    saved = first.post(url, {**mine, "quote": "Quote from the MoD", "change_reason": "added quote"})
    assert saved.status_code == 302

    refused = second.post(
        url, {**theirs, "note": "My long careful note", "change_reason": "note after a call"}
    )
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "My long careful note" in body  # their text is kept in the form
    assert "note after a call" in body
    conflict = refused.context["edit_conflicts"][0]
    [row] = conflict["changes"]
    assert (row["change"].field, row["yours"], row["now"]) == (
        "quote", "(empty)", "Quote from the MoD",
    )  # fmt: skip
    assert (row["change"].user.get_username(), row["change"].reason) == ("boss", "added quote")
    assert 'id="edit-conflict"' in body and "Quote from the MoD" in body

    claim.refresh_from_db()
    assert (claim.quote, claim.note) == ("Quote from the MoD", "")
    assert claim.history.count() == 2  # creation and the first save; the refused one left none


def test_saving_again_from_the_conflict_screen_is_a_deliberate_overwrite(first, second, make_claim):
    claim = make_claim()
    url = change_url(claim)
    theirs = form_values(second.get(url), "claim_form")
    first.post(
        url, {**form_values(first.get(url), "claim_form"), "quote": "A", "change_reason": "a"}
    )
    refused = second.post(url, {**theirs, "note": "B", "change_reason": "b"})
    again = form_values(refused, "claim_form")
    claim.refresh_from_db()
    # The screen now carries the current version: saving it again is a choice, and it saves.
    assert again["version"] == version_of(claim)
    assert again["note"] == "B"
    assert second.post(url, {**again, "quote": "A"}).status_code == 302
    claim.refresh_from_db()
    assert (claim.quote, claim.note) == ("A", "B")
    assert claim.history.latest("history_id").history_change_reason == "b"


def test_the_same_person_in_two_tabs_is_refused_too(first, make_claim):
    claim = make_claim()
    url = change_url(claim)
    tab1 = form_values(first.get(url), "claim_form")
    tab2 = form_values(first.get(url), "claim_form")
    assert first.post(url, {**tab1, "note": "tab 1", "change_reason": "1"}).status_code == 302
    assert first.post(url, {**tab2, "note": "tab 2", "change_reason": "2"}).status_code == 409
    claim.refresh_from_db()
    assert claim.note == "tab 1"


def test_a_form_without_its_version_or_with_a_forged_one_saves_nothing(first, make_claim):
    claim = make_claim()
    url = change_url(claim)
    data = {**form_values(first.get(url), "claim_form"), "note": "x", "change_reason": "x"}
    missing = first.post(url, {k: v for k, v in data.items() if k != "version"})
    assert missing.status_code == 200
    assert "does not say which revision" in missing.content.decode()
    forged = first.post(url, {**data, "version": f"{claim.version + 5}:forged"})
    assert forged.status_code == 200
    assert "revision marker is not valid" in forged.content.decode()
    claim.refresh_from_db()
    assert claim.note == "" and claim.history.count() == 1


@pytest.fixture
def place(db):
    with change_context(user=None, reason="setup"):
        place = Place.objects.create(slug="shusha", name="Shushi / Shusha", kind="city")
        PlaceName.objects.create(place=place, name="Shushi", language="en", used_by="Armenian")
        PlaceName.objects.create(place=place, name="Shusha", language="en", used_by="Azerbaijani")
    return place


@pytest.mark.template_context
def test_a_stale_inline_row_refuses_the_save(first, second, place):
    url = change_url(place)
    mine = form_values(first.get(url), "place_form")
    theirs = form_values(second.get(url), "place_form")
    assert mine["names-0-version"]  # every inline row carries its version

    assert (
        first.post(url, {**mine, "names-0-used_by": "Armenian usage", "change_reason": "precise"})
    ).status_code == 302
    # The other only touches the place itself, but from a page whose row is now stale.
    refused = second.post(url, {**theirs, "names-0-name": "Šuši", "change_reason": "spelling"})
    assert refused.status_code == 409
    assert "Šuši" in refused.content.decode()
    place_conflict, row_conflict = refused.context["edit_conflicts"]
    # The place itself was saved too (with its rows), without a field of its own changing.
    assert [r["change"].label for r in place_conflict["changes"]] == ["(saved, no field changed)"]
    assert [r["change"].field for r in row_conflict["changes"]] == ["used_by"]
    assert row_conflict["label"] == "place name “Shusha (en)”"
    assert sorted(PlaceName.objects.values_list("name", flat=True)) == ["Shusha", "Shushi"]


def test_deleting_an_inline_row_changed_meanwhile_is_refused(first, second, place):
    url = change_url(place)
    mine = form_values(first.get(url), "place_form")
    theirs = form_values(second.get(url), "place_form")
    first.post(url, {**mine, "names-0-used_by": "Armenian usage", "change_reason": "precise"})
    refused = second.post(url, {**theirs, "names-0-DELETE": "on", "change_reason": "duplicate"})
    assert refused.status_code == 409
    assert PlaceName.objects.count() == 2


@pytest.mark.template_context
def test_a_stale_selection_refuses_the_whole_action(first, make_claim, admin_user):
    a, b = make_claim(), make_claim()
    url = reverse("admin:claims_claim_changelist")
    page = first.get(url).content.decode()
    assert f'value="{a.pk},{a.version}"' in page  # the checkbox carries pk and version
    seen = selected(a, b)
    claim_update(claim=b, user=admin_user, reason="meanwhile", note="changed")

    data = {"action": "delete_selected_with_reason", "_selected_action": seen}
    response = first.post(url, data, follow=True)
    message = [str(m) for m in response.context["messages"]][0]
    assert "Nothing was done" in message and str(b) in message and str(a) not in message
    # Even with the confirmation already answered, nothing is deleted.
    first.post(url, {**data, "post": "yes", "change_reason": "cleanup"})
    assert Claim.objects.count() == 2


def test_a_selection_without_versions_is_refused(first, make_claim):
    claim = make_claim()
    url = reverse("admin:claims_claim_changelist")
    first.post(
        url,
        {"action": "delete_selected_with_reason", "_selected_action": [claim.pk], "post": "yes",
         "change_reason": "x"},
    )  # fmt: skip
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_a_current_selection_acts(first, make_claim):
    claims = [make_claim(), make_claim()]
    url = reverse("admin:claims_claim_changelist")
    confirm = first.post(
        url, {"action": "delete_selected_with_reason", "_selected_action": selected(*claims)}
    )
    # The confirmation page posts the same "pk,version" values back.
    again = form_values(confirm)
    assert sorted(again["_selected_action"]) == sorted(selected(*claims))
    first.post(url, {**again, "change_reason": "duplicates"})
    assert Claim.objects.count() == 0


@pytest.mark.template_context
def test_restoring_from_a_stale_page_is_refused(first, make_claim, admin_user):
    claim = make_claim(figure_text="100")
    oldest = claim.history.earliest()
    claim_update(claim=claim, user=admin_user, reason="vandal", figure_text="9999")
    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, oldest.history_id])
    page = form_values(first.get(url))
    claim_update(claim=claim, user=admin_user, reason="meanwhile", note="a later fix")

    refused = first.post(url, {**page, "change_reason": "revert vandalism"})
    assert refused.status_code == 409
    [row] = refused.context["edit_conflicts"][0]["changes"]
    assert (row["change"].field, row["now"], row["change"].reason) == (
        "note", "a later fix", "meanwhile",
    )  # fmt: skip
    claim.refresh_from_db()
    assert (claim.figure_text, claim.note) == ("9999", "a later fix")
    # From the re-shown page (now at the current version) the restore goes through.
    assert first.post(url, form_values(refused)).status_code == 302
    claim.refresh_from_db()
    assert claim.figure_text == "100"


def test_list_editable_is_refused_by_a_system_check():
    class Editable(HistoryAdmin):
        list_display = ["name", "kind"]
        list_editable = ["kind"]

    errors = Editable(Place, admin.site).check()
    assert [e.id for e in errors] == ["casualties.E001"]
    assert all(isinstance(e, checks.Error) for e in errors)
    for model_admin in admin.site._registry.values():
        assert not model_admin.list_editable


ROUNDS, THREADS = 25, 4
FIELDS = ["note", "quote", "assessment_note", "acceptance_reason"]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_have_one_winner_and_every_loser_is_told(make_claim, admin_user):
    claim = make_claim()
    rows = 1
    for round_ in range(ROUNDS):
        start = Claim.objects.get(pk=claim.pk)
        barrier = threading.Barrier(THREADS)
        outcome = [None] * THREADS

        def save(i, version=start.version, round_=round_, barrier=barrier, outcome=outcome):
            try:
                mine = Claim.objects.get(pk=claim.pk)
                barrier.wait()
                claim_update(
                    claim=mine, user=admin_user, reason=f"round {round_} thread {i}",
                    expected_version=version, **{FIELDS[i]: f"r{round_}t{i}"},
                )  # fmt: skip
                outcome[i] = "won"
            except EditConflict:
                outcome[i] = "told"
            finally:
                connection.close()

        threads = [threading.Thread(target=save, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert sorted(outcome) == ["told"] * (THREADS - 1) + ["won"], outcome
        winner = outcome.index("won")
        now = Claim.objects.get(pk=claim.pk)
        rows += 1
        assert Claim.history.filter(id=claim.pk).count() == rows
        last = Claim.history.filter(id=claim.pk).latest("history_id")
        assert last.history_change_reason == f"round {round_} thread {winner}"
        assert last.version == now.version
        for i, field in enumerate(FIELDS):
            expected = f"r{round_}t{i}" if i == winner else getattr(start, field)
            assert getattr(now, field) == expected, (round_, field)
        # Every loser was told, so each tries again from what is there now: nothing is lost.
        for i in range(THREADS):
            if i != winner:
                fresh = Claim.objects.get(pk=claim.pk)
                claim_update(
                    claim=fresh, user=admin_user, reason=f"round {round_} thread {i} again",
                    expected_version=fresh.version, **{FIELDS[i]: f"r{round_}t{i}"},
                )  # fmt: skip
                rows += 1
        now = Claim.objects.get(pk=claim.pk)
        assert [getattr(now, f) for f in FIELDS] == [f"r{round_}t{i}" for i in range(THREADS)]
    assert Claim.history.filter(id=claim.pk).count() == 1 + ROUNDS * THREADS
