"""The admin index as a desk (issue 16, item 2): what waits for me, and what changed recently."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casualties.duplicates import database_pairs
from casualties.history import change_context
from casualties.services import record_create
from claims.desk import desk_for
from claims.models import Claim, ContradictionFlag
from claims.services import claim_send_back, claim_submit_for_review

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


@pytest.fixture
def drafts(world, make_claim, editor, reviewer):
    """Two drafts of the editor's: one sent back with a note, one never submitted; one draft
    of someone else's; one claim in review."""
    mine = make_claim(status="draft", figure_text="110")
    Claim.history.filter(id=mine.pk).update(history_user=editor)
    sent = make_claim(status="draft", figure_text="120")
    Claim.history.filter(id=sent.pk).update(history_user=editor)
    sent = claim_submit_for_review(claim=sent, user=editor, expected_version=sent.version)
    claim_send_back(claim=sent, user=reviewer, expected_version=sent.version, note="Cite p. 4")
    make_claim(status="draft", figure_text="130")  # nobody's (test setup)
    waiting = make_claim(status="draft", figure_text="140")
    claim_submit_for_review(claim=waiting, user=editor, expected_version=waiting.version)
    return mine


def test_an_editor_sees_their_drafts_and_what_was_sent_back(client, editor, drafts):
    client.force_login(editor)
    page = client.get(INDEX).content.decode()
    desk = desk_for(editor)
    assert [c.figure_text for c in desk["drafts"]] == ["110"]
    assert [c.figure_text for c in desk["sent_back"]] == ["120"]
    assert "reviewer's note: Cite p. 4" in page
    assert reverse("admin:claims_claim_change", args=[drafts.pk]) in page
    # Reviewers' lines are not an editor's.
    assert 'id="desk-review"' not in page


def test_a_reviewer_sees_the_queue_with_count_and_age_and_open_flags(
    client, reviewer, drafts, world
):
    with change_context(user=None, reason="test"):
        ContradictionFlag.objects.create(
            conflict=world.conflict, kind="same_claimant", description="x", signature="s1",
            category=world.killed,
        )  # fmt: skip
    client.force_login(reviewer)
    page = client.get(INDEX).content.decode()
    assert f'<a href="{reverse("admin:claims_claim_review")}">1 claim</a>' in page
    assert "the oldest waiting" in page
    assert f'<a href="{reverse("admin:claims_contradictionflag_changelist")}">1 open</a>' in page


def test_the_index_lists_what_changed_recently_with_who_and_why(client, reviewer, drafts):
    client.force_login(reviewer)
    page = client.get(INDEX).content.decode()
    assert 'id="recent-changes"' in page
    assert "by reviewer: Sent back: Cite p. 4" in page
    assert reverse("admin:claims_claim_history", args=[drafts.pk]) in page


def test_probable_duplicate_people_are_counted_and_linked(client, editor, world):
    for i in range(2):
        record_create(
            user=None, reason="test", conflict=world.conflict, name="Sergey Shakaryan",
            role="serviceman", party=world.alpha, outcome="killed", external_id=f"r-{i}",
            date=datetime.date(2020, 10, 3),
        )  # fmt: skip
    assert len(database_pairs()) == 1
    client.force_login(editor)
    page = client.get(INDEX).content.decode()
    url = reverse("admin:casualties_casualtyrecord_duplicates")
    assert f'<a href="{url}">1 pair</a>' in page


def test_the_duplicates_count_is_cached_until_a_record_changes(editor, world, monkeypatch):
    import casualties.duplicates

    calls = []
    monkeypatch.setattr(casualties.duplicates, "database_pairs", lambda: calls.append(1) or [])
    desk_for(editor), desk_for(editor)
    assert len(calls) == 1
    record_create(
        user=None, reason="test", conflict=world.conflict, name="Someone", role="serviceman",
        party=world.alpha, outcome="killed", external_id="r-9",
    )  # fmt: skip
    desk_for(editor)
    assert len(calls) == 2


def test_the_index_query_count_does_not_grow_with_the_drafts(client, editor, drafts, make_claim):
    client.force_login(editor)
    client.get(INDEX)  # the duplicates count is cached from here on
    with CaptureQueriesContext(connection) as few:
        client.get(INDEX)
    for n in range(15):
        claim = make_claim(status="draft", figure_text=str(200 + n))
        Claim.history.filter(id=claim.pk).update(history_user=editor)
    with CaptureQueriesContext(connection) as many:
        client.get(INDEX)
    queries = [q["sql"] for q in many.captured_queries]
    assert len(queries) == len(few.captured_queries), "\n".join(queries)
    # The session, the user, the user's and their groups' permissions (2); the drafts; the
    # open flags' count; the latest record and "different people" history ids (the
    # duplicates count's cache key, 2); the latest claims and sources history rows with
    # their users (2).
    assert len(queries) == 10, "\n".join(queries)
