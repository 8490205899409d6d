"""The fast import: validation of every row, nothing written on any error, full history."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casualties.models import CasualtyRecord
from claims.importing import import_file
from claims.models import Claim, ClaimSource
from claims.resources import CLAIM_COLUMNS, RECORD_COLUMNS

HEADERS = [c.name for c in CLAIM_COLUMNS]
REASON = "Imported by boss from “claims.csv” (admin)"


def claim(**over):
    row = dict.fromkeys(HEADERS, "")
    row.update(
        external_id="c-one", conflict="test-war", claimant="alpha-mod", subject="alpha",
        category="military-killed", figure_text="more than 700", scope="cumulative",
        as_of="2020-10-01", status="published", sources="report (p. 3)",
    )  # fmt: skip
    row.update(over)
    return row


def csv_bytes(rows, headers=HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def run(data: bytes, user, name="claims.csv", kind="claims", dry_run=False):
    return import_file(io.BytesIO(data), name, kind=kind, user=user, dry_run=dry_run)


def counts():
    return (
        Claim.objects.count(),
        Claim.history.count(),
        ClaimSource.objects.count(),
        ClaimSource.history.count(),
    )


@pytest.fixture
def many_rows():
    def make(n, **over):
        return [claim(external_id=f"c-{i}", figure_text=f"{i + 1}", **over) for i in range(n)]

    return make


def test_new_claims_are_written_with_history_and_sources(world, admin_user):
    result = run(
        csv_bytes([claim(), claim(external_id="c-two", figure_text="300 to 400")]), admin_user
    )
    assert result.ok, result.errors
    assert (result.new, result.changed, result.unchanged) == (2, 0, 0)
    one = Claim.objects.get(external_id="c-one")
    assert (one.lower, one.upper, one.qualifier) == (701, None, "more_than")
    assert one.claimant == world.alpha_mod and one.status == "published"
    assert list(one.citations.values_list("source__slug", "locator")) == [("report", "p. 3")]
    history = one.history.get()
    assert (history.history_type, history.history_user, history.history_change_reason) == (
        "+", admin_user, REASON,
    )  # fmt: skip
    assert history.lower == 701 and history.figure_text == "more than 700"
    cited = ClaimSource.history.get(claim_id=one.pk)
    assert (cited.history_type, cited.history_change_reason) == ("+", REASON)


def test_reimporting_the_same_file_writes_nothing(world, admin_user):
    data = csv_bytes([claim(), claim(external_id="c-two")])
    assert run(data, admin_user).ok
    before = counts()
    result = run(data, admin_user)
    assert (result.new, result.changed, result.unchanged) == (0, 0, 2)
    assert counts() == before


def test_changed_rows_get_a_change_history_row(world, admin_user):
    assert run(csv_bytes([claim(), claim(external_id="c-two")]), admin_user).ok
    result = run(
        csv_bytes([claim(figure_text="about 800"), claim(external_id="c-two")]), admin_user
    )
    assert (result.new, result.changed, result.unchanged) == (0, 1, 1)
    one = Claim.objects.get(external_id="c-one")
    assert (one.lower, one.best, one.upper, one.qualifier) == (720, 800, 880, "about")
    latest = one.history.first()
    assert (latest.history_type, latest.history_user, latest.figure_text) == (
        "~",
        admin_user,
        "about 800",
    )
    assert Claim.history.filter(external_id="c-two").count() == 1


def test_changed_sources_write_citation_history(world, admin_user, make_claim):
    from casualties.history import change_context
    from claims.models import Source

    with change_context(user=None, reason="setup"):
        Source.objects.create(slug="other", title="Other", url="https://example.org/o")
    assert run(csv_bytes([claim()]), admin_user).ok
    result = run(csv_bytes([claim(sources="other; report (p. 4)")]), admin_user)
    assert (result.changed, result.unchanged) == (1, 0)
    one = Claim.objects.get(external_id="c-one")
    assert sorted(one.citations.values_list("source__slug", "locator")) == [
        ("other", ""),
        ("report", "p. 4"),
    ]
    assert sorted(
        ClaimSource.history.filter(claim_id=one.pk).values_list("history_type", flat=True)
    ) == ["+", "+", "~"]
    result = run(csv_bytes([claim(sources="other")]), admin_user)
    assert list(one.citations.values_list("source__slug", flat=True)) == ["other"]
    assert ClaimSource.history.filter(claim_id=one.pk, history_type="-").count() == 1


@pytest.mark.parametrize(
    ("over", "column", "message"),
    [
        ({"claimant": "nobody"}, "claimant", "unknown claimant “nobody”"),
        ({"subject": "nowhere"}, "subject", "unknown party “nowhere”"),
        ({"category": "tanks"}, "category", "unknown category “tanks”"),
        ({"sources": "missing-src"}, "sources", "unknown source “missing-src”"),
        ({"figure_text": "a great many"}, "figure_text", "Could not read a number"),
        ({"as_of": "10/01/2020"}, "as_of", "is not a date written YYYY-MM-DD"),
        ({"as_of": "2020-02-30"}, "as_of", "is not a date written YYYY-MM-DD"),
        ({"status": "live"}, "status", "is not one of"),
        ({"lower": "-5", "qualifier": "exact"}, "lower", "is not a whole number"),
        (
            {"lower": "9", "upper": "5", "qualifier": "range"},
            "lower",
            "cannot be above the upper bound",
        ),
        ({"scope": "period"}, "period_start", "needs a start date"),
        ({"external_id": "has space"}, "external_id", "is not an id"),
        ({"accepted": "true"}, "acceptance_reason", "needs a written reason"),
    ],
)
def test_a_bad_row_is_reported_and_nothing_is_written(world, admin_user, over, column, message):
    before = counts()
    result = run(csv_bytes([claim(external_id="c-good"), claim(**over)]), admin_user)
    assert not result.written
    assert {e.row for e in result.errors} == {3}
    found = [e.message for e in result.errors if e.column == column]
    assert found and message in found[0], result.errors
    assert counts() == before


def test_an_unreadable_figure_can_be_kept_as_words(world, admin_user):
    result = run(csv_bytes([claim(figure_text="a great many", qualifier="unreadable")]), admin_user)
    assert result.ok
    one = Claim.objects.get()
    assert (one.figure_text, one.lower, one.upper, one.qualifier) == (
        "a great many",
        None,
        None,
        "unreadable",
    )


def test_duplicate_ids_in_one_file(world, admin_user):
    before = counts()
    result = run(csv_bytes([claim(), claim(figure_text="5")]), admin_user)
    assert [(e.row, e.column) for e in result.errors] == [(3, "external_id")]
    assert "more than once" in result.errors[0].message
    assert counts() == before


def test_errors_in_later_chunks_undo_earlier_chunks(world, admin_user, many_rows, monkeypatch):
    monkeypatch.setattr("claims.importing.CHUNK", 10)
    rows = many_rows(35)
    rows[-1]["claimant"] = "nobody"
    before = counts()
    result = run(csv_bytes(rows), admin_user)
    assert [e.row for e in result.errors] == [36]
    assert counts() == before


def test_every_error_is_listed(world, admin_user, many_rows):
    rows = many_rows(5)
    rows[1]["claimant"] = "x"
    rows[3]["as_of"] = "yesterday"
    rows[3]["category"] = "y"
    result = run(csv_bytes(rows), admin_user)
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "claimant"),
        (5, "category"),
        (5, "as_of"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"external_id,conflict\nc-1,test-war\n", "missing column(s): claimant"),
        (
            "external_id,conflict,claimant,subject,category,figure_text\nc-1,test-war,alpha-mod,alpha,military-killed,Сто\n".encode(
                "cp1251"
            ),
            "Windows-1251",
        ),
        (b"\x00\x01\x02binary" * 20, "binary data"),
    ],
)
def test_bad_files_change_nothing(world, admin_user, data, message):
    before = counts()
    result = run(data, admin_user)
    assert message in result.errors[0].message
    assert counts() == before


def test_row_limit(world, admin_user, many_rows, settings):
    settings.IMPORT_MAX_ROWS = 4
    before = counts()
    result = run(csv_bytes(many_rows(5)), admin_user)
    assert "more than 4 rows" in result.errors[0].message
    assert counts() == before


def test_names_in_any_script_and_formula_cells_survive(world, admin_user):
    quote = "=Ստեփանակերտ «Xankəndi» Степанакерт"
    result = run(csv_bytes([claim(quote="'" + quote)]).decode().encode("utf-16"), admin_user)
    assert result.ok
    assert Claim.objects.get().quote == quote


def test_dry_run_writes_nothing_and_counts_rows(world, admin_user):
    assert run(csv_bytes([claim()]), admin_user).ok
    before = counts()
    result = run(
        csv_bytes([claim(figure_text="5"), claim(external_id="c-new")]), admin_user, dry_run=True
    )
    assert (result.new, result.changed, result.unchanged, result.written) == (1, 1, 0, False)
    assert (
        result.samples["changed"][0]["changed"] == ["lower", "upper", "figure_text", "qualifier"]
        or result.samples["changed"][0]["changed"]
    )
    assert counts() == before


@pytest.mark.parametrize("n", [50, 500])
def test_query_count_does_not_grow_with_rows(world, admin_user, many_rows, n):
    with CaptureQueriesContext(connection) as ctx:
        assert run(csv_bytes(many_rows(n)), admin_user).ok
    # 9 lookups (conflict, claimant, party, category, event, place and source slugs; claimant
    # parties, party sides), savepoint, existing rows, claim ids, claims, claim history,
    # the conflicts and categories written and those their figures were under (two), citation
    # ids, citations, citation history, one note for the stored figures (casualties.changes),
    # release: the same for 50 rows and 500.
    # On PostgreSQL the two COPYs go through the raw cursor, so 16 are counted here.
    assert len(ctx.captured_queries) == QUERIES[connection.vendor]
    assert Claim.history.filter(history_type="+").count() == n


QUERIES = {"sqlite": 21, "postgresql": 19}


def test_records_import_with_sources_history(world, admin_user):
    headers = [c.name for c in RECORD_COLUMNS]
    row = dict.fromkeys(headers, "")
    row.update(external_id="r-1", conflict="test-war", name="Արամ Պետրոսյան", role="serviceman",
               party="alpha", outcome="killed", date="2020-10-02", sources="report")  # fmt: skip
    assert run(csv_bytes([row], headers), admin_user, "r.csv", "records").ok
    record = CasualtyRecord.objects.get()
    assert record.name == "Արամ Պետրոսյան"
    assert list(record.sources.values_list("slug", flat=True)) == ["report"]
    entry = record.history.get()
    assert entry.history_change_reason == "Imported by boss from “r.csv” (admin)"
    assert [s.source.slug for s in entry.sources.all()] == ["report"]
    before = CasualtyRecord.history.count()
    assert run(csv_bytes([row], headers), admin_user, "r.csv", "records").unchanged == 1
    assert CasualtyRecord.history.count() == before
    row["sources"] = ""
    assert run(csv_bytes([row], headers), admin_user, "r.csv", "records").changed == 1
    assert not record.sources.exists()
    assert list(record.history.first().sources.all()) == []


def test_a_row_changed_since_export_is_refused(world, admin_user):
    assert run(csv_bytes([claim()]), admin_user).ok
    exported = Claim.objects.get().version
    assert run(csv_bytes([claim(figure_text="800")]), admin_user).changed == 1
    now = Claim.objects.get().version
    assert now > exported
    before = counts()
    result = run(csv_bytes([claim(figure_text="900", version=str(exported))]), admin_user)
    assert [(e.row, e.column) for e in result.errors] == [(2, "version")]
    assert "changed since you exported it" in result.errors[0].message
    assert counts() == before
    assert run(csv_bytes([claim(figure_text="900", version=str(now))]), admin_user).ok
    assert Claim.objects.get().figure_text == "900"
    assert Claim.objects.get().history.first().version == Claim.objects.get().version


def test_an_imported_row_can_then_be_saved_from_the_admin_form(world, admin_user):
    """The version the import writes is the one django-concurrency checks on the next save."""
    from casualties.history import save_with_history

    assert run(csv_bytes([claim()]), admin_user).ok
    one = Claim.objects.get()
    one.quote = "edited"
    save_with_history(one, user=admin_user, reason="edit after import")
    assert Claim.objects.get().version > 0 and Claim.objects.get().quote == "edited"


@pytest.mark.parametrize(("status", "who", "ok"), [
    ("published", "editor", False), ("in_review", "editor", False), ("draft", "editor", True),
    ("published", "reviewer", True),
])  # fmt: skip
def test_an_editors_file_changes_draft_records_only(world, request, status, who, ok):
    """As in the admin: a record past draft changes only through a reviewer, so an editor's
    file cannot rewrite a published name."""
    from casualties.services import record_create

    record_create(
        user=None, reason="setup", conflict=world.conflict, external_id="r-1", name="Aram",
        role="serviceman", party=world.alpha, outcome="killed", status=status,
    )  # fmt: skip
    headers = [c.name for c in RECORD_COLUMNS]
    row = dict.fromkeys(headers, "")
    row.update(external_id="r-1", conflict="test-war", name="Aram Petrosyan", role="serviceman",
               party="alpha", outcome="killed")  # fmt: skip
    user = request.getfixturevalue(who)
    result = run(csv_bytes([row], headers), user, "r.csv", "records")
    assert result.ok is ok
    assert CasualtyRecord.objects.get().name == ("Aram Petrosyan" if ok else "Aram")
    if not ok:
        assert [(e.row, e.column) for e in result.errors] == [(2, "external_id")]
        assert "only a reviewer may change it" in result.errors[0].message


@pytest.mark.django_db
def test_a_file_separated_by_semicolons_imports_as_its_comma_twin(world, admin_user):
    """Excel's "CSV" in locales whose decimal mark is a comma separates cells with semicolons;
    such a file imports as the same file with commas would (a comma stays inside its cell)."""
    row = claim(figure_text="3,825", quote="Killed; wounded, missing", as_of="2020-11-10")
    semicolons = csv_bytes([row]).decode().replace(",", ";").replace('"3;825"', "3,825")
    semicolons = semicolons.replace('"Killed; wounded; missing"', '"Killed; wounded, missing"')
    result = run(("\ufeff" + semicolons).encode(), admin_user)
    assert result.ok, [str(e) for e in result.errors]
    assert result.note == "read as separated by semicolons"
    imported = Claim.objects.get()
    assert (imported.figure_text, imported.lower) == ("3,825", 3825)
    assert imported.quote == "Killed; wounded, missing"


def test_the_same_edited_file_imported_again_changes_nothing(world, admin_user):
    """Found with outside data: an exported file, edited and imported, was refused the second
    time ("changed since you exported it"): its version is stale, but it overwrites nothing."""
    assert run(csv_bytes([claim()]), admin_user).ok
    exported = str(Claim.objects.get().version)
    edited = csv_bytes([claim(figure_text="800", version=exported)])
    assert run(edited, admin_user).changed == 1
    before = counts()
    again = run(edited, admin_user)
    assert again.ok, [str(e) for e in again.errors]
    assert (again.new, again.changed, again.unchanged) == (0, 0, 1)
    assert counts() == before
