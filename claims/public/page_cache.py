"""A plain cache of rendered public pages, keyed by the data state.

Pages read stored figures, so rendering one is cheap in queries, but a long table still costs
its template (the busiest overview about 35 ms of CPU at 100,000 claims): under 20 connections
on two cores that is what decides the p99 (bench/README.md "Stored figures"). A page is a pure
function of its address and the data, so a rendered page is kept under the data state's token
(``claims.refresh.current_state``: it moves with every write the figures follow and after a
restore, so no page outlives its data) and served until the token moves. No background work,
nothing to refresh: a miss renders the page, once, in the request that asked for it.

Two levels: the process's own cache (``default``; memory unless configured otherwise) and one
row per address in the database (``RenderedPage``), shared by every process and machine, so a
new worker (gunicorn recycles them) or another machine serves a busy page from a read instead
of rendering it again. Measured: without the shared rows, each recycled worker's first
requests rendered the same pages side by side and made the p99 (bench/README.md "load.py").

Bounded by the addresses, not by what is typed: only the first ``PAGES_PER_LIST`` pages of a
list, no "as known on" view, and the key ignores every other parameter (made-up query strings
share one entry, and the pages do not read them); an address that does not exist is a 404,
never kept. Only complete 200 answers are kept.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import Subquery
from django.http import HttpResponse

from claims.models import RenderedPage
from claims.refresh import current_state

PAGES_PER_LIST = 20
# Entries of a past state are never read again; they go when the cache culls or expires them
# (and the shared row of an address is replaced by its next rendering).
SECONDS = 3600
ENABLED = True  # tests that count a page's own queries turn it off


def page_address(request) -> str | None:
    """What identifies a page whatever the data state: its path and page number, or None:
    not kept."""
    if request.GET.get("as_of"):
        return None
    page = request.GET.get("page", "1")
    if not (page.isdigit() and 1 <= int(page) <= PAGES_PER_LIST):
        return None
    return hashlib.sha256(f"{request.path}?page={int(page)}".encode()).hexdigest()


def _key(token: str, address: str) -> str:
    return f"page:{token}:{address}"


def page_key(request) -> str | None:
    """The process cache's key of a page (one query: the data state), or None: not kept."""
    address = page_address(request)
    return None if address is None else _key(current_state().token, address)


def cached_page(view):
    """Serve a rendered page from the process's cache, or else the database's rendered pages,
    while the data state is unchanged; render and keep it otherwise."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if kwargs.get("fmt") or not ENABLED:  # CSV twins stream; they are not kept
            return view(request, *args, **kwargs)
        address = page_address(request)
        if address is None:
            return view(request, *args, **kwargs)
        token = current_state().token
        key = _key(token, address)
        hit = cache.get(key)
        if hit is None:
            row = (
                RenderedPage.objects.filter(address=address, token=token)
                .values_list("content", "content_type")
                .first()
            )
            if row is not None:
                hit = (bytes(row[0]), row[1])
                cache.set(key, hit, SECONDS)
        if hit is not None:
            content, content_type = hit
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            content, content_type = response.content, response["Content-Type"]
            RenderedPage.objects.bulk_create(
                [RenderedPage(address=address, token=token, content=content,
                              content_type=content_type)],
                update_conflicts=True, unique_fields=["address"],
                update_fields=["token", "content", "content_type", "rendered_at"],
            )  # fmt: skip
            cache.set(key, (content, content_type), SECONDS)
            _cull(token)
        return response

    return wrapper


def _cull(token: str) -> None:
    """Keep at most ``settings.SHARED_PAGES_MAX`` rendered pages: those of past data states go
    first, then the oldest (a crawler cannot fill the database)."""
    limit = settings.SHARED_PAGES_MAX
    if RenderedPage.objects.count() <= limit:
        return
    RenderedPage.objects.exclude(token=token).delete()
    newest = RenderedPage.objects.order_by("-rendered_at", "-id").values("id")[:limit]
    RenderedPage.objects.exclude(id__in=Subquery(newest)).delete()
