"""/api/v1/changes/: published edits and retractions since a time or a release, with why."""

import pytest
from django.utils import timezone

from casualties.history import change_context
from claims.releases import release_cut
from claims.services import claim_retract, claim_update


@pytest.fixture
def edits(world, make_claim, admin_user):
    """Before ``since``: two published claims and a draft. After: a claim published, one
    changed, one retracted, the draft edited, an editor's note changed."""
    moved = make_claim(external_id="moved", figure_text="70")
    gone = make_claim(external_id="gone", figure_text="50")
    draft = make_claim(external_id="draft-claim-x1", figure_text="9", status="draft")
    since = timezone.now()
    make_claim(external_id="new-one", figure_text="7")
    claim_update(claim=moved, user=admin_user, reason="Corrected from the report",
                 figure_text="90")  # fmt: skip
    gone.refresh_from_db()
    claim_retract(claim=gone, user=admin_user, expected_version=gone.version,
                  reason="Shown to be wrong")  # fmt: skip
    claim_update(claim=draft, user=admin_user, reason="DRAFT-REASON", figure_text="8")
    moved.refresh_from_db()
    claim_update(claim=moved, user=admin_user, reason="NOTE-ONLY", note="EDITOR-NOTE-2d4e")
    return since


def test_changes_since_a_time_list_exactly_the_public_edits(api, edits):
    body = api.get("/api/v1/changes/", {"since": edits.isoformat()}).json()
    got = [(c["object"], c["external_id"], c["action"], c["status"], c["fields"], c["reason"])
           for c in body["results"]]  # fmt: skip
    assert got == [
        ("claim", "new-one", "published", "published", [], "test setup"),
        ("claim", "moved", "changed", "published", ["figure_text", "lower", "best", "upper"],
         "Corrected from the report"),
        ("claim", "gone", "retracted", "retracted", [], "Shown to be wrong"),
    ]  # fmt: skip
    text = str(body)
    for secret in ("DRAFT-REASON", "draft-claim-x1", "NOTE-ONLY", "EDITOR-NOTE-2d4e"):
        assert secret not in text


def test_changes_since_a_release(api, world, make_claim, admin_user):
    make_claim(external_id="before")
    release_cut(name="r1", user=admin_user, reason="x")
    make_claim(external_id="after")
    body = api.get("/api/v1/changes/?release=r1").json()
    assert [c["external_id"] for c in body["results"]] == ["after"]
    assert api.get("/api/v1/changes/?release=nope").status_code == 400
    assert api.get("/api/v1/changes/?since=yesterday").status_code == 400


def test_a_person_merged_or_changed_only_in_sensitive_fields(api, world, admin_user):
    from casualties.models import CasualtyRecord

    common = {"conflict": world.conflict, "party": world.alpha, "role": "serviceman",
              "outcome": "killed"}  # fmt: skip
    with change_context(user=None, reason="setup"):
        kept = CasualtyRecord.objects.create(external_id="kept", name="A", status="published",
                                             **common)  # fmt: skip
        dup = CasualtyRecord.objects.create(external_id="dup", name="A.", status="published",
                                            **common)  # fmt: skip
    since = timezone.now()
    with change_context(user=admin_user, reason="SECRET-REASON"):
        kept.private_notes = "PRIVATE-NOTE-7f3a"
        kept.save()
    with change_context(user=admin_user, reason="Same person"):
        dup.merged_into = kept
        dup.save()
    body = api.get("/api/v1/changes/", {"since": since.isoformat()}).json()
    assert [(c["external_id"], c["action"], c["status"]) for c in body["results"]] == [
        ("dup", "retracted", "merged")
    ]
    assert "SECRET-REASON" not in str(body) and "PRIVATE-NOTE" not in str(body)


def test_the_changes_take_constant_queries(api, world, make_claim, django_assert_max_num_queries):
    since = timezone.now()
    for n in range(20):
        make_claim(external_id=f"c{n}")
    # Versions (ETag), Last-Modified (once per data version); per kind (claims, people): the
    # rows after, the rows before them.
    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/changes/", {"since": since.isoformat()}).json()["count"] == 20


@pytest.mark.parametrize(
    "since", ["1589-11-08T19:11:35-22:15", "0001-01-01T00:30:00+01:00", "2020-10-17T12:00:00Z"]
)
def test_any_time_python_reads_is_answered_without_a_server_error(api, world, since):
    """Found by schemathesis on PostgreSQL: an offset it refuses ("-22:15") was a 500. Times
    are put in UTC first; one that has no UTC time (before year 1) is a 400."""
    response = api.get("/api/v1/changes/", {"since": since})
    assert response.status_code in (200, 400)
    assert response.status_code == 200 or "since" in response.json()
