"""Every hostile input through the import, in every kind of column, and through the admin's
import preview. Either a row imports exactly, or the file is refused with errors naming the row
and column, and nothing at all is written (history included)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims.importing import import_file
from claims.models import Claim
from claims.resources import CLAIM_COLUMNS
from claims.tabular import unescape_formula
from tests.claims.test_importing import counts
from tests.hostile.corpus import CORPUS, CORPUS_SMALL, as_text, audit_html

pytestmark = pytest.mark.django_db

HEADERS = [c.name for c in CLAIM_COLUMNS]
FREE_TEXT = ["quote", "note", "assessment_note", "acceptance_reason"]
# One row per kind of column, each with the hostile value there and valid values elsewhere.
STRUCTURED = [
    ["external_id"],
    ["figure_text"],  # the parser reads it; words it cannot read are an error here
    ["conflict", "claimant"],
    ["subject", "category", "event", "place"],
    ["as_of", "stated_on"],
    ["lower", "upper"],
    ["qualifier", "scope", "status", "assessment", "accepted"],
    ["sources"],
]


def valid_row(i):
    row = dict.fromkeys(HEADERS, "")
    row.update(
        external_id=f"h-{i}", conflict="test-war", claimant="watchers", subject="alpha",
        category="military-killed", figure_text="12", scope="cumulative", as_of="2020-10-01",
        status="draft", sources="report",
    )  # fmt: skip
    return row


def cell(value: str | bytes) -> bytes:
    raw = value if isinstance(value, bytes) else value.encode()
    return b'"' + raw.replace(b'"', b'""') + b'"'


def csv_file(rows) -> bytes:
    lines = [b",".join(h.encode() for h in HEADERS)]
    lines += [b",".join(cell(row[h]) for h in HEADERS) for row in rows]
    return b"\r\n".join(lines) + b"\r\n"


def run(data, user):
    return import_file(io.BytesIO(data), "hostile.csv", kind="claims", user=user)


def test_every_hostile_input_in_every_kind_of_column(world, admin_user):
    imported = refused_free_text = 0
    for i, (kind, value) in enumerate(CORPUS):
        # Every structured column at once, one row each: the file must be refused whole.
        rows = []
        for n, columns in enumerate(STRUCTURED):
            row = valid_row(f"{i}-{n}")
            row.update(dict.fromkeys(columns, value))
            rows.append(row)
        before = counts()
        result = run(csv_file(rows), admin_user)
        assert not result.ok and not result.written, (kind, value)
        assert counts() == before
        for error in result.errors:
            assert error.message and ("\x00" not in str(error))
            # a row error names its row (2 = the first data row) and its column
            assert error.row == 0 or (2 <= error.row <= 1 + len(rows) and error.column), error

        # The free-text columns: stored exactly (the formula escape of an export undone) or
        # refused with a message, writing nothing.
        row = valid_row(i)
        row.update(dict.fromkeys(FREE_TEXT, value))
        before = counts()
        result = run(csv_file([row]), admin_user)
        if result.ok:
            imported += 1
            claim = Claim.objects.get(external_id=f"h-{i}")
            expected = unescape_formula(as_text(value))
            assert claim.quote in (expected, expected.strip()), kind
            assert counts()[1] == before[1] + 1  # one history row for the one claim
            record = claim.history.get()
            assert record.history_user == admin_user
            assert "hostile.csv" in record.history_change_reason
        else:
            refused_free_text += 1
            assert counts() == before, kind
            assert all(e.row == 0 or e.column for e in result.errors)
    assert imported > 150 and refused_free_text > 20


def test_hostile_values_are_shown_escaped_in_the_import_preview(client, world, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:claims_claim_import")
    for start in range(0, len(CORPUS_SMALL), 25):
        batch = CORPUS_SMALL[start : start + 25]
        rows = []
        for i, (_, value) in enumerate(batch):
            row = valid_row(f"p{start}-{i}")
            row.update(external_id=value, figure_text=value, claimant=value, as_of=value)
            rows.append(row)
        before = counts()
        data = csv_file(rows)
        response = client.post(url, {"file": SimpleUploadedFile("hostile.csv", data, "text/csv")})
        assert response.status_code == 200
        html = response.content.decode()
        assert audit_html(html, *(as_text(value) for _, value in batch)) == []
        assert counts() == before
