"""Hostile import files, built small in memory (or streamed to disk for the big ones): a
header of a million columns, an XLSX whose one cell inflates to a gigabyte, a million blank
rows, JSON nested a hundred thousand deep, DOCTYPEs."""

import io
import zipfile

from claims.resources import CLAIM_COLUMNS

HEADER = [c.name for c in CLAIM_COLUMNS]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)  # fmt: skip
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)  # fmt: skip
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="claims" sheetId="1" r:id="rId1"/></sheets></workbook>'
)  # fmt: skip
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)  # fmt: skip
SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_CLOSE = "</sheetData></worksheet>"


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    cells = "".join(inline(f"{column_letter(i)}1", name) for i, name in enumerate(HEADER))
    return f'<row r="1">{cells}</row>'


def xlsx(sheet_parts, target=None, prolog: str = "") -> bytes | None:
    """A minimal workbook whose first sheet's XML is ``sheet_parts`` (strings or bytes,
    streamed into the zip one by one so a gigabyte never sits in memory)."""
    out = target or io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for part in [prolog, SHEET_OPEN, *sheet_parts, SHEET_CLOSE]:
                sheet.write(part.encode() if isinstance(part, str) else part)
    return None if target else out.getvalue()


def xlsx_with_a_huge_cell(size: int, target=None):
    """One cell of ``size`` bytes under a valid header: a few hundred KB compressed per GB."""
    block = b"a" * (1 << 20)

    def parts():
        yield header_row()
        yield '<row r="2"><c r="A2" t="inlineStr"><is><t>'
        for _ in range(size >> 20):
            yield block
        yield "</t></is></c></row>"

    return xlsx(parts(), target)


def xlsx_with_blank_rows(count: int, target=None, explicit: bool = True):
    """A header, then ``count`` blank rows: written out one by one (``explicit``), or
    skipped over by one row numbered far below (openpyxl yields the rows in between)."""

    def parts():
        yield header_row()
        if explicit:
            for start in range(2, count + 2, 10_000):
                yield "".join(
                    f'<row r="{n}"/>' for n in range(start, min(count + 2, start + 10_000))
                )
        else:
            yield f'<row r="{count + 2}">{inline(f"A{count + 2}", "x")}</row>'

    return xlsx(parts(), target)


def xlsx_with_a_wide_row(target=None):
    """A header, then rows with one cell in the last column Excel has (XFD): openpyxl pads
    every row to 16,384 cells."""
    rows = "".join(f'<row r="{n}">{inline(f"XFD{n}", "x")}</row>' for n in range(2, 2_000))
    return xlsx([header_row(), rows], target)


BILLION_LAUGHS = (
    '<?xml version="1.0"?>'
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def xlsx_with_doctype(doctype: str = BILLION_LAUGHS) -> bytes:
    return xlsx([header_row(), f'<row r="2">{inline("A2", "&lol9;")}</row>'], prolog=doctype)


def csv_with_a_wide_header(columns: int) -> bytes:
    return (",".join(HEADER) + "," + ",".join(f"x{i}" for i in range(columns)) + "\n").encode()


def deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def json_of_many_objects(count: int) -> bytes:
    return b"[" + b",".join([b"{}"] * count) + b"]"
