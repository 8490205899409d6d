"""Releases: the published data pinned at the cut, from the history tables; byte-identical
after later edits; the changelog of the next release lists exactly those edits."""

import datetime
import json

import frictionless
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from casualties.history import change_context
from casualties.models import CasualtyRecord, Place
from claims import exporting
from claims.release_models import Release, ReleaseEntry
from claims.releases import file_names, release_cut
from claims.services import claim_retract, claim_update

D = datetime.date
TABLES = ["claims", "records", "sources", "parties", "categories", "claimants", "events", "places"]
SECRETS = ("1990-04-05", "PRIVATE-NOTE-7f3a", "CONTACT-+374-55-000000", "REVIEW-NOTE-9b1c",
           "EDITOR-NOTE-2d4e", "draft-claim-x1", "draft-record-x2", "unpublished-source",
           "merged-away")  # fmt: skip


@pytest.fixture
def ledger(world, make_claim):
    """Three published claims, a published person, and the planted things never to serve: a
    draft claim and the source only it cites, a draft person, a person merged into another,
    an editor's note and a person's sensitive fields."""
    w = world
    w.kept = make_claim(external_id="kept", figure_text="100", note="EDITOR-NOTE-2d4e")
    w.retracted = make_claim(external_id="to-retract", figure_text="50", subject=w.beta,
                             claimant=w.beta_mod)  # fmt: skip
    w.moved = make_claim(external_id="to-move", figure_text="at least 70", claimant=w.ngo)
    draft = make_claim(figure_text="999", status="draft", external_id="draft-claim-x1")
    with change_context(user=None, reason="test setup"):
        from claims.models import Source

        hidden = Source.objects.create(slug="unpublished-source", title="Only a draft cites it")
        draft.sources.add(hidden)
        place = Place.objects.create(slug="town", name="Town")
        common = {"conflict": w.conflict, "party": w.alpha, "role": "serviceman",
                  "outcome": "killed", "place": place}  # fmt: skip
        w.shown = CasualtyRecord.objects.create(
            external_id="shown", name="Shown Person", status="published",
            date_of_birth=D(1990, 4, 5), private_notes="PRIVATE-NOTE-7f3a",
            contact_details="CONTACT-+374-55-000000", review_note="REVIEW-NOTE-9b1c", **common,
        )  # fmt: skip
        w.shown.sources.add(w.source)
        CasualtyRecord.objects.create(external_id="draft-record-x2", name="Draft", **common)
        CasualtyRecord.objects.create(
            external_id="merged-away", name="Merged", status="published", merged_into=w.shown,
            **common,
        )  # fmt: skip
    return w


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    settings.API_RATE = "100000/minute"


def release_urls(name):
    files = [reverse("casualties:release_file", args=[name, t, f]) for t in TABLES
             for f in exporting.FORMATS]  # fmt: skip
    files += [f"/releases/{name}/{f}" for f in ("datapackage.json", "figures.json",
                                                  "changelog.json")]  # fmt: skip
    api = [f"/api/v1/releases/{name}/{r}/?page_size=2&page={p}" for r in
           ("claims", "people", "figures") for p in (1, 2)]  # fmt: skip
    return files + [f"/releases/{name}/claims.csv?bom=1", f"/api/v1/releases/{name}/"] + api


def fetch(client, url):
    response = client.get(url, HTTP_ACCEPT="application/json" if "/api/" in url else "*/*")
    if response.status_code == 404 and "page=2" in url:
        return b"404"
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


def snapshot(client, name):
    return {url: fetch(client, url) for url in release_urls(name)}


def edit(w, make_claim, admin_user):
    """Publish a new claim, retract one, change a figure; a draft changed and a sensitive
    field changed are not public edits."""
    make_claim(external_id="new-one", figure_text="7", subject=w.beta, claimant=w.ngo)
    w.retracted.refresh_from_db()
    claim_retract(claim=w.retracted, user=admin_user, expected_version=w.retracted.version,
                  reason="Shown to be wrong")  # fmt: skip
    claim_update(claim=w.moved, user=admin_user, reason="Corrected from the report",
                 figure_text="at least 90")  # fmt: skip
    with change_context(user=admin_user, reason="Private detail"):
        w.shown.private_notes = "PRIVATE-NOTE-7f3a again"
        w.shown.save()
        from claims.models import Claim

        draft = Claim.objects.get(external_id="draft-claim-x1")
        draft.figure_text = "998"
        draft.save()


