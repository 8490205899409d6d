"""Hostile import files are refused with a message naming the problem, and are not read
past the limits (docs/import-export.md, "Limits"): through the reader, the import commands,
the admin import of claims and records and django-import-export's reference-table import.

The files are small versions of the real attacks with the limits lowered, except where the
limit itself is the point; tests/hostile/test_hostile_memory.py reads the full-size ones in a
subprocess and measures its peak memory."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from claims.models import Claim, Source
from claims.resources import CLAIM_COLUMNS, SOURCE_COLUMNS
from claims.tabular import FileError, read_table
from tests.hostile import files

NO_DOCTYPE = "declares a DOCTYPE"
TOO_MANY_ROWS = "rows (blank rows count too)"
TOO_MANY_CELLS = "cells (empty cells inside its rows count too)"


def refusal(data: bytes, name: str, columns=CLAIM_COLUMNS) -> str:
    with pytest.raises(FileError) as exc:
        table = read_table(io.BytesIO(data), name, columns)
        for _ in table.rows():
            pass
    return exc.value.message


# --- the reader ------------------------------------------------------------------------------


def test_a_header_of_a_hundred_thousand_unknown_columns_is_refused_at_once():
    # The 690 KB file: 81 s with list.count per column; now refused by its width.
    message = refusal(files.csv_with_a_wide_header(100_000), "wide.csv")
    width = 100_000 + len(files.HEADER)
    assert f"The header row has {width:,} cells; a file has at most 702 columns" in message


def test_many_unknown_columns_within_the_width_are_named_briefly():
    message = refusal(files.csv_with_a_wide_header(600), "wide.csv")
    assert "unknown column(s): “x0”, “x1”" in message and "and 590 more" in message
    assert len(message) < 1_000


def test_a_repeated_column_is_found_in_one_pass():
    data = (",".join(files.HEADER + ["quote"] * 300) + "\n").encode()
    assert "repeated column(s): quote." in refusal(data, "dupes.csv")


def test_an_xlsx_cell_inflating_past_the_cell_limit_is_refused(settings):
    settings.IMPORT_MAX_CELL_BYTES = 64 * 1024
    message = refusal(files.xlsx_with_a_huge_cell(2 << 20), "cell.xlsx")
    assert "holds a cell or value longer than 65,536 bytes" in message


def test_an_xlsx_inflating_past_the_unpacked_limit_is_refused_before_reading(settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 1 << 20
    data = files.xlsx_with_a_huge_cell(2 << 20)
    assert len(data) < 20_000  # 2 MB of XML in a few KB
    assert "The workbook inflates to 2 MB of XML; the most one import reads is 1 MB" in refusal(
        data, "cell.xlsx"
    )


@pytest.mark.parametrize("explicit", [True, False], ids=["written-out", "skipped-over"])
def test_blank_xlsx_rows_count_against_the_row_limit(settings, explicit):
    settings.IMPORT_MAX_ROWS = 1_000
    data = files.xlsx_with_blank_rows(5_000, explicit=explicit)
    assert f"more than 1,000 {TOO_MANY_ROWS}" in refusal(data, "blank.xlsx")


def test_blank_csv_lines_count_against_the_row_limit(settings):
    settings.IMPORT_MAX_ROWS = 1_000
    data = (",".join(files.HEADER) + "\n").encode() + b"\n" * 5_000
    assert f"more than 1,000 {TOO_MANY_ROWS}" in refusal(data, "blank.csv")


def test_an_xlsx_row_padded_to_column_xfd_is_refused():
    assert "cells right of column ZZ" in refusal(files.xlsx_with_a_wide_row(), "wide.xlsx")


def test_cells_are_counted(settings):
    settings.IMPORT_MAX_CELLS = 100
    row = ",".join(["x"] * 25) + "\n"
    data = (",".join(files.HEADER) + "\n" + row * 10).encode()
    assert f"more than 100 {TOO_MANY_CELLS}" in refusal(data, "cells.csv")


@pytest.mark.parametrize("doctype", [files.BILLION_LAUGHS, files.XXE], ids=["laughs", "xxe"])
def test_an_xlsx_with_a_doctype_is_refused(doctype):
    assert NO_DOCTYPE in refusal(files.xlsx_with_doctype(doctype), "laughs.xlsx")


def test_deeply_nested_json_is_refused_before_parsing():
    message = refusal(files.deep_json(100_000), "deep.json")
    assert "nests lists or objects more than 20 deep" in message


def test_json_nested_within_the_limit_is_a_row_error_not_a_file_error():
    row = dict.fromkeys(files.HEADER, "")
    row["quote"] = [[["deep"]]]
    table = read_table(io.BytesIO(json.dumps([row]).encode()), "f.json", CLAIM_COLUMNS)
    assert list(table.rows()) == [(1, {"__error__": "a value is a list or an object, not text"})]


def test_json_objects_count_against_the_row_limit(settings):
    settings.IMPORT_MAX_ROWS = 1_000
    assert TOO_MANY_ROWS in refusal(files.json_of_many_objects(5_000), "many.json")


def test_json_values_count_against_the_cell_limit(settings):
    settings.IMPORT_MAX_CELLS = 1_000
    data = json.dumps([list(range(5_000))]).encode()
    assert TOO_MANY_CELLS in refusal(data, "values.json")


def test_invalid_json_still_says_where():
    assert "The file is not valid JSON (Expecting" in refusal(b'[{"a": 1}', "broken.json")


# --- encodings (hole 7) --------------------------------------------------------------------


def test_latin1_is_not_called_cyrillic():
    data = (",".join(files.HEADER) + "\n" + "café Müller, naïve señor\n").encode("latin-1")
    message = refusal(data, "latin.csv")
    assert "Windows-1252 / Latin-1 (Western European)" in message
    assert "Cyrillic" not in message


def test_utf32_is_read_as_utf32():
    header = ",".join(c.name for c in SOURCE_COLUMNS)
    text = header + "\nsrc,Ստեփանակերտ,,,,,,hy,\n"
    for codec in ("utf-32", "utf-32-be"):
        data = text.encode(codec)
        if codec == "utf-32-be":
            data = b"\x00\x00\xfe\xff" + data
        table = read_table(io.BytesIO(data), "u.csv", SOURCE_COLUMNS)
        assert [r["title"] for _, r in table.rows()] == ["Ստեփանակերտ"]
        assert table.note == "converted from UTF-32"


# --- through the commands and the admin -----------------------------------------------------

HOSTILE = [
    ("wide.csv", lambda: files.csv_with_a_wide_header(100_000), "at most 702 columns"),
    ("laughs.xlsx", files.xlsx_with_doctype, NO_DOCTYPE),
    ("blank.xlsx", lambda: files.xlsx_with_blank_rows(300_000, explicit=False), TOO_MANY_ROWS),
    ("deep.json", lambda: files.deep_json(100_000), "more than 20 deep"),
    ("wide.xlsx", files.xlsx_with_a_wide_row, "right of column ZZ"),
]
IDS = [name for name, _, _ in HOSTILE]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "build", "expected"), HOSTILE, ids=IDS)
@pytest.mark.parametrize("command", ["import_claims", "import_records"])
def test_the_commands_refuse_hostile_files(tmp_path, name, build, expected, command):
    path = tmp_path / name
    path.write_bytes(build())
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(command, str(path), "--dry-run", stderr=err, stdout=io.StringIO())
    assert expected in err.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "build", "expected"), HOSTILE, ids=IDS)
def test_the_admin_import_refuses_hostile_files(client, admin_user, name, build, expected):
    client.force_login(admin_user)
    for url in (
        reverse("admin:claims_claim_import"),
        reverse("admin:casualties_casualtyrecord_import"),
    ):
        page = client.post(url, {"file": SimpleUploadedFile(name, build())})
        assert page.status_code == 200
        assert expected in page.content.decode()
    assert not Claim.objects.exists()


def reference_upload(client, url, data, name):
    page = client.get(url)
    ext = name.rsplit(".", 1)[1]
    choices = page.context["form"].fields["format"].choices
    index = next(value for value, label in choices if str(label).lower() == ext)
    return client.post(url, {"import_file": SimpleUploadedFile(name, data), "format": index})


@pytest.mark.template_context
@pytest.mark.django_db
@pytest.mark.parametrize(("name", "build", "expected"), HOSTILE, ids=IDS)
def test_the_reference_import_refuses_hostile_files(client, admin_user, name, build, expected):
    client.force_login(admin_user)
    page = reference_upload(client, reverse("admin:claims_source_import"), build(), name)
    assert page.status_code == 200
    assert "confirm_form" not in page.context
    assert expected in page.content.decode()
    assert not Source.objects.exists()


@pytest.mark.template_context
@pytest.mark.django_db
def test_the_reference_import_offers_csv_xlsx_and_json_only(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:claims_source_import"))
    labels = [str(label).lower() for _, label in page.context["form"].fields["format"].choices]
    assert [label for label in labels if label != "---"] == ["csv", "xlsx", "json"]


# --- the confirm step of the reference import (hole 5) ----------------------------------------

SOURCES_CSV = (
    ",".join(c.name for c in SOURCE_COLUMNS) + "\nhrw,HRW report,HRW,https://hrw.org/x,,,,en,\n"
).encode()


def confirm_data(page, **overrides):
    return {**page.context["confirm_form"].initial, **overrides}


@pytest.mark.template_context
@pytest.mark.django_db
def test_a_forged_import_file_name_is_refused_and_the_file_left_alone(
    client, admin_user, tmp_path, settings
):
    import tempfile
    from pathlib import Path

    client.force_login(admin_user)
    url = reverse("admin:claims_source_import")
    victim = Path(tempfile.gettempdir()) / f"victim-{tmp_path.name}.csv"
    victim.write_bytes(SOURCES_CSV)
    try:
        page = reference_upload(client, url, SOURCES_CSV, "sources.csv")
        process = reverse("admin:claims_source_process_import")
        forged = confirm_data(page, import_file_name=victim.name)
        response = client.post(process, forged, follow=True)
        assert response.status_code == 200
        assert "expired or is not yours" in response.content.decode()
        assert victim.exists()  # neither read nor deleted
        assert not Source.objects.exists()
        # A signed name altered by one character is as forged.
        name = page.context["confirm_form"].initial["import_file_name"]
        altered = name[:-1] + ("A" if name[-1] != "A" else "B")
        response = client.post(process, confirm_data(page, import_file_name=altered))
        assert response.status_code == 302 and not Source.objects.exists()
        # The real one still imports.
        assert client.post(process, confirm_data(page)).status_code == 302
        assert Source.objects.filter(slug="hrw").exists()
    finally:
        victim.unlink(missing_ok=True)


@pytest.mark.template_context
@pytest.mark.django_db
def test_a_missing_import_file_name_is_not_a_server_error(client, admin_user):
    client.force_login(admin_user)
    page = reference_upload(client, reverse("admin:claims_source_import"), SOURCES_CSV, "s.csv")
    data = confirm_data(page)
    del data["import_file_name"]
    response = client.post(reverse("admin:claims_source_process_import"), data)
    assert response.status_code == 200
    assert not Source.objects.exists()


@pytest.mark.template_context
@pytest.mark.django_db
def test_an_expired_upload_is_refused_and_abandoned_uploads_are_removed(
    client, admin_user, monkeypatch
):
    import os
    import time

    from claims.admin_import import _upload_dir, remove_abandoned_uploads

    client.force_login(admin_user)
    page = reference_upload(client, reverse("admin:claims_source_import"), SOURCES_CSV, "s.csv")
    stored = sorted(_upload_dir().glob("*.upload"), key=os.path.getmtime)[-1]
    old = time.time() - 7 * 3600
    os.utime(stored, (old, old))
    assert remove_abandoned_uploads() >= 1
    assert not stored.exists()
    response = client.post(reverse("admin:claims_source_process_import"), confirm_data(page))
    assert response.status_code == 302
    assert not Source.objects.exists()
    # The signed name expires too, even while the file is still there.
    page = reference_upload(client, reverse("admin:claims_source_import"), SOURCES_CSV, "s.csv")
    later = time.time() + 7 * 3600
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    response = client.post(reverse("admin:claims_source_process_import"), confirm_data(page))
    assert response.status_code == 302 and not Source.objects.exists()


@pytest.mark.template_context
@pytest.mark.django_db
def test_the_reference_import_names_a_wrong_encoding_and_reads_utf16(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:claims_source_import")
    latin = SOURCES_CSV.decode().replace("HRW report", "Rapport über café").encode("latin-1")
    page = reference_upload(client, url, latin, "sources.csv")
    assert "Windows-1252 / Latin-1 (Western European)" in page.content.decode()
    page = reference_upload(client, url, SOURCES_CSV.decode().encode("utf-16"), "sources.csv")
    assert "confirm_form" in page.context
    assert (
        client.post(reverse("admin:claims_source_process_import"), confirm_data(page)).status_code
        == 302
    )
    assert Source.objects.get(slug="hrw").title == "HRW report"
