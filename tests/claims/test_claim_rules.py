"""One home for a claim's rules: the same bad claim, typed in the admin, imported from a file or
given to the service, is refused with the same message on the same field (and, in a file, the
same row), and nothing is written."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.figures import read_words
from claims.importing import import_file
from claims.models import Claim, ClaimSource, claim_errors
from claims.resources import CLAIM_COLUMNS
from claims.services import claim_create

pytestmark = pytest.mark.django_db

OCT_1, OCT_5 = datetime.date(2020, 10, 1), datetime.date(2020, 10, 5)

# (what makes the claim bad, the field refused, the message), as ``claim_errors`` says it.
BAD = [
    pytest.param(
        {"lower": 50, "upper": 10, "qualifier": "range"},
        "lower",
        "The lower bound cannot be above the upper bound.",
        id="lower-above-upper",
    ),
    pytest.param(
        {"lower": 10, "best": 50, "upper": 20, "qualifier": "range"},
        "best",
        "The best value 50 is not within the bounds.",
        id="best-outside-bounds",
    ),
    pytest.param(
        {"lower": 10, "upper": 20, "qualifier": "unreadable"},
        "qualifier",
        "Bounds are given: choose what they mean (exact, at least, …), not “not a number”.",
        id="bounds-marked-not-a-number",
    ),
    pytest.param(
        {"scope": "period", "as_of": None},
        "period_start",
        "A period claim needs a start date.",
        id="period-without-dates",
    ),
    pytest.param(
        {"scope": "period", "as_of": None, "period_start": OCT_5, "period_end": OCT_1},
        "period_end",
        "The period ends before it starts.",
        id="period-ends-before-it-starts",
    ),
    pytest.param(
        {"scope": "period", "period_start": OCT_1, "period_end": OCT_5},
        "as_of",
        "A period claim has no “as of” date; use the period.",
        id="period-with-as-of",
    ),
    pytest.param(
        {"period_start": OCT_1, "period_end": OCT_5},
        "period_start",
        "A cumulative claim has no period; use the “as of” date.",
        id="cumulative-with-period",
    ),
    pytest.param(
        {"claimant": "beta-mod", "accepted": True},
        "acceptance_reason",
        "Accepting an adversary claim needs a written reason.",
        id="accepted-without-reason",
    ),
    pytest.param(
        {"accepted": True, "acceptance_reason": "checked"},
        "accepted",
        "Only adversary claims need accepting; this one already counts.",
        id="accepting-a-self-report",
    ),
]


def bad_claim(world, bad: dict) -> dict:
    """The claim's fields as model values: a good claim, made bad by ``bad``."""
    claimants = {"alpha-mod": world.alpha_mod, "beta-mod": world.beta_mod}
    fields = {
        "external_id": "c-bad", "conflict": world.conflict, "claimant": world.alpha_mod,
        "subject": world.alpha, "category": world.killed, "figure_text": "100", "lower": None,
        "best": None, "upper": None, "qualifier": "", "scope": "cumulative", "as_of": OCT_1,
        "period_start": None, "period_end": None, "accepted": False, "acceptance_reason": "",
        "quote": "The words the editor typed",
    }  # fmt: skip
    fields.update(bad)
    if isinstance(fields["claimant"], str):
        fields["claimant"] = claimants[fields["claimant"]]
    return fields


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return getattr(value, "slug", str(value))


def nothing_written():
    return not Claim.objects.exists() and not Claim.history.exists()


def through_the_admin(client, fields) -> dict[str, list[str]]:
    data = {
        name: (value.pk if hasattr(value, "pk") else cell(value))
        for name, value in fields.items()
        if name != "accepted"
    }
    if fields["accepted"]:
        data["accepted"] = "on"
    data.update({
        "stated_on": "", "event": "", "place": "", "assessment": "not_assessed",
        "assessment_note": "", "note": "", "change_reason": "entered from the report",
        "citations-TOTAL_FORMS": "0", "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0", "citations-MAX_NUM_FORMS": "1000",
    })  # fmt: skip
    response = client.post(reverse("admin:claims_claim_add"), data)
    assert response.status_code == 200, "the admin saved a bad claim"
    # The form comes back with the editor's text in it.
    assert "The words the editor typed" in response.content.decode()
    return response.context["adminform"].form.errors


