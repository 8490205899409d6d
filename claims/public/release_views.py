"""Release pages: /releases/, /releases/<name>/ with its changelog, and its files.

Everything shown for a release was written when it was cut (``claims.releases``): the page
reads the release row (one query) and its changelog from storage; a file is served from
storage as it was stored, so its bytes never change.
"""

import codecs
import hashlib
import json

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from claims import exporting, releases
from claims.public.downloads import DOWNLOADS
from claims.release_models import Release

CONTENT_TYPES = {ext: content_type for content_type, ext in exporting.FORMATS.values()}


@require_safe
def release_list(request):
    """Every release, newest first. One query."""
    return render(request, "claims/releases.html", {"releases": list(Release.objects.all())})


def _files(release):
    return [
        {
            "name": name,
            "title": title,
            "links": [
                (
                    f"{name}.{fmt}",
                    reverse("casualties:release_file", args=[release.name, name, fmt]),
                )
                for fmt in releases.FORMATS
            ],
        }
        for name, title, _text in DOWNLOADS
    ]


@require_safe
def release_detail(request, name):
    """One release: its note, counts, files and the changelog against the previous release.
    One query (the release); the changelog is read from storage."""
    release = get_object_or_404(Release, name=name)
    log = json.loads(releases.read_file(release, "changelog.json"))
    return render(
        request,
        "claims/release.html",
        {"release": release, "log": log, "files": _files(release)},
    )


@require_safe
def release_file(request, name, table, fmt):
    """A file of a release, as stored at the cut (``?bom=1`` on a CSV: with a UTF-8 byte-order
    mark first, as the live downloads). One query (the release)."""
    release = get_object_or_404(Release, name=name)
    filename = f"{table}.{fmt}"
    if filename not in release.files:
        raise Http404("No such file in this release.")
    bom = fmt == "csv" and request.GET.get("bom") == "1"
    handle = releases.storage().open(release.files[filename], "rb")
    content_type = CONTENT_TYPES[fmt]
    if bom:
        content = codecs.BOM_UTF8 + handle.read()
        handle.close()
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="casualty-ledger-{release.name}-{filename}"'
        )
    else:
        response = FileResponse(
            handle,
            as_attachment=table not in ("datapackage", "figures", "changelog"),
            filename=f"casualty-ledger-{release.name}-{filename}",
            content_type=content_type,
        )
    # The file never changes: its storage name (unique to the cut) is a strong validator.
    raw = f"{release.files[filename]}{'-bom' if bom else ''}"
    response["ETag"] = f'"{hashlib.sha256(raw.encode()).hexdigest()[:20]}"'
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