def test_a_cut_pins_the_published_rows_with_one_history_row(ledger, admin_user):
    release = release_cut(name="r1", note="First", user=admin_user, reason="Monthly release")
    assert release.counts == {"claims": 3, "people": 1}
    pinned = set(release.entries.filter(table="claim").values_list("object_id", flat=True))
    assert pinned == {ledger.kept.pk, ledger.retracted.pk, ledger.moved.pk}
    assert release.entries.filter(table="record").count() == 2  # the merged one, for sources
    (row,) = Release.history.all()
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "+", admin_user, "Monthly release",
    )  # fmt: skip
    assert set(release.files) == set(file_names())


def test_a_release_name_is_never_reused(ledger, admin_user):
    release_cut(name="r1", user=admin_user, reason="x")
    with pytest.raises(ValueError, match="exists already"):
        release_cut(name="r1", user=admin_user, reason="x")
    assert Release.objects.count() == 1 and Release.history.count() == 1


def test_release_files_at_the_cut_are_the_live_downloads(client, ledger, admin_user):
    release_cut(name="r1", user=admin_user, reason="x")
    for name in TABLES:
        for fmt in ("csv", "json"):
            live = fetch(client, reverse("casualties:download", args=[name, fmt]))
            assert fetch(client, f"/releases/r1/{name}.{fmt}") == live, (name, fmt)


def test_downloads_and_api_are_byte_identical_after_edits(client, ledger, make_claim, admin_user):
    release_cut(name="r1", user=admin_user, reason="x")
    before = snapshot(client, "r1")
    edit(ledger, make_claim, admin_user)
    with change_context(user=admin_user, reason="Renamed"):
        ledger.alpha.slug = "alpha-renamed"  # a slug changed after the cut stays old in r1
        ledger.alpha.save()
    after = snapshot(client, "r1")
    assert [u for u in before if before[u] != after[u]] == []
    assert b'"alpha"' in before["/api/v1/releases/r1/claims/?page_size=2&page=1"]


def test_the_next_changelog_lists_exactly_the_edits(client, ledger, make_claim, admin_user):
    release_cut(name="r1", user=admin_user, reason="x")
    edit(ledger, make_claim, admin_user)
    r2 = release_cut(name="r2", user=admin_user, reason="x")
    log = json.loads(fetch(client, "/releases/r2/changelog.json"))
    assert log["previous"] == "r1"
    assert log["claims_added"] == ["new-one"]
    assert log["claims_retracted"] == ["to-retract"]
    assert [(c["claim"], c["fields"]) for c in log["claims_changed"]] == [
        ("to-move", ["figure_text", "lower"])
    ]
    assert log["claims_changed"][0]["changes"]["lower"] == [70, 90]
    assert log["people_added"] == [] and log["people_removed"] == []
    moved = {f["figure"]: (f["before"]["lower"], f["after"]["lower"], f["change"]["lower"])
             for f in log["figures_moved"]}  # fmt: skip
    # Beta's floor: 50 retracted, 7 published; the whole war's (alpha 100 + beta) with it.
    assert moved == {
        "test-war/beta/military-killed": (50, 7, -43),
        "test-war/*/military-killed": (150, 107, -43),
    }
    assert r2.counts == {"claims": 3, "people": 1}
    page = client.get("/releases/r2/").content.decode()
    assert "new-one" in page and "to-retract" in page and "figure_text, lower" in page


def test_the_first_changelog_adds_everything(client, ledger, admin_user):
    release_cut(name="r1", user=admin_user, reason="x")
    log = json.loads(fetch(client, "/releases/r1/changelog.json"))
    assert log["previous"] is None
    assert log["claims_added"] == ["kept", "to-move", "to-retract"]
    assert log["people_added"] == ["shown"]


