"""The role matrix, walked: anonymous, editor, reviewer, administrator × every admin page and
action. Each row of MATRIX is one page or action and who may use it; add rows as pages come."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from claims.models import Claim, ContradictionFlag
from claims.roles import MATRIX, ROLES
from claims.services import flags_refresh
from tests.admin_forms import form_values, selected, version_of

pytestmark = pytest.mark.django_db

A, E, R, D = "anonymous", "editor", "reviewer", "administrator"
PEOPLE = [A, E, R, D]


@pytest.fixture
def scene(world, make_claim, admin_user):
    """A draft, a claim in review, a published one, and an open contradiction flag."""
    s = type("Scene", (), {})()
    s.draft = make_claim(status="draft", figure_text="10")
    s.in_review = make_claim(status="in_review", figure_text="20")
    s.published = make_claim(status="published", figure_text="3,825")
    make_claim(status="published", figure_text="14.000")  # contradicts 3,825
    flags_refresh(conflict=world.conflict, user=admin_user, reason="setup")
    s.flag = ContradictionFlag.objects.first()
    return s


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


def claim_form(client, claim, **changes):
    page = client.get(url("claims_claim_change", claim.pk))
    return {**form_values(page, "claim_form"), **changes}


def transition(step, claim_attr, reason="because"):
    def do(client, s):
        claim = getattr(s, claim_attr)
        return client.post(
            url("claims_claim_transition", claim.pk, step),
            {"version": version_of(claim), "reason": reason},
        )

    return do


def get(name, *attrs):
    def do(client, s):
        return client.get(url(name, *(getattr(s, a).pk for a in attrs)))

    return do


def change_draft(client, s):
    data = claim_form(client, s.draft, note="edited", change_reason="edit")
    data.setdefault("version", version_of(s.draft))
    return client.post(url("claims_claim_change", s.draft.pk), data)


def change_published(client, s):
    data = claim_form(client, s.published, note="edited", change_reason="edit")
    data.setdefault("version", version_of(s.published))
    return client.post(url("claims_claim_change", s.published.pk), data)


def add_claim(client, s):
    w = s.draft
    return client.post(url("claims_claim_add"), {
        "external_id": "c-new", "conflict": w.conflict_id, "claimant": w.claimant_id,
        "subject": w.subject_id, "category": w.category_id, "figure_text": "5",
        "scope": "cumulative", "assessment": "not_assessed", "change_reason": "new",
        "citations-TOTAL_FORMS": "0", "citations-INITIAL_FORMS": "0",
    })  # fmt: skip


def delete_claim(client, s):
    return client.post(
        url("claims_claim_delete", s.draft.pk), {"post": "yes", "change_reason": "x"}
    )


def bulk_delete(client, s):
    return client.post(url("claims_claim_changelist"), {
        "action": "delete_selected_with_reason", "_selected_action": selected(s.draft),
        "post": "yes", "change_reason": "x",
    })  # fmt: skip


def restore(client, s):
    claim = s.published
    first = claim.history.earliest()
    page = client.get(url("claims_claim_simple_history", claim.pk, first.history_id))
    data = form_values(page) if page.status_code == 200 else {}
    return client.post(
        url("claims_claim_simple_history", claim.pk, first.history_id),
        {**data, "version": version_of(claim), "change_reason": "restore"},
    )


def resolve_flag(client, s):
    return client.post(url("claims_contradictionflag_change", s.flag.pk), {
        "status": "resolved", "resolution_note": "checked", "change_reason": "review",
        "version": version_of(s.flag),
    })  # fmt: skip


def import_page(client, s):
    return client.get(url("claims_claim_import"))


def export(client, s):
    return client.get(url("claims_claim_export", "csv"))


def done(s):
    """What each write leaves behind, to tell a refused write from an allowed one."""
    return {
        "change_draft": lambda: Claim.objects.get(pk=s.draft.pk).note == "edited",
        "change_published": lambda: Claim.objects.get(pk=s.published.pk).note == "edited",
        "add": lambda: Claim.objects.filter(external_id="c-new").exists(),
        "delete": lambda: not Claim.objects.filter(pk=s.draft.pk).exists(),
        "bulk_delete": lambda: not Claim.objects.filter(pk=s.draft.pk).exists(),
        "restore": lambda: Claim.objects.get(pk=s.published.pk).history.count() > 1,
        "submit": lambda: Claim.objects.get(pk=s.draft.pk).status == "in_review",
        "publish": lambda: Claim.objects.get(pk=s.in_review.pk).status == "published",
        "send_back": lambda: Claim.objects.get(pk=s.in_review.pk).status == "draft",
        "retract": lambda: Claim.objects.get(pk=s.published.pk).status == "retracted",
        "resolve_flag": lambda: ContradictionFlag.objects.get(pk=s.flag.pk).status == "resolved",
    }


# (row, how, who may). Pages (GET) are allowed when they answer 200; writes when they happened.
MATRIX_ROWS = [
    ("list", get("claims_claim_changelist"), {E, R, D}),
    ("review queue", get("claims_claim_review"), {R, D}),
    ("add page", get("claims_claim_add"), {E, R, D}),
    ("add", add_claim, {E, R, D}),
    ("change page (draft)", get("claims_claim_change", "draft"), {E, R, D}),
    ("change_draft", change_draft, {E, R, D}),
    ("change_published", change_published, {R, D}),
    ("history", get("claims_claim_history", "published"), {E, R, D}),
    ("delete page", get("claims_claim_delete", "draft"), {D}),
    ("delete", delete_claim, {D}),
    ("bulk_delete", bulk_delete, {D}),
    ("restore", restore, {R, D}),
    ("submit", transition("submit", "draft"), {E, R, D}),
    ("publish", transition("publish", "in_review"), {R, D}),
    ("send_back", transition("send_back", "in_review"), {R, D}),
    ("retract", transition("retract", "published"), {R, D}),
    ("flag list", get("claims_contradictionflag_changelist"), {E, R, D}),
    ("resolve_flag", resolve_flag, {R, D}),
    ("import", import_page, {R, D}),
    ("export", export, {E, R, D}),
    ("user list", get("auth_user_changelist"), {D}),
]


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize(
    ("row", "how", "allowed"), MATRIX_ROWS, ids=[row for row, _h, _a in MATRIX_ROWS]
)
def test_the_role_matrix(client, scene, member_of, person, row, how, allowed):
    if person != A:
        client.force_login(member_of(person))
    response = how(client, scene)
    check = done(scene).get(row)
    if check is not None:
        assert check() == (person in allowed), (person, row, response.status_code)
    else:
        ok = response.status_code == 200
        assert ok == (person in allowed), (person, row, response.status_code)
    if person == A:
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_groups_come_from_the_migration_and_sync_is_idempotent():
    before = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    assert set(before) >= set(ROLES)
    call_command("sync_roles", verbosity=0)
    after = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    assert before == after
    editor = Group.objects.get(name="editor")
    codes = {f"{p.content_type.app_label}.{p.codename}" for p in editor.permissions.all()}
    assert codes == MATRIX["editor"]
    assert "claims.publish_claim" not in codes and "claims.delete_claim" not in codes


def test_the_change_page_shows_only_the_steps_the_role_may_take(client, scene, member_of):
    client.force_login(member_of("editor"))
    page = client.get(url("claims_claim_change", scene.draft.pk)).content.decode()
    assert "Submit for review" in page and "Publish" not in page
    client.force_login(member_of("reviewer"))
    page = client.get(url("claims_claim_change", scene.in_review.pk)).content.decode()
    assert "Publish" in page and "Send back to draft" in page and "Submit for review" not in page