def through_the_import(user, fields):
    headers = [c.name for c in CLAIM_COLUMNS]
    row = dict.fromkeys(headers, "")
    row.update({name: cell(value) for name, value in fields.items() if name in row})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers, lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    result = import_file(
        io.BytesIO(out.getvalue().encode()), "claims.csv", kind="claims", user=user
    )
    assert not result.written
    return result.errors


def through_the_service(fields) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        claim_create(user=None, reason="entered from the report", **fields)
    return refused.value.message_dict


@pytest.mark.template_context
@pytest.mark.parametrize(("bad", "field", "message"), BAD)
def test_the_admin_refuses_it_on_the_field(client, admin_user, world, bad, field, message):
    client.force_login(admin_user)
    errors = through_the_admin(client, bad_claim(world, bad))
    assert message in errors.get(field, []), errors
    assert nothing_written()


@pytest.mark.parametrize(("bad", "field", "message"), BAD)
def test_the_import_refuses_it_on_the_row_and_column(admin_user, world, bad, field, message):
    errors = through_the_import(admin_user, bad_claim(world, bad))
    assert (2, field, message) in [(e.row, e.column, e.message) for e in errors], errors
    assert nothing_written()


@pytest.mark.parametrize(("bad", "field", "message"), BAD)
def test_the_service_refuses_it_on_the_field(world, bad, field, message):
    errors = through_the_service(bad_claim(world, bad))
    assert message in errors.get(field, []), errors
    assert nothing_written()


@pytest.mark.template_context
@pytest.mark.parametrize(("bad", "field", "message"), BAD)
def test_the_three_paths_say_the_same(client, admin_user, world, bad, field, message):
    """Each path's complete verdict on the claim: the same fields, the same messages."""
    fields = bad_claim(world, bad)
    client.force_login(admin_user)
    admin = {f: sorted(m) for f, m in through_the_admin(client, fields).items()}
    imported: dict[str, list[str]] = {}
    for error in through_the_import(admin_user, fields):
        imported.setdefault(error.column, []).append(error.message)
    service = through_the_service(fields)
    assert (
        admin
        == {f: sorted(m) for f, m in imported.items()}
        == {f: sorted(m) for f, m in service.items()}
    )


# --- reading the words: one rule, three callers ------------------------------------------


