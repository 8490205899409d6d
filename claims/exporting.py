"""Streaming export of claims, casualty records and the reference tables: CSV, XLSX and JSON.

The columns are the import columns (``claims.resources``), so an exported file imports back with
no change. Every export reads its rows with ``values_list(...).iterator()``: foreign keys come as
slugs through joins, and the many-valued columns (a claim's cited sources, a record's sources) come
from one second query ordered by the row's id and merged in step, so an export runs the same small
number of queries for 5 rows or 500,000 and holds one chunk of rows in memory at a time.

Text cells a spreadsheet would run as a formula are escaped (``claims.tabular.escape_formula``)
in every format; the import undoes it.
"""

import datetime
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import models
from openpyxl import Workbook

from claims.tabular import escape_formula

CHUNK = 2000
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json; charset=utf-8", "json"),
}


@dataclass(frozen=True)
class Column:
    """One column of a file: its header and the ORM path of its value (joins for slugs)."""

    name: str
    path: str


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


@dataclass(frozen=True)
class Table:
    """What an export of one model writes."""

    name: str
    model: type[models.Model]
    columns: tuple[Column | ManyColumn, ...]
    private: frozenset[str] = field(default_factory=frozenset)

    def headers(self, *, public: bool = False) -> list[str]:
        return [c.name for c in self.visible(public=public)]

    def visible(self, *, public: bool) -> list[Column | ManyColumn]:
        return [c for c in self.columns if not (public and c.name in self.private)]


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


def rows(table: Table, queryset: models.QuerySet, *, public: bool = False) -> Iterator[list]:
    """The values of each exported row, in column order, as Python values (not yet text).

    Queries: one for the rows, and one per many-valued column (all streamed in chunks).
    """
    columns = table.visible(public=public)
    plain = [c for c in columns if isinstance(c, Column)]
    queryset = queryset.order_by("pk")
    stream = (
        [row]
        for row in queryset.values_list("pk", *(c.path for c in plain)).iterator(chunk_size=CHUNK)
    )
    ids = queryset.order_by().values("pk")  # the same filter, as a subquery
    for col in columns:
        if isinstance(col, ManyColumn):
            related = (
                col.model._default_manager.filter(**{f"{col.parent}__in": ids})
                .order_by(col.parent, "pk")
                .values_list(col.parent, *col.paths)
                .iterator(chunk_size=CHUNK)
            )
            stream = _attach(stream, related)
    for row, *groups in stream:
        out, plain_i, groups_i = [], 1, 0
        for col in columns:
            if isinstance(col, Column):
                out.append(row[plain_i])
                plain_i += 1
            else:
                out.append(col.render(groups[groups_i]))
                groups_i += 1
        yield out


# --- cells -----------------------------------------------------------------------------------


