"""Public data downloads: the whole ledger as CSV, XLSX or JSON, published claims only.

The files have the import columns (``claims.exporting``), so a researcher's copy imports back
into another ledger. Claims are the published ones; sources are those a published claim or a
named record cites; the reference tables (parties, places, events, categories, claimants) and the
named records are public as a whole, as on the browse pages. An editor's note is left out.

A download has one parameter, ``?bom=1`` on a CSV: the same file with a UTF-8 byte-order mark
first, so that a spreadsheet opened on it reads UTF-8 (Excel otherwise takes the system's code
page). Each file is a function of its table, its format (the BOM variant is a format of its own
here, ``csvbom``) and the data: it is built once per data version (``download_version``, one query) into
``settings.DOWNLOADS_CACHE_DIR`` and then served from there (with an ETag, so a client that has
it gets a 304). A build writes a temporary file and renames it, so a file is either complete or
absent; a process lock and a file lock (``flock``, shared by the gunicorn workers) make
concurrent requests for a missing file wait for one build; the previous versions' files of the
table and format are deleted once a newer one is built.

The version is the largest history id of each table a download reads. A PostgreSQL transaction
that commits after a later one was read (a long import during an edit) does not move it, so a
file's first build is "unsettled": it is built once more when asked for after
``SETTLE_SECONDS``, and that build is kept for the version (requests meanwhile get the first
one). A write longer than that which commits after a later one can still be missed until the
next write.
"""

import codecs
import contextlib
import datetime
import fcntl
import hashlib
import os
import re
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
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
from claims.reconciliation import history_version, newer_version, public_models

# Seconds after its first build a file is built once more (see above).
SETTLE_SECONDS = 300

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


def download_version() -> str:
    """A token that changes on every write to a table a download reads (``public_models``: a
    named record's sources are not a table of their own there, but changing them writes a
    history row of the record, through simple-history's m2m tracking and the import). One
    query."""
    return history_version(public_models())


# --- the cached files ------------------------------------------------------------------------

_FILE = re.compile(
    r"^(?P<name>[a-z]+)\.(?P<version>[0-9-]+)(?P<unsettled>\.unsettled)?\.(?P<fmt>[a-z]+)$"
)
_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


def cache_dir() -> Path:
    return Path(settings.DOWNLOADS_CACHE_DIR)


def _path(name: str, fmt: str, version: str, *, settled: bool) -> Path:
    return cache_dir() / f"{name}.{version}{'' if settled else '.unsettled'}.{fmt}"


def _open(path: Path):
    try:
        return path.open("rb")
    except FileNotFoundError:
        return None


def _age(handle) -> float:
    return time.time() - os.fstat(handle.fileno()).st_mtime


def _find(name: str, fmt: str, version: str):
    """The file built for ``version``, open, or None: the settled one, else an unsettled one
    younger than ``SETTLE_SECONDS``."""
    handle = _open(_path(name, fmt, version, settled=True))
    if handle is not None:
        return handle
    handle = _open(_path(name, fmt, version, settled=False))
    if handle is not None and _age(handle) >= SETTLE_SECONDS:
        handle.close()
        return None
    return handle


@contextlib.contextmanager
def _building(name: str, fmt: str, *, wait: bool):
    """Hold the right to build one table and format: a lock of this process (its threads) and a
    file lock (the other workers). Yields False if ``wait`` is off and another holds it."""
    lock = _lock(name, fmt)
    if not lock.acquire(blocking=wait):
        yield False
        return
    try:
        directory = cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / f".{name}.{fmt}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True  # the lock goes with the descriptor
        finally:
            os.close(fd)
    finally:
        lock.release()


def _lock(name: str, fmt: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault((name, fmt), threading.Lock())


def cached_file(name: str, fmt: str, version: str):
    """The file of one table and format for ``version``, open for reading: found, or built
    (once, whoever else asks for it at the same time)."""
    handle = _find(name, fmt, version)
    if handle is not None:
        return handle
    # An unsettled file past its time: this request builds it again, the others get it.
    due = _open(_path(name, fmt, version, settled=False))
    with _building(name, fmt, wait=due is None) as building:
        if not building:
            return due
        if due is not None:
            due.close()
        handle = _find(name, fmt, version)  # built while this request waited
        if handle is not None:
            return handle
        # A first build is unsettled; the build that replaces one past its time is settled.
        settled = _path(name, fmt, version, settled=False).exists()
        path = _path(name, fmt, version, settled=settled)
        _build(name, fmt, path)
        _remove_older(name, fmt, version, keep=path)
        return path.open("rb")


# The stored format of a CSV with a byte-order mark (``?bom=1``): its own files, built and
# settled like the others.
BOM_FORMAT = "csvbom"


def _build(name: str, fmt: str, path: Path) -> None:
    """Write the file to a temporary name, then rename it: it is complete or it is not there."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.{fmt}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            if fmt == BOM_FORMAT:
                out.write(codecs.BOM_UTF8)
                fmt = "csv"
            exporting.write_export(
                exporting.table(name), public_queryset(name), fmt, out, public=True
            )
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _remove_older(name: str, fmt: str, version: str, *, keep: Path) -> None:
    """Delete this table and format's files of every version but ``version`` and newer ones,
    the unsettled file once the settled one is built, and temporary files left by a build
    that died (the caller holds the build lock, so none is being written)."""
    for entry in cache_dir().iterdir():
        if entry == keep:
            continue
        if entry.name.startswith(f".{name}.{fmt}.") and entry.name.endswith(".part"):
            entry.unlink(missing_ok=True)
            continue
        found = _FILE.match(entry.name)
        if not found or found["name"] != name or found["fmt"] != fmt:
            continue
        if found["version"] == version:
            if found["unsettled"] and keep.name == _path(name, fmt, version, settled=True).name:
                entry.unlink(missing_ok=True)
        elif not newer_version(found["version"], version):
            entry.unlink(missing_ok=True)


def etag(handle, version: str) -> str:
    """The version, whether the build is settled and whether it has a byte-order mark, hashed:
    the history ids would tell how busy the editors are."""
    suffix = Path(handle.name).suffix
    unsettled = handle.name.endswith(f".unsettled{suffix}")
    variant = f"{'-u' if unsettled else ''}{'-bom' if suffix == f'.{BOM_FORMAT}' else ''}"
    digest = hashlib.sha256(f"{version}{variant}".encode()).hexdigest()
    return f'"{digest[:20]}"'


@require_safe
def download(request, name, fmt):
    """One table in one format, from the cache (built first if need be, also before a 304).
    ``?bom=1`` on a CSV: with a UTF-8 byte-order mark. Queries: the version; and when the file
    is built, one for the rows and one per many-valued column (a claim's sources, a record's
    sources, a place's names)."""
    if name not in exporting.TABLE_NAMES or fmt not in exporting.FORMATS:
        raise Http404("No such download.")
    version = download_version()
    stored = BOM_FORMAT if fmt == "csv" and request.GET.get("bom") == "1" else fmt
    handle = cached_file(name, stored, version)
    built = os.fstat(handle.fileno()).st_mtime
    headers = {
        "ETag": etag(handle, version),
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
        handle.close()
        return conditional
    content_type, ext = exporting.FORMATS[fmt]
    response = FileResponse(
        handle, as_attachment=True, filename=f"{filename(name)}.{ext}", content_type=content_type
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