def test_unreadable_words_are_kept_by_the_admin_and_refused_by_an_import(client, admin_user, world):
    """The same rule reads the words; only what to do with a complaint differs: the admin
    keeps the words with a warning (an editor reads it), a file's row is refused."""
    fields = bad_claim(world, {"figure_text": "a great many"})
    errors = through_the_import(admin_user, fields)
    assert [(e.row, e.column) for e in errors] == [(2, "figure_text")]
    assert errors[0].message.startswith("Could not read a number")
    client.force_login(admin_user)
    data = {n: (v.pk if hasattr(v, "pk") else cell(v)) for n, v in fields.items()}
    del data["accepted"]
    data.update({
        "assessment": "not_assessed", "change_reason": "as written",
        "citations-TOTAL_FORMS": "0", "citations-INITIAL_FORMS": "0",
    })  # fmt: skip
    response = client.post(reverse("admin:claims_claim_add"), data, follow=True)
    assert "Could not read a number" in response.content.decode()
    kept = Claim.objects.get()
    assert (kept.figure_text, kept.lower, kept.upper, kept.qualifier) == (
        "a great many", None, None, "unreadable",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("before", "change", "after"),
    [
        # New words, figure fields untouched: the words are read.
        ({"figure_text": "100"}, {"figure_text": "300 to 400"}, (300, None, 400, "range")),
        # New words with bounds typed: the typed bounds win (and the best they still allow).
        (
            {"figure_text": "around 26"},
            {"figure_text": "about 25", "lower": 20, "upper": 30, "qualifier": "range"},
            (20, 26, 30, "range"),
        ),
        # Bounds typed that leave the best out: the best goes.
        ({"figure_text": "about 100"}, {"lower": 200, "upper": 300}, (200, None, 300, "about")),
        # Bounds typed, best left: a best they still allow stays.
        ({"figure_text": "about 100"}, {"lower": 95, "upper": 120}, (95, 100, 120, "about")),
        # Bounds and qualifier cleared: read again.
        (
            {"figure_text": "more than 700"},
            {"lower": None, "upper": None, "best": None, "qualifier": ""},
            (701, None, None, "more_than"),
        ),
        # Marked not a number with no bounds: only the words.
        (
            {"figure_text": "about 100"},
            {"lower": None, "upper": None, "qualifier": "unreadable"},
            (None, None, None, "unreadable"),
        ),
    ],
)
def test_the_words_are_read_by_what_the_write_changes(before, change, after):
    stored = {"figure_text": before["figure_text"]}
    assert read_words(stored) == ""
    values = {**stored, **change}
    read_words(values, stored)
    assert (values["lower"], values["best"], values["upper"], values["qualifier"]) == after


