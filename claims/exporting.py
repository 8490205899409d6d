"""Streaming export of claims, casualty records and the reference tables: CSV, XLSX and JSON.

The columns are the import columns (``claims.resources``), so an exported file imports back with
no change. Every export reads its rows with ``values_list(...).iterator()``: foreign keys come as
slugs through joins, and the many-valued columns (a claim's cited sources, a record's sources) come
from one second query ordered by the row's id and merged in step, so an export runs the same small
number of queries for 5 rows or 500,000 and holds one chunk of rows in memory at a time.

Text cells a spreadsheet would run as a formula are escaped (``claims.tabular.escape_formula``)
in every format; the import undoes it.
"""

import csv
import datetime
import json
import operator
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import models
from openpyxl import Workbook

from claims.tabular import FORMULA_TRIGGERS, escape_formula

CHUNK = 2000
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json; charset=utf-8", "json"),
}


@dataclass(frozen=True)
class Column:
    """One column of a file: its header, the ORM path of its value (joins for slugs) and its
    kind (text, choice, fk, int, date, bool), which says how a value is written."""

    name: str
    path: str
    kind: str = "text"


@dataclass(frozen=True)
class ManyColumn:
    """A column holding several related values, e.g. a claim's cited sources.

    ``model`` is read in one query ordered by ``parent`` (the id of the exported row), and
    ``render`` turns the values of one row (tuples of ``paths``) into the cell text.
    """

    name: str
    model: type[models.Model]
    parent: str
    paths: tuple[str, ...]
    render: Callable[[list[tuple]], str]
    kind: str = "many"


@dataclass(frozen=True)
class Table:
    """What an export of one model writes."""

    name: str
    model: type[models.Model]
    columns: tuple[Column | ManyColumn, ...]
    private: frozenset[str] = field(default_factory=frozenset)

    def headers(self, *, public: bool = False, omit=()) -> list[str]:
        return [c.name for c in self.visible(public=public, omit=omit)]

    def visible(self, *, public: bool = False, omit=()) -> list[Column | ManyColumn]:
        """The columns written: all, less the private ones for the public, less ``omit``."""
        return [
            c
            for c in self.columns
            if not (public and c.name in self.private) and c.name not in omit
        ]


# --- reading rows ----------------------------------------------------------------------------


def _attach(stream: Iterator[list], related: Iterator[tuple]) -> Iterator[list]:
    """Append to each item of ``stream`` (a list whose first element is a row, id first) the
    related values of that row: ``related`` yields (row id, *values), ordered by row id.

    Both streams are ordered by the row id, so this is a merge: constant memory, no query per
    row. Related values of rows that are not exported are skipped.
    """
    pending = next(related, None)
    for item in stream:
        pk, found = item[0][0], []
        while pending is not None and pending[0] < pk:
            pending = next(related, None)
        while pending is not None and pending[0] == pk:
            found.append(pending[1:])
            pending = next(related, None)
        item.append(found)
        yield item


def rows(
    table: Table, queryset: models.QuerySet, *, public: bool = False, omit=()
) -> Iterator[tuple]:
    """The values of each exported row, in column order, as Python values (not yet text).

    Queries: one for the rows, and one per many-valued column (all streamed in chunks).
    """
    columns = table.visible(public=public, omit=omit)
    plain = [c for c in columns if not isinstance(c, ManyColumn)]
    many = [c for c in columns if isinstance(c, ManyColumn)]
    queryset = queryset.order_by("pk")
    values = queryset.values_list("pk", *(c.path for c in plain)).iterator(chunk_size=CHUNK)
    if not many:
        for row in values:
            yield row[1:]
        return
    # Where each column's value is in (pk, *plain values, *rendered many values).
    order = [1 + plain.index(c) if c in plain else 1 + len(plain) + many.index(c) for c in columns]
    ids = queryset.order_by().values("pk")  # the same filter, as a subquery
    stream = ([row] for row in values)
    for col in many:
        related = (
            col.model._default_manager.filter(**{f"{col.parent}__in": ids})
            .order_by(col.parent, "pk")
            .values_list(col.parent, *col.paths)
            .iterator(chunk_size=CHUNK)
        )
        stream = _attach(stream, related)
    renders = [c.render for c in many]
    pick = operator.itemgetter(*order)
    for row, *groups in stream:
        yield pick(
            row + tuple(render(group) for render, group in zip(renders, groups, strict=True))
        )


