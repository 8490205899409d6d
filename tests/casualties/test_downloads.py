"""Public downloads: the whole ledger as CSV, XLSX and JSON, published claims only."""

import datetime

import pytest
from django.urls import reverse

from casualties.history import change_context
from casualties.models import CasualtyRecord
from claims.models import Source
from claims.public.views import csv_safe
from tests.claims.test_exporting import parse

SETUP = "test setup"
FORMATS = ["csv", "xlsx", "json"]


@pytest.fixture
def claims_by_status(make_claim, world):
    return {
        status: make_claim(status=status, quote=f"{status} quote")
        for status in ["published", "draft", "in_review", "retracted"]
    }


def download(client, name: str, fmt: str):
    response = client.get(reverse("casualties:download", args=[name, fmt]))
    assert response.status_code == 200
    return response, parse(fmt, b"".join(response.streaming_content))


class TestClaims:
    @pytest.mark.parametrize("fmt", FORMATS)
    def test_only_published_claims(self, client, claims_by_status, fmt):
        _, rows = download(client, "claims", fmt)
        assert [r["external_id"] for r in rows] == [claims_by_status["published"].external_id]
        assert {r["status"] for r in rows} == {"published"}

    def test_editors_note_is_left_out(self, client, make_claim):
        make_claim(note="ask the desk before publishing")
        response, rows = download(client, "claims", "csv")
        assert "note" not in rows[0]
        assert b"ask the desk" not in b"".join(response.streaming_content)

    @pytest.mark.parametrize(
        ("fmt", "content_type"),
        [("csv", "text/csv; charset=utf-8"), ("json", "application/json; charset=utf-8"),
         ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")],
    )  # fmt: skip
    def test_file_name_type_and_the_link_to_the_readme(self, client, world, fmt, content_type):
        response = client.get(reverse("casualties:download", args=["claims", fmt]))
        day = datetime.date.today().isoformat()
        assert response["Content-Type"] == content_type
        assert f'filename="casualty-ledger-claims-{day}.{fmt}"' in response["Content-Disposition"]
        assert response["Content-Disposition"].startswith("attachment")
        assert '/downloads/>; rel="describedby"' in response["Link"]
        assert '/methodology/>; rel="help"' in response["Link"]

    @pytest.mark.parametrize("count", [5, 50])
    def test_query_count_is_constant(self, client, make_claim, django_assert_num_queries, count):
        for _ in range(count):
            make_claim()
        # 1. the data version, and the build: 2. the published claims with their slugs,
        # 3. their cited sources (a cached file costs the version only: test_downloads_cache)
        with django_assert_num_queries(3):
            response = client.get(reverse("casualties:download", args=["claims", "csv"]))
            content = b"".join(response.streaming_content)
        assert content.count(b"\r\n") == count + 1

    def test_a_formula_in_a_claim_is_neutralised(self, client, make_claim):
        make_claim(quote="=IMPORTXML(A1)")
        for fmt in FORMATS:
            _, rows = download(client, "claims", fmt)
            assert rows[0]["quote"] == "'=IMPORTXML(A1)"


class TestOtherTables:
    @pytest.mark.parametrize("fmt", FORMATS)
    def test_records_in_every_script(self, client, world, fmt):
        with change_context(user=None, reason=SETUP):
            for i, name in enumerate(["Ստեփանակերտ", "Xankəndi", "Степанакерт"]):
                CasualtyRecord.objects.create(
                    conflict=world.conflict, external_id=f"r-{i}", name=name,
                    role="civilian", party=world.alpha, outcome="killed", status="published",
                )  # fmt: skip
        _, rows = download(client, "records", fmt)
        assert [r["name"] for r in rows] == ["Ստեփանակերտ", "Xankəndi", "Степанакерт"]

    def test_sources_are_those_cited_by_published_claims_or_records(
        self, client, world, make_claim
    ):
        with change_context(user=None, reason=SETUP):
            draft_only = Source.objects.create(slug="draft-only", title="Draft only")
            for_record = Source.objects.create(slug="for-record", title="For a record")
            record = CasualtyRecord.objects.create(
                conflict=world.conflict, external_id="r", name="R", role="civilian",
                party=world.alpha, outcome="killed", status="published",
            )  # fmt: skip
            record.sources.set([for_record])
            # A draft record's source is not public either.
            draft_record = CasualtyRecord.objects.create(
                conflict=world.conflict, external_id="d", name="D", role="civilian",
                party=world.alpha, outcome="killed",
            )  # fmt: skip
            draft_record.sources.set([draft_only])
        make_claim()
        draft = make_claim(status="draft")
        with change_context(user=None, reason=SETUP):
            draft.sources.set([draft_only])
        _, rows = download(client, "sources", "csv")
        assert sorted(r["slug"] for r in rows) == ["for-record", "report"]

    @pytest.mark.parametrize("name", ["parties", "categories", "claimants", "events", "places"])
    def test_reference_tables(self, client, world, name):
        _, rows = download(client, name, "json")
        assert isinstance(rows, list)

    def test_unknown_table_or_format_is_not_found(self, client, world):
        assert client.get("/downloads/users.csv").status_code == 404
        assert client.get("/downloads/claims.xml").status_code == 404

    def test_downloads_are_read_only(self, client, world):
        assert (
            client.post(reverse("casualties:download", args=["claims", "csv"])).status_code == 405
        )


class TestPages:
    def test_downloads_page_links_every_file_and_the_methodology(
        self, db, client, django_assert_num_queries
    ):
        with django_assert_num_queries(0):
            response = client.get(reverse("casualties:downloads"))
        html = response.content.decode()
        for name in ["claims", "records", "sources", "parties", "categories", "events"]:
            for fmt in FORMATS:
                assert f'href="/downloads/{name}.{fmt}"' in html
        assert 'href="/methodology/"' in html
        claims = html.split('id="claims"')[1].split("</section>")[0]
        assert "<code>figure_text</code>" in claims and "<code>note</code>" not in claims

    def test_every_page_links_the_downloads(self, client, world):
        assert 'href="/downloads/"' in client.get(reverse("casualties:browse")).content.decode()

    def test_methodology_links_the_downloads(self, client):
        html = client.get(reverse("casualties:methodology")).content.decode()
        assert html.count('href="/downloads/"') >= 2  # the menu and the data section

    def test_page_csv_escapes_like_the_exports(self):
        """The per-page CSVs use the same escaping, so "'=x" stays distinguishable from "=x"."""
        assert [csv_safe(v) for v in ["'=x", "=x", "'ok"]] == ["''=x", "'=x", "'ok"]
