"""The claims admin: reasons on every save, history with diffs, restore, undelete, query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim, ClaimSource
from tests.admin_forms import selected, version_of

pytestmark = pytest.mark.django_db


def change_url(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def form_data(claim, **overrides):
    """The change form as the browser would post it for ``claim``."""
    data = {
        "external_id": claim.external_id,
        "conflict": claim.conflict_id,
        "claimant": claim.claimant_id,
        "subject": claim.subject_id,
        "category": claim.category_id,
        "status": claim.status,
        "figure_text": claim.figure_text,
        "lower": "" if claim.lower is None else claim.lower,
        "best": "" if claim.best is None else claim.best,
        "upper": "" if claim.upper is None else claim.upper,
        "qualifier": claim.qualifier,
        "scope": claim.scope,
        "as_of": claim.as_of.isoformat() if claim.as_of else "",
        "period_start": "",
        "period_end": "",
        "stated_on": claim.stated_on.isoformat() if claim.stated_on else "",
        "event": "",
        "place": "",
        "quote": claim.quote,
        "assessment": claim.assessment,
        "assessment_note": "",
        "acceptance_reason": "",
        "note": "",
        "change_reason": "",
        "version": version_of(claim),
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
    }
    citations = list(claim.citations.all())
    data["citations-TOTAL_FORMS"] = data["citations-INITIAL_FORMS"] = str(len(citations))
    for i, citation in enumerate(citations):
        data[f"citations-{i}-id"] = citation.pk
        data[f"citations-{i}-claim"] = claim.pk
        data[f"citations-{i}-source"] = citation.source_id
        data[f"citations-{i}-locator"] = citation.locator
        data[f"citations-{i}-version"] = version_of(citation)
    data.update(overrides)
    return data


@pytest.fixture
def client_as_admin(client, admin_user):
    client.force_login(admin_user)
    return client


def test_an_edit_leaves_one_history_row_with_user_and_reason(
    client_as_admin, make_claim, admin_user
):
    claim = make_claim()
    response = client_as_admin.post(
        change_url(claim), form_data(claim, figure_text="up to 120", lower="", best="", upper="",
                                     qualifier="", change_reason="Corrected from the report")
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    claim.refresh_from_db()
    assert (claim.figure_text, claim.lower, claim.upper, claim.qualifier) == (
        "up to 120", None, 120, "at_most",
    )  # fmt: skip
    rows = claim.history.order_by("-history_date")
    assert rows.count() == 2
    latest = rows.first()
    assert (latest.history_user, latest.history_change_reason, latest.history_type) == (
        admin_user, "Corrected from the report", "~",
    )  # fmt: skip
    # The unchanged citation inline wrote no history row of its own.
    assert ClaimSource.history.count() == 1


def test_changing_the_words_refills_the_bounds(client_as_admin, make_claim):
    claim = make_claim(figure_text="100")
    client_as_admin.post(
        change_url(claim), form_data(claim, figure_text="300 to 400", change_reason="typo")
    )
    claim.refresh_from_db()
    assert (claim.lower, claim.upper, claim.qualifier) == (300, 400, "range")


def test_corrected_bounds_are_kept(client_as_admin, make_claim):
    claim = make_claim(figure_text="around 26")
    client_as_admin.post(
        change_url(claim),
        form_data(claim, lower=20, upper=30, qualifier="range", change_reason="source says 20-30"),
    )
    claim.refresh_from_db()
    assert (claim.figure_text, claim.lower, claim.upper, claim.qualifier) == (
        "around 26",
        20,
        30,
        "range",
    )


def test_unreadable_words_are_kept_with_a_plain_message(client_as_admin, make_claim):
    claim = make_claim()
    response = client_as_admin.post(
        change_url(claim),
        form_data(claim, figure_text="several", change_reason="as written"),
        follow=True,
    )
    claim.refresh_from_db()
    assert (claim.figure_text, claim.lower, claim.upper, claim.qualifier) == (
        "several", None, None, "unreadable",
    )  # fmt: skip
    assert "Could not read a number in “several”." in response.content.decode()


def test_a_save_without_reason_is_refused_and_keeps_the_typed_text(client_as_admin, make_claim):
    claim = make_claim()
    response = client_as_admin.post(
        change_url(claim), form_data(claim, quote="A long quote the editor typed")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required." in body
    assert "A long quote the editor typed" in body
    claim.refresh_from_db()
    assert claim.quote == ""
    assert claim.history.count() == 1


def test_an_invalid_save_keeps_the_typed_text(client_as_admin, make_claim):
    claim = make_claim()
    response = client_as_admin.post(
        change_url(claim),
        form_data(claim, lower=50, upper=10, qualifier="range", quote="Kept quote",
                  change_reason="try"),
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200
    assert "The lower bound cannot be above the upper bound." in body
    assert "Kept quote" in body
    assert claim.history.count() == 1


def test_history_page_shows_a_readable_diff(client_as_admin, make_claim):
    claim = make_claim(figure_text="100")
    client_as_admin.post(
        change_url(claim), form_data(claim, figure_text="250", change_reason="update")
    )
    response = client_as_admin.get(reverse("admin:claims_claim_history", args=[claim.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "update" in body  # the reason
    assert "figure as written" in body.lower()  # the changed field, by its label
    assert "250" in body and "100" in body


def test_history_page_names_changed_relations_in_queries_that_do_not_grow(
    client_as_admin, make_claim, world
):
    claim = make_claim()
    url = reverse("admin:claims_claim_history", args=[claim.pk])

    def read():
        with CaptureQueriesContext(connection) as queries:
            body = client_as_admin.get(url).content.decode()
        history = [q["sql"] for q in queries if 'FROM "claims_historicalclaim"' in q["sql"]]
        joins = max(sql.count(" JOIN ") for sql in history)
        return body, len(queries), joins

    client_as_admin.post(change_url(claim), form_data(claim, subject=world.beta.pk,
                                                      change_reason="wrong side"))  # fmt: skip
    _, one_change, _ = read()
    for subject, claimant in [(world.alpha, world.beta_mod), (world.beta, world.ngo)]:
        claim.refresh_from_db()
        client_as_admin.post(
            change_url(claim),
            form_data(claim, subject=subject.pk, claimant=claimant.pk, change_reason="again"),
        )
    body, three_changes, joins = read()
    assert claim.history.count() == 4
    assert "Alpha" in body and "Beta" in body and "Beta MoD" in body and "Watchers" in body
    # One query per kind of related row, however many revisions: no query per revision, and
    # no join of every related table (PostgreSQL took longer to plan it than to render).
    assert three_changes == one_change
    assert joins == 1  # the user who made each revision


def test_history_diff_shows_choice_labels_and_empty_values(client_as_admin, make_claim):
    claim = make_claim(figure_text="100")
    client_as_admin.post(
        change_url(claim),
        form_data(claim, figure_text="more than 700", lower="", best="", upper="", qualifier="",
                  change_reason="update"),
    )  # fmt: skip
    body = client_as_admin.get(
        reverse("admin:claims_claim_history", args=[claim.pk])
    ).content.decode()
    assert "more than" in body and "more_than" not in body
    assert "(empty)" in body


def test_an_old_revision_can_be_restored(client_as_admin, make_claim, admin_user):
    claim = make_claim(figure_text="100")
    first = claim.history.earliest()
    client_as_admin.post(
        change_url(claim), form_data(claim, figure_text="9999", change_reason="vandal")
    )
    claim.refresh_from_db()
    assert claim.figure_text == "9999"
    revert_url = reverse("admin:claims_claim_simple_history", args=[claim.pk, first.history_id])
    page = client_as_admin.get(revert_url)
    assert page.status_code == 200
    response = client_as_admin.post(
        revert_url,
        # The restore page carries the live row's version (the one it writes over).
        form_data(first.instance, change_reason="Revert vandalism", version=version_of(claim)),
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.figure_text, claim.lower) == ("100", 100)
    latest = claim.history.latest()
    assert (latest.history_change_reason, latest.history_user) == ("Revert vandalism", admin_user)
    assert claim.history.count() == 3


def test_a_delete_asks_why_and_refuses_without_a_reason(client_as_admin, make_claim):
    claim = make_claim()
    url = reverse("admin:claims_claim_delete", args=[claim.pk])
    assert 'name="change_reason"' in client_as_admin.get(url).content.decode()
    client_as_admin.post(url, {"post": "yes"})
    assert Claim.objects.filter(pk=claim.pk).exists()


@pytest.mark.template_context
def test_a_deleted_claim_can_be_found_and_restored(client_as_admin, make_claim, admin_user):
    claim = make_claim(figure_text="more than 700", quote="By 30 September…")
    pk, external_id = claim.pk, claim.external_id
    response = client_as_admin.post(
        reverse("admin:claims_claim_delete", args=[pk]),
        {"post": "yes", "change_reason": "duplicate"},
    )
    assert response.status_code == 302
    assert not Claim.objects.filter(pk=pk).exists()
    deleted_row = Claim.history.get(id=pk, history_type="-")
    assert (deleted_row.history_user, deleted_row.history_change_reason) == (
        admin_user,
        "duplicate",
    )
    # The citation went with it, and its history says why too.
    assert ClaimSource.history.filter(history_type="-").get().history_change_reason == "duplicate"

    listing = client_as_admin.get(reverse("admin:claims_claim_deleted"))
    restore_url = reverse("admin:claims_claim_simple_history", args=[pk, deleted_row.history_id])
    assert restore_url in listing.content.decode()
    restored = client_as_admin.post(
        restore_url, form_data(deleted_row.instance, change_reason="not a duplicate after all")
    )
    assert restored.status_code == 302
    back = Claim.objects.get(pk=pk)
    assert (back.external_id, back.figure_text, back.quote) == (
        external_id,
        "more than 700",
        "By 30 September…",
    )
    assert back.history.latest().history_change_reason == "not a duplicate after all"
    assert not client_as_admin.get(reverse("admin:claims_claim_deleted")).context["entries"]


def test_bulk_delete_needs_a_reason(client_as_admin, make_claim):
    claims = [make_claim(), make_claim()]
    data = {"action": "delete_selected_with_reason", "_selected_action": selected(*claims)}
    client_as_admin.post(reverse("admin:claims_claim_changelist"), {**data, "post": "yes"})
    assert Claim.objects.count() == 2
    client_as_admin.post(
        reverse("admin:claims_claim_changelist"), {**data, "post": "yes", "change_reason": "spam"}
    )
    assert Claim.objects.count() == 0
    assert list(
        Claim.history.filter(history_type="-").values_list("history_change_reason", flat=True)
    ) == ["spam", "spam"]


def changelist_queries(client, n_claims, make_claim):
    for i in range(n_claims):
        make_claim(figure_text=str(i + 1), as_of=datetime.date(2020, 10, 1 + i % 28))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:claims_claim_changelist"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_changelist_query_count_does_not_grow(
    client_as_admin, make_claim, django_assert_num_queries
):
    few = changelist_queries(client_as_admin, 2, make_claim)
    many = changelist_queries(client_as_admin, 30, make_claim)
    assert few == many
    # 1 session, 2 user, 3 conflicts (filter), 4-6 claimants, parties, categories used by
    # claims (related-only filters), 7 count of the filtered list, 8 count of all claims,
    # 9 the page of claims with claimant, subject and category joined in.
    with django_assert_num_queries(9):
        client_as_admin.get(reverse("admin:claims_claim_changelist"))


@pytest.mark.parametrize("status", ["draft", "published"])
def test_a_change_page_reads_its_object_once_and_offers_its_steps(
    client_as_admin, make_claim, world, status
):
    """The step buttons (a claim's) and "add a claim from this source" (a source's) come from
    the object Django's change view read, not from a second read of it."""
    claim = make_claim(status=status)
    pages = [
        (change_url(claim), '"claims_claim"', "/transition/"),
        (reverse("admin:claims_source_change", args=[world.source.pk]), '"claims_source"',
         f"?source={world.source.pk}"),
    ]  # fmt: skip
    for url, table, link in pages:
        with CaptureQueriesContext(connection) as queries:
            html = client_as_admin.get(url).content.decode()
        reads = [q["sql"] for q in queries if f"FROM {table} " in q["sql"]
                 and f'{table}."id" = ' in q["sql"]]  # fmt: skip
        assert len(reads) == 1, reads
        assert link in html, url
    steps = {"draft": ["submit"], "published": ["retract"]}[status]
    for name in steps:
        assert reverse("admin:claims_claim_transition", args=[claim.pk, name]) in (
            client_as_admin.get(change_url(claim)).content.decode()
        )
