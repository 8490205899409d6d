"""Spreadsheet cells and files: the formula escaping shared by every export and import, and the
reading of an import file (CSV, XLSX, JSON) into rows."""

import codecs
import csv
import datetime
import io
import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings

# A spreadsheet runs a cell starting with one of these as a formula (tab and CR too: some
# programs strip them and then see the "=").
FORMULA_TRIGGERS = "=+-@\t\r"

# Escaped: a trigger, or apostrophes followed by a trigger. Escaping the second kind too keeps
# the mapping one-to-one, so unescape_formula(escape_formula(x)) == x for every text.
_NEEDS_ESCAPE = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")


def escape_formula(value: str) -> str:
    """The cell text a spreadsheet shows as typed: an apostrophe before a formula trigger.

    "=SUM(A1)" → "'=SUM(A1)"; "'=x" → "''=x"; "'quoted" and "Ստեփանակերտ" are left alone.
    """
    if value and _NEEDS_ESCAPE.match(value):
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    """Undo ``escape_formula`` exactly: one leading apostrophe before a trigger is dropped."""
    if value and _ESCAPED.match(value):
        return value[1:]
    return value


# --- reading an uploaded or command-line file into rows --------------------------------------
# CSV, XLSX and JSON. CSV and XLSX are read as a stream (one row at a time); JSON is parsed
# whole, which the size limit bounds. A problem with the file as a whole raises ``FileError``
# with a message for the person who sent it; nothing is imported from such a file.


FORMATS = ("csv", "xlsx", "json")
_SAMPLE = 1 << 16
_CHUNK = 1 << 20


class FileError(Exception):
    """The file cannot be imported at all (format, encoding, header, limits)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def max_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", 64 * 1024 * 1024)


def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", 200_000)


def _size(f) -> int:
    f.seek(0, io.SEEK_END)
    size = f.tell()
    f.seek(0)
    return size


def guess_format(name: str, head: bytes) -> str:
    ext = PurePath(name or "").suffix.lower().lstrip(".")
    if ext in FORMATS:
        return ext
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        return "json"
    if ext in {"xls", "ods", "numbers"}:
        raise FileError(f"“.{ext}” files cannot be read; save the sheet as CSV (UTF-8) or XLSX.")
    return "csv"


def _describe_encoding(sample: bytes) -> str:
    """A plain guess at what a non-UTF-8 text is, for the message that refuses it."""
    text = sample.decode("cp1251", errors="replace")
    letters = [ch for ch in text if ch.isalpha()]
    cyrillic = sum(1 for ch in letters if "\u0400" <= ch <= "\u04ff")
    high = [b for b in sample if b >= 0x80]
    if letters and high and cyrillic >= 0.5 * len(high):
        return "Windows-1251 (Cyrillic)"
    try:
        latin = sample.decode("cp1252")
    except UnicodeDecodeError:
        latin = ""
    if latin and all(ch.isprintable() or ch in "\t\r\n" for ch in latin):
        return "Windows-1252 / Latin-1 (Western European)"
    return ""


def detect_encoding(f) -> str:
    """The codec to read ``f`` with: UTF-8 (with or without BOM) or UTF-16 with a BOM.

    Anything else is refused by name where it can be guessed; binary data as such. Reads the
    file once in chunks (constant memory) so a bad byte near the end is found before import.
    """
    head = f.read(4)
    f.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    while True:
        chunk = f.read(_CHUNK)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            f.seek(max(0, offset + exc.start - _SAMPLE // 2))
            sample = f.read(_SAMPLE)
            f.seek(0)
            guess = _describe_encoding(sample)
            if guess:
                raise FileError(
                    f"The file is not UTF-8: it looks like {guess}. "
                    "Save it as UTF-8 (“CSV UTF-8” in Excel) and upload it again."
                ) from None
            raise FileError(
                "The file is not text in UTF-8 or UTF-16 "
                f"(unreadable bytes at byte {offset + exc.start:,}). Is it the right file?"
            ) from None
        if "\x00" in text or any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text[:_SAMPLE]):
            f.seek(0)
            raise FileError("The file contains binary data (control characters), not text.")
        offset += len(chunk)
        if not chunk:
            break
    f.seek(0)
    return encoding


@dataclass
class Table:
    """A file's header and its rows: ``rows()`` yields (row number, {column: text})."""

    format: str
    headers: list[str]
    _rows: Iterator = field(repr=False)
    note: str = ""

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        return self._rows


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unescape_formula(str(value))


def _xlsx_cell(value) -> str:
    """XLSX text holds characters XML cannot (CR, control characters) as ``_xHHHH_``, and a
    literal ``_xHHHH_`` as ``_x005F_xHHHH_``, as Excel writes them (and the export): undo it."""
    if isinstance(value, str):
        from openpyxl.utils.escape import unescape

        return unescape_formula(unescape(value))
    return _cell(value)