# --- cells -----------------------------------------------------------------------------------
# One converter per column, chosen once by its kind: the loop over 100,000 rows stays a list
# comprehension of cheap calls.

_TRIGGERS = tuple(FORMULA_TRIGGERS + "'")


def text(value):
    """A text cell, escaped when a spreadsheet would run it (None stays None)."""
    if value and value.startswith(_TRIGGERS):
        return escape_formula(value)
    return value


def _same(value):
    return value


def _bool_text(value):
    return None if value is None else ("true" if value else "false")


def _iso(value):
    return None if value is None else value.isoformat()


# csv.writer writes None as "" and numbers and dates with str() (ISO for a date).
_CSV = {"int": _same, "date": _same, "bool": _bool_text}
_JSON = {"int": _same, "date": _iso, "bool": _same}


def converters(columns, by_kind) -> list[Callable]:
    """A converter per column; a column given by its name alone gets the generic one."""
    return [by_kind.get(c.kind, text) if hasattr(c, "kind") else cell_text for c in columns]


def _names(columns) -> list[str]:
    return [getattr(c, "name", c) for c in columns]


def cell_text(value) -> str:
    """Any value as the text of a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return text(str(value))


# XLSX text is XML: a CR reads back as LF and other control characters are not allowed at all.
# OOXML writes them as _xHHHH_ (Excel does, and reads them back), and a literal "_xHHHH_" as
# "_x005F_xHHHH_"; ``openpyxl.utils.escape.unescape`` undoes both.
_OOXML_LITERAL = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_OOXML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0d\x0e-\x1f]")


def xlsx_text(value):
    """A text cell of a workbook: formula-escaped, control characters OOXML-escaped."""
    if not value:
        return None
    value = text(value)
    if "_x" in value:
        value = _OOXML_LITERAL.sub(r"_x005F_\1", value)
    return _OOXML_CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)


# Whole numbers as numbers, booleans as booleans, dates as date cells: openpyxl gives a date the
# number format ``yyyy-mm-dd``, which shows the same whatever the spreadsheet's locale, and the
# import reads a date cell back as its ISO date (``claims.tabular``).
_XLSX = {"int": _same, "date": _same, "bool": _same}


# --- writers ---------------------------------------------------------------------------------


class _Echo:
    """csv.writer into a string, one line at a time (the streaming recipe of Django's docs)."""

    def write(self, value):
        return value


def iter_csv(columns, values: Iterable[tuple]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    convert = converters(columns, _CSV)
    yield writer.writerow(_names(columns))
    for row in values:
        yield writer.writerow([f(v) for f, v in zip(convert, row, strict=True)])


def iter_json(columns, values: Iterable[tuple]) -> Iterator[str]:
    """A JSON array of objects, one per line, streamed."""
    names = _names(columns)
    convert = converters(columns, _JSON)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    first = True
    yield "["
    for row in values:
        item = encode({n: f(v) for n, f, v in zip(names, convert, row, strict=True)})
        yield ("\n" if first else ",\n") + item
        first = False
    yield "\n]\n"


def text_lines(columns, values: Iterable[tuple], fmt: str) -> Iterator[str]:
    """The lines of a CSV or JSON export."""
    return iter_csv(columns, values) if fmt == "csv" else iter_json(columns, values)


def write_xlsx(columns, values: Iterable[tuple], out, *, title: str = "data") -> None:
    """An XLSX workbook in write-only mode (rows go to a temporary file as they come)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(_names(columns))
    convert = converters(columns, _XLSX)
    convert = [xlsx_text if f is text else f for f in convert]
    for row in values:
        sheet.append([f(v) for f, v in zip(convert, row, strict=True)])
    workbook.save(out)


def xlsx_file(columns, values: Iterable[tuple], *, title: str = "data"):
    """The workbook in a temporary file, rewound, for a FileResponse or a copy."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the FileResponse closes it)
    write_xlsx(columns, values, out, title=title)
    out.seek(0)
    return out


# --- the tables ------------------------------------------------------------------------------
# The columns are the import's (``claims.resources``): names, ORM paths, kinds and the format of
# the list cells. Only how a many-valued column is read is said here.

TABLE_NAMES = ("claims", "records", "sources", "events", "parties", "places", "categories",
               "claimants")  # fmt: skip
# Columns an export for the public leaves out: an editor's note, and the row versions (the
# admin's edit-conflict token, meaningless outside this database).
PRIVATE = {
    "claims": frozenset({"note", "version"}),
    # A record's sensitive fields (date of birth, private notes, contacts): never public.
    "records": frozenset({"version", "date_of_birth", "private_notes", "contact_details"}),
}


def _tables() -> dict[str, Table]:
    from casualties.models import CasualtyRecord, PlaceName
    from claims.models import ClaimSource
    from claims.resources import COLUMNS, render_names, render_sources

    # How each many-valued column is read: one query, ordered by the exported row's id.
    many = {
        ("claims", "sources"): ManyColumn(
            "sources", ClaimSource, "claim_id", ("source__slug", "locator"), render_sources
        ),
        ("records", "sources"): ManyColumn(
            "sources", CasualtyRecord.sources.through, "casualtyrecord_id", ("source__slug",),
            render_sources,
        ),
        ("places", "names"): ManyColumn(
            "names", PlaceName, "place_id", ("language", "name", "used_by"), render_names
        ),
    }  # fmt: skip
    tables = {}
    for name in TABLE_NAMES:
        columns = COLUMNS[name]
        model = _model_of(name)
        tables[name] = Table(
            name,
            model,
            tuple(
                many[(name, c.name)] if c.kind == "many" else Column(c.name, c.path, c.kind)
                for c in columns
            ),
            PRIVATE.get(name, frozenset()),
        )
    return tables


def _model_of(name: str):
    from casualties.models import CasualtyRecord, Category, Event, Party, Place
    from claims.models import Claim, Claimant, Source

    return {
        "claims": Claim, "records": CasualtyRecord, "sources": Source, "events": Event,
        "parties": Party, "places": Place, "categories": Category, "claimants": Claimant,
    }[name]  # fmt: skip


_TABLES: dict[str, Table] | None = None


def table(name: str) -> Table:
    """The export of one table: ``claims``, ``records``, ``sources``, ``events``..."""
    global _TABLES
    if _TABLES is None:
        _TABLES = _tables()
    return _TABLES[name]


# --- responses and files ---------------------------------------------------------------------


def export_response(table_: Table, queryset, fmt: str, *, filename: str, public: bool = False):
    """An HTTP response with the export of ``queryset`` in ``fmt`` (csv, xlsx or json).

    CSV and JSON stream as they are read (constant memory); XLSX is written to a temporary
    file first (a zip cannot be streamed before it is complete), then sent from it.
    """
    from django.http import FileResponse, StreamingHttpResponse

    content_type, ext = FORMATS[fmt]
    columns = table_.visible(public=public)
    values = rows(table_, queryset, public=public)
    name = f"{filename}.{ext}"
    if fmt == "xlsx":
        return FileResponse(
            xlsx_file(columns, values, title=table_.name),
            as_attachment=True,
            filename=name,
            content_type=content_type,
        )
    response = StreamingHttpResponse(
        _batched(text_lines(columns, values, fmt)), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _batched(lines: Iterator[str], size: int = 500) -> Iterator[bytes]:
    """Lines joined in blocks, so the server writes a few kilobytes at a time, not one row."""
    block = []
    for line in lines:
        block.append(line)
        if len(block) == size:
            yield "".join(block).encode()
            block = []
    if block:
        yield "".join(block).encode()


def write_export(table_: Table, queryset, fmt: str, out, *, public: bool = False, omit=()) -> None:
    """Write the export of ``queryset`` to the binary file ``out`` (the commands)."""
    columns = table_.visible(public=public, omit=omit)
    values = rows(table_, queryset, public=public, omit=omit)
    write_rows(columns, values, fmt, out, title=table_.name)


def write_rows(columns, values: Iterable[tuple], fmt: str, out, *, title: str) -> None:
    """Write rows in ``fmt`` to a binary file object."""
    if fmt == "xlsx":
        write_xlsx(columns, values, out, title=title)
        return
    for line in text_lines(columns, values, fmt):
        out.write(line.encode())