def test_the_admin_saves_through_the_service(client, admin_user, world, monkeypatch):
    """A claim added in the admin is written by ``claims.services.claim_create``, with the
    editor and the reason in its history, its citation too."""
    import claims.admin

    calls = []
    real = claims.admin.claim_create

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(claims.admin, "claim_create", spy)
    client.force_login(admin_user)
    fields = bad_claim(world, {"figure_text": "at least 12"})
    data = {n: (v.pk if hasattr(v, "pk") else cell(v)) for n, v in fields.items()}
    del data["accepted"]
    data.update({
        "assessment": "not_assessed", "change_reason": "entered from the report",
        "citations-TOTAL_FORMS": "1", "citations-INITIAL_FORMS": "0",
        "citations-0-source": world.source.pk, "citations-0-locator": "p. 3",
    })  # fmt: skip
    response = client.post(reverse("admin:claims_claim_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [c["reason"] for c in calls] == ["entered from the report"]
    made = Claim.objects.get()
    assert (made.lower, made.qualifier) == (12, "at_least")
    row = made.history.get()
    assert (row.history_user, row.history_change_reason) == (admin_user, "entered from the report")
    cited = ClaimSource.history.get()
    assert (cited.history_user, cited.history_change_reason) == (
        admin_user, "entered from the report",
    )  # fmt: skip


def test_an_admin_edit_saves_through_the_service(client, admin_user, make_claim, monkeypatch):
    import claims.admin
    from tests.claims.test_admin import change_url, form_data

    calls = []
    real = claims.admin.claim_update

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(claims.admin, "claim_update", spy)
    claim = make_claim(figure_text="100")
    client.force_login(admin_user)
    response = client.post(
        change_url(claim), form_data(claim, figure_text="250", change_reason="MoD update")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [(c["reason"], c["expected_version"]) for c in calls] == [("MoD update", claim.version)]
    claim.refresh_from_db()
    assert (claim.figure_text, claim.lower, claim.upper) == ("250", 250, 250)
    assert claim.history.latest().history_change_reason == "MoD update"


def test_the_admin_cites_and_drops_sources_through_the_service(
    client, admin_user, world, make_claim, monkeypatch
):
    import claims.admin
    from casualties.history import change_context
    from claims.models import Source
    from tests.claims.test_admin import change_url, form_data

    calls = []
    real = claims.admin.claim_citations_save

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(claims.admin, "claim_citations_save", spy)
    with change_context(user=None, reason="test setup"):
        other = Source.objects.create(slug="other", title="Another report")
    claim = make_claim()
    data = form_data(claim, change_reason="the other report is the right one")
    data.update({
        "citations-0-DELETE": "on", "citations-TOTAL_FORMS": "2",
        "citations-1-source": other.pk, "citations-1-locator": "p. 9",
    })  # fmt: skip
    client.force_login(admin_user)
    response = client.post(change_url(claim), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(calls) == 1
    assert list(claim.citations.values_list("source__slug", "locator")) == [("other", "p. 9")]
    rows = ClaimSource.history.filter(history_change_reason="the other report is the right one")
    assert sorted((r.history_type, r.history_user) for r in rows) == [
        ("+", admin_user), ("-", admin_user),
    ]  # fmt: skip


def test_the_parsers_qualifiers_are_the_models_choices():
    """claims.figures is a pure module with its own names for the qualifiers: they must be
    exactly the stored values of ``Claim.Qualifier``."""
    from claims import figures

    names = ["EXACT", "AT_LEAST", "MORE_THAN", "AT_MOST", "ABOUT", "RANGE", "UNREADABLE"]
    assert {getattr(figures, n) for n in names} == set(Claim.Qualifier.values)
    assert all(getattr(figures, n) == Claim.Qualifier[n] for n in names)


CHECKS = [c for c in Claim._meta.constraints if isinstance(c, models.CheckConstraint)]
BOUND = st.none() | st.integers(0, 12)
DAY = st.none() | st.sampled_from([OCT_1, OCT_5])


@st.composite
def drawn_claims(draw):
    """Claim values, a good share of them keeping every rule: the database's checks are put
    to claims the rules pass as well as to ones they refuse."""
    scope = draw(st.sampled_from(Claim.Scope.values))
    if draw(st.booleans()):  # the dates its scope asks for
        as_of, start, end = (
            (draw(DAY), None, None) if scope == "cumulative" else (None, draw(DAY), draw(DAY))
        )
    else:
        as_of, start, end = draw(DAY), draw(DAY), draw(DAY)
    return {
        "figure_text": draw(st.sampled_from(["7", "at least 5", "about 40", "  ", ""])),
        "lower": draw(BOUND), "upper": draw(BOUND), "best": draw(BOUND),
        "qualifier": draw(st.sampled_from([*Claim.Qualifier.values, ""])),
        "scope": scope, "as_of": as_of, "period_start": start, "period_end": end,
        "accepted": draw(st.booleans()),
        "acceptance_reason": draw(st.sampled_from(["Their own register names them.", "  ", ""])),
    }  # fmt: skip


@settings(max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=drawn_claims())
def test_the_databases_checks_are_a_backstop_of_the_rules(values):
    """Model validation leaves a claim's check constraints to ``claim_errors`` (``clean()``)
    and does not ask the database (``Claim.get_constraints``): that is right only if every
    claim the database would refuse, the rules refuse too. Each drawn claim is put to the
    database by Django's own check, one constraint at a time."""
    claim = Claim(**values)
    refused = []
    for constraint in CHECKS:
        try:
            constraint.validate(Claim, claim)
        except ValidationError:
            refused.append(constraint.name)
    if refused:
        assert claim_errors(values, relation=None), (refused, values)


def test_saving_a_claim_asks_the_database_no_check_it_has_already_made(world):
    """The unique constraints are still asked (a taken identifier is refused on its field),
    the check constraints are not: no query of their own, and no savepoint for them."""
    claim = Claim(
        conflict=world.conflict, claimant=world.ngo, subject=world.alpha, category=world.killed,
        external_id="taken", figure_text="4", lower=4, upper=4, qualifier="exact", as_of=OCT_1,
        stated_on=OCT_1,
    )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        claim.full_clean()
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if "_check" in q or "SAVEPOINT" in q], sql
    assert any("external_id" in q for q in sql)  # the unique identifier, still asked
    assert len(sql) == 5, sql  # four related rows exist, the identifier is free