def _check_header(raw: list, columns: Sequence) -> list[str]:
    headers = [str(h if h is not None else "").strip().lstrip("\ufeff") for h in raw]
    while headers and not headers[-1]:
        headers.pop()
    known = {c.name for c in columns}
    problems = []
    if not headers:
        raise FileError("The file has no header row.")
    unknown = [h for h in headers if h and h not in known]
    if "" in headers:
        problems.append(f"column {headers.index('') + 1} has no name")
    if unknown:
        problems.append("unknown column(s): " + ", ".join(f"“{h[:40]}”" for h in unknown))
    dupes = sorted({h for h in headers if h and headers.count(h) > 1})
    if dupes:
        problems.append("repeated column(s): " + ", ".join(dupes))
    missing = [c.name for c in columns if c.required and c.name not in headers]
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    if problems:
        expected = ", ".join(c.name for c in columns)
        raise FileError(
            "The header row is wrong: " + "; ".join(problems) + f". Expected columns: {expected}."
        )
    return headers


def _limited(rows: Iterator, limit: int) -> Iterator:
    for count, item in enumerate(rows, start=1):
        if count > limit:
            raise FileError(f"The file has more than {limit:,} rows, the most one import takes.")
        yield item


def _csv_records(reader, start) -> Iterator:
    """The reader's rows, numbered; a row the csv module cannot parse is a file error."""
    number = start
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileError(f"Row {number} cannot be read as CSV: {exc}.") from None
        yield number, raw
        number += 1


def _csv_rows(reader, headers, start) -> Iterator:
    width = len(headers)
    for number, raw in _csv_records(reader, start):
        if not any(cell.strip() for cell in raw):
            continue  # blank lines are skipped
        extra = raw[width:]
        if any(cell.strip() for cell in extra):
            yield number, {"__error__": f"{len(raw)} cells in a row of a {width}-column file"}
            continue
        yield number, {h: unescape_formula(v) for h, v in zip(headers, raw, strict=False)}


def read_table(f, name: str, columns: Sequence) -> Table:
    """Open a binary, seekable file ``f`` named ``name`` as a table of ``columns``.

    Raises ``FileError`` for an empty or oversized file, an unknown format or encoding, and a
    wrong header. Row problems that belong to one row come back inside the row as
    ``__error__`` for the importer to report with the others.
    """
    size = _size(f)
    if size == 0:
        raise FileError("The file is empty.")
    if size > max_bytes():
        raise FileError(
            f"The file is {size / 1_048_576:.1f} MB; the most one import takes is "
            f"{max_bytes() / 1_048_576:.0f} MB. Split it or use the import command."
        )
    head = f.read(8)
    f.seek(0)
    fmt = guess_format(name, head)
    if fmt == "xlsx":
        return _read_xlsx(f, columns)
    encoding = detect_encoding(f)
    note = "converted from UTF-16" if encoding == "utf-16" else ""
    text = io.TextIOWrapper(f, encoding=encoding, newline="")
    if fmt == "json":
        return _read_json(text, columns, note)
    # A cell can be as long as the file may be (the csv module's default stops at 128 KB).
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes()))
    reader = csv.reader(text)
    start = 1
    for _, raw in _csv_records(reader, 1):
        if any(cell.strip() for cell in raw):
            break
        start += 1
    else:
        raise FileError("The file has no header row (it holds only blank lines).")
    headers = _check_header(raw, columns)
    return Table("csv", headers, _limited(_csv_rows(reader, headers, start + 1), max_rows()), note)


def _read_xlsx(f, columns) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(f, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileError(f"The file is not a readable XLSX workbook ({exc}).") from None
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    start = 1
    for raw in values:
        if any(_cell(v).strip() for v in raw):
            break
        start += 1
    else:
        raise FileError("The workbook's first sheet is empty.")
    headers = _check_header(list(raw), columns)

    def rows():
        width = len(headers)
        for number, raw_row in enumerate(values, start=start + 1):
            cells = [_xlsx_cell(v) for v in raw_row]
            if not any(c.strip() for c in cells):
                continue
            if any(c.strip() for c in cells[width:]):
                yield number, {"__error__": f"{len(cells)} cells in a row of a {width}-column file"}
                continue
            yield number, dict(zip(headers, cells, strict=False))
        book.close()

    return Table("xlsx", headers, _limited(rows(), max_rows()))


def _read_json(text, columns, note) -> Table:
    try:
        data = json.load(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FileError(f"The file is not valid JSON ({exc}).") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise FileError("The JSON file must be a list of objects, one per row.")
    if not data:
        raise FileError("The file is empty (an empty JSON list).")
    if len(data) > max_rows():
        raise FileError(f"The file has more than {max_rows():,} rows, the most one import takes.")
    headers = _check_header(list(data[0].keys()), columns)
    known = set(headers)

    def rows():
        for number, item in enumerate(data, start=1):
            if set(item) - known:
                extra = ", ".join(sorted(set(item) - known))
                yield number, {"__error__": f"keys not in the first row: {extra}"}
                continue
            if any(isinstance(v, dict | list) for v in item.values()):
                yield number, {"__error__": "a value is a list or an object, not text"}
                continue
            yield number, {k: _cell(v) for k, v in item.items()}

    return Table("json", headers, rows(), note)
