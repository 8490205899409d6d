"""Reading import files: formats, encodings, headers, limits, formula cells."""

import io
import json

import pytest
from openpyxl import Workbook

from claims.resources import RECORD_COLUMNS
from claims.tabular import FileError, escape_formula, read_table, unescape_formula

HEADER = "external_id,conflict,name,role,party,outcome\n"
ROW = "r-1,test-war,Ստեփանակերտցի Արամ,serviceman,alpha,killed\n"


def read(data: bytes, name="f.csv"):
    table = read_table(io.BytesIO(data), name, RECORD_COLUMNS)
    return table, list(table.rows())


def refused(data: bytes, name="f.csv") -> str:
    with pytest.raises(FileError) as exc:
        read(data, name)
    return exc.value.message


def test_utf8_with_and_without_bom_read_the_same():
    plain = read((HEADER + ROW).encode())[1]
    assert read(b"\xef\xbb\xbf" + (HEADER + ROW).encode())[1] == plain
    assert plain == [(2, dict(zip(HEADER.strip().split(","), ROW.strip().split(","), strict=True)))]


def test_utf16_with_bom_is_converted():
    table, rows = read((HEADER + ROW).encode("utf-16"))
    assert rows[0][1]["name"] == "Ստեփանակերտցի Արամ"
    assert table.note == "converted from UTF-16"


def test_cp1251_is_refused_by_name():
    data = (HEADER + "r-1,test-war,Иван Петров,serviceman,alpha,killed\n").encode("cp1251")
    message = refused(data)
    assert "Windows-1251 (Cyrillic)" in message and "UTF-8" in message


def test_garbage_bytes_are_refused():
    assert "binary data" in refused(HEADER.encode() + bytes(range(0, 32)) * 10)
    assert "not text in UTF-8 or UTF-16" in refused(HEADER.encode() + b"\x98\x98\x81" * 50)


def test_empty_file_is_refused():
    assert refused(b"") == "The file is empty."
    assert "only blank lines" in refused(b"\n\n\r\n")


def test_blank_lines_are_skipped_and_numbers_follow_the_file():
    _, rows = read(("\n" + HEADER + "\n" + ROW + ",,,,,\n" + ROW.replace("r-1", "r-2")).encode())
    assert [(n, r["external_id"]) for n, r in rows] == [(4, "r-1"), (6, "r-2")]


def test_wrong_header_names_every_problem():
    message = refused(b"external_id,conflict,nam,name,name,role,party\n" + ROW.encode())
    assert "unknown column(s): “nam”" in message
    assert "repeated column(s): name" in message
    assert "missing column(s): outcome" in message


def test_size_limit(settings):
    settings.IMPORT_MAX_BYTES = 100
    assert "the most one import takes is" in refused((HEADER + ROW * 5).encode())


def test_row_limit(settings):
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(FileError, match="more than 3 rows"):
        read((HEADER + ROW * 4).encode())
    assert len(read((HEADER + ROW * 3).encode())[1]) == 3


def test_formula_cells_are_unescaped_exactly_once():
    for text in ["=SUM(A1)", "+1", "-x", "@me", "\tx", "\rx", "'=x", "''=y", "'plain", "plain"]:
        assert unescape_formula(escape_formula(text)) == text
    _, rows = read((HEADER + "r-1,test-war,'=HYPERLINK(1),serviceman,alpha,killed\n").encode())
    assert rows[0][1]["name"] == "=HYPERLINK(1)"


def test_xlsx_is_read_with_dates_and_numbers_as_text():
    import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "conflict", "name", "role", "party", "outcome", "date"])
    sheet.append([])
    sheet.append(["r-1", "test-war", "Əliyev Vüsal", "serviceman", "alpha", "killed",
                  datetime.datetime(2020, 10, 3)])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    _, rows = read(out.getvalue(), "f.xlsx")
    assert rows == [(3, {"external_id": "r-1", "conflict": "test-war", "name": "Əliyev Vüsal",
                         "role": "serviceman", "party": "alpha", "outcome": "killed",
                         "date": "2020-10-03"})]  # fmt: skip


def test_a_broken_xlsx_is_refused():
    assert "not a readable XLSX" in refused(b"PK\x03\x04 broken", "f.xlsx")


def test_json_list_of_objects():
    data = [{"external_id": "r-1", "conflict": "test-war", "name": "Пётр", "role": "civilian",
             "party": "alpha", "outcome": "killed", "date": None}]  # fmt: skip
    _, rows = read(json.dumps(data, ensure_ascii=False).encode(), "f.json")
    assert rows[0] == (1, {**data[0], "date": ""})
    assert "list of objects" in refused(b'{"a": 1}', "f.json")
    assert "not valid JSON" in refused(b"[{", "f.json")


def test_a_cell_longer_than_the_csv_modules_default_limit_is_read():
    long_name = "Ա" * 300_000  # the csv module stops at 131,072 characters by default
    rows = read((HEADER + f"r-1,test-war,{long_name},serviceman,alpha,killed\n").encode())[1]
    assert rows[0][1]["name"] == long_name


def test_a_row_the_csv_module_cannot_parse_is_refused_with_its_number():
    import csv

    from claims.tabular import _csv_records

    def reader():
        yield ["a"]
        raise csv.Error("field larger than field limit (131072)")

    with pytest.raises(FileError) as exc:
        list(_csv_records(reader(), 5))
    assert (
        exc.value.message == "Row 6 cannot be read as CSV: field larger than field limit (131072)."
    )
