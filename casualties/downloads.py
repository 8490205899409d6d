"""Public data downloads: the whole ledger as CSV, XLSX or JSON, published claims only.

The files have the import columns (``claims.exporting``), so a researcher's copy imports back
into another ledger. Claims are the published ones; sources are those a published claim or a
named record cites; the reference tables (parties, places, events, categories, claimants) and the
named records are public as a whole, as on the browse pages. An editor's note is left out.
"""

import datetime

from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from casualties.models import CasualtyRecord
from claims import exporting
from claims.models import Claim, Source

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
            | Q(pk__in=CasualtyRecord.sources.through.objects.values("source_id"))
        )
    return table.model._default_manager.all()


def filename(name: str) -> str:
    return f"casualty-ledger-{name}-{datetime.date.today().isoformat()}"


@require_safe
def download(request, name, fmt):
    """One table in one format, streamed. Queries: one for the rows, one per many-valued
    column (a claim's sources, a record's sources)."""
    if name not in exporting.TABLE_NAMES or fmt not in exporting.FORMATS:
        raise Http404("No such download.")
    response = exporting.export_response(
        exporting.table(name), public_queryset(name), fmt, filename=filename(name), public=True
    )
    # Where the columns and the rules behind the figures are explained.
    response["Link"] = (
        f'<{request.build_absolute_uri(reverse("casualties:downloads"))}>; rel="describedby", '
        f'<{request.build_absolute_uri(reverse("casualties:methodology"))}>; rel="help"'
    )
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
