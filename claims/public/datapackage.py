"""``/downloads/datapackage.json``: the public downloads described as a Frictionless Data Package.

One resource per download (``claims.public.downloads.DOWNLOADS``), its ``path`` the CSV file's name
as in its address (``claims.csv``), relative to the package: a folder holding the package and the
files saved under those names validates (``frictionless validate datapackage.json``). The fields
are the columns the download writes (``claims.exporting``, itself built on ``claims.resources``),
less the ones a public download leaves out (an editor's note, row versions, a record's sensitive
fields), with their types from the column kinds and the model fields:

- ``int`` → integer (``minimum: 0`` for a positive integer field), ``date`` → date (ISO),
  ``bool`` → boolean (``true``/``false``), a choice → string with an ``enum`` of the stored values,
  text, slugs and many-valued cells → string;
- a slug column referring to another download → a foreign key to that table's ``slug``
  (a conflict or a side is not a download of its own: those columns are plain strings);
- the primary key is ``external_id`` (claims, records) or ``slug`` (the others);
- an empty cell is a missing value (``missingValues: [""]``); a column the model requires is
  ``required``.

The descriptor depends on the code only (no rows, no queries): it is built once per process.
"""

import hashlib
import json
from functools import cache

from django.db.models.fields import PositiveIntegerRelDbTypeMixin, SlugField
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from claims import exporting
from claims.resources import COLUMNS

# Types of the Table Schema by the column kinds of ``claims.resources``.
TYPES = {"int": "integer", "date": "date", "bool": "boolean"}

# The licence the data are published under (the package's ``licenses``).
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0",
}

DESCRIPTION = (
    "Casualty figures of the war as each claimant states them, with their sources, and the named "
    "casualty records, as published in the Casualty Ledger. Only published claims are included; "
    "the reference tables give the full row of every slug the claims and records use. Each table "
    "is also downloadable as XLSX and JSON with the same columns."
)


def _primary_key(name: str) -> str:
    return "external_id" if name in ("claims", "records") else "slug"


def _model_field(model, col):
    try:
        return model._meta.get_field(col.attr)
    except Exception:  # a many-valued cell read through another model (place names)
        return None


def _text(value) -> str:
    text = str(value or "").strip()
    return text[:1].upper() + text[1:]


def field_descriptor(table: exporting.Table, col, tables: dict) -> dict:
    """The Table Schema field of one column of ``table``."""
    model_field = _model_field(table.model, col)
    field = {"name": col.name, "type": TYPES.get(col.kind, "string")}
    if model_field is not None and getattr(model_field, "verbose_name", None):
        field["title"] = _text(model_field.verbose_name)
    description = _text(getattr(model_field, "help_text", ""))
    constraints = {}
    if col.kind == "choice":
        constraints["enum"] = [str(v) for v, _label in model_field.flatchoices if v != ""]
    elif col.kind == "fk":
        target = tables.get(col.fk_model)
        what = f"a row of {target}.csv" if target else f"a {col.fk_model._meta.verbose_name}"
        description = description or f"The slug of {what}."
    elif col.kind == "many":
        description = description or {
            "sources": "Slugs of rows of sources.csv separated by “;”, each optionally followed "
            "by its locator in brackets: “mod-2020-10-21 (para 3); hrw-report”.",
            "names": "The place's names, “language=name” separated by “;”, each optionally "
            "followed by who uses it in brackets: “hy=Ստեփանակերտ (Armenian usage); az=Xankəndi”.",
        }.get(col.name, "")
    elif col.kind == "int" and isinstance(model_field, PositiveIntegerRelDbTypeMixin):
        constraints["minimum"] = 0
    if col.kind == "text" and isinstance(model_field, SlugField):
        constraints["pattern"] = r"[-a-zA-Z0-9_]+"
    if col.name == _primary_key(table.name) or (
        model_field is not None
        and col.kind != "many"
        and not model_field.blank
        and not getattr(model_field, "null", False)
        and col.kind not in ("bool", "choice")
    ):
        constraints["required"] = True
    if description:
        field["description"] = description
    if constraints:
        field["constraints"] = constraints
    return field


def resource_descriptor(name: str, title: str, text: str, tables: dict) -> dict:
    table = exporting.table(name)
    columns = table.visible(public=True)
    cols = {c.name: c for c in COLUMNS[name]}
    fields = [field_descriptor(table, cols[c.name], tables) for c in columns]
    foreign_keys = [
        {
            "fields": [c.name],
            # "" is the resource itself (a parent party, place or category).
            "reference": {
                "resource": ""
                if tables[cols[c.name].fk_model] == name
                else tables[cols[c.name].fk_model],
                "fields": ["slug"],
            },
        }
        for c in columns
        if cols[c.name].kind == "fk" and cols[c.name].fk_model in tables
    ]
    schema = {"fields": fields, "missingValues": [""], "primaryKey": [_primary_key(name)]}
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return {
        "name": name,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "title": title,
        "description": text,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


@cache
def descriptor() -> dict:
    """The package: one tabular resource per download, in the downloads page's order."""
    from claims.public.downloads import DOWNLOADS

    tables = {exporting.table(name).model: name for name, _title, _text in DOWNLOADS}
    return {
        "profile": "tabular-data-package",
        "name": "casualty-ledger",
        "title": "Casualty Ledger: published claims and named casualty records",
        "description": DESCRIPTION,
        "licenses": [LICENSE],
        "resources": [
            resource_descriptor(name, title, text, tables) for name, title, text in DOWNLOADS
        ],
    }


@cache
def _content() -> tuple[bytes, str]:
    body = json.dumps(descriptor(), ensure_ascii=False, indent=2).encode() + b"\n"
    return body, f'"{hashlib.sha256(body).hexdigest()[:20]}"'


@require_safe
def datapackage(request):
    """The package descriptor. No queries; an ETag of its content."""
    body, etag = _content()
    ok = HttpResponse(headers={"ETag": etag})
    conditional = get_conditional_response(request, etag=etag, response=ok)
    if conditional is not ok:
        return conditional
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    return response
