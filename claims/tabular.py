"""Spreadsheet cells and files: the formula escaping shared by every export and import, and the
reading of an import file (CSV, XLSX, JSON) into rows."""

import codecs
import csv
import datetime
import io
import itertools
import json
import re
import struct
import zipfile
import zlib
from collections import Counter
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


# --- the text of one cell as a value: one home for the claims' and records' import
# (``claims.importing``) and the reference tables' (``claims.resources``' widgets) -----------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TRUE_WORDS = frozenset({"true", "1", "yes", "y"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", ""})


def parse_date(text: str) -> datetime.date | None:
    """``YYYY-MM-DD``, or None for an empty cell; else a ValueError saying so."""
    value = text.strip()
    if not value:
        return None
    try:
        if not _DATE.match(value):
            raise ValueError
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"“{value[:40]}” is not a date written YYYY-MM-DD") from None


def parse_whole_number(text: str, largest: int) -> int | None:
    """A whole number without separators (0 to ``largest``), or None for an empty cell."""
    value = text.strip()
    if not value:
        return None
    if not value.isdigit() or not value.isascii() or int(value) > largest:
        raise ValueError(f"“{value[:40]}” is not a whole number (0 or more)")
    return int(value)


def parse_bool(text: str) -> bool:
    """``true``/``false`` (also yes/no, 1/0; an empty cell is false)."""
    value = text.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(f"“{text[:40]}” is not true or false")


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


# Columns a file may have: the widest table has 25; ZZ, the last two-letter spreadsheet column,
# is far beyond any real file, and an XLSX cell further right is found by its reference alone.
MAX_COLUMNS = 702


def max_cells() -> int:
    """Cells read from one file, header and padding of short rows included."""
    return getattr(settings, "IMPORT_MAX_CELLS", 5_000_000)


def max_unpacked_bytes() -> int:
    """What an XLSX (a zip of XML files) may inflate to, all its parts together."""
    return getattr(settings, "IMPORT_MAX_UNPACKED_BYTES", 256 * 1024 * 1024)


def max_cell_bytes() -> int:
    """The longest text run in an XLSX part (one cell); Excel itself stops at 32,767 characters."""
    return getattr(settings, "IMPORT_MAX_CELL_BYTES", 1024 * 1024)


def max_json_depth() -> int:
    """How deeply a JSON file may nest lists and objects (a file of rows needs 2)."""
    return getattr(settings, "IMPORT_MAX_JSON_DEPTH", 20)


def _too_many_rows() -> FileError:
    return FileError(
        f"The file has more than {max_rows():,} rows (blank rows count too), "
        "the most one import takes. Split it, or delete the blank rows at its end."
    )


def _too_many_cells() -> FileError:
    return FileError(
        f"The file has more than {max_cells():,} cells (empty cells inside its rows count "
        "too), the most one import takes. Delete the unused columns or split the file."
    )


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


_ASCII_LETTER = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _describe_encoding(sample: bytes) -> str:
    """A plain guess at what a non-UTF-8 text is, for the message that refuses it.

    Any byte above 0x7F is a letter in Windows-1251, so that alone says nothing. Cyrillic
    words are runs of such bytes; Western European text has one accented letter among Latin
    ones (“Müller”, “café”). So a text whose high bytes mostly touch an ASCII letter is Latin.
    """
    text = sample.decode("cp1251", errors="replace")
    letters = [ch for ch in text if ch.isalpha()]
    cyrillic = sum(1 for ch in letters if "\u0400" <= ch <= "\u04ff")
    high = [i for i, b in enumerate(sample) if b >= 0x80]
    beside_latin = sum(
        1
        for i in high
        if (i > 0 and sample[i - 1] in _ASCII_LETTER)
        or (i + 1 < len(sample) and sample[i + 1] in _ASCII_LETTER)
    )
    if letters and high and cyrillic >= 0.5 * len(high) and beside_latin < 0.5 * len(high):
        return "Windows-1251 (Cyrillic)"
    try:
        latin = sample.decode("cp1252")
    except UnicodeDecodeError:
        latin = ""
    if latin and all(ch.isprintable() or ch in "\t\r\n" for ch in latin):
        return "Windows-1252 / Latin-1 (Western European)"
    return ""