def cell_text(value) -> str:
    """A value as the text of a CSV cell (and of the JSON and XLSX text cells)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return escape_formula(str(value))


def json_value(value):
    """Numbers and booleans stay JSON numbers and booleans; empty values are null."""
    if value is None or isinstance(value, bool | int):
        return value
    return cell_text(value)


# XLSX text is XML: a CR reads back as LF and other control characters are not allowed at all.
# OOXML writes them as _xHHHH_ (Excel does, and reads them back), and a literal "_xHHHH_" as
# "_x005F_xHHHH_"; ``openpyxl.utils.escape.unescape`` undoes both.
_OOXML_LITERAL = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_OOXML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0d\x0e-\x1f]")


def xlsx_value(value):
    """Whole numbers as numbers; everything else as the CSV text (dates as ISO text, so they
    read back the same whatever the spreadsheet's locale), control characters OOXML-escaped."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = cell_text(value)
    if not text:
        return None
    if "_x" in text:
        text = _OOXML_LITERAL.sub(r"_x005F_\1", text)
    return _OOXML_CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


# --- writers ---------------------------------------------------------------------------------


class _Echo:
    """csv.writer into a string, one line at a time (the streaming recipe of Django's docs)."""

    def write(self, value):
        return value


def iter_csv(headers: list[str], values: Iterable[list]) -> Iterator[str]:
    import csv

    writer = csv.writer(_Echo())
    yield writer.writerow(headers)
    for row in values:
        yield writer.writerow([cell_text(v) for v in row])


def iter_json(headers: list[str], values: Iterable[list]) -> Iterator[str]:
    """A JSON array of objects, one per line, streamed."""
    first = True
    yield "["
    for row in values:
        item = json.dumps(
            dict(zip(headers, (json_value(v) for v in row), strict=True)), ensure_ascii=False
        )
        yield ("\n" if first else ",\n") + item
        first = False
    yield "\n]\n"


def text_lines(headers: list[str], values: Iterable[list], fmt: str) -> Iterator[str]:
    """The lines of a CSV or JSON export."""
    return iter_csv(headers, values) if fmt == "csv" else iter_json(headers, values)


def write_xlsx(headers: list[str], values: Iterable[list], out, *, title: str = "data") -> None:
    """An XLSX workbook in write-only mode (rows go to a temporary file as they come)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(headers)
    for row in values:
        sheet.append([xlsx_value(v) for v in row])
    workbook.save(out)


def xlsx_file(headers: list[str], values: Iterable[list], *, title: str = "data"):
    """The workbook in a temporary file, rewound, for a FileResponse or a copy."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the FileResponse closes it)
    write_xlsx(headers, values, out, title=title)
    out.seek(0)
    return out


# --- the tables ------------------------------------------------------------------------------
# PROVISIONAL until claims.resources (the import side) lands: then these are built from its
# column definitions so the two never disagree.


def _joined(values: list[tuple]) -> str:
    return " | ".join(v[0] if not v[1:] or not v[1] else f"{v[0]} ({v[1]})" for v in values)


def _tables() -> dict[str, Table]:
    from casualties.models import CasualtyRecord, Category, Event, Party, Place
    from claims.models import Claim, Claimant, ClaimSource, Source

    col = Column
    return {
        "claims": Table(
            "claims",
            Claim,
            (
                col("external_id", "external_id"),
                col("conflict", "conflict__slug"),
                col("claimant", "claimant__slug"),
                col("subject", "subject__slug"),
                col("category", "category__slug"),
                col("figure_text", "figure_text"),
                col("lower", "lower"),
                col("upper", "upper"),
                col("qualifier", "qualifier"),
                col("scope", "scope"),
                col("as_of", "as_of"),
                col("period_start", "period_start"),
                col("period_end", "period_end"),
                col("stated_on", "stated_on"),
                col("event", "event__slug"),
                col("place", "place__slug"),
                col("quote", "quote"),
                col("status", "status"),
                col("assessment", "assessment"),
                col("assessment_note", "assessment_note"),
                col("accepted", "accepted"),
                col("acceptance_reason", "acceptance_reason"),
                col("note", "note"),
                ManyColumn(
                    "sources", ClaimSource, "claim_id", ("source__slug", "locator"), _joined
                ),
            ),  # fmt: skip
            private=frozenset({"note"}),
        ),
        "records": Table(
            "records",
            CasualtyRecord,
            (
                col("external_id", "external_id"),
                col("conflict", "conflict__slug"),
                col("name", "name"),
                col("name_transliterated", "name_transliterated"),
                col("role", "role"),
                col("rank", "rank"),
                col("description", "description"),
                col("party", "party__slug"),
                col("outcome", "outcome"),
                col("date", "date"),
                col("place", "place__slug"),
                col("event", "event__slug"),
                ManyColumn(
                    "sources",
                    CasualtyRecord.sources.through,
                    "casualtyrecord_id",
                    ("source__slug",),
                    _joined,
                ),
            ),  # fmt: skip
        ),
        "sources": Table(
            "sources",
            Source,
            tuple(
                col(n, n)
                for n in (
                    "slug",
                    "title",
                    "publisher",
                    "url",
                    "published_on",
                    "accessed_on",
                    "archive_url",
                    "language",
                    "note",
                )
            ),  # fmt: skip
        ),
        "events": Table(
            "events",
            Event,
            (
                col("slug", "slug"),
                col("name", "name"),
                col("conflict", "conflict__slug"),
                col("start_date", "start_date"),
                col("end_date", "end_date"),
                col("place", "place__slug"),
                col("description", "description"),
            ),  # fmt: skip
        ),
        "parties": Table(
            "parties",
            Party,
            (
                col("slug", "slug"),
                col("name", "name"),
                col("conflict", "conflict__slug"),
                col("kind", "kind"),
                col("parent", "parent__slug"),
                col("side", "side__slug"),
                col("description", "description"),
            ),  # fmt: skip
        ),
        "places": Table(
            "places",
            Place,
            (
                col("slug", "slug"),
                col("name", "name"),
                col("kind", "kind"),
                col("parent", "parent__slug"),
                col("is_contested", "is_contested"),
            ),  # fmt: skip
        ),
        "categories": Table(
            "categories",
            Category,
            (
                col("slug", "slug"),
                col("name", "name"),
                col("parent", "parent__slug"),
                col("kind", "kind"),
                col("unit", "unit"),
                col("outcome", "outcome"),
                col("position", "position"),
            ),  # fmt: skip
        ),
        "claimants": Table(
            "claimants",
            Claimant,
            (
                col("slug", "slug"),
                col("name", "name"),
                col("kind", "kind"),
                col("party", "party__slug"),
                col("description", "description"),
            ),  # fmt: skip
        ),
    }


_TABLES: dict[str, Table] | None = None


def table(name: str) -> Table:
    global _TABLES
    if _TABLES is None:
        _TABLES = _tables()
    return _TABLES[name]


def table_for_model(model) -> Table | None:
    return next((t for t in (table(n) for n in TABLE_NAMES) if t.model is model), None)


TABLE_NAMES = ("claims", "records", "sources", "events", "parties", "places", "categories",
               "claimants")  # fmt: skip


# --- responses -------------------------------------------------------------------------------


def export_response(table_: Table, queryset, fmt: str, *, filename: str, public: bool = False):
    """An HTTP response with the export of ``queryset`` in ``fmt`` (csv, xlsx or json).

    CSV and JSON stream as they are read (constant memory); XLSX is written to a temporary
    file first (a zip cannot be streamed before it is complete), then sent from it.
    """
    from django.http import FileResponse, StreamingHttpResponse

    content_type, ext = FORMATS[fmt]
    headers = table_.headers(public=public)
    values = rows(table_, queryset, public=public)
    name = f"{filename}.{ext}"
    if fmt == "xlsx":
        return FileResponse(
            xlsx_file(headers, values, title=table_.name),
            as_attachment=True,
            filename=name,
            content_type=content_type,
        )
    lines = text_lines(headers, values, fmt)
    response = StreamingHttpResponse((line.encode() for line in lines), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def write_rows(headers: list[str], values: Iterable[list], fmt: str, out, *, title: str) -> None:
    """Write rows in ``fmt`` to a binary file object (the management commands)."""
    if fmt == "xlsx":
        write_xlsx(headers, values, out, title=title)
        return
    for line in text_lines(headers, values, fmt):
        out.write(line.encode())