def test_nothing_unpublished_or_sensitive_in_a_release_or_the_changes(
    client, ledger, make_claim, admin_user
):
    release_cut(name="r1", user=admin_user, reason="x")
    edit(ledger, make_claim, admin_user)
    release_cut(name="r2", user=admin_user, reason="x")
    bodies = {}
    for name in ("r1", "r2"):
        for url in [*release_urls(name), f"/releases/{name}/"]:
            if url.endswith(".xlsx"):
                continue  # zipped; its rows are the CSV's (exporting.rows)
            bodies[url] = fetch(client, url).decode("utf-8-sig")
        for resource in ("claims", "people", "figures"):
            url = f"/api/v1/releases/{name}/{resource}/?page_size=1000"
            bodies[url] = fetch(client, url).decode()
    bodies["/releases/"] = fetch(client, "/releases/").decode()
    for url in ("/api/v1/changes/", "/api/v1/changes/?release=r1"):
        bodies[url] = fetch(client, url).decode()
    assert "Shown Person" in bodies["/api/v1/releases/r1/people/?page_size=1000"]
    for url, text in bodies.items():
        for secret in SECRETS:
            assert secret not in text, (url, secret)


def test_frictionless_validates_a_release(client, ledger, admin_user, tmp_path):
    release_cut(name="r1", user=admin_user, reason="x")
    (tmp_path / "datapackage.json").write_bytes(fetch(client, "/releases/r1/datapackage.json"))
    for name in TABLES:
        (tmp_path / f"{name}.csv").write_bytes(fetch(client, f"/releases/r1/{name}.csv"))
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    errors = [f"{t.name}: {e.message}" for t in report.tasks for e in t.errors]
    assert report.valid, "\n".join(errors[:20])
    assert json.loads((tmp_path / "datapackage.json").read_text())["version"] == "r1"


def test_the_cut_release_command(ledger, capsys):
    call_command("cut_release", "2026-12", "--note", "December")
    release = Release.objects.get(name="2026-12")
    assert release.note == "December" and release.cut_by.username == "release-cut"
    assert Release.history.get().history_change_reason == "cut_release 2026-12"
    assert "3 claims, 1 people" in capsys.readouterr().out
    with pytest.raises(CommandError, match="exists already"):
        call_command("cut_release", "2026-12")
    with pytest.raises(CommandError):
        call_command("cut_release", "not a slug!")


def test_an_administrator_cuts_a_release_in_the_admin(client, ledger, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:claims_release_add")
    response = client.post(url, {"name": "v1", "note": "By hand", "change_reason": "Asked for"})
    assert response.status_code == 302, response.content.decode()[:2000]
    release = Release.objects.get(name="v1")
    assert release.cut_by == admin_user and release.counts["claims"] == 3
    row = Release.history.get()
    assert (row.history_user, row.history_change_reason) == (admin_user, "Asked for")
    assert ReleaseEntry.objects.filter(release=release).exists()
    page = client.get(reverse("admin:claims_release_change", args=[release.pk]))
    assert page.status_code == 200 and "/releases/v1/" in page.content.decode()


def test_an_editor_cannot_cut_a_release(client, ledger, django_user_model):
    from django.contrib.auth.models import Group

    editor = django_user_model.objects.create_user("ed", password="pw-ed-123!", is_staff=True)
    editor.groups.add(Group.objects.get(name="editor"))
    client.force_login(editor)
    assert client.get(reverse("admin:claims_release_add")).status_code == 403


@pytest.mark.parametrize(
    "url",
    ["/releases/", "/releases/r1/", "/releases/r1/claims.csv", "/releases/r1/datapackage.json"],
)
def test_release_pages_take_one_query(client, ledger, admin_user, url, django_assert_num_queries):
    for n in range(3):  # the same one query with one release or many
        release_cut(name=f"r{n}", user=admin_user, reason="x")
    # The release (or the list of releases); the rest is read from storage.
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200


def test_release_api_pages_take_constant_queries(
    client, ledger, make_claim, admin_user, django_assert_max_num_queries
):
    for n in range(30):
        make_claim(external_id=f"more-{n}", figure_text=str(n + 1))
    release_cut(name="r1", user=admin_user, reason="x")
    for resource in ("claims", "people", "figures"):
        client.get(f"/api/v1/releases/r1/{resource}/")  # warms the release's reference maps
        # Versions (ETag), the release, the count, the page, the citations or sources.
        with django_assert_max_num_queries(6):
            url = f"/api/v1/releases/r1/{resource}/?page_size=10&page=2"
            assert client.get(url).status_code in (
                200, 404,
            )  # fmt: skip


def test_unknown_release_is_404(client, db):
    assert client.get("/releases/nope/").status_code == 404
    assert client.get("/releases/nope/claims.csv").status_code == 404
    assert client.get("/api/v1/releases/nope/claims/").status_code == 404
