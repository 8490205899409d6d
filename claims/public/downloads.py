"""Public data downloads: the whole ledger as CSV, XLSX or JSON, published claims only.

The files have the import columns (``claims.exporting``), so a researcher's copy imports back
into another ledger. Claims are the published ones; sources are those a published claim or a
named record cites; the reference tables (parties, places, events, categories, claimants) and the
named records are public as a whole, as on the browse pages. An editor's note is left out.

A download has one parameter, ``?bom=1`` on a CSV: the same file with a UTF-8 byte-order mark
first, so that a spreadsheet opened on it reads UTF-8 (Excel otherwise takes the system's code
page). Each file is a function of its table, its format (the BOM variant is a format of its own
here, ``csvbom``) and the data: it is built once per data state (``claims.refresh``'s token,
one query; it moves with every write the figures follow, and a restore starts a new epoch, so
a token never comes back) and kept in the ``downloads`` storage (settings ``STORAGES``: a
folder by default, any shared storage in production — every web machine sees the same files).
Two requests for a missing file may both build it; the first one saved is kept. Files of other
states are deleted once a new one is saved, and all of them after a restore (``clear``).
"""

import codecs
import datetime
import hashlib
import tempfile

from django.core.files import File
from django.core.files.storage import storages
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from casualties.models import CasualtyRecord
from claims import exporting
from claims.models import Claim, Source
from claims.refresh import current_state

# The order of the downloads page, with what each file holds.
DOWNLOADS = [
    ("claims", "Claims", "Every published claim: who said what was lost, the figure as written "
     "and its bounds, the time scope, and the sources cited."),
    ("records", "Named casualty records", "One row per named person: name in its own script, "
     "role, party, outcome, date, place and sources."),
    ("sources", "Sources", "The documents the claims and records cite."),
    ("parties", "Parties", "The belligerents and population groups, as a tree."),
    ("categories", "Kinds of loss", "What is counted, as a tree with units and outcomes."),
    ("claimants", "Claimants", "Who asserts the figures, and the party each speaks for."),
    ("events", "Events", "Dated incidents the claims are about."),
    ("places", "Places", "Towns and regions, with every side's name."),
]  # fmt: skip


def public_queryset(name: str):
    """The rows of a public download."""
    table = exporting.table(name)
    if name == "claims":
        return Claim.objects.published()
    if name == "sources":
        published = Claim.objects.published().values("pk")
        return Source.objects.filter(
            Q(pk__in=Source.objects.filter(claims__in=published).values("pk"))
            | Q(
                pk__in=CasualtyRecord.sources.through.objects.filter(
                    casualtyrecord__in=CasualtyRecord.objects.published()
                ).values("source_id")
            )
        )
    if name == "records":
        return CasualtyRecord.objects.in_register()
    return table.model._default_manager.all()


def filename(name: str) -> str:
    return f"casualty-ledger-{name}-{datetime.date.today().isoformat()}"


# --- the stored files ------------------------------------------------------------------------

# The stored format of a CSV with a byte-order mark (``?bom=1``).
BOM_FORMAT = "csvbom"


def storage():
    return storages["downloads"]


def _path(name: str, fmt: str, token: str) -> str:
    return f"{name}.{token}.{fmt}"


def stored_file(name: str, fmt: str, token: str) -> str:
    """The name in storage of one table and format for the data state ``token``: found, or
    built and saved."""
    path = _path(name, fmt, token)
    files = storage()
    if files.exists(path):
        return path
    with tempfile.TemporaryFile() as out:
        if fmt == BOM_FORMAT:
            out.write(codecs.BOM_UTF8)
        exporting.write_export(
            exporting.table(name),
            public_queryset(name),
            "csv" if fmt == BOM_FORMAT else fmt,
            out,
            public=True,
        )
        out.seek(0)
        if files.exists(path):  # another request saved it meanwhile
            return path
        saved = files.save(path, File(out))
    if saved != path:  # saved at the same moment as another: keep theirs
        files.delete(saved)
    _remove_others(name, fmt, token)
    return path


def _remove_others(name: str, fmt: str, token: str) -> None:
    """Delete this table and format's files of every other data state."""
    files = storage()
    keep = _path(name, fmt, token)
    for entry in files.listdir("")[1]:
        if entry != keep and entry.startswith(f"{name}.") and entry.endswith(f".{fmt}"):
            files.delete(entry)


def clear() -> None:
    """Delete every stored download (after a restore: they may hold rows it took back)."""
    files = storage()
    for entry in files.listdir("")[1]:
        files.delete(entry)


def etag(token: str, fmt: str) -> str:
    """The data state and the format, hashed."""
    return f'"{hashlib.sha256(f"{token}-{fmt}".encode()).hexdigest()[:20]}"'


@require_safe
def download(request, name, fmt):
    """One table in one format, from the cache (built first if need be, also before a 304).
    ``?bom=1`` on a CSV: with a UTF-8 byte-order mark. Queries: the data state; and when the
    file is built, one for the rows and one per many-valued column (a claim's sources, a
    record's sources, a place's names)."""
    if name not in exporting.TABLE_NAMES or fmt not in exporting.FORMATS:
        raise Http404("No such download.")
    token = current_state().token
    stored = BOM_FORMAT if fmt == "csv" and request.GET.get("bom") == "1" else fmt
    path = stored_file(name, stored, token)
    built = storage().get_modified_time(path).timestamp()
    headers = {
        "ETag": etag(token, stored),
        "Last-Modified": http_date(built),
        # Where the columns and the rules behind the figures are explained.
        "Link": (
            f'<{request.build_absolute_uri(reverse("casualties:downloads"))}>; rel="describedby", '
            f'<{request.build_absolute_uri(reverse("casualties:methodology"))}>; rel="help"'
        ),
    }
    # If-None-Match (304), If-Modified-Since (304), If-Match and If-Unmodified-Since (412).
    ok = HttpResponse(headers=headers)
    conditional = get_conditional_response(
        request, etag=headers["ETag"], last_modified=int(built), response=ok
    )
    if conditional is not ok:
        return conditional
    content_type, ext = exporting.FORMATS[fmt]
    response = FileResponse(
        storage().open(path, "rb"),
        as_attachment=True,
        filename=f"{filename(name)}.{ext}",
        content_type=content_type,
    )
    for header, value in headers.items():
        response[header] = value
    return response


@require_safe
def downloads(request):
    """The downloads page: what each file holds and how to read it. No queries."""
    files = [
        {
            "name": name,
            "title": title,
            "text": text,
            "links": [
                (fmt, reverse("casualties:download", args=[name, fmt])) for fmt in exporting.FORMATS
            ],
            "columns": exporting.table(name).headers(public=True),
        }
        for name, title, text in DOWNLOADS
    ]
    return render(request, "casualties/downloads.html", {"files": files})
