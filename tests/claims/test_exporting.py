"""claims.exporting: the columns, the formats, formula escaping, scripts and query counts; the
admin export of the current filter; the export_claims / export_records commands."""

import csv
import datetime
import io
import json

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.escape import unescape

from casualties.history import change_context
from casualties.models import CasualtyRecord, Place
from claims import exporting
from claims.models import Claim, ClaimSource, Source
from claims.resources import CLAIM_COLUMNS
from claims.tabular import escape_formula, read_table, unescape_formula

SETUP = "test setup"
D = datetime.date

# Every trigger a spreadsheet runs as a formula, and the already-escaped look-alike.
FORMULAS = ['=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)", "\tTAB", "\r=CR", "'=quoted"]
NAMES = ["Ստեփանակերտ", "Xankəndi", "Степанакерт", "Şuşa / Շուշի"]


def parse(fmt: str, content: bytes) -> list[dict]:
    """An export file back into a list of {column: value}, as a reader sees it."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    if fmt == "json":
        return json.loads(content.decode("utf-8"))
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    header, *body = list(sheet.iter_rows(values_only=True))
    # A row ends at its last non-empty cell; empty cells read as None; control characters
    # are written _xHHHH_ (OOXML) and read back with openpyxl's unescape.
    return [
        {
            name: unescape(value) if isinstance(value, str) else value
            for name, value in zip(header, [*row, *[None] * (len(header) - len(row))], strict=True)
        }
        for row in body
    ]


def export(name: str, queryset, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    exporting.write_export(exporting.table(name), queryset, fmt, out, **kwargs)
    return out.getvalue()


def xlsx_cells(content: bytes) -> list:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row]


@pytest.fixture
def records(world):
    """Named records in Armenian, Azerbaijani and Cyrillic script, and one full of formulas."""
    with change_context(user=None, reason=SETUP):
        place = Place.objects.create(slug="stepanakert", name="Stepanakert / Khankendi")
        made = [
            CasualtyRecord.objects.create(
                conflict=world.conflict,
                external_id=f"r-{i}",
                name=name,
                role="civilian",
                party=world.alpha,
                outcome="killed",
                date=D(2020, 10, 2),
                place=place,
            )  # fmt: skip
            for i, name in enumerate(NAMES)
        ]
        made.append(
            CasualtyRecord.objects.create(
                conflict=world.conflict,
                external_id="r-formula",
                name=FORMULAS[0],
                name_transliterated=FORMULAS[1],
                rank=FORMULAS[2],
                description=FORMULAS[3],
                role="fighter",
                party=world.beta,
                outcome="missing",
            )  # fmt: skip
        )
        made[0].sources.set([world.source])
    return made


class TestEscaping:
    @given(st.text())
    def test_unescape_undoes_escape_for_every_text(self, text):
        assert unescape_formula(escape_formula(text)) == text

    @given(st.text())
    def test_an_escaped_cell_never_starts_with_a_trigger(self, text):
        assert not escape_formula(text).startswith(tuple("=+-@\t\r"))

    def test_it_escapes_each_trigger_and_leaves_other_text(self):
        assert [escape_formula(v) for v in [*FORMULAS, "ok", "'quoted", "", *NAMES]] == [
            "'=HYPERLINK(\"http://x\")", "'+1+2", "'-3", "'@SUM(A1)", "'\tTAB", "'\r=CR",
            "''=quoted", "ok", "'quoted", "", *NAMES,
        ]  # fmt: skip


class TestFormats:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
    def test_formula_cells_are_neutralised(self, records, fmt):
        rows = parse(fmt, export("records", CasualtyRecord.objects.all(), fmt))
        row = next(r for r in rows if r["external_id"] == "r-formula")
        assert [row[c] for c in ("name", "name_transliterated", "rank", "description")] == [
            "'" + v for v in FORMULAS[:4]
        ]

    def test_xlsx_holds_no_formula_cell(self, records):
        cells = xlsx_cells(export("records", CasualtyRecord.objects.all(), "xlsx"))
        assert cells and all(cell.data_type != "f" for cell in cells)

    def test_xlsx_dates_are_date_cells(self, make_claim):
        """A date is a date cell (ISO number format), not text; empty dates stay empty."""
        make_claim(as_of=D(2020, 10, 1), stated_on=D(2020, 10, 3))
        sheet = openpyxl.load_workbook(
            io.BytesIO(export("claims", Claim.objects.all(), "xlsx"))
        ).active
        header = [c.value for c in sheet[1]]
        row = dict(zip(header, sheet[2], strict=False))
        assert isinstance(row["as_of"].value, datetime.datetime)  # openpyxl reads a datetime
        assert row["as_of"].value.date() == D(2020, 10, 1)
        assert row["stated_on"].is_date and row["stated_on"].number_format == "yyyy-mm-dd"
        assert row["period_start"].value is None

    def test_xlsx_dates_import_back_as_dates(self, make_claim):
        make_claim(as_of=D(2020, 10, 1))
        content = export("claims", Claim.objects.all(), "xlsx")
        table = read_table(io.BytesIO(content), "claims.xlsx", CLAIM_COLUMNS)
        ((_number, row),) = list(table.rows())
        assert row["as_of"] == "2020-10-01" and row["period_start"] == ""

    @pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
    def test_every_formula_trigger_in_a_claim_is_escaped(self, make_claim, fmt):
        claim = make_claim(quote=FORMULAS[4], note=FORMULAS[5], assessment_note=FORMULAS[6])
        ClaimSource.objects.filter(claim=claim).update(locator="=1")  # no history: test setup
        (row,) = parse(fmt, export("claims", Claim.objects.all(), fmt))
        assert (row["quote"], row["note"], row["assessment_note"]) == (
            "'\tTAB", "'\r=CR", "''=quoted",
        )  # fmt: skip
        assert row["sources"] == "report (=1)"  # not at the start of the cell

    @pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
    def test_names_in_every_script_are_unchanged(self, records, fmt):
        rows = parse(fmt, export("records", CasualtyRecord.objects.all(), fmt))
        assert sorted(r["name"] for r in rows if r["external_id"] != "r-formula") == sorted(NAMES)

    def test_csv_is_utf8_and_json_keeps_the_script(self, records):
        assert "Ստեփանակերտ".encode() in export("records", CasualtyRecord.objects.all(), "csv")
        assert "Xankəndi".encode() in export("records", CasualtyRecord.objects.all(), "json")

    def test_claim_columns_are_slugs_dates_and_sources(self, world, make_claim):
        make_claim(figure_text="more than 700", quote="Ստեփանակերտ")
        (row,) = parse("json", export("claims", Claim.objects.all(), "json"))
        assert row == {
            "external_id": row["external_id"], "conflict": "test-war", "claimant": "alpha-mod",
            "subject": "alpha", "category": "military-killed", "figure_text": "more than 700",
            "lower": 701, "best": None, "upper": None, "qualifier": "more_than",
            "scope": "cumulative",
            "as_of": "2020-10-01", "period_start": None, "period_end": None,
            "stated_on": "2020-10-01", "event": None, "place": None, "quote": "Ստեփանակերտ",
            "status": "published", "assessment": "not_assessed", "assessment_note": "",
            "accepted": False, "acceptance_reason": "", "note": "", "sources": "report",
            "version": Claim.objects.get().version,
        }  # fmt: skip

    def test_record_sources_and_blank_links(self, records):
        rows = {r["external_id"]: r for r in parse("csv", export("records", CasualtyRecord.objects.all(), "csv"))}  # fmt: skip
        assert rows["r-0"]["sources"] == "report"
        assert rows["r-0"]["place"] == "stepanakert"
        assert rows["r-formula"]["sources"] == rows["r-formula"]["place"] == ""

    def test_public_export_leaves_out_the_editors_note(self, make_claim):
        make_claim(note="internal")
        (row,) = parse("csv", export("claims", Claim.objects.all(), "csv", public=True))
        assert "note" not in row and "version" not in row and "quote" in row

    def test_sources_of_rows_left_out_by_the_filter_are_skipped(self, world, make_claim):
        """The merge of the two streams pairs each claim with its own sources only."""
        with change_context(user=None, reason=SETUP):
            other = Source.objects.create(slug="other", title="Other")
        claims = [make_claim() for _ in range(4)]
        with change_context(user=None, reason=SETUP):
            ClaimSource.objects.create(claim=claims[1], source=other, locator="p. 2")
            claims[2].status = "draft"
            claims[2].save()
        rows = parse("csv", export("claims", Claim.objects.published(), "csv"))
        assert [r["external_id"] for r in rows] == [
            c.external_id for c in claims if c is not claims[2]
        ]
        assert [r["sources"] for r in rows] == ["report", "report; other (p. 2)", "report"]


class TestQueries:
    @pytest.mark.parametrize("count", [5, 50])
    def test_claims_export_runs_two_queries_whatever_the_rows(
        self, make_claim, django_assert_num_queries, count
    ):
        for _ in range(count):
            make_claim()
        # 1. the claims with their slugs (joins), 2. the cited sources, ordered by claim
        with django_assert_num_queries(2):
            rows = parse("csv", export("claims", Claim.objects.all(), "csv"))
        assert len(rows) == count

    @pytest.mark.parametrize("name", ["sources", "parties", "categories", "claimants"])
    def test_tables_without_lists_run_one_query(self, world, name, django_assert_num_queries):
        model = exporting.table(name).model
        with django_assert_num_queries(1):
            rows = parse("json", export(name, model.objects.all(), "json"))
        assert len(rows) == model.objects.count()


# --- the admin -------------------------------------------------------------------------------


@pytest.fixture
def claims_by_status(make_claim, world):
    return {
        status: make_claim(status=status, claimant=claimant)
        for status, claimant in [
            ("published", world.alpha_mod), ("draft", world.beta_mod),
            ("in_review", world.ngo), ("retracted", world.alpha_mod),
        ]
    }  # fmt: skip


def admin_export(client, model: str, fmt: str, query: str = "") -> list[dict]:
    url = reverse(f"admin:{model.replace('.', '_')}_export", args=[fmt]) + query
    response = client.get(url)
    assert response.status_code == 200, response
    content = b"".join(response.streaming_content)
    return parse(fmt, content)


class TestAdminExport:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
    def test_it_exports_the_filtered_list(self, client, admin_user, claims_by_status, fmt):
        client.force_login(admin_user)
        rows = admin_export(client, "claims.claim", fmt, "?status__exact=draft")
        assert [r["external_id"] for r in rows] == [claims_by_status["draft"].external_id]

    def test_it_honours_search_and_the_relation_filter(self, client, admin_user, claims_by_status):
        client.force_login(admin_user)
        rows = admin_export(client, "claims.claim", "csv", "?q=Beta+MoD")
        assert [r["claimant"] for r in rows] == ["beta-mod"]
        rows = admin_export(client, "claims.claim", "csv", "?relation=independent")
        assert [r["claimant"] for r in rows] == ["watchers"]

    def test_no_filter_exports_every_row_not_one_page(self, client, admin_user, make_claim):
        for _ in range(3):
            make_claim()
        client.force_login(admin_user)
        assert len(admin_export(client, "claims.claim", "csv", "?p=1")) == 3

    @pytest.mark.template_context
    def test_the_list_links_to_the_export_of_its_filter(self, client, admin_user, world):
        client.force_login(admin_user)
        response = client.get(reverse("admin:claims_claim_changelist") + "?status__exact=draft")
        links = dict(response.context["export_links"])
        assert links["CSV"] == "/admin/claims/claim/export/csv/?status__exact=draft"
        assert b"Export XLSX" in response.content

    def test_a_bad_filter_exports_nothing(self, client, admin_user, world):
        client.force_login(admin_user)
        url = reverse("admin:claims_claim_export", args=["csv"]) + "?nonsense__exact=1"
        response = client.get(url)
        assert response.status_code == 302

    def test_records_export_with_a_filter(self, client, admin_user, records):
        client.force_login(admin_user)
        rows = admin_export(client, "casualties.casualtyrecord", "json", "?role__exact=fighter")
        assert [r["external_id"] for r in rows] == ["r-formula"]

    @pytest.mark.parametrize(
        "model",
        ["claims.source", "claims.claimant", "casualties.party", "casualties.place",
         "casualties.event", "casualties.category"],
    )  # fmt: skip
    def test_every_table_has_an_export(self, client, admin_user, world, model):
        client.force_login(admin_user)
        admin_export(client, model, "csv")

    def test_it_needs_the_view_permission(self, client, world):
        user = get_user_model().objects.create_user("ed", password="pw-ed-123!", is_staff=True)
        client.force_login(user)
        url = reverse("admin:claims_claim_export", args=["csv"])
        assert client.get(url).status_code == 403
        user.user_permissions.add(Permission.objects.get(codename="view_claim"))
        assert client.get(url).status_code == 200

    def test_anonymous_is_sent_to_the_login(self, client, world):
        response = client.get(reverse("admin:claims_claim_export", args=["csv"]))
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_unknown_format_is_not_found(self, client, admin_user, world):
        client.force_login(admin_user)
        assert client.get(reverse("admin:claims_claim_export", args=["xml"])).status_code == 404

    @pytest.mark.parametrize("count", [5, 50])
    def test_admin_export_query_count_is_constant(
        self, client, admin_user, make_claim, django_assert_num_queries, count
    ):
        for _ in range(count):
            make_claim()
        client.force_login(admin_user)
        url = reverse("admin:claims_claim_export", args=["csv"]) + "?status__exact=published"
        # session, user; the list filters' choices (conflicts, and the claimants, subjects and
        # categories that have claims); the claims; their cited sources. No count, no page.
        with django_assert_num_queries(8):
            content = b"".join(client.get(url).streaming_content)
        assert content.count(b"\r\n") == count + 1


# --- the commands ----------------------------------------------------------------------------


class TestCommands:
    def test_export_claims_to_stdout_with_a_status_filter(self, claims_by_status):
        out, err = io.StringIO(), io.StringIO()
        call_command("export_claims", "--status", "draft", "--status", "retracted", stdout=out, stderr=err)  # fmt: skip
        rows = parse("csv", out.getvalue().encode())
        assert sorted(r["status"] for r in rows) == ["draft", "retracted"]
        assert "Exported 2 claims" in err.getvalue()

    @pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
    def test_export_records_to_a_file(self, records, tmp_path, fmt):
        target = tmp_path / f"records.{fmt}"
        call_command("export_records", "--output", str(target), stderr=io.StringIO())
        rows = parse(fmt, target.read_bytes())
        assert sorted(r["name"] for r in rows) == sorted([*NAMES, "'" + FORMULAS[0]])

    def test_format_option_wins_over_the_extension(self, records, tmp_path):
        target = tmp_path / "records.txt"
        call_command("export_records", "-o", str(target), "-f", "json", stderr=io.StringIO())
        assert len(json.loads(target.read_text())) == 5

    def test_progress_goes_to_stderr(self, records, monkeypatch):
        from claims.management import table_commands

        monkeypatch.setattr(table_commands, "EXPORT_PROGRESS_EVERY", 2)
        out, err = io.StringIO(), io.StringIO()
        call_command("export_records", "-f", "json", stdout=out, stderr=err)
        assert "2 / 5" in err.getvalue() and "4 / 5" in err.getvalue()
        assert "/ 5" not in out.getvalue()