def detect_encoding(f) -> str:
    """The codec to read ``f`` with: UTF-8 (with or without BOM), UTF-16 or UTF-32 with a BOM.

    Anything else is refused by name where it can be guessed; binary data as such. Reads the
    file once in chunks (constant memory) so a bad byte near the end is found before import.
    """
    head = f.read(4)
    f.seek(0)
    # UTF-32 LE's mark begins with UTF-16 LE's (FF FE), so it is looked for first.
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        encoding = "utf-32"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    while True:
        chunk = f.read(_CHUNK)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            f.seek(max(0, offset + exc.start - _SAMPLE // 2))
            sample = f.read(_SAMPLE)
            f.seek(0)
            guess = _describe_encoding(sample) if encoding.startswith("utf-8") else ""
            if guess:
                raise FileError(
                    f"The file is not UTF-8: it looks like {guess}. "
                    "Save it as UTF-8 (“CSV UTF-8” in Excel) and upload it again."
                ) from None
            raise FileError(
                f"The file is not text in {_ENCODING_NAMES[encoding]} "
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


_ENCODING_NAMES = {
    "utf-8": "UTF-8 or UTF-16",
    "utf-8-sig": "UTF-8 or UTF-16",
    "utf-16": "UTF-16 (as its byte-order mark says)",
    "utf-32": "UTF-32 (as its byte-order mark says)",
}


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


def _some(names, shown: int = 10) -> str:
    """The first ``shown`` names, and how many more (a message stays short)."""
    names = list(names)
    listed = ", ".join(names[:shown])
    more = len(names) - shown
    return f"{listed} and {more:,} more" if more > 0 else listed


def _check_header(raw: list, columns: Sequence) -> list[str]:
    if len(raw) > MAX_COLUMNS and any(_cell(v).strip() for v in raw[MAX_COLUMNS:]):
        raise FileError(
            f"The header row has {len(raw):,} cells; a file has at most {MAX_COLUMNS} columns "
            f"(it needs {len(columns)}). Is it the right file?"
        )
    headers = [str(h if h is not None else "").strip().lstrip("\ufeff") for h in raw]
    while headers and not headers[-1]:
        headers.pop()
    known = {c.name for c in columns}
    problems = []
    if not headers:
        raise FileError("The file has no header row.")
    # Linear in the width: a header may have a million cells (Counter, sets, never list.count).
    counted = Counter(headers)
    unknown = [h for h in counted if h and h not in known]
    if "" in counted:
        problems.append(f"column {headers.index('') + 1} has no name")
    if unknown:
        problems.append("unknown column(s): " + _some(f"“{h[:40]}”" for h in unknown))
    dupes = sorted(h for h, n in counted.items() if h and n > 1)
    if dupes:
        problems.append("repeated column(s): " + _some(h[:40] for h in dupes))
    missing = [c.name for c in columns if c.required and c.name not in counted]
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    if problems:
        expected = ", ".join(c.name for c in columns)
        raise FileError(
            "The header row is wrong: " + "; ".join(problems) + f". Expected columns: {expected}."
        )
    return headers


class _Budget:
    """Counts what is read from a file, blank rows and empty cells included, against the
    limits: a file is refused as soon as it passes one, before the rest is read."""

    def __init__(self):
        self.rows_left = max_rows() + 1  # the header row is not an imported row
        self.cells_left = max_cells()

    def take(self, cells: int) -> None:
        self.rows_left -= 1
        self.cells_left -= cells
        if self.rows_left < 0:
            raise _too_many_rows()
        if self.cells_left < 0:
            raise _too_many_cells()


def _csv_records(reader, start, budget: _Budget | None = None) -> Iterator:
    """The reader's rows, numbered; a row the csv module cannot parse is a file error."""
    budget = budget or _Budget()
    number = start
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileError(f"Row {number} cannot be read as CSV: {exc}.") from None
        budget.take(len(raw))
        yield number, raw
        number += 1


def _csv_rows(records, headers) -> Iterator:
    width = len(headers)
    for number, raw in records:
        if not any(cell.strip() for cell in raw):
            continue  # blank lines are skipped
        extra = raw[width:]
        if any(cell.strip() for cell in extra):
            yield number, {"__error__": f"{len(raw)} cells in a row of a {width}-column file"}
            continue
        yield number, {h: unescape_formula(v) for h, v in zip(headers, raw, strict=False)}


def read_table(f, name: str, columns: Sequence) -> Table:
    """Open a binary, seekable file ``f`` named ``name`` as a table of ``columns``.

    Raises ``FileError`` for an empty or oversized file, an unknown format or encoding, a
    wrong header, and a file past one of the limits on what is read (rows, blank ones too;
    cells; an XLSX's inflated size, its longest cell, a DOCTYPE; JSON nesting). Row problems
    that belong to one row come back inside the row as ``__error__`` for the importer to
    report with the others.
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
    note = f"converted from {encoding.upper()}" if encoding in ("utf-16", "utf-32") else ""
    text = io.TextIOWrapper(f, encoding=encoding, newline="")
    if fmt == "json":
        return _read_json(text, columns, note)
    # A cell can be as long as the file may be (the csv module's default stops at 128 KB).
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes()))
    records, raw = _csv_header(csv.reader(text))
    if len(raw) == 1 and ";" in raw[0]:
        # One header cell holding semicolons: Excel's "CSV" in the many locales whose decimal
        # mark is a comma separates cells with semicolons. Read again, so separated.
        text.seek(0)
        records, raw = _csv_header(csv.reader(text, delimiter=";"))
        note = " and ".join(filter(None, [note, "read as separated by semicolons"]))
    headers = _check_header(raw, columns)
    return Table("csv", headers, _csv_rows(records, headers), note)


def _csv_header(reader) -> tuple[Iterator, list[str]]:
    """The reader's numbered rows after the header, and the header (the first non-blank row)."""
    records = _csv_records(reader, 1, _Budget())
    for _, raw in records:
        if any(cell.strip() for cell in raw):
            return records, raw
    raise FileError("The file has no header row (it holds only blank lines).")


# --- XLSX: a zip of XML parts, checked before openpyxl opens it -------------------------------
# The compressed size says nothing of what a part inflates to (1 MB can hold a 1 GB cell), and
# openpyxl keeps a cell's text, the shared strings and the styles whole in memory. So the zip's
# directory and every part are read first, inflating in 1 MB steps (constant memory): what
# they inflate to, the longest run of text, and any DOCTYPE (entities: "billion laughs", XXE)
# are checked. defusedxml, when installed, makes openpyxl refuse entities too.

_EOCD = b"PK\x05\x06"
_MAX_DIRECTORY = 1 << 20  # the zip's table of contents: ~20,000 parts; a workbook has tens
_MAX_SMALL_PART = 8 << 20  # styles, workbook, relationships: parsed whole by openpyxl
_STREAMED = re.compile(r"xl/(worksheets/[^/]+\.xml|sharedStrings\.xml)$", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _not_xlsx(why: str) -> FileError:
    return FileError(f"The file is not a readable XLSX workbook ({why}).")


def _check_directory(f) -> None:
    """The zip's directory is small (zipfile reads it whole, one object per part)."""
    size = _size(f)
    f.seek(max(0, size - 65_557))
    tail = f.read()
    f.seek(0)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise _not_xlsx("no zip directory")
    entries, directory = struct.unpack("<HI", tail[at + 10 : at + 16])
    if entries == 0xFFFF or directory == 0xFFFFFFFF or directory > _MAX_DIRECTORY:
        raise FileError(
            "The workbook's table of contents is too big (more parts than a spreadsheet has)."
        )


def _check_xlsx_parts(f) -> None:
    _check_directory(f)
    try:
        book = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _not_xlsx(str(exc)) from None
    limit, run_limit = max_unpacked_bytes(), max_cell_bytes()
    with book:
        infos = book.infolist()
        total = sum(info.file_size for info in infos)
        if total > limit:
            raise FileError(
                f"The workbook inflates to {total / 1_048_576:,.0f} MB of XML; the most one import "
                f"reads is {limit / 1_048_576:,.0f} MB. Split it, or save it as CSV."
            )
        for info in infos:
            if not _STREAMED.match(info.filename) and info.file_size > _MAX_SMALL_PART:
                raise FileError(
                    f"The workbook's part “{info.filename[:60]}” inflates to "
                    f"{info.file_size / 1_048_576:,.0f} MB; spreadsheets keep it under "
                    f"{_MAX_SMALL_PART >> 20} MB."
                )
            if (
                info.filename.lower().endswith((".xml", ".rels", ".vml"))
                or "." not in info.filename
            ):
                _scan_part(book, info, run_limit)


def _scan_part(book, info, run_limit: int) -> None:
    """Stream one part: no DOCTYPE, no run of text longer than ``run_limit`` bytes, no more
    shared strings than cells may be read."""
    # Read in steps no longer than the limit: a run inside one step is then shorter than the
    # limit, and only runs that touch a step's ends need adding up.
    step = min(_CHUNK, run_limit)
    run = 0  # bytes since the last "<", carried from step to step
    carry = b""
    strings = 0
    shared = info.filename.lower().endswith("sharedstrings.xml")
    sheet = "worksheets/" in info.filename.lower()
    rows = cells = 0
    try:
        with book.open(info) as part:
            while chunk := part.read(step):
                window = carry + chunk
                if _DOCTYPE.search(window):
                    raise FileError(
                        f"The workbook's part “{info.filename[:60]}” declares a DOCTYPE "
                        "(XML entities), which spreadsheets never write; it is refused."
                    )
                if shared:
                    strings += window.count(b"<si") - carry.count(b"<si")
                    if strings > max_cells():
                        raise _too_many_cells()
                if sheet:
                    rows, cells = _count_sheet(window, carry, rows, cells)
                carry = chunk[-16:]
                first = chunk.find(b"<")
                if first < 0:
                    run += len(chunk)
                elif run + first <= run_limit:
                    run = len(chunk) - chunk.rfind(b"<") - 1
                else:
                    run += first
                if run > run_limit:
                    raise FileError(
                        f"The workbook's part “{info.filename[:60]}” holds a cell or value "
                        f"longer than {run_limit:,} bytes, the most one cell may hold "
                        "(a spreadsheet cell holds 32,767 characters)."
                    )
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
        raise _not_xlsx(f"{info.filename[:60]}: {exc}") from None


_ROW = re.compile(rb"<row[\s>/]")
_ROW_NUMBER = re.compile(rb"<row\b[^>]*?\sr=\"(\d+)\"")
_CELL = re.compile(rb"<c[\s>/]")
_FAR_CELL = re.compile(rb"<c\b[^>]*?\sr=\"[A-Za-z]{3}")


def _count_sheet(window: bytes, carry: bytes, rows: int, cells: int) -> tuple[int, int]:
    """Rows and cells in a step of a sheet's XML, before openpyxl reads them: elements (at C
    speed), the highest row number (openpyxl yields every row a number skips, blank) and
    cells right of column ZZ (openpyxl pads each row up to its last cell)."""
    rows += len(_ROW.findall(window)) - len(_ROW.findall(carry))
    cells += len(_CELL.findall(window)) - len(_CELL.findall(carry))
    numbers = _ROW_NUMBER.findall(window)
    if rows > max_rows() + 1 or (numbers and max(map(int, numbers)) > max_rows() + 1):
        raise _too_many_rows()
    if cells > max_cells():
        raise _too_many_cells()
    if _FAR_CELL.search(window):
        raise FileError(
            f"The sheet has cells right of column ZZ; a file has at most {MAX_COLUMNS} "
            "columns. Delete the columns after the table."
        )
    return rows, cells


def _read_xlsx(f, columns) -> Table:
    from openpyxl import load_workbook

    _check_xlsx_parts(f)
    f.seek(0)
    try:
        book = load_workbook(f, read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, SyntaxError) as exc:
        # ValueError covers defusedxml's refusals; SyntaxError the XML parser's (ParseError).
        raise _not_xlsx(str(exc)[:200]) from None
    budget = _Budget()

    def counted():
        # openpyxl yields the rows the XML skips (blank ones) and pads short rows up to the
        # widest cell: every one of them is counted before it is looked at.
        values = sheet.iter_rows(values_only=True)
        while True:
            try:
                raw = next(values)
            except StopIteration:
                return
            except (KeyError, ValueError, IndexError, SyntaxError, zipfile.BadZipFile) as exc:
                raise _not_xlsx(str(exc)[:200]) from None
            budget.take(len(raw))
            yield raw

    values = counted()
    start = 1
    for raw in values:
        if any(_cell(v).strip() for v in raw):
            break
        start += 1
    else:
        book.close()
        raise FileError("The workbook's first sheet is empty.")
    headers = _check_header(list(raw), columns)

    def rows():
        width = len(headers)
        try:
            for number, raw_row in enumerate(values, start=start + 1):
                cells = [_xlsx_cell(v) for v in raw_row]
                if not any(c.strip() for c in cells):
                    continue
                if any(c.strip() for c in cells[width:]):
                    yield (
                        number,
                        {"__error__": f"{len(cells)} cells in a row of a {width}-column file"},
                    )
                    continue
                yield number, dict(zip(headers, cells, strict=False))
        finally:
            book.close()

    return Table("xlsx", headers, rows())


# --- JSON: checked before json.load builds it ---------------------------------------------------
# json.load recurses once per level (RecursionError past ~1,000) and builds every value at
# once, so the text is measured first, with strings taken out: the brackets' nesting, the
# objects and lists (rows), and the values (cells).

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _check_json(text: str) -> None:
    bare = _JSON_STRING.sub("", text)
    # Nesting first, so a deep file is named for it: the brackets are walked only as far as
    # a file within the row limit could have them.
    depth, limit = 0, max_json_depth()
    for match in itertools.islice(_JSON_BRACKET.finditer(bare), 2 * max_rows() + 2):
        if match[0] in "[{":
            depth += 1
            if depth > limit:
                raise FileError(
                    f"The JSON file nests lists or objects more than {limit} deep; a file of "
                    "rows is a list of flat objects (two levels)."
                )
        else:
            depth -= 1
    if bare.count("{") + bare.count("[") > max_rows() + 1:
        raise _too_many_rows()
    if bare.count(",") + bare.count(":") > 2 * max_cells():
        raise _too_many_cells()


def _read_json(text, columns, note) -> Table:
    try:
        raw = text.read()
    except UnicodeDecodeError as exc:
        raise FileError(f"The file is not valid JSON ({exc}).") from None
    _check_json(raw)
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise FileError(f"The file is not valid JSON ({str(exc)[:200]}).") from None
    del raw
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise FileError("The JSON file must be a list of objects, one per row.")
    if not data:
        raise FileError("The file is empty (an empty JSON list).")
    if len(data) > max_rows():
        raise _too_many_rows()
    headers = _check_header(list(data[0].keys()), columns)
    known = set(headers)

    def rows():
        for number, item in enumerate(data, start=1):
            if set(item) - known:
                extra = _some(sorted(k[:40] for k in set(item) - known))
                yield number, {"__error__": f"keys not in the first row: {extra}"}
                continue
            if any(isinstance(v, dict | list) for v in item.values()):
                yield number, {"__error__": "a value is a list or an object, not text"}
                continue
            yield number, {k: _cell(v) for k, v in item.items()}

    return Table("json", headers, rows(), note)
